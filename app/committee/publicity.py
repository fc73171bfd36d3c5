"""Publicity (公示): the office publishes approved results for a number of working days; the units on
each dossier's route give their opinions bottom-up; the office closes publicity once the period is over
and every opinion has reached it.

The employer (the lowest unit) records 无异议 or 有异议 (reason and proof required) and consolidates
(汇总提交); each unit above reviews the opinion (审核通过 / 审核不通过 with reason) and consolidates in
turn; a rejected opinion goes back to the employer to be redone. `publicity.stage` counts the units
that have consolidated: the unit to act is route[stage], and stage == len(route) means the committee
has it. Every step is ONE write through the dossier's write path, checked against a fresh copy and
conditioned on its version (read again when another write came first); a repeated click finds its
own result already there and is answered as done."""

import secrets
from datetime import date

import anyio
from beanie import PydanticObjectId

from app.accounts.models import User
from app.catalog.models import MB, Committee
from app.clock import utcnow
from app.committee import committees
from app.committee.calendar import china_today, working_period
from app.committee.schemas import IdsIn, OpinionForm, PublicityFilter, PublicityRow, PublishIn, ReviewIn, SubmitIn
from app.committee.tally import vote_line
from app.dossiers import service as dossiers
from app.dossiers import rows, writes
from app.dossiers.enums import OPINION_LABELS, REVIEW_LABELS, STATUS_LABELS
from app.dossiers.enums import DossierStatus as S
from app.dossiers.models import Dossier, Publicity, PublicityOpinion, PublicityReview
from app.dossiers.writes import to_bson
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.files import service as files
from app.routing import service as routing
from app.routing.machine import Action
from app.routing.paths import acts_for_unit
from app.routing.service import BatchResult, run_batch
from app.units import service as units_service

PROOF_KINDS = ("pdf", "jpeg", "png")
PROOF_MAX_BYTES = 10 * MB


async def publish(*, actor: User, data: PublishIn) -> BatchResult:
    """发布结果: approved dossiers enter publicity with dates from the committee's working days."""
    today = china_today()
    if data.starts_on is not None and data.starts_on < today:
        raise ValidationFailed("公示开始日期不能早于今天", field="starts_on", code="starts_in_past")
    periods: dict[str, tuple[date, date, int]] = {}

    async def work(dossier: Dossier) -> None:
        acting = await routing.acting_as(actor, dossier)
        if dossier.committee_code not in periods:
            committee = await Committee.find_one(Committee.code == dossier.committee_code)
            days = committee.publicity_working_days
            periods[dossier.committee_code] = (*await working_period(data.starts_on or today, days), days)
        starts_on, ends_on, days = periods[dossier.committee_code]
        publicity = Publicity(starts_on=starts_on, ends_on=ends_on, working_days=days, published_at=utcnow())
        await routing.apply(dossier=dossier, acting=acting, actor=actor, action=Action.publish,
                            detail={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
                                    "working_days": days},
                            extra_set={"publicity": to_bson(publicity)})

    return await run_batch(actor=actor, ids=data.ids, confirm=data.confirm, action=Action.publish,
                                      label="发布结果", work=work)


def _turn(dossier: Dossier, actor: User, *, employer: bool) -> int:
    """The stage at which this user's unit acts now; refuses everyone else with who is to act."""
    if dossier.status != S.publicity or dossier.publicity is None:
        raise Conflict("该申报不在公示中", code="not_in_publicity")
    route, stage = dossier.route, dossier.publicity.stage
    if employer and not acts_for_unit(actor, route[0].unit_id):
        raise Conflict("公示意见由申报人所在单位填写", code="not_your_node")
    if stage >= len(route):
        raise Conflict("公示意见已汇总提交至评委会", code="publicity_consolidated")
    if not acts_for_unit(actor, route[stage].unit_id):
        mine = [i for i, node in enumerate(route) if acts_for_unit(actor, node.unit_id)]
        if mine and mine[0] < stage:
            raise Conflict("本单位已汇总提交，不能再修改", code="already_submitted")
        raise Conflict(f"尚待{route[stage].unit_name}汇总提交公示意见", code="not_your_turn")
    if employer and stage != 0:
        raise Conflict("本单位已汇总提交，不能再修改", code="already_submitted")
    return stage


def _load(dossier_id: PydanticObjectId):
    """A fresh copy for a retried write; the caller has already checked the user may read it."""
    async def load() -> Dossier:
        fresh = await Dossier.get(dossier_id)
        if fresh is None:
            raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
        return fresh
    return load


