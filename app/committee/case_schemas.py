"""API input and output of cases (app.committee.cases)."""

from datetime import datetime
from typing import Literal

from fastapi import UploadFile
from pydantic import BaseModel, Field

from app.accounts.schemas import Strict


class ObjectionForm(Strict):
    """multipart/form-data: a member of the public's objection against a dossier on the 公示名单."""
    ref: str = Field(min_length=32, max_length=32, description="公示名单上该人员的编号（objection_ref）")
    name: str = Field(min_length=1, max_length=30, description="异议人姓名（实名）")
    contact: str = Field(min_length=5, max_length=80, description="联系方式：手机号码或电子邮箱，查询办理结果时使用")
    facts: str = Field(min_length=10, max_length=2000, description="异议事实与理由")
    proof: UploadFile | None = Field(default=None, description="证明材料（PDF、JPG、PNG，≤10MB，可不上传）")
    captcha_id: str | None = None
    captcha_answer: str | None = None


class CaseForm(Strict):
    """multipart/form-data: 复查申请 (the applicant, after a 未通过 result) or 投诉 (a reader of the dossier)."""
    kind: Literal["review", "complaint"] = Field(description="复查申请 / 投诉")
    facts: str = Field(min_length=10, max_length=2000, description="申请复查的理由，或投诉的事实")
    contact: str | None = Field(default=None, max_length=80, description="联系方式（不填则用账号的手机号码）")
    proof: UploadFile | None = Field(default=None, description="证明材料（PDF、JPG、PNG，≤10MB，可不上传）")


class HandleIn(Strict):
    note: str = Field(min_length=1, max_length=1000, description="办理情况：调查核实了什么")


class AnswerIn(Strict):
    answer: str = Field(min_length=1, max_length=2000, description="答复意见：将告知提出人")


class CloseIn(Strict):
    note: str | None = Field(default=None, max_length=500, description="办结说明；未答复即办结（如撤回、不予受理）须填写")


class CaseStepOut(BaseModel):
    action: str
    action_label: str
    at: datetime
    by_name: str
    note: str | None


class CaseOut(BaseModel):
    id: str
    number: str
    kind: str
    kind_label: str
    dossier_id: str
    applicant_name: str
    lodger_name: str                   # masked for a public lodger, except to the office
    lodger_contact: str | None         # the office and the lodger only
    public: bool
    facts: str
    proof_url: str | None
    status: str
    status_label: str
    lodged_at: datetime
    due_at: datetime
    overdue: bool
    answer: str | None
    answered_at: datetime | None
    answered_by_name: str | None
    steps: list[CaseStepOut]


class CaseListOut(BaseModel):
    items: list[CaseOut]
    overdue: int


class CaseLookupOut(BaseModel):
    """What a public lodger sees by number and contact: the state and the answer, not the office's notes."""
    number: str
    kind_label: str
    applicant_name: str
    status: str
    status_label: str
    lodged_at: datetime
    due_at: datetime
    answer: str | None
    answered_at: datetime | None


class LodgedOut(BaseModel):
    id: str
    number: str
    due_at: datetime
    message: str
