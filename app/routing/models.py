"""Reporting paths (路径): the edges from a unit to the node above it."""

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