async def _opinion_write(dossier: Dossier, opinion: PublicityOpinion) -> None:
    """Sets the employer's current opinion (a repeat replaces it); the proof it replaced is deleted."""
    replaced = []

    async def plan(fresh: Dossier) -> writes.Change:
        if fresh.status != S.publicity or fresh.publicity is None or fresh.publicity.stage != 0:
            raise Conflict("本单位已汇总提交或公示已结束，意见未保存", code="already_submitted")
        replaced[:] = [fresh.publicity.opinion.proof] if fresh.publicity.opinion and fresh.publicity.opinion.proof \
            else []
        return writes.Change({"$set": {"publicity.opinion": to_bson(opinion)}})

    try:
        await writes.retrying(_load(dossier.id), plan)
    except BaseException:       # the proof goes again unless the opinion landed before the failure
        if opinion.proof:
            with anyio.CancelScope(shield=True):
                if not await Dossier.find_one({"publicity.opinion.proof.file_id": opinion.proof.file_id}):
                    await files.delete_file(opinion.proof.file_id)
        raise
    for old in replaced:
        if old.file_id != (opinion.proof.file_id if opinion.proof else None):
            await files.delete_file(old.file_id)


def _new_opinion(dossier: Dossier, actor: User, opinion: str, reason: str | None, proof=None) -> PublicityOpinion:
    node = dossier.route[0]
    return PublicityOpinion(id=secrets.token_hex(6), unit_id=node.unit_id, unit_name=node.unit_name, opinion=opinion,
                            reason=reason, proof=proof, by=actor.id, by_name=actor.name)


async def record_opinion(*, actor: User, dossier_id: PydanticObjectId, data: OpinionForm) -> Dossier:
    """有异议 (reason and proof required) or 无异议, by the applicant's unit, before it consolidates."""
    dossier = await dossiers.get_readable(actor, dossier_id, detail="publicity_opinion")
    _turn(dossier, actor, employer=True)
    opinion, reason, proof = data.opinion, data.reason or None, data.proof
    if opinion == "objection" and not reason:
        raise ValidationFailed("有异议须填写原因", field="reason", code="reason_required")
    if opinion == "objection" and proof is None:
        raise ValidationFailed("有异议须上传证明材料（PDF、JPG或PNG）", field="proof", code="proof_required")
    if opinion == "no_objection" and proof is not None:
        raise ValidationFailed("无异议时无需上传证明材料", field="proof", code="proof_not_allowed")
    stored = None
    if proof is not None:
        stored = await files.store_upload(proof, allowed=PROOF_KINDS, max_bytes=PROOF_MAX_BYTES, field="proof",
                                          metadata={"owner": "publicity", "dossier_id": dossier.id})
    await _opinion_write(dossier, _new_opinion(dossier, actor, opinion, reason, stored))
    return await Dossier.get(dossier.id)


async def batch_no_objection(*, actor: User, data: IdsIn) -> BatchResult:
    """批量无异议."""
    async def work(dossier: Dossier) -> None:
        _turn(dossier, actor, employer=True)
        await _opinion_write(dossier, _new_opinion(dossier, actor, "no_objection", None))

    return await run_batch(actor=actor, ids=data.ids, confirm=data.confirm, action="no_objection",
                                      label="无异议", work=work)


async def review(*, actor: User, dossier: Dossier, data: ReviewIn) -> Dossier:
    """An upper unit's review of the opinion it received; a rejection sends it back to be redone."""
    stage = _turn(dossier, actor, employer=False)
    if stage == 0:
        raise Conflict("本单位是申报人所在单位，请填写公示意见", code="not_your_turn")
    reason = (data.reason or "").strip() or None
    if data.result == "reject" and not reason:
        raise ValidationFailed("审核不通过须填写原因", field="reason", code="reason_required")
    node, opinion = dossier.route[stage], dossier.publicity.opinion
    entry = PublicityReview(unit_id=node.unit_id, unit_name=node.unit_name, result=data.result, reason=reason,
                            by=actor.id, by_name=actor.name)

    async def plan(fresh: Dossier) -> writes.Change | None:
        if _already(fresh, opinion.id, node.unit_id, data.result):
            return None
        p = fresh.publicity
        if fresh.status != S.publicity or p is None or p.stage != stage or p.opinion is None \
                or p.opinion.id != opinion.id or any(r.unit_id == node.unit_id for r in p.opinion.reviews):
            raise Conflict("公示意见已被他人处理，请刷新后查看", code="conflict")
        if data.result == "pass":
            return writes.Change({"$push": {"publicity.opinion.reviews": to_bson(entry)}})
        turned_down = p.opinion.model_copy(update={"reviews": [*p.opinion.reviews, entry]})
        return writes.Change({"$set": {"publicity.opinion": None, "publicity.stage": 0,
                                       "publicity.level_submitted": []},
                              "$push": {"publicity.rejected": to_bson(turned_down)}})

    return await writes.retrying(_load(dossier.id), plan)


