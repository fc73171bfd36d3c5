"""Review meetings (评审会): the office of a committee plans one, invites experts, puts accepted dossiers
on it (the schedule transition) or takes them off again, records who came, and opens the vote.

A dossier's `meeting_id` is written with its schedule transition; the meeting's `dossier_ids` is its
list for display and is only changed while the meeting is planned, before the transition (and undone
if the transition is refused)."""

from beanie import PydanticObjectId

from app.accounts.enums import Role
from app.accounts.models import User
from app.catalog.committees import committee_codes, runs_committee
from app.catalog.models import Committee
from app.committee import blind_form, committees
from app.committee.exceptions import MeetingNotFound, NotCommitteeOffice
from app.committee.models import MEETING_STATUS_LABELS, SIGNER_ROLE_LABELS, Meeting, Vote
from app.committee.recusal import recusals
from app.committee import tally
from app.committee.tally import vote_line
from app.committee.schemas import MeetingIn, MeetingOut, MembersIn, PresentIn, ScheduleIn
from app.dossiers import rows
from app.dossiers import service as dossiers
from app.dossiers.enums import STATUS_LABELS, DossierStatus as S
from app.dossiers.models import Dossier
from app.errors import Conflict, NotFound, ValidationFailed
from app.experts import draws as expert_draws
from app.routing import service as routing
from app.routing.machine import Action
from app.routing.service import BatchResult, run_batch
from app.units.models import Unit


async def visible(actor: User, meeting_id: PydanticObjectId) -> tuple[Meeting, Committee, bool]:
    """(meeting, committee, runs its office) for the office, the sysadmin and the invited experts; else 404."""
    meeting = await Meeting.get(meeting_id)
    committee = await Committee.find_one(Committee.code == meeting.committee_code) if meeting else None
    if meeting is None or committee is None:
        raise MeetingNotFound(field="meeting_id")
    office = runs_committee(actor, committee)
    if not (office or actor.has_role(Role.sysadmin) or actor.id in meeting.member_ids):
        raise MeetingNotFound(field="meeting_id")
    return meeting, committee, office


async def for_office(actor: User, meeting_id: PydanticObjectId) -> tuple[Meeting, Committee]:
    """(meeting, committee) for the office that runs its committee; 404 outside scope, 403 for anyone else.
    Each office route then asks for the states it works in (require_state)."""
    meeting, committee, office = await visible(actor, meeting_id)
    if not office:
        raise NotCommitteeOffice()
    return meeting, committee


async def for_files(actor: User, meeting_id: PydanticObjectId) -> Meeting:
    """The meeting whose dossiers' files the actor may take: its office, or the administrator (experts vote;
    the office hands out files); anyone else gets a 404."""
    meeting, _, office = await visible(actor, meeting_id)
    if not (office or actor.has_role(Role.sysadmin)):
        raise MeetingNotFound(field="meeting_id")
    return meeting


def require_state(meeting: Meeting, *states: str) -> None:
    if states and meeting.status not in states:
        wanted = "、".join(MEETING_STATUS_LABELS[s] for s in states)
        raise Conflict(f"评审会当前{MEETING_STATUS_LABELS[meeting.status]}，只有{wanted}时可以这样操作",
                       code="meeting_state")


async def _experts(ids: list[PydanticObjectId], field: str) -> list[PydanticObjectId]:
    wanted = list(dict.fromkeys(ids))
    found = {u.id for u in await User.find({"_id": {"$in": wanted}, "roles.role": Role.expert}).to_list()}
    if missing := [i for i in wanted if i not in found]:
        raise ValidationFailed(f"所选人员中有{len(missing)}人不是评审专家", field=field, code="not_an_expert")
    return wanted


async def _write(meeting: Meeting, states: tuple[str, ...], update: dict, message: str) -> Meeting:
    result = await Meeting.get_pymongo_collection().update_one(
        {"_id": meeting.id, "version": meeting.version, "status": {"$in": list(states)}},
        {**update, "$inc": {**update.get("$inc", {}), "version": 1}})
    if result.matched_count != 1:
        raise Conflict(message, code="conflict")
    return await Meeting.get(meeting.id)


