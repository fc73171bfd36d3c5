"""The applicant's requests and the reviewers' own steps, each through the dossier's one write path.

- 删除流程（当年不再申报）: the applicant ends a dossier still with them (draft, returned, rejected); it keeps its
  trail for the record, leaves every list and queue, and its files are released.
- 退回编辑申请: the applicant asks the node holding a submitted dossier (beyond withdrawal) to send it back;
  the node grants (back to the applicant as a return) or refuses with a reason. One pending at a time.
- 申请修改学历: a corrected version of an education row carried from an earlier year, with a reason; the
  employer unit or a unit above it (the HR bureau) approves (the row changes) or refuses.
- 流程附件: a file the node holding the dossier adds at its step, listed in the trail.
- 保存意见: the node's opinion saved to finish later; not a decision, so not in the trail."""

import secrets
from typing import Any

from beanie import PydanticObjectId
from pydantic import ValidationError

from app.accounts.audit import ClientInfo
from app.accounts.enums import NODE_ROLES, Role
from app.accounts.models import User
from app.catalog import batches
from app.clock import utcnow
from app.dossiers import attachments, behalf, writes
from app.dossiers import sections as S
from app.dossiers import service as dossiers
from app.dossiers.enums import SEALED_FORM, STEP_ATTACHMENT_KINDS, Action
from app.dossiers.enums import DossierStatus as Status
from app.dossiers.models import (Dossier, EditRequest, EducationRequest, OpinionDraft, StepAttachment,
                                 TrailEntry)
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed, validation_body
from app.files import service as files
from app.routing import machine, service
from app.routing.schemas import EditAnswerIn, EducationAnswerIn, EducationRequestIn, OpinionDraftIn
from app.units.models import Unit

# 流程附件: what a reviewing unit uploads (a scan of a sealed recommendation, a publicity notice …).
STEP_KINDS = ("pdf", "jpeg", "png")
STEP_MAX_BYTES = 20 << 20
# 签字盖章的评审表 (004 单位版: 评审表PDF文件大小不超过4M), where the batch asks for it before 上报.
SEALED_FORM_KINDS = ("pdf",)
SEALED_FORM_MAX_BYTES = 4 << 20


def _applicant_entry(actor: User, dossier: Dossier, action: Action, to_status: Status, **extra: Any) -> TrailEntry:
    return TrailEntry(action=action, actor_id=actor.id, actor_name=actor.name, role=Role.applicant,
                      from_status=dossier.status, to_status=to_status, **extra)


def _reviewer_entry(actor: User, dossier: Dossier, action: Action, role: str, unit_id: Any, unit_name: str | None, **extra: Any) -> TrailEntry:
    return TrailEntry(action=action, actor_id=actor.id, actor_name=actor.name, role=role, unit_id=unit_id,
                      unit_name=unit_name, from_status=dossier.status, to_status=dossier.status, **extra)


# --- 删除流程（当年不再申报） ---------------------------------------------------------------------------

async def abandon(*, actor: User, dossier_id: PydanticObjectId) -> Dossier:
    """Ends the dossier for the year: its status says so, the trail stays, every attachment reference (its
    snapshots' too) goes and the files no other dossier uses are deleted. Only its applicant (or the unit that
    entered it for them: scope.may_edit), only while it is with them."""
    released: list = []

    async def plan(dossier: Dossier) -> writes.Change:
        try:
            rule = machine.decide(dossier.status, Action.abandon, machine.Actor.applicant)
        except machine.IllegalTransition:
            raise Conflict("只有填报中、退回修改或审核不通过的申报可以删除", code="not_abandonable") from None
        if behalf.for_applicant(actor, dossier) and dossier.status != Status.draft:
            raise Conflict("单位只能删除尚未提交的代录申报", code="not_abandonable")
        released[:] = [*dossier.attachments, *(a for s in dossier.snapshots for a in s.attachments)]
        snapshots = [dict(writes.to_bson(s), attachments=[]) for s in dossier.snapshots]
        entry = behalf.stamp(actor, dossier, _applicant_entry(
            actor, dossier, Action.abandon, rule.to, detail={"released_files": len({a.file.file_id for a in released})}))
        return writes.Change({"$set": {"status": rule.to, "attachments": [], "snapshots": snapshots,
                                       "current_unit_id": None, "route": [], "correction_deadline": None}}, entry)

    written = await writes.retrying(lambda: dossiers.get_editable(actor, dossier_id), plan)
    await attachments.release(released)
    return written


