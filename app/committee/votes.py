"""Votes (表决), recusal (回避) and the tally that decides each dossier when the meeting closes.

An expert votes once per dossier (a unique index refuses the second press); the office may enter
paper ballots on an expert's behalf. An expert bound to the applicant's employer or to any unit the
dossier went up through is recused: refused a vote and left out of the counts. The meeting's
vote_count is advanced with each vote while the meeting is voting, so closing can tell that the
votes it counted are all there are. The counting and its wording are committee.tally's."""

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from app.accounts.enums import Role
from app.accounts.models import User
from app.catalog.models import Committee
from app.clock import utcnow
from app.committee import tally
from app.committee.exceptions import MeetingNotFound
from app.committee.meetings import on_meeting, require_state, visible
from app.committee.models import Meeting, Vote
from app.committee.recusal import conflicted_units
from app.committee.schemas import VoteIn
from app.dossiers import service as dossiers
from app.dossiers.enums import DossierStatus as S
from app.dossiers.models import Dossier
from app.dossiers.writes import to_bson
from app.experts import service as expert_library
from app.errors import AppError, Conflict, NotFound, ValidationFailed
from app.routing import service as routing
from app.routing.machine import Action
from app.units.models import Unit


async def cast(*, actor: User, meeting_id: PydanticObjectId, data: VoteIn) -> Vote:
    meeting, committee, office = await visible(actor, meeting_id)
    if data.expert_id in (None, actor.id):
        if office and actor.id not in meeting.member_ids:
            raise ValidationFailed("代录纸质选票请选择专家", field="expert_id", code="expert_required")
        if not (actor.has_role(Role.expert) and actor.id in meeting.member_ids):
            raise MeetingNotFound(field="meeting_id")
        expert, on_behalf = actor, False
    else:
        if not office:
            raise Conflict("只能本人表决；代录纸质选票须由评委会办事机构办理", field="expert_id", code="not_committee_office")
        expert, on_behalf = await User.get(data.expert_id), True
        if expert is None or expert.id not in meeting.member_ids:
            raise ValidationFailed("该专家不是本次评审会的成员", field="expert_id", code="not_a_member")
    if meeting.status != "voting":
        raise Conflict("评审会不在表决中，不能投票", code="meeting_state")
    if expert.id not in meeting.present_ids:
        raise Conflict(f"专家{expert.name}未登记到会，不能表决", code="not_present")
    dossier = await Dossier.get(data.dossier_id) if data.dossier_id in meeting.dossier_ids else None
    if dossier is None:
        raise NotFound("该申报不在本次评审会", field="dossier_id", code="not_in_meeting")
    if dossier.status != S.scheduled or dossier.meeting_id != meeting.id:
        raise Conflict("该申报已不在本次评审会的表决中", code="not_scheduled")
    await _refuse_recused(expert, dossier, meeting)
    await expert_library.require_may_vote(expert)
    vote = Vote(meeting_id=meeting.id, dossier_id=dossier.id, expert_id=expert.id, expert_name=expert.name,
                choice=data.choice, recorded_by=actor.id, on_behalf=on_behalf)
    try:
        await vote.insert()
    except DuplicateKeyError:
        raise Conflict(f"专家{expert.name}已对{dossier.applicant_name}的申报表决，不能重复投票",
                       code="already_voted") from None
    counted = await Meeting.get_pymongo_collection().update_one({"_id": meeting.id, "status": "voting"},
                                                                {"$inc": {"vote_count": 1}})
    if counted.matched_count != 1:                       # the meeting closed meanwhile: the vote did not count
        await vote.delete()
        raise Conflict("评审会已结束表决，本票未计入", code="meeting_state")
    return vote


async def _refuse_recused(expert: User, dossier: Dossier, meeting: Meeting) -> None:
    if expert.id == dossier.applicant_id:
        raise Conflict("专家本人为申报人，须回避，不能表决", code="recused")
    if expert.id in meeting.recused.get(str(dossier.id), ()):
        raise Conflict(f"专家{expert.name}与该申报人有利害关系（见专家库回避情形），须回避，不能对该申报表决",
                       code="recused")
    units = conflicted_units(expert, dossier)
    if units:
        unit = await Unit.get(units[0])
        raise Conflict(f"专家{expert.name}所在单位（{unit.name if unit else '本单位'}）是申报人所在单位或其上报路径上的单位，"
                       f"须回避，不能对该申报表决", code="recused")