async def create(*, actor: User, data: MeetingIn) -> Meeting:
    committee = await committees.run_by(actor, data.committee_code)
    meeting = Meeting(committee_code=committee.code, name=data.name, held_on=data.held_on, location=data.location,
                      member_ids=await _experts(data.member_ids, "member_ids"), created_by=actor.id)
    await meeting.insert()
    return meeting


async def listing(*, actor: User, committee_code: str | None, status: str | None) -> list[Meeting]:
    """The meetings of the committees the user runs, and the ones an expert is invited to."""
    codes = await committee_codes(actor)
    query: dict = {} if actor.has_role(Role.sysadmin) else {
        "$or": [{"committee_code": {"$in": codes}}, {"member_ids": actor.id}]}
    if committee_code:
        query["committee_code"] = committee_code
    if status:
        query["status"] = status
    return await Meeting.find(query).sort("-held_on", "-created_at").limit(500).to_list()


async def of_office(actor: User) -> list[Meeting]:
    """The meetings of the committees the actor's office runs (the 评审会 page and the office's to-do): one
    read on the (committee_code, held_on) index, not `listing`'s $or with the invitations, which scans."""
    codes = [c.code for c in await committees.listing(actor)]
    if not codes:
        return []
    return await Meeting.find({"committee_code": {"$in": codes}}).sort("-held_on", "-created_at").limit(500).to_list()


async def invited(expert: User) -> list[Meeting]:
    """The meetings an expert is invited to, the latest first."""
    return await Meeting.find({"member_ids": expert.id}).sort("-held_on", "-created_at").limit(200).to_list()


async def for_member(actor: User, meeting_id: PydanticObjectId) -> tuple[Meeting, Committee]:
    """(meeting, committee) for an expert invited to it; anyone else, the office included, gets a 404."""
    meeting, committee, _ = await visible(actor, meeting_id)
    if actor.id not in meeting.member_ids:
        raise MeetingNotFound(field="meeting_id")
    return meeting, committee


async def schedulable(committee: Committee) -> list[Dossier]:
    """The committee's accepted dossiers, by applicant: what a planned meeting may take on. Their ids are the queue
    entries' under `committee:<code>:accepted` (one indexed equality, by name), the dossiers then read by _id:
    the dossiers carry no committee index."""
    ids = await rows.keyed_ids(f"committee:{committee.code}:{S.accepted}")
    return [d for d in await dossiers.by_ids(ids[:SCHEDULABLE])
            if d.committee_code == committee.code and d.status == S.accepted]


# The most accepted dossiers a meeting's planning lists.
SCHEDULABLE = 500


async def on_meeting(meeting: Meeting) -> list[Dossier]:
    """The dossiers scheduled in this meeting: those of its `dossier_ids` (added before a dossier's meeting_id is
    set, taken off after it is cleared: app.committee.meetings.schedule, unschedule) that name it, read by _id.
    The dossiers carry no meeting index."""
    return [d for d in await dossiers.by_ids(list(meeting.dossier_ids)) if d.meeting_id == meeting.id]


async def set_members(*, meeting: Meeting, data: MembersIn) -> Meeting:
    """The meeting comes loaded for its office (committee.deps.OfficeMeeting), as for every office route."""
    require_state(meeting, "planned")
    members = await _experts(data.member_ids, "member_ids")
    present = [i for i in meeting.present_ids if i in members]
    return await _write(meeting, ("planned",), {"$set": {"member_ids": members, "present_ids": present}},
                        "评审会已被他人修改或已开始表决，请刷新后重试")


