"""Cases (异议 / 复查申请 / 投诉): a request about a dossier's review, lodged by the public (an objection during
result publicity), by the applicant (复查 after a 未通过 result) or by anyone signed in who reads the dossier
(投诉 about the process), handled and answered by the office of the dossier's committee within a deadline.

A case is a document of its own, not part of the dossier: it is lodged by people who cannot read the
dossier, looked up by its number and the lodger's contact, and listed across dossiers by deadline. Its
steps are mirrored into the dossier's trail through the dossier's one write path (app.committee.cases)."""

from datetime import datetime
from typing import Literal

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.clock import utcnow
from app.files.models import StoredFile

CASE_KIND_LABELS = {"objection": "异议", "review": "复查申请", "complaint": "投诉"}
CASE_KIND_PREFIX = {"objection": "YY", "review": "FC", "complaint": "TS"}
CASE_STATUS_LABELS = {"received": "已收到", "handling": "办理中", "answered": "已答复", "closed": "已办结"}
CASE_STEP_LABELS = {"lodge": "提出", "handle": "办理", "answer": "答复", "close": "办结"}

CaseKind = Literal["objection", "review", "complaint"]
CaseStatus = Literal["received", "handling", "answered", "closed"]


class CaseStep(BaseModel):
    """One step of the handling trail: who did what, when."""
    id: str
    action: Literal["lodge", "handle", "answer", "close"]
    at: datetime = Field(default_factory=utcnow)
    by_id: PydanticObjectId | None = None       # None: a member of the public without an account
    by_name: str
    note: str | None = None


class Case(Document):
    number: str                                 # e.g. YY2026000001: what the lodger quotes
    kind: CaseKind
    dossier_id: PydanticObjectId
    committee_code: str
    applicant_name: str                         # the dossier's, for the office's list
    lodger_id: PydanticObjectId | None = None   # the account that lodged it; None for the public
    lodger_name: str
    lodger_contact: str                         # phone or email: the public's lookup key, the office's way back
    facts: str
    proof: StoredFile | None = None
    status: CaseStatus = "received"
    done: bool = False                          # answered or closed: out of the open list, never overdue
    lodged_at: datetime = Field(default_factory=utcnow)
    due_at: datetime                            # answer by (the committee's case_answer_days)
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by_name: str | None = None
    steps: list[CaseStep] = Field(default_factory=list)
    # unique: "review:<dossier id>" for a 复查 (one per dossier, however many presses race), else the number
    once_key: str
    version: int = 0

    def overdue(self, now: datetime) -> bool:
        return not self.done and self.due_at < now

    class Settings:
        name = "cases"
        indexes = [IndexModel([("number", ASCENDING)], unique=True), IndexModel([("once_key", ASCENDING)], unique=True),
                   IndexModel([("committee_code", ASCENDING), ("done", ASCENDING), ("due_at", ASCENDING)]),
                   IndexModel([("lodger_id", ASCENDING), ("lodged_at", DESCENDING)]),
                   IndexModel([("dossier_id", ASCENDING), ("kind", ASCENDING)])]