# --- 退回编辑申请 ---------------------------------------------------------------------------------------

async def _holder_name(dossier: Dossier) -> str:
    if dossier.committee_code:
        committee = await service._committee(dossier)
        return committee.name if committee else "评委会"
    return dossier.route[-1].unit_name if dossier.route else "审核单位"


async def request_edit(*, actor: User, dossier_id: PydanticObjectId, reason: str) -> Dossier:
    """Asks the node holding the dossier to send it back; a second press while one is pending is answered
    with that one (the write is conditioned on the version its check read, so two never land)."""
    async def plan(dossier: Dossier) -> writes.Change | None:
        try:
            machine.decide(dossier.status, Action.request_edit, machine.Actor.applicant)
        except machine.IllegalTransition:
            raise Conflict("只有正在单位或评委会审核中的申报可以申请退回编辑", code="not_edit_requestable") from None
        if dossier.status == Status.submitted and not dossier.reviewer_acted:
            raise Conflict("单位尚未开始审核，请直接撤回后修改", code="withdraw_instead")
        if dossier.pending_edit_request() is not None:
            return None
        request = EditRequest(id=secrets.token_hex(6), reason=reason, unit_id=dossier.current_unit_id,
                              unit_name=await _holder_name(dossier))
        entry = _applicant_entry(actor, dossier, Action.request_edit, dossier.status, opinion=reason,
                                 unit_id=request.unit_id, unit_name=request.unit_name,
                                 detail={"request_id": request.id})
        return writes.Change({"$set": {"edit_request": request.model_dump()}}, entry)

    return await writes.retrying(lambda: dossiers.get_own(actor, dossier_id), plan)


async def answer_edit(*, actor: User, dossier_id: PydanticObjectId, data: EditAnswerIn,
                      client: ClientInfo) -> Dossier:
    """The node holding the dossier grants (it goes back to the applicant as 退回修改) or refuses with a reason;
    one transition, so an answer racing another write of the dossier is a 409."""
    dossier = await dossiers.get_readable(actor, dossier_id, client=client, detail="edit_request")
    acting = await service.acting_as(actor, dossier)
    request = dossier.pending_edit_request()
    if request is None:
        raise Conflict("没有待处理的退回编辑申请", code="no_pending_request")
    answered = request.model_copy(update={"status": "granted" if data.grant else "refused", "answer": data.answer,
                                          "answered_by": actor.id, "answered_name": actor.name,
                                          "answered_at": utcnow()})
    extra: dict[str, Any] = {"edit_request": answered.model_dump()}
    if data.grant:
        extra["correction_deadline"] = None
    return await service.apply(dossier=dossier, acting=acting, actor=actor,
                               action=Action.grant_edit if data.grant else Action.refuse_edit,
                               opinion=data.answer, detail={"request_id": request.id}, extra_set=extra)


# --- 申请修改学历 ---------------------------------------------------------------------------------------

def _carried_row(dossier: Dossier, row_id: str) -> tuple[int, dict]:
    for index, row in enumerate(dossier.sections.get("education", {}).get("rows", [])):
        if row.get("id") == row_id:
            if not row.get("carried"):
                raise ValidationFailed("本年度新增的学历可直接修改，无需申请", field="row_id", code="not_carried")
            return index, row
    raise NotFound("没有这条学历", field="row_id", code="row_not_found")


