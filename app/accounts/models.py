"""Beanie documents of the accounts domain. References between documents are plain ObjectIds."""

from datetime import datetime
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.accounts.enums import AccountKind, AuditKind, IdType, Role
from app.clock import utcnow


class RoleGrant(BaseModel):
    role: Role
    unit_id: PydanticObjectId | None = None   # None only for applicant and sysadmin
    granted_at: datetime = Field(default_factory=utcnow)
    granted_by: PydanticObjectId | None = None


class User(Document):
    login: str
    login_key: str                      # lower-cased login, unique
    kind: AccountKind
    name: str
    id_type: IdType | None = None
    id_number: str | None = None        # unique when present: one account per ID number
    phone: str | None = None
    email: str | None = None
    password_hash: str
    must_change_password: bool = False
    password_changed_at: datetime = Field(default_factory=utcnow)
    roles: list[RoleGrant] = Field(default_factory=list)
    unit_id: PydanticObjectId | None = None      # the unit that owns a unit account or sub-account
    enabled: bool = True
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by: PydanticObjectId | None = None
    version: int = 0

    class Settings:
        name = "users"
        indexes = [
            IndexModel([("login_key", ASCENDING)], unique=True),
            IndexModel([("id_number", ASCENDING)], unique=True,
                       partialFilterExpression={"id_number": {"$type": "string"}}),
            # The login's look-up by ID number: SecantusDB uses a partial index only for a query it can prove
            # within the filter, and it cannot for `$type`, so the unique one above left every login scanning
            # the users (docs/BENCHMARKS.md, Deadline spike). Another key pattern, as mongod wants for a second
            # index on the same field.
            IndexModel([("id_number", ASCENDING), ("_id", ASCENDING)]),
            IndexModel([("roles.unit_id", ASCENDING)]),
            IndexModel([("unit_id", ASCENDING)]),
        ]

    def has_role(self, role: Role, unit_id: PydanticObjectId | None = None) -> bool:
        return any(g.role == role and (unit_id is None or g.unit_id == unit_id) for g in self.roles)

    def unit_ids_for(self, *roles: Role) -> list[PydanticObjectId]:
        return [g.unit_id for g in self.roles if g.role in roles and g.unit_id is not None]


class Session(Document):
    token_hash: str
    user_id: PydanticObjectId
    csrf_token: str
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    idle_expires_at: datetime
    absolute_expires_at: datetime
    ip: str | None = None
    user_agent: str | None = None

    class Settings:
        name = "sessions"
        # Whichever expiry passes first, the database removes the session by itself.
        indexes = [IndexModel([("token_hash", ASCENDING)], unique=True), IndexModel([("user_id", ASCENDING)]),
                   IndexModel([("idle_expires_at", ASCENDING)], expireAfterSeconds=0),
                   IndexModel([("absolute_expires_at", ASCENDING)], expireAfterSeconds=0)]


class Captcha(Document):
    answer_hash: str
    purpose: str
    expires_at: datetime

    class Settings:
        name = "captchas"
        indexes = [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)]


class LoginFailure(Document):
    """Failed logins per login string, known account or not, so both get the same answers: after one the
    captcha is required, after the threshold the string is locked. Removed by the database when it expires."""
    login_key: str
    failures: int = 0
    last_at: datetime = Field(default_factory=utcnow)
    locked_until: datetime | None = None
    expires_at: datetime

    class Settings:
        name = "login_failures"
        indexes = [IndexModel([("login_key", ASCENDING)], unique=True),
                   IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)]


class RecoveryCode(Document):
    user_id: PydanticObjectId
    code_hash: str
    channel: str
    destination: str
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    attempts: int = 0              # a code is deleted when used or replaced, and by its TTL index when expired

    class Settings:
        name = "recovery_codes"
        indexes = [IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),
                   IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)]


class AuditEvent(Document):
    kind: AuditKind
    at: datetime = Field(default_factory=utcnow)
    actor_id: PydanticObjectId | None = None
    actor_login: str | None = None
    user_id: PydanticObjectId | None = None     # the account concerned
    unit_id: PydanticObjectId | None = None
    ip: str | None = None
    user_agent: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "audit_events"
        indexes = [IndexModel([("at", DESCENDING)]), IndexModel([("user_id", ASCENDING), ("at", DESCENDING)]),
                   IndexModel([("unit_id", ASCENDING), ("at", DESCENDING)]),
                   IndexModel([("kind", ASCENDING), ("at", DESCENDING)]),            # the audit page's filters:
                   IndexModel([("user_id", ASCENDING), ("kind", ASCENDING), ("at", DESCENDING)])]  # kind, both
