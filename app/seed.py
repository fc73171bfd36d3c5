"""Dictionaries and demo data from fixtures/; every step is an upsert, so seeding twice changes nothing.
Outside dev/test only the dictionaries are loaded: the demo logins (admin/Admin@2026 …) are public."""

import json
from collections.abc import Callable
from datetime import timedelta

from app.accounts.enums import AccountKind, Role
from app.accounts.models import RoleGrant, User
from app.accounts.secrets import hash_password
from app.catalog import service as catalog
from app.catalog.batches import DEFAULT_COMMITMENT
from app.catalog.models import Batch
from app.clock import utcnow
from app.config import PROJECT_ROOT
from app.catalog.committees import sync_committees
from app.catalog.models import Committee
from app.units.enums import ApplicationStatus, UnitCategory, UnitStatus, handler_role_for
from app.units import service as units_service
from app.units.models import AutoCheck, PermissionApplication, Unit
from app.personnel import demo as personnel_demo

DEMO = PROJECT_ROOT / "fixtures" / "demo.json"


def demo_data() -> dict:
    return json.loads(DEMO.read_text(encoding="utf-8"))


async def create_admin(login: str, password: str, name: str = "系统管理员") -> User:
    from app.accounts.service import check_password_policy

    check_password_policy(password, login=login)
    user = await User.find_one(User.login_key == login.lower())
    if user is None:
        user = User(login=login, login_key=login.lower(), kind=AccountKind.person, name=name,
                    password_hash=await hash_password(password), roles=[RoleGrant(role=Role.sysadmin)])
        await user.insert()
    else:
        await User.get_pymongo_collection().update_one({"_id": user.id}, {"$set": {
            "password_hash": await hash_password(password), "locked_until": None, "enabled": True},
            "$addToSet": {"roles": RoleGrant(role=Role.sysadmin).model_dump()}})
    return user


async def _seed_units(units: list[dict]) -> dict[str, Unit]:
    by_key: dict[str, Unit] = {}
    for spec in units:
        parent = by_key.get(spec.get("parent"))
        unit = await Unit.find_one({"credit_code": spec["credit_code"], "parent_id": parent.id if parent else None})
        if unit is None:
            status = UnitStatus(spec["status"])
            unit = Unit(name=spec["name"], credit_code=spec["credit_code"], category=UnitCategory(spec["category"]),
                        nature=spec["nature"], industry=spec.get("industry"), region_code=spec["region_code"],
                        legal_representative=spec["legal_representative"], contact_name=spec["contact_name"],
                        contact_phone=spec["contact_phone"], parent_id=parent.id if parent else None,
                        ancestors=(parent.ancestors + [parent.id]) if parent else [], status=status,
                        approved_at=utcnow() if status == UnitStatus.approved else None, created_via="seed")
            await unit.insert()
            if status == UnitStatus.pending:
                await PermissionApplication(
                    unit_id=unit.id, reviewer_unit_id=parent.id if parent else None,
                    unit_snapshot=units_service.application_snapshot(unit),
                    auto_check=AutoCheck(passed=True), status=ApplicationStatus.pending,
                    submitted_by=unit.id).insert()
        by_key[spec["key"]] = unit
        if await User.find_one(User.login_key == spec["login"].lower()) is None:
            account = await units_service.unit_account(unit=unit, login=spec["login"], password=spec["password"],
                                                       must_change=False)
            await account.insert()
    return by_key


async def _seed_persons(persons: list[dict], units: dict[str, Unit]) -> None:
    for spec in persons:
        if await User.find_one({"$or": [{"login_key": spec["login"].lower()}, {"id_number": spec["id_number"]}]}):
            continue
        roles = [RoleGrant(role=Role.applicant)]
        if spec.get("handler_of"):
            unit = units[spec["handler_of"]]
            roles.append(RoleGrant(role=handler_role_for(unit.category), unit_id=unit.id))
        roles += [RoleGrant(role=Role(g["role"]), unit_id=units[g["unit"]].id) for g in spec.get("roles", [])]
        await User(login=spec["login"], login_key=spec["login"].lower(), kind=AccountKind.person, name=spec["name"],
                   id_type="resident", id_number=spec["id_number"], phone=spec["phone"], email=spec.get("email"),
                   password_hash=await hash_password(spec["password"]), roles=roles).insert()