async def request_education_change(*, actor: User, dossier_id: PydanticObjectId,
                                   data: EducationRequestIn) -> Dossier:
    """The applicant proposes the corrected row; one pending request per row (a second press answers with it)."""
    try:
        parsed = S.Education.model_validate({**data.row, "id": data.row_id, "carried": True})
    except ValidationError as exc:
        body = validation_body(exc.errors())
        raise ValidationFailed(body["message"], field=f"row.{body['field']}" if body["field"] else "row",
                               errors=body["errors"]) from None
    proposed = parsed.model_dump(mode="json")

    async def plan(dossier: Dossier) -> writes.Change | None:
        dossiers.require_editable(dossier)
        _, row = _carried_row(dossier, data.row_id)
        if any(r.row_id == data.row_id and r.status == "pending" for r in dossier.education_requests):
            return None
        if proposed == row:
            raise ValidationFailed("修改后的学历与原学历相同", field="row", code="unchanged")
        request = EducationRequest(id=secrets.token_hex(6), row_id=data.row_id, row=proposed, before=row,
                                   reason=data.reason, unit_id=dossier.declaration.employer_unit_id)
        entry = _applicant_entry(actor, dossier, Action.request_education_change, dossier.status,
                                 opinion=data.reason, unit_id=request.unit_id,
                                 unit_name=dossier.declaration.employer_unit_name,
                                 detail={"request_id": request.id, "row_id": data.row_id})
        return writes.Change({"$push": {"education_requests": request.model_dump()}}, entry)

    return await writes.retrying(lambda: dossiers.get_own(actor, dossier_id), plan)


async def _approver_role(actor: User, unit_id: PydanticObjectId) -> tuple[Role, Unit]:
    """The role in which the actor answers for the employer unit: a reviewer of it or of a unit above it."""
    employer = await Unit.get(unit_id)
    for unit_ref in [unit_id, *(employer.ancestors if employer else [])]:
        for role in NODE_ROLES:
            if actor.has_role(role, unit_ref):
                unit = employer if unit_ref == unit_id else await Unit.get(unit_ref)
                return role, unit
    raise Forbidden("只有申报人所在单位或其上级单位、人社部门的经办人可以审批修改学历", code="not_request_approver")


async def answer_education_change(*, actor: User, dossier_id: PydanticObjectId, request_id: str,
                                  data: EducationAnswerIn, client: ClientInfo) -> Dossier:
    """Approved, the row takes the proposed values in the same write as the answer and its trail entry."""
    if not data.approve and not (data.answer or "").strip():
        raise ValidationFailed("不同意修改学历须填写原因", field="answer", code="reason_required")
    holder: list = []

    async def load() -> Dossier:
        dossier = await dossiers.get_readable(actor, dossier_id, client=client, detail="education_request")
        if dossier.applicant_id == actor.id:
            raise Forbidden("不能审批本人的申请", code="own_dossier")
        return dossier

    async def plan(dossier: Dossier) -> writes.Change:
        found = next(((i, r) for i, r in enumerate(dossier.education_requests) if r.id == request_id), None)
        if found is None:
            raise NotFound("没有这项修改学历申请", field="request_id", code="request_not_found")
        index, request = found
        if request.status != "pending":
            raise Conflict("该申请已处理", code="request_answered")
        if not holder:
            holder[:] = await _approver_role(actor, request.unit_id)
        role, unit = holder
        answered = request.model_copy(update={"status": "approved" if data.approve else "refused",
                                              "answer": data.answer, "answered_by": actor.id,
                                              "answered_name": actor.name, "answered_at": utcnow()})
        sets: dict[str, Any] = {f"education_requests.{index}": answered.model_dump()}
        if data.approve:
            row_index, _ = _carried_row(dossier, request.row_id)
            sets[f"sections.education.rows.{row_index}"] = request.row
        action = Action.approve_education_change if data.approve else Action.refuse_education_change
        entry = _reviewer_entry(actor, dossier, action, role, unit.id, unit.name, opinion=data.answer,
                                detail={"request_id": request.id, "row_id": request.row_id,
                                        "before": request.before, "after": request.row})
        return writes.Change({"$set": sets}, entry)

    written = await writes.retrying(load, plan)
    await service.notify_step(written, written.trail[-1])
    return written


