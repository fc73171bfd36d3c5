"""A unit's staff: linked persons (linked by invitation, see invitations.py), sub-accounts (single or batch),
roles, enabling and password resets."""

from beanie import PydanticObjectId

from app import db
from app.accounts import audit
from app.accounts import service as accounts_service
from app.accounts.audit import ClientInfo
from app.accounts.enums import ROLE_LABELS, AccountKind, AuditKind, Role
from app.accounts.models import RoleGrant, User
from app.accounts.secrets import hash_password, new_initial_password
from app.errors import Conflict, NotFound, ValidationFailed
from app.units.enums import grantable_roles
from app.units.models import Unit
from app.units.schemas import Credentials, SubAccountSpec
from app.units.service import require_approved


def staff_query(unit_id: PydanticObjectId) -> dict:
    return {"$or": [{"roles.unit_id": unit_id}, {"unit_id": unit_id}]}


async def list_staff(*, unit: Unit) -> list[User]:
    return await User.find(staff_query(unit.id)).sort("kind", "login").to_list()


async def get_staff_member(*, unit: Unit, user_id: PydanticObjectId) -> User:
    member = await User.find_one({"$and": [{"_id": user_id}, staff_query(unit.id)]})
    if member is None:
        raise NotFound("该人员不是本单位工作人员", field="user_id", code="staff_not_found")
    return member


def check_grantable(unit: Unit, role: Role) -> None:
    if role not in grantable_roles(unit.category):
        raise ValidationFailed(f"本单位不能授予“{ROLE_LABELS[role]}”角色", field="role", code="role_not_allowed")


async def _next_logins(unit: Unit, count: int) -> list[str]:
    prefix = "u" + unit.credit_code[-6:].lower()
    taken = {u.login_key async for u in User.find({"login_key": {"$regex": f"^{prefix}"}})}
    logins, number = [], 1
    while len(logins) < count:
        candidate = f"{prefix}{number:03d}"
        if candidate not in taken:
            logins.append(candidate)
        number += 1
    return logins


async def create_sub_accounts(*, actor: User, unit: Unit, specs: list[SubAccountSpec],
                              client: ClientInfo) -> list[Credentials]:
    """All or nothing: any bad row refuses the whole batch, naming the row."""
    require_approved(unit)
    seen: dict[str, int] = {}
    for index, spec in enumerate(specs):
        check_grantable(unit, spec.role)
        if spec.id_number in seen:
            raise ValidationFailed(f"第{index + 1}行与第{seen[spec.id_number] + 1}行证件号码重复",
                                   field=f"accounts.{index}.id_number", code="duplicate_in_batch")
        seen[spec.id_number] = index
    existing = {u.id_number: u for u in await User.find({"id_number": {"$in": list(seen)}}).to_list()}
    for index, spec in enumerate(specs):
        if spec.id_number in existing:
            raise Conflict(f"第{index + 1}行：该证件号码已有账号，请使用“邀请工作人员”",
                           field=f"accounts.{index}.id_number", code="id_number_taken")
    passwords = [new_initial_password() for _ in specs]
    hashes = [await hash_password(p) for p in passwords]
    for attempt in range(3):
        users = [User(login=login, login_key=login, kind=AccountKind.sub, name=spec.name, id_type=spec.id_type,
                      id_number=spec.id_number, phone=spec.phone, password_hash=password_hash,
                      must_change_password=True, unit_id=unit.id, created_by=actor.id,
                      roles=[RoleGrant(role=spec.role, unit_id=None if spec.role == Role.applicant else unit.id,
                                       granted_by=actor.id)])
                 for spec, login, password_hash in zip(specs, await _next_logins(unit, len(specs)), hashes)]

        async def work(session) -> None:
            for user in users:
                await accounts_service.insert_user(user, session=session)

        try:
            await db.in_transaction(work)
            break
        except Conflict as exc:
            if exc.field != "login" or attempt == 2:   # generated names raced with another batch: draw again
                raise
    for user in users:
        await audit.record(AuditKind.account_created, client=client, actor=actor, user_id=user.id, unit_id=unit.id)
    return [Credentials(user_id=str(u.id), login=u.login, name=u.name, initial_password=p)
            for u, p in zip(users, passwords)]