async def _seed_batches(batches: list[dict]) -> None:
    """Open around today, so the demo always has somewhere to declare."""
    now = utcnow()
    for spec in batches:
        if await Batch.find_one({"name": spec["name"], "year": now.year}):
            continue
        await Batch(year=now.year, name=spec["name"], kind=spec["kind"], series=spec["series"],
                    levels=spec["levels"], committee=spec["committee"], region_code=spec["region_code"],
                    opens_at=now - timedelta(days=spec["open_days_before"]),
                    closes_at=now + timedelta(days=spec["close_days_after"]), notice=spec["notice"],
                    commitment_text=DEFAULT_COMMITMENT).insert()


async def _seed_committee_offices(offices: list[dict], units: dict[str, Unit]) -> None:
    """Committees from the dictionary; the demo offices only where none is set yet."""
    await sync_committees()
    for spec in offices:
        await Committee.get_pymongo_collection().update_one(
            {"code": spec["committee"], "office_unit_id": None}, {"$set": {"office_unit_id": units[spec["unit"]].id}})


async def _seed_paths(specs: list[dict], units: dict[str, Unit]) -> None:
    """Active reporting paths, so a demo dossier can go from the employer to the committee."""
    from app.catalog.models import Committee
    from app.routing.models import Path, PathStatus

    for spec in specs:
        unit = units[spec["unit"]]
        if await Path.find_one({"unit_id": unit.id, "series": spec["series"], "level": spec["level"],
                                "status": PathStatus.active}):
            continue
        if "committee" in spec:
            committee = await Committee.find_one(Committee.code == spec["committee"])
            target = {"target_kind": "committee", "committee_code": committee.code, "target_name": committee.name}
        else:
            upper = units[spec["target_unit"]]
            target = {"target_kind": "unit", "target_unit_id": upper.id, "target_name": upper.name}
        await Path(unit_id=unit.id, unit_name=unit.name, series=spec["series"], level=spec["level"],
                   status=PathStatus.active, applied_by=unit.id, decided_at=utcnow(), **target).insert()


async def seed(*, demo: bool, progress: Callable[[str], None] = lambda step: None) -> None:
    """Dictionaries (and the committees they list) always; the demo accounts, units and batches only when asked.
    `progress` hears each step as it starts (the first serve prints them: it is otherwise silent a while)."""
    progress("加载字典（系列、级别、职称、专业、地区……） / loading dictionaries")
    await catalog.load_dictionaries()
    if not demo:
        await sync_committees()
        return
    data = demo_data()
    progress("生成演示账号与单位 / building demo accounts and units")
    await create_admin(data["admin"]["login"], data["admin"]["password"], data["admin"]["name"])
    units = await _seed_units(data["units"])
    await _seed_persons(data["persons"], units)
    progress("生成评委会、上报路径与申报批次 / building committees, paths and batches")
    await _seed_committee_offices(data.get("committee_offices", []), units)
    await _seed_paths(data.get("paths", []), units)
    await _seed_batches(data["batches"])
    progress("生成演示人员信息 / building demo personnel records")
    await personnel_demo.seed(unit_login="jnqyg", supervisor_login="jnwlj")


# How the printed demo logins describe a person by their extra roles (none: an applicant).
ROLE_LOGIN_LABELS = {("expert",): "评审专家", ("archivist",): "档案管理员"}


def print_demo_logins(address: str = "http://127.0.0.1:8000") -> None:
    data = demo_data()
    print(f"\n演示账号 / demo logins ({address}):")
    print(f"  系统管理员      {data['admin']['login']:<10} {data['admin']['password']}")
    for spec in data["units"]:
        print(f"  {spec['name']:<18} {spec['login']:<10} {spec['password']}")
    for spec in data["persons"]:
        roles = [grant["role"] for grant in spec.get("roles", [])]
        label = ROLE_LOGIN_LABELS.get(tuple(roles), "评委会办事机构" if roles else "申报人")
        print(f"  {label} {spec['name']:<{15 - len(label)}} {spec['login']:<10} {spec['password']}")
    print()
