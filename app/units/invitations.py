"""Linking a registered person to a unit by consent (004: 新增工作人员).

The unit names an ID number and a role and an invitation is stored for that number, registered or not: the
answer, the unit's list of pending invitations and the work done are the same either way, so a unit cannot
probe which ID numbers have accounts. The person holding the number sees the invitation in their own account
and only accepting grants the role; until then the unit sees nothing of them but the masked number it typed.
"""

from datetime import timedelta

from beanie import PydanticObjectId
from pymongo import DESCENDING

from app import db
from app.accounts import audit
from app.accounts.audit import ClientInfo
from app.accounts.enums import AccountKind, AuditKind, Role
from app.accounts.models import RoleGrant, User
from app.accounts.secrets import digest
from app.accounts.validators import mask_id_number
from app.clock import utcnow
from app.config import get_settings
from app.errors import Conflict, NotFound
from app.units.enums import handler_role_for
from app.units.models import StaffInvitation, Unit
from app.units.service import require_approved
from app.units.staff import check_grantable


def _gone() -> NotFound:
    return NotFound("邀请不存在、已处理或已过期", field="invitation_id", code="invitation_not_found")


def _pending(invitations: list[StaffInvitation]) -> list[StaffInvitation]:
    """Expired ones the TTL sweep has not removed yet are already gone for everyone."""
    now = utcnow()
    return [i for i in invitations if i.expires_at > now]


async def _held(invitation_id: PydanticObjectId, **owner) -> StaffInvitation:
    """The pending invitation if it belongs to `owner` (a unit or an addressee), else 404. Read by its id
    alone and the owner checked here: one indexed equality, which every planner serves."""
    invitation = await StaffInvitation.get(invitation_id)
    if (invitation is None or invitation.expires_at <= utcnow()
            or any(value is None or getattr(invitation, key) != value for key, value in owner.items())):
        raise _gone()
    return invitation


def _addressee(person: User) -> str | None:
    """The key a person's invitations are stored under; unit accounts and accounts without an ID have none."""
    if person.kind == AccountKind.unit or not person.id_number:
        return None
    return digest(person.id_number.upper())


async def invite(*, actor: User, unit: Unit, id_number: str, role: Role | None,
                 client: ClientInfo) -> tuple[str, Role]:
    """Returns (masked ID number, role). Never looks the number up: inviting again renews the invitation."""
    require_approved(unit)
    role = role or handler_role_for(unit.category)
    check_grantable(unit, role)
    id_number = id_number.strip().upper()
    masked = mask_id_number(id_number)
    now = utcnow()
    await StaffInvitation.get_pymongo_collection().update_one(
        {"unit_id": unit.id, "id_number_digest": digest(id_number), "role": role},
        {"$set": {"invited_by": actor.id, "invited_at": now, "id_number_masked": masked,
                  "expires_at": now + timedelta(days=get_settings().staff_invitation_days)}},
        upsert=True)
    await audit.record(AuditKind.staff_invited, client=client, actor=actor, unit_id=unit.id, role=role,
                       id_number=masked)
    return masked, role


async def list_for_person(*, person: User) -> list[StaffInvitation]:
    addressee = _addressee(person)
    if addressee is None:
        return []
    found = StaffInvitation.find({"id_number_digest": addressee}).sort(("invited_at", DESCENDING))
    return _pending(await found.to_list())


async def list_for_unit(*, unit: Unit) -> list[StaffInvitation]:
    return _pending(await StaffInvitation.find({"unit_id": unit.id}).sort(("invited_at", DESCENDING)).to_list())


async def accept(*, person: User, invitation_id: PydanticObjectId, client: ClientInfo) -> User:
    """Removes the invitation and grants its role in one transaction: never one without the other, and of
    two racing accepts only the one that removed the invitation grants. A role already held stays as it is."""
    invitation = await _held(invitation_id, id_number_digest=_addressee(person))
    unit = await Unit.get(invitation.unit_id)
    if unit is None or not unit.approved:
        raise Conflict("邀请单位目前不能添加工作人员，请联系该单位", field="invitation_id", code="unit_not_approved")
    grant = RoleGrant(role=invitation.role, unit_id=unit.id, granted_by=invitation.invited_by)

    async def work(session) -> None:
        taken = await StaffInvitation.get_pymongo_collection().delete_one({"_id": invitation.id}, session=session)
        if taken.deleted_count != 1:
            raise _gone()
        if not person.has_role(invitation.role, unit.id):
            await User.get_pymongo_collection().update_one(
                {"_id": person.id}, {"$push": {"roles": grant.model_dump()}, "$inc": {"version": 1}}, session=session)

    await db.in_transaction(work)
    await audit.record(AuditKind.invitation_accepted, client=client, actor=person, unit_id=unit.id,
                       role=invitation.role, invited_by=str(invitation.invited_by))
    await audit.record(AuditKind.role_granted, client=client, actor=person, unit_id=unit.id, role=invitation.role)
    return await User.get(person.id)


async def decline(*, person: User, invitation_id: PydanticObjectId, client: ClientInfo) -> None:
    invitation = await _held(invitation_id, id_number_digest=_addressee(person))
    if (await StaffInvitation.get_pymongo_collection().delete_one({"_id": invitation.id})).deleted_count != 1:
        raise _gone()
    await audit.record(AuditKind.invitation_declined, client=client, actor=person, unit_id=invitation.unit_id,
                       role=invitation.role)


async def cancel(*, actor: User, unit: Unit, invitation_id: PydanticObjectId, client: ClientInfo) -> None:
    invitation = await _held(invitation_id, unit_id=unit.id)
    if (await StaffInvitation.get_pymongo_collection().delete_one({"_id": invitation.id})).deleted_count != 1:
        raise _gone()
    await audit.record(AuditKind.invitation_cancelled, client=client, actor=actor, unit_id=unit.id,
                       role=invitation.role, id_number=invitation.id_number_masked)
