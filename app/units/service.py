"""Units: self-registration, top-down creation, the tree, the read scope and permission applications."""

import logging
import re
from collections.abc import Awaitable, Callable, Iterable

from beanie import PydanticObjectId

from app import db
from app.accounts import audit
from app.accounts import service as accounts_service
from app.accounts.audit import ClientInfo
from app.accounts.enums import COMMITTEE_ROLES, UNIT_READER_ROLES, AccountKind, AuditKind, Role
from app.accounts.models import RoleGrant, User
from app.accounts.secrets import hash_password, new_initial_password
from app.catalog import service as catalog
from app.files import service as files
from app.clock import utcnow
from app.errors import Conflict, Forbidden, Moved, NotFound, ValidationFailed
from app.units.enums import (CREATABLE_CHILDREN, HR_BUREAU_CATEGORIES, SELF_REGISTRABLE, UNIT_CATEGORY_LABELS,
                             UNIT_STATUS_LABELS, ApplicationStatus, UnitStatus, handler_role_for)
from app.units.models import AutoCheck, PermissionApplication, Unit
from app.units.schemas import (ChildUnitCreation, Credentials, PermissionDecision, UnitInfo, UnitRegistration,
                               UnitTreeNode, UnitUpdate)
from app.accounts import validators
from app.messaging import service as messaging

log = logging.getLogger(__name__)


_moved_hooks: list[Callable[[list[PydanticObjectId]], Awaitable[object]]] = []


def on_units_moved(hook: Callable[[list[PydanticObjectId]], Awaitable[object]]) -> None:
    """Lets a domain above follow a unit's region or place in the tree (the dossiers' read keys derive
    from them) without this package importing it."""
    if hook not in _moved_hooks:
        _moved_hooks.append(hook)


async def units_moved(unit_ids: list[PydanticObjectId]) -> None:
    for hook in _moved_hooks:
        await hook(unit_ids)


def region_prefix(code: str) -> str:
    """370000 → 37, 370100 → 3701, 370102 → 370102: the codes of a region's territory share it."""
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


async def readable_units_query(user: User, *, offices: bool = True) -> dict | None:
    """The one place that says which units a user may see; None means all of them. offices=False leaves
    out the committee offices' own units (their dossiers are the committee's, not the unit's)."""
    if user.has_role(Role.sysadmin):
        return None
    own = user.unit_ids_for(*UNIT_READER_ROLES)
    clauses: list[dict] = []
    if own:
        clauses += [{"_id": {"$in": own}}, {"ancestors": {"$in": own}}]
    if offices and (office_units := user.unit_ids_for(*COMMITTEE_ROLES)):
        clauses.append({"_id": {"$in": office_units}})
    hr_units = user.unit_ids_for(Role.hr_handler)       # none: no read (an empty $in is a scan that finds nothing)
    bureaus = await Unit.find({"_id": {"$in": hr_units},
                               "category": {"$in": list(HR_BUREAU_CATEGORIES)}}).to_list() if hr_units else []
    clauses += [{"region_code": {"$regex": "^" + re.escape(region_prefix(b.region_code))}} for b in bureaus]
    return {"$or": clauses} if clauses else {"_id": {"$in": []}}


async def get_readable_unit(user: User, unit_id: PydanticObjectId) -> Unit:
    scope = await readable_units_query(user)
    query = {"_id": unit_id} if scope is None else {"$and": [{"_id": unit_id}, scope]}
    unit = await Unit.find_one(query)
    if unit is None:
        raise NotFound("单位不存在", field="unit_id", code="unit_not_found")
    return unit


async def get_administered_unit(user: User, unit_id: PydanticObjectId) -> Unit:
    """A unit the user administers: outside the read scope 404, inside but not its admin 403."""
    unit = await get_readable_unit(user, unit_id)
    if not (user.has_role(Role.sysadmin) or user.has_role(Role.unit_admin, unit.id)):
        raise Forbidden("仅本单位管理员可执行此操作", code="not_unit_admin")
    return unit


def require_approved(unit: Unit) -> None:
    if unit.status != UnitStatus.approved:
        raise Forbidden("单位权限尚未开通：权限申请经人社部门审核通过后方可开展职称申报工作",
                        code="unit_not_approved", field="unit_id")


