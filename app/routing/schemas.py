"""API input and output of routing: queue rows, trail, flow, paths, the applicant's requests and the reviewers' steps."""

import re
from datetime import datetime
from typing import Annotated, Any

from beanie import PydanticObjectId
from pydantic import AfterValidator, BaseModel, Field

from app.accounts.schemas import Strict
from app.dossiers.enums import ACTION_LABELS, STATUS_LABELS, STEP_ATTACHMENT_KINDS
from app.dossiers.models import OpinionDraft, StepAttachment
from app.dossiers.schemas import DossierSummary
from app.routing.machine import Action
from app.routing.models import PATH_STATUS_LABELS, Path
from app.routing.queues import QueueFilter


class QueuePage(BaseModel):
    items: list[DossierSummary]       # the same rows as the applicant's list, ID numbers as a list shows them
    total: int
    page: int
    size: int


def _contact_phone(value: str) -> str:
    """A unit handler's phone: a mobile number or a landline with its area code."""
    value = value.strip().replace(" ", "")
    if not re.fullmatch(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?", value):
        raise ValueError("请填写有效的手机号码或带区号的座机号码")
    return value


ContactPhone = Annotated[str, AfterValidator(_contact_phone)]


class BatchActionRequest(BaseModel):
    action: Action
    ids: list[PydanticObjectId] | None = Field(default=None, max_length=2000)
    filter: QueueFilter | None = Field(default=None, description="与审核队列相同的筛选条件")
    confirm: bool = False
    opinion: str | None = Field(default=None, max_length=2000)
    signer: str | None = Field(default=None, max_length=30)
    handler_name: str | None = Field(default=None, max_length=30, description="上报时：单位经办人姓名")
    handler_phone: ContactPhone | None = Field(default=None, description="上报时：单位经办人电话")


class StepAttachmentOut(BaseModel):
    id: str
    kind: str
    kind_label: str
    filename: str
    size: int
    unit_name: str | None
    uploaded_name: str
    uploaded_at: datetime

    @classmethod
    def build(cls, a: StepAttachment) -> "StepAttachmentOut":
        return cls(id=a.id, kind=a.kind, kind_label=STEP_ATTACHMENT_KINDS.get(a.kind, a.kind), filename=a.file.filename,
                   size=a.file.size, unit_name=a.unit_name, uploaded_name=a.uploaded_name, uploaded_at=a.uploaded_at)


class OpinionDraftOut(BaseModel):
    opinion: str | None
    signer: str | None
    saved_name: str
    saved_at: datetime

    @classmethod
    def build(cls, d: OpinionDraft) -> "OpinionDraftOut":
        return cls(opinion=d.opinion, signer=d.signer, saved_name=d.saved_name, saved_at=d.saved_at)


class TrailItem(BaseModel):
    at: datetime
    action: str
    action_label: str
    actor_name: str
    role: str
    unit_name: str | None
    from_status: str
    to_status: str
    to_status_label: str
    opinion: str | None
    signer: str | None
    signed_on: str | None
    attachment_id: str | None = None        # 流程附件: the file this step added
    attachment_label: str | None = None
    handler_name: str | None = None         # 上报: the unit handler's name and phone
    handler_phone: str | None = None
    on_behalf_of: str | None = None         # 录入申报: the applicant a unit handler acted for
    note: str | None = None                 # 录入申报: what the handler entered


def trail_items(trail) -> list[TrailItem]:
    items = []
    for entry in trail:
        items.append(TrailItem(at=entry.at, action=entry.action, action_label=ACTION_LABELS.get(entry.action,
                                                                                               entry.action),
                               actor_name=entry.actor_name,
                               role=entry.role, unit_name=entry.unit_name, from_status=entry.from_status,
                               to_status=entry.to_status,
                               to_status_label=STATUS_LABELS.get(entry.to_status, entry.to_status),
                               opinion=entry.opinion, signer=entry.signer,
                               signed_on=entry.detail.get("signed_on"),
                               attachment_id=entry.detail.get("attachment_id"),
                               attachment_label=(f"{entry.detail.get('kind_label')}：{entry.detail.get('filename')}"
                                                 if entry.detail.get("attachment_id") else None),
                               handler_name=entry.detail.get("handler_name"),
                               handler_phone=entry.detail.get("handler_phone"),
                               on_behalf_of=entry.detail.get("on_behalf_of"), note=entry.detail.get("note")))
    return items


class PathOut(BaseModel):
    id: str
    unit_id: str
    unit_name: str
    series: str
    level: str
    target_kind: str
    target_unit_id: str | None
    committee_code: str | None
    target_name: str
    status: str
    status_label: str
    applied_at: datetime
    decided_at: datetime | None
    reason: str | None

    @classmethod
    def build(cls, path: Path) -> "PathOut":
        return cls(id=str(path.id), unit_id=str(path.unit_id), unit_name=path.unit_name, series=path.series,
                   level=path.level, target_kind=path.target_kind,
                   target_unit_id=str(path.target_unit_id) if path.target_unit_id else None,
                   committee_code=path.committee_code, target_name=path.target_name, status=path.status,
                   status_label=PATH_STATUS_LABELS[path.status], applied_at=path.applied_at,
                   decided_at=path.decided_at, reason=path.reason)


class EditRequestIn(Strict):
    reason: str = Field(min_length=1, max_length=500, description="申请退回编辑的原因")


class EditAnswerIn(Strict):
    grant: bool
    answer: str | None = Field(default=None, max_length=500, description="答复；不同意时须填写原因")


class EducationRequestIn(Strict):
    row_id: str = Field(min_length=1, max_length=40)
    row: dict[str, Any] = Field(description="修改后的学历（与学历分节的一行相同）")
    reason: str = Field(min_length=1, max_length=500, description="申请修改的原因")


class EducationAnswerIn(Strict):
    approve: bool
    answer: str | None = Field(default=None, max_length=500, description="答复；不同意时须填写原因")


class OpinionDraftIn(Strict):
    opinion: str | None = Field(default=None, max_length=2000)
    signer: str | None = Field(default=None, max_length=30)