def _already(dossier: Dossier, opinion_id: str, unit_id: PydanticObjectId, result: str) -> bool:
    """Whether a repeated review finds its own result in place (a double click)."""
    p = dossier.publicity
    if p is None:
        return False
    if result == "pass":
        return bool(p.opinion and p.opinion.id == opinion_id and any(
            r.unit_id == unit_id and r.result == "pass" for r in p.opinion.reviews))
    return any(o.id == opinion_id and o.reviews and o.reviews[-1].unit_id == unit_id for o in p.rejected)


async def batch_pass(*, actor: User, data: IdsIn) -> BatchResult:
    """批量审核通过 of the opinions an upper unit received."""
    return await run_batch(actor=actor, ids=data.ids, confirm=data.confirm, action="review_pass",
                                      label="审核通过",
                                      work=lambda d: review(actor=actor, dossier=d, data=ReviewIn(result="pass")))


async def waiting_for(unit_id: PydanticObjectId) -> list[PydanticObjectId]:
    """The dossiers in publicity whose opinion is with this unit: the ids of its `all:<unit>:publicity` key on the
    queue entries (its route units reported it), the dossiers then by _id to see whose turn it is."""
    waiting = await dossiers.by_ids(await rows.keyed_ids(f"all:{unit_id}:{S.publicity}"))
    return [d.id for d in waiting if d.status == S.publicity and d.publicity is not None
            and d.publicity.stage < len(d.route) and d.route[d.publicity.stage].unit_id == unit_id]


async def submit(*, actor: User, data: SubmitIn) -> BatchResult:
    """汇总提交: the unit's opinions (the employer) or reviews (units above) go one level up."""
    unit = await units_service.get_readable_unit(actor, data.unit_id)
    if not acts_for_unit(actor, unit.id):
        raise Forbidden("您不是该单位的经办人", field="unit_id", code="not_unit_handler")
    ids = data.ids
    if ids is None:
        ids = await waiting_for(unit.id)

    async def work(dossier: Dossier) -> None:
        stage = _turn(dossier, actor, employer=False)
        if dossier.route[stage].unit_id != unit.id:
            raise Conflict(f"尚待{dossier.route[stage].unit_name}汇总提交公示意见", code="not_your_turn")
        opinion = dossier.publicity.opinion
        if opinion is None:
            raise Conflict("尚未填写公示意见", code="opinion_missing")
        if stage > 0 and not any(r.unit_id == unit.id and r.result == "pass" for r in opinion.reviews):
            raise Conflict("尚未审核下级单位的公示意见", code="review_missing")

        async def plan(fresh: Dossier) -> writes.Change | None:
            p = fresh.publicity
            if p is not None and unit.id in p.level_submitted:      # a repeated click: already done
                return None
            if fresh.status != S.publicity or p is None or p.stage != stage or p.opinion is None \
                    or p.opinion.id != opinion.id:
                raise Conflict("公示意见已被他人处理，请刷新后查看", code="conflict")
            return writes.Change({"$set": {"publicity.stage": stage + 1},
                                  "$push": {"publicity.level_submitted": unit.id}})

        await writes.retrying(_load(dossier.id), plan)

    return await run_batch(actor=actor, ids=ids, confirm=data.confirm, action="consolidate",
                                      label="汇总提交", work=work)


async def close(*, actor: User, dossier: Dossier) -> Dossier:
    """公示结束: after the last working day, once the opinion has reached the committee."""
    acting = await routing.acting_as(actor, dossier)
    p = dossier.publicity
    if dossier.status != S.publicity or p is None:
        raise Conflict("该申报不在公示中", code="not_in_publicity")
    if china_today() <= p.ends_on:
        raise Conflict(f"公示期至{p.ends_on.isoformat()}，期满后方可结束公示", code="publicity_running")
    if p.stage < len(dossier.route):
        doing = "填写公示意见" if p.stage == 0 and p.opinion is None else "汇总提交公示意见"
        raise Conflict(f"尚待{dossier.route[p.stage].unit_name}{doing}，不能结束公示", code="opinions_missing")
    return await routing.apply(dossier=dossier, acting=acting, actor=actor, action=Action.close_publicity,
                               opinion="公示有异议" if p.opinion.opinion == "objection" else "公示无异议",
                               detail={"opinion": p.opinion.opinion, "reason": p.opinion.reason,
                                       "ends_on": p.ends_on.isoformat()})


