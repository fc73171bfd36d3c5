"""Expert records, rosters, the roster size rules and the record of each draw."""

from datetime import date, datetime
from typing import Any, Literal

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.clock import utcnow

EXPERT_STATUS_LABELS = {"active": "在库", "suspended": "暂停", "removed": "出库"}
TERM_YEARS = 3


class FormerUnit(BaseModel):
    """A unit the expert worked at before (任职经历), with the dates; what counts is the last 3 years."""
    unit_name: str
    unit_id: PydanticObjectId | None = None
    start: date | None = None
    end: date | None = None


class Relative(BaseModel):
    """A declared relative (近亲属); matched by ID number when one is given, else by name."""
    name: str
    relation: str | None = None
    id_number: str | None = None


class SignedCommitment(BaseModel):
    """评审承诺书, signed once per term: the term it covers is its start date."""
    term_start: date
    signed_at: datetime
    recorded_by: PydanticObjectId
    text_sha256: str


class Expert(Document):
    """One expert in the library kept by a committee office's unit (keeper_unit_id)."""
    keeper_unit_id: PydanticObjectId
    name: str
    id_number: str
    unit_name: str
    unit_id: PydanticObjectId | None = None
    region_code: str
    series: str
    specialties: list[str] = Field(default_factory=list)
    title: str
    level: str
    phone: str
    email: str | None = None
    term_start: date
    term_end: date
    status: Literal["active", "suspended", "removed"] = "active"
    former_units: list[FormerUnit] = Field(default_factory=list)
    relatives: list[Relative] = Field(default_factory=list)
    coauthors: list[str] = Field(default_factory=list)
    user_id: PydanticObjectId | None = None            # the account the expert votes with
    commitments: list[SignedCommitment] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    class Settings:
        name = "experts"
        indexes = [IndexModel([("keeper_unit_id", ASCENDING), ("id_number", ASCENDING)], unique=True),
                   IndexModel([("keeper_unit_id", ASCENDING), ("name", ASCENDING)]),
                   IndexModel([("keeper_unit_id", ASCENDING), ("series", ASCENDING), ("name", ASCENDING)]),
                   IndexModel([("user_id", ASCENDING)])]

    def signed_for_term(self) -> SignedCommitment | None:
        return next((c for c in self.commitments if c.term_start == self.term_start), None)


class ExpertRoster(Document):
    """A committee's roster (评委会组成人员), drawn from its office's library."""
    committee_code: str
    expert_ids: list[PydanticObjectId] = Field(default_factory=list)
    saved_by: PydanticObjectId
    saved_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    class Settings:
        name = "expert_rosters"
        indexes = [IndexModel([("committee_code", ASCENDING)], unique=True)]


DEFAULT_MINIMUMS = {"senior": 25, "intermediate": 11, "junior": 7}


class RosterRules(Document):
    """The smallest roster per committee tier (one document, id "roster"); the regulation's figures by default."""
    id: str = "roster"
    minimums: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_MINIMUMS))
    version: int = 0

    class Settings:
        name = "expert_rules"


class Swap(BaseModel):
    out_id: PydanticObjectId
    in_id: PydanticObjectId
    reason: str
    by: PydanticObjectId
    at: datetime = Field(default_factory=utcnow)


class ExpertDraw(Document):
    """One draw (随机抽取) for a meeting, or for one dossier's blind review (代表作送审): seed, rules and the
    candidate list as they were, so replaying them gives the same members and reserves; swaps made afterwards
    (a blind reviewer declaring a conflict is one), each with its reason."""
    meeting_id: PydanticObjectId | None = None
    dossier_id: PydanticObjectId | None = None
    committee_code: str
    seed: int
    rules: dict[str, Any]
    candidates: list[dict[str, Any]]         # id, name, series, specialties, level, excluded (reason or None)
    conflicts: list[dict[str, Any]]          # expert_id, dossier_id, applicant_name, kind, reason
    members: list[PydanticObjectId]
    reserves: list[PydanticObjectId]
    swaps: list[Swap] = Field(default_factory=list)
    drawn_by: PydanticObjectId
    drawn_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    class Settings:
        name = "expert_draws"
        indexes = [IndexModel([("meeting_id", ASCENDING), ("drawn_at", DESCENDING)]),
                   IndexModel([("dossier_id", ASCENDING), ("drawn_at", DESCENDING)])]