async def set_present(*, meeting: Meeting, data: PresentIn) -> Meeting:
    """到会登记: before and during the vote; an expert who has voted cannot be struck off."""
    require_state(meeting, "planned", "voting")
    present = list(dict.fromkeys(data.present_ids))
    if any(i not in meeting.member_ids for i in present):
        raise ValidationFailed("到会专家须是本次评审会邀请的专家", field="present_ids", code="not_a_member")
    gone = [i for i in meeting.present_ids if i not in present]
    if gone and await Vote.find_one({"meeting_id": meeting.id, "expert_id": {"$in": gone}}):
        raise Conflict("已表决的专家不能取消到会登记", field="present_ids", code="already_voted")
    return await _write(meeting, ("planned", "voting"), {"$set": {"present_ids": present}},
                        "评审会已被他人修改或已结束，请刷新后重试")


def _refuse_without_quorum(committee: Committee, meeting: Meeting, on_meeting: list[Dossier],
                           members: list[User]) -> None:
    """开始表决 needs the quorum for every dossier on the meeting, counted as the close counts it (tally.count:
    members less those recused for that dossier, against the committee's rule); refused with the figures."""
    short = [(d, s) for d in on_meeting if (s := tally.count(committee, meeting, d, members, [])).present
             < s.quorum_required]
    if short:
        d, s = short[0]
        raise Conflict(f"到会专家不足，不能开始表决：{d.applicant_name}的申报{tally.short_line(s)}", code="no_quorum",
                       dossiers=[{"id": str(x.id), "applicant_name": x.applicant_name, "eligible": y.eligible,
                                  "present": y.present, "recused": y.recused, "quorum_required": y.quorum_required}
                                 for x, y in short])


async def open_voting(meeting: Meeting, committee: Committee) -> Meeting:
    """开始表决: refused when the meeting is empty or too few of the members eligible for a dossier are present."""
    require_state(meeting, "planned")
    if not meeting.dossier_ids:
        raise Conflict("评审会还没有安排申报，不能开始表决", code="meeting_empty")
    if not meeting.member_ids:
        raise Conflict("评审会还没有邀请专家，不能开始表决", code="meeting_without_members")
    scheduled = await on_meeting(meeting)
    recused = await expert_draws.recused_accounts(meeting.member_ids, scheduled)
    _refuse_without_quorum(committee, meeting.model_copy(update={"recused": recused}), scheduled,
                           await User.find({"_id": {"$in": meeting.member_ids}}).to_list())
    return await _write(meeting, ("planned",), {"$set": {"status": "voting", "recused": recused}},
                        "评审会已被他人修改，请刷新后重试")


async def schedule(*, actor: User, meeting: Meeting, committee: Committee, data: ScheduleIn) -> BatchResult:
    """安排评审: accepted dossiers of the meeting's committee onto the meeting, each one transition."""
    require_state(meeting, "planned")
    collection = Meeting.get_pymongo_collection()

    async def work(dossier: Dossier) -> None:
        if dossier.committee_code != committee.code:
            raise Conflict("该申报不在本评委会", code="other_committee")
        acting = await routing.acting_as(actor, dossier)
        added = await collection.update_one({"_id": meeting.id, "status": "planned"},
                                            {"$addToSet": {"dossier_ids": dossier.id}})
        if added.matched_count != 1:
            raise Conflict("评审会已开始表决，不能再安排申报", code="meeting_state")
        try:
            await routing.apply(dossier=dossier, acting=acting, actor=actor, action=Action.schedule,
                                detail={"meeting": meeting.name, "held_on": meeting.held_on.isoformat()},
                                extra_set={"meeting_id": meeting.id})
        except Exception:
            now = await Dossier.get_pymongo_collection().find_one({"_id": dossier.id}, {"meeting_id": 1})
            if (now or {}).get("meeting_id") != meeting.id:     # not a double click: take it off the list again
                await collection.update_one({"_id": meeting.id}, {"$pull": {"dossier_ids": dossier.id}})
            raise

    return await run_batch(actor=actor, ids=data.ids, confirm=data.confirm, action=Action.schedule,
                                      label="安排评审", work=work)