# --- 流程附件 与 保存意见 --------------------------------------------------------------------------------

async def add_step_attachment(*, actor: User, dossier_id: PydanticObjectId, kind: str, upload,
                              client: ClientInfo) -> tuple[StepAttachment, Dossier]:
    """Stores the file, then references it with its trail entry in one write; by the node holding the dossier."""
    if kind not in STEP_ATTACHMENT_KINDS:
        raise ValidationFailed("请选择流程附件的种类", field="kind", code="unknown_kind")
    dossier = await dossiers.get_readable(actor, dossier_id, client=client, detail="step_attachment")
    acting = await service.acting_as(actor, dossier)     # refused before the upload is read
    allowed, max_bytes = STEP_KINDS, STEP_MAX_BYTES
    if kind == SEALED_FORM:
        batch = await batches.recent(dossier.batch_id)
        if batch is None or not batch.rules.sealed_form_required:
            raise ValidationFailed("本批次无需上传签字盖章的评审表", field="kind", code="sealed_form_not_required")
        allowed, max_bytes = SEALED_FORM_KINDS, SEALED_FORM_MAX_BYTES
    stored = await files.store_upload(upload, allowed=allowed, max_bytes=max_bytes, field="file",
                                      metadata={"owner": "dossier", "dossier_id": dossier.id, "section": "step"})
    attachment = StepAttachment(id=secrets.token_hex(6), kind=kind, file=stored, unit_id=acting.unit_id,
                                unit_name=acting.unit_name, uploaded_by=actor.id, uploaded_name=actor.name)

    async def plan(fresh: Dossier) -> writes.Change:
        current = await service.acting_as(actor, fresh)
        entry = _reviewer_entry(actor, fresh, Action.step_attachment, current.role, current.unit_id,
                                current.unit_name,
                                detail={"attachment_id": attachment.id, "kind": kind,
                                        "kind_label": STEP_ATTACHMENT_KINDS[kind], "filename": stored.filename})
        return writes.Change({"$push": {"step_attachments": attachment.model_dump()}}, entry)

    try:
        written = await writes.retrying(lambda: dossiers.get_readable(actor, dossier_id, client=client), plan)
    except BaseException:
        await files.delete_file(stored.file_id)
        raise
    return attachment, written


async def save_opinion(*, actor: User, dossier_id: PydanticObjectId, data: OpinionDraftIn,
                       client: ClientInfo) -> tuple[OpinionDraft, Dossier]:
    """Keeps the node's opinion to finish later (the review page fills it in); the decision clears it."""
    draft: list = []

    async def plan(dossier: Dossier) -> writes.Change:
        acting = await service.acting_as(actor, dossier)
        draft[:] = [OpinionDraft(opinion=data.opinion, signer=data.signer, saved_by=actor.id, saved_name=actor.name)]
        return writes.Change({"$set": {f"opinion_drafts.{acting.unit_id}": draft[0].model_dump()}})

    written = await writes.retrying(
        lambda: dossiers.get_readable(actor, dossier_id, client=client, detail="opinion_draft"), plan)
    return draft[0], written


async def opinion_draft(*, actor: User, dossier: Dossier) -> OpinionDraft | None:
    """The opinion the actor's node saved on this dossier, if it holds it now."""
    try:
        acting = await service.acting_as(actor, dossier)
    except (Conflict, Forbidden):
        return None
    return dossier.opinion_drafts.get(str(acting.unit_id))
