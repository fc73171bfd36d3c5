"""Applying the state machine: who the actor is for a dossier, where it goes, one atomic write.

Every transition is ONE write through the dossier's write path (app.dossiers.writes): filtered on the
dossier's id and the version the actor saw (which stands for its status and holder too); it sets the
new status and holder, pushes the trail entry and increments the version. A moved version means
someone else acted first: 409, and the trail has one entry."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from beanie import PydanticObjectId
from pydantic import BaseModel, Field

from app.accounts.audit import ClientInfo
from app.accounts.enums import NODE_ROLES, ROLE_LABELS, TIER_ROLE, Role
from app.accounts.models import User
from app.accounts.schemas import Strict
from app.catalog import batches
from app.catalog import service as catalog
from app.catalog.models import Committee
from app.clock import utcnow
from app.dossiers import service as dossiers
from app.dossiers import writes
from app.dossiers.enums import ACTION_LABELS, SEALED_FORM
from app.dossiers.enums import DossierStatus as S
from app.dossiers.models import Dossier, RouteNode, TrailEntry
from app.errors import AppError, Conflict, Forbidden, Moved, ValidationFailed
from app.routing import acceptance, machine, paths
from app.routing.schemas import ContactPhone
from app.routing.machine import Action, Actor, Move



class IllegalAction(AppError):
    status = 409
    code = "illegal_transition"


class ActionRequest(Strict):
    action: Action
    opinion: str | None = Field(default=None, max_length=2000, description="审批意见；退回、拒绝、作废须填写原因")
    signer: str | None = Field(default=None, max_length=30, description="负责人签字")
    signed_on: date | None = Field(default=None, description="审批日期，默认今天")
    role: Role | None = Field(default=None, description="身兼多职时以哪个角色办理")
    correction_deadline: datetime | None = Field(default=None, description="退回修改的截止时间（退回申请人时）")
    handler_name: str | None = Field(default=None, max_length=30, description="上报时：单位经办人姓名")
    handler_phone: ContactPhone | None = Field(default=None, description="上报时：单位经办人电话（手机或座机）")


@dataclass(frozen=True)
class Acting:
    """The actor in relation to this dossier: what kind, in which role, for which unit."""
    kind: Actor
    role: Role
    unit_id: PydanticObjectId | None
    unit_name: str | None


async def _committee(dossier: Dossier) -> Committee | None:
    return await Committee.find_one(Committee.code == dossier.committee_code) if dossier.committee_code else None


async def acting_as(user: User, dossier: Dossier, *, role: Role | None = None) -> Acting:
    """Which reviewer's hat the user wears for this dossier now; refuses users who do not hold it."""
    if dossier.applicant_id == user.id:
        raise Forbidden("不能审核本人的申报", code="own_dossier")
    committee = await _committee(dossier)
    if committee is not None:
        wanted = TIER_ROLE[committee.tier]
        if user.has_role(wanted, committee.office_unit_id) and role in (None, wanted):
            return Acting(Actor.committee, wanted, committee.office_unit_id, committee.name)
        raise Conflict("该申报当前由评委会办事机构办理，您不能在此环节操作", code="not_your_node")
    unit_id = dossier.current_unit_id
    held = [r for r in NODE_ROLES if unit_id is not None and user.has_role(r, unit_id)]
    if role is not None:
        held = [r for r in held if r == role]
    if not held:
        raise Conflict("该申报当前不在本单位审核环节", code="not_your_node")
    node = dossier.route[-1] if dossier.route else None
    return Acting(Actor.node, held[0], unit_id, node.unit_name if node else None)


async def _destination(dossier: Dossier, acting: Acting, rule: machine.Rule) -> tuple[dict, dict]:
    """($set, other operators) for the move: the new holder, route and status."""
    now = utcnow()
    to = rule.to
    sets: dict[str, Any] = {}
    ops: dict[str, dict] = {}
    if rule.move == Move.to_applicant:
        sets.update(current_unit_id=None, committee_code=None, route=[])
    elif rule.move == Move.down:
        ops["$addToSet"] = {"returned_by": acting.unit_id}
        if acting.kind == Actor.committee:                       # back to the last unit that reported it
            to = S.submitted
            sets.update(committee_code=None, current_unit_id=dossier.route[-1].unit_id)
        elif len(dossier.route) > 1:                             # back one unit
            to = S.submitted
            sets.update(current_unit_id=dossier.route[-2].unit_id)
            ops["$pop"] = {"route": 1}
        else:                                                    # the first node returns it to the applicant
            to = S.returned
            sets.update(current_unit_id=None, route=[])
    elif rule.move == Move.up:
        await acceptance.check_report(dossier)             # 初定/认定 end at the 受理点
        hop = await paths.next_hop(dossier.current_unit_id, dossier.declaration.series, dossier.declaration.level)
        if hop is None:
            series = await catalog.get_entry("series", dossier.declaration.series)
            level = await catalog.get_entry("levels", dossier.declaration.level)
            raise Conflict(f"本单位尚未开通“{series.name if series else dossier.declaration.series}"
                           f"{level.name if level else dossier.declaration.level}”的上报路径，请先申请路径",
                           code="no_active_path")
        await acceptance.check_report(dossier, to_committee=hop.kind == "committee")
        ops["$addToSet"] = {"reported_by": acting.unit_id, "route_unit_ids": hop.unit_id}
        if hop.kind == "committee":         # the committee's office may read it from now on
            to = S.at_committee
            ops["$addToSet"]["reported_to"] = hop.committee_code
            sets.update(current_unit_id=hop.unit_id, committee_code=hop.committee_code)
        else:
            to = S.submitted
            sets.update(current_unit_id=hop.unit_id)
            ops["$push"] = {"route": RouteNode(unit_id=hop.unit_id, unit_name=hop.name, entered_at=now).model_dump()}
    if rule.to is not None and rule.move != Move.down:
        to = rule.to
    sets["status"] = to
    return sets, ops


