"""Reporting paths and committees: what the review route of a dossier is computed from."""

from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from app.clock import utcnow


class PathStatus:
    pending = "pending"      # 待审核
    active = "active"        # 已生效
    rejected = "rejected"    # 审核不通过
    revoked = "revoked"      # 已撤销 (e.g. the unit changed its supervising department)


PATH_STATUS_LABELS = {"pending": "待审核", "active": "已生效", "rejected": "审核不通过", "revoked": "已撤销"}


class Path(Document):
    """An edge from a unit to the node above it for one series and level (路径)."""
    unit_id: PydanticObjectId
    unit_name: str
    series: str
    level: str
    target_kind: str                           # unit | committee
    target_unit_id: PydanticObjectId | None = None
    committee_code: str | None = None
    target_name: str
    status: str = PathStatus.pending
    applied_by: PydanticObjectId
    applied_at: datetime = Field(default_factory=utcnow)
    decided_by: PydanticObjectId | None = None
    decided_at: datetime | None = None
    reason: str | None = None

    class Settings:
        name = "paths"
        indexes = [IndexModel([("unit_id", ASCENDING), ("series", ASCENDING), ("level", ASCENDING),
                               ("status", ASCENDING)]),
                   IndexModel([("target_unit_id", ASCENDING), ("status", ASCENDING)]),
                   IndexModel([("committee_code", ASCENDING), ("status", ASCENDING)])]


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

    class Settings:
        name = "committees"
        indexes = [IndexModel([("code", ASCENDING)], unique=True), IndexModel([("office_unit_id", ASCENDING)])]