async def unit_names(ids: Iterable[PydanticObjectId | None]) -> dict[PydanticObjectId, str]:
    wanted = list({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {u.id: u.name for u in await Unit.find({"_id": {"$in": wanted}}).to_list()}


async def hr_bureau_for_region(region_code: str) -> Unit | None:
    for code in await catalog.region_chain(region_code):
        bureau = await Unit.find_one({"region_code": code, "category": {"$in": list(HR_BUREAU_CATEGORIES)},
                                      "status": UnitStatus.approved})
        if bureau:
            return bureau
    return None


async def _check_unit_info(data: UnitInfo, *, manual_review: bool) -> bool:
    """Dictionary choices and the credit code; returns whether the code passed its checksum."""
    await catalog.require_entry("regions", data.region_code, field="region_code", label="所在地区")
    await catalog.require_entry("unit_natures", data.nature, field="nature", label="单位性质")
    if data.industry:
        await catalog.require_entry("industries", data.industry, field="industry", label="所属行业")
    problem = validators.credit_code_problem(data.credit_code)
    if problem and not manual_review:
        raise ValidationFailed(f"{problem}；如确认无误，可勾选“提交人工审核”后注册", field="credit_code",
                               code="credit_code_invalid")
    return problem is None


async def _refuse_duplicate(credit_code: str, parent_id: PydanticObjectId | None,
                            exclude: PydanticObjectId | None = None) -> None:
    query: dict = {"credit_code": credit_code, "parent_id": parent_id}
    if exclude:
        query["_id"] = {"$ne": exclude}
    existing = await Unit.find_one(query)
    if existing:
        account = await User.find_one({"kind": AccountKind.unit, "unit_id": existing.id})
        login = account.login if account else "（无单位账号）"
        raise Conflict(f"该统一社会信用代码已在此主管部门下注册：{existing.name}，单位账号 {login}。"
                       "如忘记密码请使用“找回密码”", field="credit_code", code="unit_exists",
                       existing_unit_id=str(existing.id), existing_login=login)


async def unit_account(*, unit: Unit, login: str, password: str, must_change: bool, created_by=None) -> User:
    """The unit's own account: its administrator and its handler, so a small unit needs no other."""
    roles = [RoleGrant(role=role, unit_id=unit.id, granted_by=created_by)
             for role in (Role.unit_admin, handler_role_for(unit.category))]
    return User(login=login, login_key=login.lower(), kind=AccountKind.unit, name=unit.name,
                phone=unit.contact_phone, email=unit.contact_email, password_hash=await hash_password(password),
                must_change_password=must_change, roles=roles, unit_id=unit.id, created_by=created_by)


async def _insert_unit_with_account(unit: Unit, account: User) -> None:
    """The unit and its account are stored together or not at all."""
    unit.id = unit.id or PydanticObjectId()
    account.unit_id = unit.id
    for grant in account.roles:
        grant.unit_id = unit.id

    async def work(session) -> None:
        await unit.insert(session=session)
        await accounts_service.insert_user(account, session=session)

    await db.in_transaction(work)


async def register_unit(*, data: UnitRegistration, client: ClientInfo) -> tuple[Unit, User]:
    if data.category not in SELF_REGISTRABLE:
        raise ValidationFailed("人社部门由上级单位创建，不能自行注册", field="category", code="category_not_allowed")
    accounts_service.check_password_policy(data.password, login=data.login)
    code_valid = await _check_unit_info(data, manual_review=data.manual_review)
    if data.parent_id:
        parent = await Unit.find_one({"_id": data.parent_id, "status": UnitStatus.approved})
        if parent is None:
            raise ValidationFailed("所选主管部门不存在或尚未开通", field="parent_id", code="parent_not_found")
    else:
        parent = await hr_bureau_for_region(data.region_code)
    parent_id = parent.id if parent else None
    await _refuse_duplicate(data.credit_code, parent_id)
    await accounts_service.ensure_identity_free(login=data.login, id_number=None)
    unit = Unit(**data.model_dump(exclude={"category", "parent_id", "manual_review", "login", "password",
                                           "contact_email"}),
                contact_email=str(data.contact_email) if data.contact_email else None,
                category=data.category, credit_code_valid=code_valid, parent_id=parent_id,
                ancestors=(parent.ancestors + [parent.id]) if parent else [], created_via="self")
    user = await unit_account(unit=unit, login=data.login, password=data.password, must_change=False)
    await _insert_unit_with_account(unit, user)
    await audit.record(AuditKind.unit_register, client=client, actor=user, unit_id=unit.id,
                       credit_code_valid=code_valid)
    return unit, user


async def create_child_unit(*, actor: User, parent: Unit, data: ChildUnitCreation,
                            client: ClientInfo) -> tuple[Unit, Credentials]:
    """An upper unit creates a subordinate unit with its account (001 §3.1); it starts approved."""
    if not actor.has_role(Role.sysadmin):
        if not (actor.has_role(Role.unit_admin, parent.id) or actor.has_role(handler_role_for(parent.category),
                                                                             parent.id)):
            raise Forbidden("仅本单位管理员或经办人可创建下级单位", code="not_unit_admin")
        require_approved(parent)
        allowed = CREATABLE_CHILDREN.get(parent.category, frozenset())
        if data.category not in allowed:
            names = "、".join(UNIT_CATEGORY_LABELS[c] for c in sorted(allowed)) or "无"
            raise ValidationFailed(f"{UNIT_CATEGORY_LABELS[parent.category]}可创建的下级单位类别：{names}",
                                   field="category", code="category_not_allowed")
    code_valid = await _check_unit_info(data, manual_review=False)
    await _refuse_duplicate(data.credit_code, parent.id)
    await accounts_service.ensure_identity_free(login=data.login, id_number=None)
    now = utcnow()
    unit = Unit(**data.model_dump(exclude={"category", "handler", "login", "handler_phone", "contact_email"}),
                contact_email=str(data.contact_email) if data.contact_email else None,
                category=data.category, credit_code_valid=code_valid, parent_id=parent.id,
                ancestors=parent.ancestors + [parent.id], status=UnitStatus.approved, approved_at=now,
                created_via="top_down", created_by=actor.id)
    password = new_initial_password()
    account = await unit_account(unit=unit, login=data.login, password=password, must_change=True, created_by=actor.id)
    await _insert_unit_with_account(unit, account)
    await audit.record(AuditKind.unit_create, client=client, actor=actor, unit_id=unit.id, parent_id=str(parent.id))
    await audit.record(AuditKind.account_created, client=client, actor=actor, user_id=account.id, unit_id=unit.id)
    return unit, Credentials(user_id=str(account.id), login=account.login, name=account.name,
                             initial_password=password)


async def update_unit(*, actor: User, unit: Unit, data: UnitUpdate, client: ClientInfo) -> Unit:
    if unit.status == UnitStatus.pending and not actor.has_role(Role.sysadmin):
        raise Conflict("权限申请审核中，暂不能修改单位信息", code="application_pending")
    identity_changed = data.name != unit.name or data.credit_code != unit.credit_code
    if unit.status == UnitStatus.approved and identity_changed and not actor.has_role(Role.sysadmin):
        raise Conflict("已开通单位变更名称或统一社会信用代码，须由人社部门办理", code="identity_locked")
    code_valid = await _check_unit_info(data, manual_review=data.manual_review)
    if data.credit_code != unit.credit_code:
        await _refuse_duplicate(data.credit_code, unit.parent_id, exclude=unit.id)
    changes = data.model_dump(exclude={"manual_review"})
    changes["contact_email"] = str(data.contact_email) if data.contact_email else None
    changes["credit_code_valid"] = code_valid
    result = await Unit.get_pymongo_collection().update_one(
        {"_id": unit.id, "version": unit.version}, {"$set": changes, "$inc": {"version": 1}})
    if result.matched_count != 1:
        raise Moved("单位信息已被他人修改，请刷新后重试")
    if data.region_code != unit.region_code:
        await units_moved([unit.id])
    await audit.record(AuditKind.unit_updated, client=client, actor=actor, unit_id=unit.id)
    return await Unit.get(unit.id)


async def _auto_check(unit: Unit) -> AutoCheck:
    problems = []
    if not unit.credit_code_valid or validators.credit_code_problem(unit.credit_code):
        problems.append("统一社会信用代码校验不通过，需人工审核")
    if await Unit.find_one({"name": unit.name, "status": UnitStatus.approved, "_id": {"$ne": unit.id}}):
        problems.append("单位名称已被其他已开通单位使用")
    return AutoCheck(passed=not problems, problems=problems)


SNAPSHOT_FIELDS = {"name", "credit_code", "region_code", "category", "nature", "industry", "legal_representative",
                   "contact_name", "contact_phone", "address"}


def application_snapshot(unit: Unit) -> dict:
    """What the reviewer's card shows of the unit as it applied (the seed's demo application too)."""
    return unit.model_dump(include=SNAPSHOT_FIELDS)


async def apply_for_permission(*, actor: User, unit: Unit, client: ClientInfo) -> PermissionApplication:
    if unit.status == UnitStatus.approved:
        raise Conflict("单位权限已开通，无需再次申请", code="already_approved")
    if unit.status == UnitStatus.pending:
        raise Conflict("权限申请已提交，正在审核中", code="application_pending")
    check = await _auto_check(unit)
    reviewer = await hr_bureau_for_region(unit.region_code)
    application = PermissionApplication(unit_id=unit.id, reviewer_unit_id=reviewer.id if reviewer else None,
                                        unit_snapshot=application_snapshot(unit), auto_check=check,
                                        submitted_by=actor.id)

    async def work(session) -> None:
        moved = await Unit.get_pymongo_collection().update_one(
            {"_id": unit.id, "status": {"$in": [UnitStatus.registered, UnitStatus.rejected]}},
            {"$set": {"status": UnitStatus.pending}, "$inc": {"version": 1}}, session=session)
        if moved.matched_count != 1:
            raise Conflict("权限申请已提交，正在审核中", code="application_pending")
        await application.insert(session=session)

    await db.in_transaction(work)
    await audit.record(AuditKind.permission_applied, client=client, actor=actor, unit_id=unit.id,
                       auto_check_passed=check.passed)
    return application


async def applications_query(user: User) -> dict | None:
    if user.has_role(Role.sysadmin):
        return None
    return {"$or": [{"reviewer_unit_id": {"$in": user.unit_ids_for(Role.hr_handler, Role.unit_admin)}},
                    {"unit_id": {"$in": user.unit_ids_for(Role.unit_admin)}}]}


async def list_applications(*, actor: User, status: ApplicationStatus | None = None,
                            for_review: bool = False) -> list[PermissionApplication]:
    query: dict = {}
    if for_review and not actor.has_role(Role.sysadmin):
        query["reviewer_unit_id"] = {"$in": actor.unit_ids_for(Role.hr_handler)}
    else:
        scope = await applications_query(actor)
        if scope is not None:
            query.update(scope)
    if status:
        query["status"] = status
    return await PermissionApplication.find(query).sort("-submitted_at").limit(500).to_list()


async def decide_application(*, actor: User, application_id: PydanticObjectId, decision: PermissionDecision,
                             client: ClientInfo) -> PermissionApplication:
    application = await PermissionApplication.get(application_id)
    reviewer_ok = application is not None and (
        actor.has_role(Role.sysadmin)
        or (application.reviewer_unit_id is not None and actor.has_role(Role.hr_handler, application.reviewer_unit_id)))
    if not reviewer_ok:
        raise NotFound("权限申请不存在", code="application_not_found")
    if not decision.approve and not (decision.reason or "").strip():
        raise ValidationFailed("审核不通过须填写原因", field="reason", code="reason_required")
    new_status = ApplicationStatus.approved if decision.approve else ApplicationStatus.rejected
    now = utcnow()

    async def work(session) -> None:
        decided = await PermissionApplication.get_pymongo_collection().update_one(
            {"_id": application.id, "status": ApplicationStatus.pending},
            {"$set": {"status": new_status, "decided_by": actor.id, "decided_at": now,
                      "reason": (decision.reason or "").strip() or None}}, session=session)
        if decided.matched_count != 1:
            raise Conflict("该申请已审核", code="already_decided")
        unit_set: dict = {"status": UnitStatus.approved if decision.approve else UnitStatus.rejected}
        if decision.approve:
            unit_set["approved_at"] = now
        await Unit.get_pymongo_collection().update_one({"_id": application.unit_id},
                                                       {"$set": unit_set, "$inc": {"version": 1}}, session=session)

    await db.in_transaction(work)
    await audit.record(AuditKind.permission_decided, client=client, actor=actor, unit_id=application.unit_id,
                       approved=decision.approve, reason=decision.reason)
    decided = await PermissionApplication.get(application.id)
    await _tell_unit(decided)
    return decided


def decision_message(application: PermissionApplication) -> tuple[str, str]:
    """(subject, body) of what the unit is told about its permission application's decision."""
    name = application.unit_snapshot.get("name") or "贵单位"
    if application.status == ApplicationStatus.approved:
        return ("职称申报系统：单位权限已开通",
                f"{name}的职称申报权限申请已审核通过，请登录单位账号设置上报路径、添加经办人后开展申报工作。")
    return ("职称申报系统：单位权限申请未通过",
            f"{name}的职称申报权限申请未通过审核，原因：{application.reason}。请登录单位账号修改单位信息后重新申请。")


async def _tell_unit(application: PermissionApplication) -> None:
    """Texts and mails the unit's contact (the phone and email it registered); the decision stands whatever
    the gateway does, so a failure is logged, never raised."""
    unit = await Unit.get(application.unit_id)
    if unit is None:
        return
    subject, body = decision_message(application)
    for channel, to in (("sms", unit.contact_phone), ("email", unit.contact_email)):
        if not to:
            continue
        try:
            await messaging.send(channel=channel, to=to, subject=subject, body=body, user_id=application.submitted_by)
        except Exception:
            log.exception("permission decision message by %s to unit %s failed", channel, unit.id)


async def search_approved(q: str, *, limit: int = 20) -> list[Unit]:
    """Fuzzy search by name among approved units (a case-insensitive substring match)."""
    q = q.strip()
    if not q:
        return []
    return await Unit.find({"status": UnitStatus.approved, "name": {"$regex": re.escape(q), "$options": "i"}}
                           ).sort("name").limit(limit).to_list()


async def tree(*, actor: User) -> list[UnitTreeNode]:
    """The readable units as a forest: each unit under its parent when the parent is readable too."""
    scope = await readable_units_query(actor)
    units = await Unit.find(scope or {}).sort("name").to_list()
    nodes = {u.id: UnitTreeNode(id=str(u.id), name=u.name, category_label=UNIT_CATEGORY_LABELS[u.category],
                                status=u.status, status_label=UNIT_STATUS_LABELS[u.status],
                                region_code=u.region_code) for u in units}
    roots = []
    for unit in units:
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent.children if parent else roots).append(nodes[unit.id])
    return roots


UNIT_DOCUMENTS = {"licence": "营业执照或登记证书", "seal": "单位公章印模"}
UNIT_DOCUMENT_KINDS = {"pdf", "jpeg", "png", "gif"}
UNIT_DOCUMENT_MAX_BYTES = 5 * 1024 * 1024


async def attach_document(*, actor: User, unit: Unit, kind: str, upload, client: ClientInfo) -> Unit:
    """Stores a scan of the licence or seal; the previous scan is removed once the new one is referenced."""
    if unit.status == UnitStatus.pending and not actor.has_role(Role.sysadmin):
        raise Conflict("权限申请审核中，暂不能更换材料", code="application_pending")
    stored = await files.store_upload(upload, allowed=UNIT_DOCUMENT_KINDS, max_bytes=UNIT_DOCUMENT_MAX_BYTES,
                                      field="file", metadata={"owner": "unit", "unit_id": unit.id, "kind": kind})
    previous = getattr(unit, kind)
    result = await Unit.get_pymongo_collection().update_one(
        {"_id": unit.id, "version": unit.version},
        {"$set": {kind: stored.model_dump()}, "$inc": {"version": 1}})
    if result.matched_count != 1:
        await files.delete_file(stored.file_id)
        raise Moved("单位信息已被他人修改，请刷新后重试")
    if previous:
        await files.delete_file(previous.file_id)
    await audit.record(AuditKind.unit_updated, client=client, actor=actor, unit_id=unit.id, document=kind)
    return await Unit.get(unit.id)