async def apply(*, dossier: Dossier, acting: Acting, actor: User, action: Action, opinion: str | None = None,
                signer: str | None = None, signed_on: date | None = None, detail: dict | None = None,
                extra_set: dict | None = None, result_status: S | None = None) -> Dossier:
    """Applies one transition as one conditional write. result_status decides rules whose outcome is
    data (a vote); extra_set carries workflow fields written in the same update."""
    try:
        rule = machine.decide(dossier.status, action, acting.kind)
    except machine.IllegalTransition:
        raise IllegalAction(f"当前状态“{_label(dossier.status)}”下不能执行“{ACTION_LABELS[action]}”",
                            field="action") from None
    if rule.reason_required and not (opinion or "").strip():
        raise ValidationFailed(f"{ACTION_LABELS[action]}须填写原因", field="opinion", code="reason_required")
    sets, ops = await _destination(dossier, acting, rule)
    if result_status is not None:
        sets["status"] = result_status
    if acting.kind != Actor.applicant:
        sets["reviewer_acted"] = True
    if action != Action.read and str(acting.unit_id) in dossier.opinion_drafts:   # 保存意见 was this decision's draft
        ops["$unset"] = {f"opinion_drafts.{acting.unit_id}": ""}
    sets.update(extra_set or {})
    entry = TrailEntry(action=action, actor_id=actor.id, actor_name=actor.name, role=acting.role,
                       unit_id=acting.unit_id, unit_name=acting.unit_name, from_status=dossier.status,
                       to_status=sets["status"], opinion=(opinion or "").strip() or None,
                       signer=(signer or "").strip() or None,
                       detail={"signed_on": (signed_on or utcnow().date()).isoformat(), "role_label":
                               ROLE_LABELS[acting.role], **(detail or {})})
    try:
        updated = await writes.write(dossier.id, {"$set": sets, **ops}, expected_version=dossier.version,
                                     trail_entry=entry)
    except writes.VersionMoved:
        raise Moved("该申报已被他人处理，请刷新后查看") from None
    await notify_step(updated, entry)
    return updated


async def notify_step(dossier: Dossier, entry: TrailEntry) -> None:
    """Tells the applicant what a step did (app.notifications decides which steps say something)."""
    from app.notifications import service as notifications

    await notifications.notify_transition(dossier, entry)


def _label(status: S) -> str:
    from app.dossiers.enums import STATUS_LABELS

    return STATUS_LABELS[status]


async def act(*, actor: User, dossier_id: PydanticObjectId, request: ActionRequest, client: ClientInfo) -> Dossier:
    """A reviewer's action from the review page or the API."""
    if request.action not in machine.REVIEW_ACTIONS:
        raise ValidationFailed("该操作不能在此办理", field="action", code="not_a_review_action")
    dossier = await dossiers.get_readable(actor, dossier_id, client=client, detail=str(request.action))
    acting = await acting_as(actor, dossier, role=request.role)
    detail = {}
    extra_set = {}
    if request.action == Action.return_ and request.correction_deadline:
        if request.correction_deadline <= utcnow():
            raise ValidationFailed("修改截止时间须晚于现在", field="correction_deadline", code="deadline_past")
        detail["correction_deadline"] = request.correction_deadline.isoformat()
        extra_set["correction_deadline"] = request.correction_deadline
    detail |= await report_detail(dossier, request.action, handler_name=request.handler_name,
                                  handler_phone=request.handler_phone)
    return await apply(dossier=dossier, acting=acting, actor=actor, action=request.action, opinion=request.opinion,
                       signer=request.signer, signed_on=request.signed_on, detail=detail, extra_set=extra_set)


async def report_detail(dossier: Dossier, action: Action, *, handler_name: str | None,
                        handler_phone: str | None) -> dict:
    """What a 上报 records and needs by its batch's rules: the unit handler's name and phone (required where
    `report_contact_required`) and a signed and sealed 评审表 among the step attachments (where
    `sealed_form_required`). Other actions record neither."""
    if action != Action.report:
        return {}
    name = (handler_name or "").strip() or None
    batch = await batches.recent(dossier.batch_id)
    rules = batch.rules if batch else None
    if rules and rules.report_contact_required:
        if not name:
            raise ValidationFailed("上报须填写单位经办人姓名", field="handler_name", code="handler_required")
        if not handler_phone:
            raise ValidationFailed("上报须填写单位经办人电话", field="handler_phone", code="handler_required")
    if rules and rules.sealed_form_required and not any(a.kind == SEALED_FORM for a in dossier.step_attachments):
        raise ValidationFailed("本批次须先上传签字盖章的评审表（PDF）再上报", field="sealed_form",
                               code="sealed_form_required")
    return {k: v for k, v in (("handler_name", name), ("handler_phone", handler_phone)) if v}