async def batch_close(*, actor: User, data: IdsIn) -> BatchResult:
    return await run_batch(actor=actor, ids=data.ids, confirm=data.confirm, action=Action.close_publicity,
                                      label="公示结束", work=lambda d: close(actor=actor, dossier=d))


async def proof(*, actor: User, dossier_id: PydanticObjectId, file_id: PydanticObjectId):
    dossier = await dossiers.get_readable(actor, dossier_id, action="download", detail="publicity_proof")
    p = dossier.publicity
    for opinion in ([p.opinion] if p and p.opinion else []) + (p.rejected if p else []):
        if opinion.proof and opinion.proof.file_id == file_id:
            return await files.download_response(opinion.proof, inline=True)
    raise NotFound("证明材料不存在", field="file_id", code="file_not_found")


def _opinion_out(dossier_id: PydanticObjectId, o: PublicityOpinion) -> dict:
    proof = o.proof and {"file_id": str(o.proof.file_id), "filename": o.proof.filename,
                         "url": f"/api/publicity/{dossier_id}/proofs/{o.proof.file_id}"}
    return {"opinion": o.opinion, "label": OPINION_LABELS[o.opinion], "reason": o.reason, "unit_name": o.unit_name,
            "by_name": o.by_name, "at": o.at, "proof": proof,
            "reviews": [{"unit_name": r.unit_name, "result": r.result, "label": REVIEW_LABELS[r.result],
                         "reason": r.reason, "by_name": r.by_name, "at": r.at} for r in o.reviews]}


def row(dossier: Dossier, actor: User) -> PublicityRow:
    p, route = dossier.publicity, dossier.route
    with_unit = route[p.stage] if p.stage < len(route) else None
    return PublicityRow(id=str(dossier.id), applicant_name=dossier.applicant_name,
                        employer_unit_name=dossier.declaration.employer_unit_name, title=dossier.declaration.title,
                        specialty=dossier.declaration.specialty, status=dossier.status,
                        status_label=STATUS_LABELS[dossier.status], starts_on=p.starts_on, ends_on=p.ends_on,
                        working_days=p.working_days, stage=p.stage,
                        with_unit_name=with_unit.unit_name if with_unit else None, consolidated=with_unit is None,
                        my_turn=bool(dossier.status == S.publicity and with_unit and
                                     acts_for_unit(actor, with_unit.unit_id)),
                        opinion=_opinion_out(dossier.id, p.opinion) if p.opinion else None,
                        rejected=[_opinion_out(dossier.id, o) for o in p.rejected], vote_line=vote_line(dossier.votes))


async def listing(*, actor: User, unit_id: PydanticObjectId | None, committee_code: str | None,
                  f: PublicityFilter | None = None) -> list[PublicityRow]:
    """公示上报 for a unit (dossiers that reached it: its route units reported them) or the committee's view of all
    opinions, by name. The ids come from the queue entries, one indexed equality per status on the unit's
    `all:<unit>:<status>` or the committee's `committee:<code>:<status>` key (narrowed there by name, ID number,
    level and title), the dossiers then by _id, a chunk at a time until LISTED are found (the opinion is the
    dossier's): the dossiers carry no route or committee index."""
    if committee_code:
        committee = await committees.run_by(actor, committee_code)
        key = f"committee:{committee.code}"
    elif unit_id:
        unit = await units_service.get_readable_unit(actor, unit_id)
        if not acts_for_unit(actor, unit.id):
            raise Forbidden("您不是该单位的经办人", field="unit_id", code="not_unit_handler")
        key = f"all:{unit.id}"
    else:
        raise ValidationFailed("请指定单位或评委会", field="unit_id", code="scope_required")
    f = f or PublicityFilter()
    ids = await rows.keyed_ids(*(f"{key}:{status}" for status in (S.publicity, S.publicized)),
                               name_prefix=(f.name or "").strip() or None, **f.entry_query())
    found: list[Dossier] = []
    for start in range(0, len(ids), 200):
        found += [d for d in await dossiers.by_ids(ids[start:start + 200])
                  if d.status in (S.publicity, S.publicized) and f.matches_opinion(d.publicity)]
        if len(found) >= LISTED:
            break
    return [row(d, actor) for d in found[:LISTED]]


# The most a 公示上报 list shows.
LISTED = 2000