async def unschedule(*, actor: User, meeting: Meeting, dossier_id: PydanticObjectId) -> Meeting:
    require_state(meeting, "planned")
    if dossier_id not in meeting.dossier_ids:
        raise NotFound("该申报不在本次评审会", field="dossier_id", code="not_in_meeting")
    dossier = await dossiers.get_readable(actor, dossier_id, detail="unschedule")
    if dossier.meeting_id == meeting.id:
        acting = await routing.acting_as(actor, dossier)
        await routing.apply(dossier=dossier, acting=acting, actor=actor, action=Action.unschedule,
                            detail={"meeting": meeting.name}, extra_set={"meeting_id": None})
    await Meeting.get_pymongo_collection().update_one({"_id": meeting.id}, {"$pull": {"dossier_ids": dossier_id},
                                                                             "$inc": {"version": 1}})
    return await Meeting.get(meeting.id)


async def view(actor: User, meeting: Meeting) -> MeetingOut:
    """A meeting just written, as the actor sees it (its office, or an invited expert)."""
    meeting, committee, office = await visible(actor, meeting.id)
    return await out(meeting, committee, viewer=actor, office=office)


async def out(meeting: Meeting, committee: Committee, *, viewer: User, office: bool) -> MeetingOut:
    """The meeting as its office sees it (vote counts so far) or as an expert does (own votes, recusals)."""
    people = {u.id: u for u in await User.find({"_id": {"$in": meeting.member_ids}}).to_list()}
    unit_ids = {i for u in people.values() for i in u.unit_ids_for(Role.expert)}
    units = {u.id: u.name for u in await Unit.find({"_id": {"$in": list(unit_ids)}}).to_list()}
    members = [{"id": str(i), "name": people[i].name if i in people else "（已删除）", "present": i in meeting.present_ids,
                "units": [units.get(u) for u in people[i].unit_ids_for(Role.expert)] if i in people else []}
               for i in meeting.member_ids]
    found = await Dossier.find({"_id": {"$in": meeting.dossier_ids}}).to_list()
    votes = await Vote.find({"meeting_id": meeting.id}).to_list()
    rows = []
    for d in found:
        recused = recusals(list(people.values()), d, meeting.recused.get(str(d.id), ()))
        mine = [v for v in votes if v.dossier_id == d.id]
        row = {"id": str(d.id), "applicant_name": d.applicant_name,
               "employer_unit_name": d.declaration.employer_unit_name,
               "title": d.declaration.title, "specialty": d.declaration.specialty, "status": d.status,
               "status_label": STATUS_LABELS[d.status], "recused": [people[i].name for i in recused]}
        if office:
            row["counts"] = {c: sum(v.choice == c for v in mine) for c in ("yes", "no", "abstain")}
        else:
            row["my_vote"] = next((v.choice for v in mine if v.expert_id == viewer.id), None)
            row["i_am_recused"] = viewer.id in recused
        if d.votes and d.votes.meeting_id == meeting.id:
            row["tally"] = d.votes.model_dump(mode="json")
        if (blind := blind_form.summary(d.blind_reviews)) is not None:
            row["blind_review"] = blind["line"]          # 代表作送审, for the office and the meeting's experts
        rows.append(row)
    return MeetingOut(id=str(meeting.id), committee_code=committee.code, committee_name=committee.name,
                      name=meeting.name, held_on=meeting.held_on, location=meeting.location, status=meeting.status,
                      status_label=MEETING_STATUS_LABELS[meeting.status], rule=committee.rule_text(), members=members,
                      present_count=len(meeting.present_ids), dossiers=rows,
                      vote_count=meeting.vote_count if office else sum(v.expert_id == viewer.id for v in votes),
                      results=[{**r, "line": vote_line(r)} for r in meeting.results]
                      if office or meeting.status == "closed" else [], signer=signer_of(meeting))


def signer_of(meeting: Meeting) -> dict | None:
    """纪要签署: who signed the frozen minutes, in what role, and when."""
    if meeting.signed_at is None:
        return None
    return {"name": meeting.signer_name, "role": meeting.signer_role,
            "role_label": SIGNER_ROLE_LABELS[meeting.signer_role], "signed_at": meeting.signed_at}

