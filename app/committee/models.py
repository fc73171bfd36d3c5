"""Committees and the committee's workflow records: meetings, votes, the publicity and certificate
state a dossier carries, and the counters certificate numbers come from."""

from datetime import date, datetime, time, timezone
from typing import Any, Literal

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.accounts.enums import COMMITTEE_ROLES, TIER_ROLE
from app.accounts.models import User
from app.clock import utcnow
from app.files.models import StoredFile


class Committee(Document):
    """A review committee (评委会), its office (the unit that runs it) and its rules."""
    code: str                                  # the committees dictionary code
    name: str
    series: list[str]
    levels: list[str]
    region_code: str
    tier: str                                  # senior | intermediate | junior
    office_unit_id: PydanticObjectId | None = None
    quorum_numerator: int = 2                  # experts present ≥ 2/3 of the members
    quorum_denominator: int = 3
    pass_numerator: int = 2                    # yes votes ≥ 2/3 of those present
    pass_denominator: int = 3
    publicity_working_days: int = 5
    certificate_pattern: str = "{year}{committee_short}{seq:05d}"
    issuing_body: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    def rule_text(self) -> str:
        """The voting rule as people read it, e.g. 到会≥2/3，同意≥到会2/3."""
        return (f"到会≥{self.quorum_numerator}/{self.quorum_denominator}，"
                f"同意≥到会{self.pass_numerator}/{self.pass_denominator}")

    class Settings:
        name = "committees"
        indexes = [IndexModel([("code", ASCENDING)], unique=True), IndexModel([("office_unit_id", ASCENDING)])]


def runs_committee(user: User, committee: Committee) -> bool:
    return committee.office_unit_id is not None and user.has_role(TIER_ROLE[committee.tier],
                                                                  committee.office_unit_id)


async def committee_codes(user: User) -> list[str]:
    """The committees whose office this user handles: the dossiers reported to them are in the user's scope."""
    offices = user.unit_ids_for(*COMMITTEE_ROLES)
    if not offices:
        return []
    committees = await Committee.find({"office_unit_id": {"$in": offices}}).to_list()
    return [c.code for c in committees if runs_committee(user, c)]


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
    created_by: PydanticObjectId
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
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


# --- what a dossier carries through the committee's workflow (embedded, written with its transitions) ---

class VoteSummary(BaseModel):
    meeting_id: PydanticObjectId
    members: int
    eligible: int                  # members less those recused
    present: int                   # eligible members present
    yes: int
    no: int
    abstain: int
    recused: int
    not_voted: int
    quorum_required: int
    pass_required: int
    passed: bool
    rule: str


class PublicityReview(BaseModel):
    unit_id: PydanticObjectId
    unit_name: str
    result: Literal["pass", "reject"]
    reason: str | None = None
    by: PydanticObjectId
    by_name: str
    at: datetime = Field(default_factory=utcnow)


class PublicityOpinion(BaseModel):
    id: str
    unit_id: PydanticObjectId
    unit_name: str
    opinion: Literal["no_objection", "objection"]
    reason: str | None = None
    proof: StoredFile | None = None
    by: PydanticObjectId
    by_name: str
    at: datetime = Field(default_factory=utcnow)
    reviews: list[PublicityReview] = Field(default_factory=list)     # by the units above, in route order


class Publicity(BaseModel):
    """公示: the dates, and the employer's opinion as it climbs the route, reviewed unit by unit."""
    starts_on: date
    ends_on: date
    working_days: int
    published_at: datetime
    stage: int = 0                 # route units that have consolidated (汇总提交); len(route): with the committee
    opinion: PublicityOpinion | None = None
    rejected: list[PublicityOpinion] = Field(default_factory=list)   # opinions turned down above, as they were
    level_submitted: list[PydanticObjectId] = Field(default_factory=list)


class Certificate(BaseModel):
    number: str
    verification_code: str
    document_number: str           # 发文字号
    issued_on: date
    issuing_body: str
    committee_code: str
    committee_name: str
    holder_name: str
    title_name: str
    specialty_name: str
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: PydanticObjectId


OPINION_LABELS = {"no_objection": "无异议", "objection": "有异议"}
REVIEW_LABELS = {"pass": "审核通过", "reject": "审核不通过"}


def to_bson(model: BaseModel) -> dict[str, Any]:
    """An embedded model as a raw update writes it: BSON has no bare date, so dates become midnight UTC."""
    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time.min, tzinfo=timezone.utc)
        return value
    return convert(model.model_dump())
