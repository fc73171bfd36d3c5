"""The security audit log: who did what to which account, when and from where."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId

from app.accounts.enums import AuditKind
from app.accounts.models import AuditEvent, User


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str | None = None


async def record(kind: AuditKind, *, client: ClientInfo, actor: User | None = None,
                 user_id: PydanticObjectId | None = None, unit_id: PydanticObjectId | None = None,
                 **detail: Any) -> None:
    await AuditEvent(
        kind=kind, actor_id=actor.id if actor else None, actor_login=actor.login if actor else None,
        user_id=user_id if user_id is not None else (actor.id if actor else None), unit_id=unit_id,
        ip=client.ip, user_agent=(client.user_agent or "")[:300] or None, detail=detail,
    ).insert()


async def events(*, user_id: PydanticObjectId | None, kind: AuditKind | None, limit: int,
                 before: datetime | None = None) -> list[AuditEvent]:
    """The newest events first, of one account and/or one kind; `before` pages back (each filter has its index,
    ending in `at`)."""
    query: dict = {}
    if user_id:
        query["user_id"] = user_id
    if kind:
        query["kind"] = kind
    if before:
        query["at"] = {"$lt": before}
    return await AuditEvent.find(query).sort("-at").limit(limit).to_list()


async def page(*, login: str | None, kind: AuditKind | None, before: datetime | None,
               size: int) -> tuple[list[AuditEvent], bool]:
    """One page of the audit log for the administrator's page, and whether older events follow; an account is named
    by its login (an unknown login has no events)."""
    account = await User.find_one({"login": login}) if login else None
    if login and account is None:
        return [], False
    found = await events(user_id=account.id if account else None, kind=kind, limit=size + 1, before=before)
    return found[:size], len(found) > size
