"""The committee's workflow records: meetings, votes, and the counters certificate numbers come from.
The committee itself (its office and rules) is reference data in app.catalog; what a dossier carries
from this work (votes, publicity, certificate) is part of the dossier document in app.dossiers."""

from datetime import date, datetime
from typing import Any, Literal

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.clock import utcnow

SIGNER_ROLE_LABELS = {"chair": "主任委员（主持评审会）", "office": "评委会办事机构经办人"}
MEETING_STATUS_LABELS = {"planned": "筹备中", "voting": "表决中", "closing": "正在结束", "closed": "已结束"}
VOTE_LABELS = {"yes": "同意", "no": "不同意", "abstain": "弃权"}


class Meeting(Document):
    """A review meeting (评审会): the experts invited and present, and the dossiers it decides."""
    committee_code: str
    name: str
    held_on: date
    location: str
    member_ids: list[PydanticObjectId] = Field(default_factory=list)     # experts invited
    present_ids: list[PydanticObjectId] = Field(default_factory=list)    # experts present (到会)
    dossier_ids: list[PydanticObjectId] = Field(default_factory=list)
    status: Literal["planned", "voting", "closing", "closed"] = "planned"
    vote_count: int = 0            # votes accepted; closing checks it against what it tallied
    results: list[dict[str, Any]] = Field(default_factory=list)
    # dossier id → members recused by the expert library's conflict rules, frozen when voting opens
    recused: dict[str, list[PydanticObjectId]] = Field(default_factory=dict)
    created_by: PydanticObjectId
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    # who signs the minutes frozen at close (会议纪要签署): a chair from the members present, or the office user
    signer_id: PydanticObjectId | None = None
    signer_name: str | None = None
    signer_role: Literal["chair", "office"] | None = None
    signed_at: datetime | None = None
    version: int = 0

    class Settings:
        name = "meetings"
        indexes = [IndexModel([("committee_code", ASCENDING), ("held_on", DESCENDING)]),
                   IndexModel([("member_ids", ASCENDING)])]


class Vote(Document):
    """One expert's vote on one dossier in one meeting; the unique index makes a second press a refusal."""
    meeting_id: PydanticObjectId
    dossier_id: PydanticObjectId
    expert_id: PydanticObjectId
    expert_name: str
    choice: Literal["yes", "no", "abstain"]
    recorded_by: PydanticObjectId
    on_behalf: bool = False        # entered by the office from a paper ballot
    at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "votes"
        indexes = [IndexModel([("meeting_id", ASCENDING), ("dossier_id", ASCENDING), ("expert_id", ASCENDING)],
                              unique=True)]


class Counter(Document):
    """A named sequence (certificate numbers per committee and year), advanced by one atomic $inc."""
    id: str
    seq: int = 0

    class Settings:
        name = "counters"


BLIND_STATUS_LABELS = {"pending": "待评分", "submitted": "已评分", "declined": "已申明回避", "overdue": "已逾期"}
BLIND_ROUND_LABELS = {"preparing": "准备送审", "sent": "评审中", "complete": "已完成"}


class BlindAssignment(Document):
    """One reviewer's task in a blind review (代表作送审): the reviewer's list and the reminder and overdue jobs
    read these; the round itself, with the scores, is the dossier's `blind_reviews` (app.committee.blind). A
    reviewer is given the round's code, never the dossier's id, name or unit."""
    dossier_id: PydanticObjectId
    committee_code: str
    code: str                      # the round's 送审编号
    label: str                     # 评审专家N, as the round names this reviewer
    user_id: PydanticObjectId
    expert_id: PydanticObjectId
    status: Literal["pending", "submitted", "declined", "overdue"] = "pending"
    assigned_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    remind_at: datetime | None = None      # unset once the reminder went out (or when there is none to send)
    reminded_at: datetime | None = None
    version: int = 0

    class Settings:
        name = "blind_assignments"
        indexes = [IndexModel([("user_id", ASCENDING), ("assigned_at", DESCENDING)]),    # a reviewer's list
                   IndexModel([("status", ASCENDING), ("remind_at", ASCENDING)]),         # reminders due
                   IndexModel([("status", ASCENDING), ("due_at", ASCENDING)])]            # overdue marking