PREVIEW_ROWS = 50


class BatchResult(BaseModel):
    action: str
    action_label: str
    confirmed: bool
    count: int
    preview: list[dict]            # who would be (or was) concerned: name, unit, title
    done: int = 0
    succeeded: list[str] = Field(default_factory=list)
    failed: list[dict] = Field(default_factory=list)      # {id, applicant_name, code, message}


async def run_batch(*, actor: User, ids: list[PydanticObjectId], confirm: bool, action: str, label: str,
                    work: Callable[[Dossier], Awaitable[Any]]) -> BatchResult:
    """First what a batch would touch (within the user's scope), then, confirmed, each dossier on its
    own atomic write: one failing does not stop the others, and each says why."""
    found = await dossiers.readable_many(actor, list(dict.fromkeys(ids)))
    result = BatchResult(action=action, action_label=label, confirmed=confirm, count=len(found),
                         preview=[{"id": str(d.id), "applicant_name": d.applicant_name,
                                   "unit": d.declaration.employer_unit_name, "title": d.declaration.title,
                                   "status": d.status} for d in found[:PREVIEW_ROWS]])
    if not confirm:
        return result
    result.failed = [{"id": str(i), "code": "dossier_not_found", "message": "申报材料不存在"}
                     for i in set(ids) - {d.id for d in found}]
    for dossier in found:
        try:
            await work(dossier)
            result.done += 1
            result.succeeded.append(str(dossier.id))
        except AppError as exc:
            result.failed.append({"id": str(dossier.id), "applicant_name": dossier.applicant_name,
                                  "code": exc.code, "message": exc.message})
    return result


async def batch(*, actor: User, action: Action, ids: list[PydanticObjectId], confirm: bool, opinion: str | None,
                signer: str | None, handler_name: str | None = None, handler_phone: str | None = None) -> BatchResult:
    """A batch review action (e.g. 上报 of every passed dossier), previewed before it is done."""
    if action not in machine.REVIEW_ACTIONS or action == Action.read:
        raise ValidationFailed("该操作不能批量办理", field="action", code="not_a_batch_action")

    async def work(dossier: Dossier) -> None:
        acting = await acting_as(actor, dossier)
        detail = await report_detail(dossier, action, handler_name=handler_name, handler_phone=handler_phone)
        await apply(dossier=dossier, acting=acting, actor=actor, action=action, opinion=opinion, signer=signer,
                    detail=detail)

    return await run_batch(actor=actor, ids=ids, confirm=confirm, action=action,
                           label=ACTION_LABELS[action], work=work)


async def flow(*, dossier: Dossier) -> dict:
    """The route as a page draws it: nodes passed, the node holding it now (highlighted), nodes ahead.
    The nodes passed are the dossier's recorded route (and committee), so it draws without its units or
    committee in the database (a dossier restored from an archive); only the nodes ahead come from paths."""
    recorded = [paths.Hop(kind="unit", unit_id=node.unit_id, name=node.unit_name) for node in dossier.route] or [
        paths.Hop(kind="unit", unit_id=dossier.declaration.employer_unit_id,
                  name=dossier.declaration.employer_unit_name)]
    if dossier.committee_code:
        committee = await Committee.find_one(Committee.code == dossier.committee_code)
        name = committee.name if committee else (dossier.certificate.committee_name if dossier.certificate
                                                 else dossier.committee_code)
        chain = [*recorded, paths.Hop(kind="committee", unit_id=dossier.current_unit_id, name=name,
                                      committee_code=dossier.committee_code)]
        reaches = True
    else:
        chain, reaches = await paths.route_from(recorded, dossier.declaration.series, dossier.declaration.level)
        if await acceptance.without_committee(dossier):      # 初定/认定 end at the 受理点
            chain, reaches = await acceptance.ending_at_acceptance_point(chain)
    holder = next((i for i, hop in enumerate(chain)
                   if hop.unit_id == dossier.current_unit_id and (hop.kind == "committee") == bool(dossier.committee_code)),
                  None)
    nodes = [{"id": "applicant", "name": dossier.applicant_name, "kind": "applicant",
              "state": "current" if holder is None else "done"}]
    for index, hop in enumerate(chain):
        state = "ahead" if holder is None or index > holder else ("current" if index == holder else "done")
        nodes.append({"id": hop.committee_code or str(hop.unit_id), "name": hop.name, "kind": hop.kind,
                      "state": state})
    return {"nodes": nodes, "edges": [{"from": a["id"], "to": b["id"]} for a, b in zip(nodes, nodes[1:])],
            "reaches_committee": reaches, "status": dossier.status}