def _require_sub_account(unit: Unit, member: User) -> None:
    if member.kind != AccountKind.sub or member.unit_id != unit.id:
        raise Conflict("只能管理本单位创建的子账号；个人账号请解除关联", field="user_id", code="not_sub_account")


async def set_enabled(*, actor: User, unit: Unit, member: User, enabled: bool, client: ClientInfo) -> User:
    _require_sub_account(unit, member)
    await User.get_pymongo_collection().update_one({"_id": member.id},
                                                   {"$set": {"enabled": enabled}, "$inc": {"version": 1}})
    if not enabled:
        await accounts_service.close_other_sessions(member.id)
    await audit.record(AuditKind.account_enabled if enabled else AuditKind.account_disabled, client=client,
                       actor=actor, user_id=member.id, unit_id=unit.id)
    return await User.get(member.id)


async def reset_password(*, actor: User, unit: Unit, member: User, client: ClientInfo) -> Credentials:
    _require_sub_account(unit, member)
    password = new_initial_password()
    await User.get_pymongo_collection().update_one({"_id": member.id}, {
        "$set": {"password_hash": await hash_password(password), "must_change_password": True,
                 "locked_until": None}, "$inc": {"version": 1}})
    await accounts_service.close_other_sessions(member.id)
    await audit.record(AuditKind.password_reset, client=client, actor=actor, user_id=member.id, unit_id=unit.id,
                       via="unit_admin")
    return Credentials(user_id=str(member.id), login=member.login, name=member.name, initial_password=password)


async def declaration_count(user_id: PydanticObjectId) -> int:
    return await db.current().db["dossiers"].count_documents({"applicant_id": user_id}, limit=1)


async def remove(*, actor: User, unit: Unit, member: User, client: ClientInfo) -> None:
    """A linked person is unlinked; a sub-account is deleted unless it has declarations."""
    if member.kind == AccountKind.unit:
        raise Conflict("单位账号不能删除", field="user_id", code="unit_account")
    if member.kind == AccountKind.sub and member.unit_id == unit.id:
        if await declaration_count(member.id):
            raise Conflict("该子账号已有申报记录，不能删除，只能停用", field="user_id", code="has_declarations")
        await member.delete()
        await accounts_service.close_other_sessions(member.id)
        await audit.record(AuditKind.account_deleted, client=client, actor=actor, user_id=member.id, unit_id=unit.id)
        return
    await User.get_pymongo_collection().update_one({"_id": member.id},
                                                   {"$pull": {"roles": {"unit_id": unit.id}}, "$inc": {"version": 1}})
    await audit.record(AuditKind.role_revoked, client=client, actor=actor, user_id=member.id, unit_id=unit.id,
                       role="all")


async def grant_role(*, actor: User, unit: Unit, member: User, role: Role, client: ClientInfo) -> User:
    require_approved(unit)
    check_grantable(unit, role)
    if member.has_role(role, unit.id):
        raise Conflict(f"已拥有“{ROLE_LABELS[role]}”角色", field="role", code="already_granted")
    grant = RoleGrant(role=role, unit_id=unit.id, granted_by=actor.id)
    await User.get_pymongo_collection().update_one({"_id": member.id},
                                                   {"$push": {"roles": grant.model_dump()}, "$inc": {"version": 1}})
    await audit.record(AuditKind.role_granted, client=client, actor=actor, user_id=member.id, unit_id=unit.id,
                       role=role)
    return await User.get(member.id)


async def revoke_role(*, actor: User, unit: Unit, member: User, role: Role, client: ClientInfo) -> User:
    if role == Role.unit_admin and member.kind == AccountKind.unit:
        raise Conflict("单位账号的管理员角色不能撤销", field="role", code="unit_account")
    held = {"role": role, "unit_id": unit.id}
    result = await User.get_pymongo_collection().update_one(
        {"_id": member.id, "roles": {"$elemMatch": held}}, {"$pull": {"roles": held}, "$inc": {"version": 1}})
    if result.matched_count != 1:
        raise NotFound(f"该人员没有本单位的“{ROLE_LABELS[role]}”角色", field="role", code="role_not_found")
    await audit.record(AuditKind.role_revoked, client=client, actor=actor, user_id=member.id, unit_id=unit.id,
                       role=role)
    return await User.get(member.id)

