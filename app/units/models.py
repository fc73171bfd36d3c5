"""Units (the organisation tree) and their permission applications."""

from datetime import datetime
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.accounts.enums import Role
from app.clock import utcnow
from app.files.models import StoredFile  # noqa: F401  (re-exported: it now lives with the upload pipeline)
from app.units.enums import ApplicationStatus, UnitCategory, UnitStatus


class Unit(Document):
    name: str
    credit_code: str
    credit_code_valid: bool = True       # False: registered for manual review (GB 32100 check failed)
    category: UnitCategory
    nature: str                          # 机关/事业/企业/社团/民办非企业… (catalog: unit_natures)
    industry: str | None = None
    region_code: str
    address: str | None = None
    legal_representative: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    parent_id: PydanticObjectId | None = None        # the supervising department (主管部门)
    ancestors: list[PydanticObjectId] = Field(default_factory=list)
    status: UnitStatus = UnitStatus.registered
    licence: StoredFile | None = None
    seal: StoredFile | None = None
    created_via: str = "self"            # self | top_down | seed
    created_by: PydanticObjectId | None = None
    created_at: datetime = Field(default_factory=utcnow)
    approved_at: datetime | None = None
    version: int = 0

    class Settings:
        name = "units"
        indexes = [
            IndexModel([("credit_code", ASCENDING), ("parent_id", ASCENDING)]),
            IndexModel([("name", ASCENDING)]),
            IndexModel([("ancestors", ASCENDING)]),
            IndexModel([("region_code", ASCENDING), ("category", ASCENDING)]),
            IndexModel([("status", ASCENDING), ("name", ASCENDING)]),
        ]

    @property
    def approved(self) -> bool:
        return self.status == UnitStatus.approved


class AutoCheck(BaseModel):
    passed: bool
    problems: list[str] = Field(default_factory=list)


class PermissionApplication(Document):
    unit_id: PydanticObjectId
    reviewer_unit_id: PydanticObjectId | None     # the HR bureau of the unit's region
    unit_snapshot: dict[str, Any]
    auto_check: AutoCheck
    status: ApplicationStatus = ApplicationStatus.pending
    submitted_by: PydanticObjectId
    submitted_at: datetime = Field(default_factory=utcnow)
    decided_by: PydanticObjectId | None = None
    decided_at: datetime | None = None
    reason: str | None = None

    class Settings:
        name = "permission_applications"
        indexes = [IndexModel([("unit_id", ASCENDING), ("submitted_at", DESCENDING)]),
                   IndexModel([("reviewer_unit_id", ASCENDING), ("status", ASCENDING)])]


class StaffInvitation(Document):
    """A unit's offer of a role to whoever holds an ID number. Stored whether or not a person account holds
    it (so neither the answer nor the unit's list tells), under a keyed hash of the number rather than the
    number itself. Pending until that person accepts or declines it from their own account, the unit cancels
    it, or it expires (removed by the TTL index)."""
    unit_id: PydanticObjectId
    id_number_digest: str
    role: Role
    id_number_masked: str                # all the unit ever sees of the person before they accept
    invited_by: PydanticObjectId
    invited_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime

    class Settings:
        name = "staff_invitations"
        indexes = [IndexModel([("unit_id", ASCENDING), ("id_number_digest", ASCENDING), ("role", ASCENDING)],
                              unique=True),
                   IndexModel([("id_number_digest", ASCENDING), ("invited_at", DESCENDING)]),
                   IndexModel([("unit_id", ASCENDING), ("invited_at", DESCENDING)]),
                   IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)]