async def live_tally(meeting: Meeting, committee: Committee) -> dict[str, dict]:
    """The tally closing would make now, per scheduled dossier (only while voting), so the office sees a
    missing quorum before 结束评审会 refuses it."""
    if meeting.status != "voting":
        return {}
    members = await User.find({"_id": {"$in": meeting.member_ids}}).to_list()
    cast = await Vote.find({"meeting_id": meeting.id}).to_list()
    pending = [d for d in await on_meeting(meeting) if d.status == S.scheduled]
    return {str(d.id): tally.count(committee, meeting, d, members, cast).model_dump() for d in pending}


async def _signer(actor: User, meeting: Meeting, chair_id: PydanticObjectId | None) -> dict:
    """Who signs the minutes: the chair named (an expert present at the meeting), else the office user closing."""
    if chair_id is None:
        return {"signer_id": actor.id, "signer_name": actor.name, "signer_role": "office"}
    chair = await User.get(chair_id) if chair_id in meeting.present_ids else None
    if chair is None:
        raise ValidationFailed("签署纪要的主任委员须是本次评审会到会的专家", field="chair_id", code="chair_not_present")
    return {"signer_id": chair.id, "signer_name": chair.name, "signer_role": "chair"}


async def close(*, actor: User, meeting: Meeting, committee: Committee,
                chair_id: PydanticObjectId | None = None) -> Meeting:
    """Tallies every dossier and applies its decision. Without a quorum for any dossier nothing changes
    (409 naming the numbers); a close interrupted half-way is resumed by closing again. The minutes are
    frozen with their signer (`chair_id`, else the actor) and the signing time. The meeting comes loaded
    for its office (committee.deps.OfficeMeeting)."""
    require_state(meeting, "voting", "closing")
    signer = await _signer(actor, meeting, chair_id)
    members = await User.find({"_id": {"$in": meeting.member_ids}}).to_list()
    votes = await Vote.find({"meeting_id": meeting.id}).to_list()
    if meeting.status == "voting" and len(votes) != meeting.vote_count:
        raise Conflict("有选票正在提交，请稍后再结束评审会", code="votes_in_flight")
    pending = [d for d in await on_meeting(meeting) if d.status == S.scheduled]
    summaries = {d.id: tally.count(committee, meeting, d, members, votes) for d in pending}
    short = [(d, summaries[d.id]) for d in pending if summaries[d.id].present < summaries[d.id].quorum_required]
    if short:
        d, s = short[0]
        raise Conflict(f"{d.applicant_name}的申报{tally.short_line(s)}，评审会不能结束", code="no_quorum",
                       dossiers=[{"id": str(x.id), "applicant_name": x.applicant_name, "eligible": y.eligible,
                                  "present": y.present, "quorum_required": y.quorum_required} for x, y in short])
    if meeting.status == "voting":
        frozen = await Meeting.get_pymongo_collection().update_one(
            {"_id": meeting.id, "status": "voting", "vote_count": meeting.vote_count},
            {"$set": {"status": "closing"}, "$inc": {"version": 1}})
        if frozen.matched_count != 1:
            raise Conflict("有新的选票或评审会已被他人结束，请刷新后重试", code="votes_in_flight")
    failed = []
    for dossier in pending:
        summary = summaries[dossier.id]
        try:
            await routing.apply(dossier=dossier, acting=await routing.acting_as(actor, dossier), actor=actor,
                                action=Action.decide, opinion=tally.vote_line(summary),
                                result_status=S.approved if summary.passed else S.not_approved,
                                detail=summary.model_dump(mode="json"), extra_set={"votes": to_bson(summary)})
        except AppError as exc:
            failed.append(f"{dossier.applicant_name}：{exc.message}")
    if failed:
        raise Conflict("评审会未能全部结束，请重试：" + "；".join(failed), code="close_incomplete")
    decided = [d for d in await dossiers.by_ids(list(meeting.dossier_ids)) if d.votes and d.votes.meeting_id == meeting.id]
    results = [{"dossier_id": str(d.id), "applicant_name": d.applicant_name, "status": d.status,
                **d.votes.model_dump(mode="json")} for d in decided]
    await Meeting.get_pymongo_collection().update_one(
        {"_id": meeting.id, "status": "closing"},
        {"$set": {"status": "closed", "results": results, "closed_at": (now := utcnow()), **signer, "signed_at": now},
         "$inc": {"version": 1}})
    return await Meeting.get(meeting.id)

