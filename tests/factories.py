"""Plain async factories that build real records through the services or the models."""

import itertools

from app.accounts import captcha
from app.accounts.enums import AccountKind, Role
from app.accounts.models import RoleGrant, User
from app.accounts.secrets import hash_password
from app.accounts.validators import credit_code_check_char, resident_id_check_char
from app.units import service as units_service
from app.units.enums import UnitCategory, UnitStatus
from app.units.models import Unit

PASSWORD = "Passw0rd!x"
_seq = itertools.count(1)


def resident_id(birth: str = "19850315", region: str = "370102") -> str:
    first17 = f"{region}{birth}{next(_seq) % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def credit_code() -> str:
    first17 = f"91370102MA{next(_seq):07d}"
    return first17 + credit_code_check_char(first17)


def person_payload(**overrides) -> dict:
    n = next(_seq)
    payload = {"login": f"person{n}", "name": "王小明", "id_type": "resident", "id_number": resident_id(),
               "phone": f"139{n:08d}", "email": f"p{n}@example.cn", "password": PASSWORD}
    payload.update(overrides)
    return payload


def unit_payload(**overrides) -> dict:
    n = next(_seq)
    payload = {"name": f"济南测试科技有限公司{n}", "credit_code": credit_code(), "category": "county_private_enterprise",
               "nature": "05", "industry": "I", "region_code": "370102", "address": "济南市历下区经十路1号",
               "legal_representative": "赵法人", "contact_name": "钱联系", "contact_phone": f"137{n:08d}",
               "contact_email": f"unit{n}@example.cn", "login": f"unit{n}", "password": PASSWORD}
    payload.update(overrides)
    return payload


async def create_person(*, roles: list[RoleGrant] | None = None, **overrides) -> User:
    data = person_payload(**overrides)
    user = User(login=data["login"], login_key=data["login"].lower(), kind=AccountKind.person, name=data["name"],
                id_type=data["id_type"], id_number=data["id_number"], phone=data["phone"], email=data["email"],
                password_hash=await hash_password(data["password"]),
                roles=roles if roles is not None else [RoleGrant(role=Role.applicant)])
    await user.insert()
    return user


async def create_unit(*, parent: Unit | None = None, status: UnitStatus = UnitStatus.approved,
                      category: UnitCategory = UnitCategory.county_private_enterprise, region_code: str = "370102",
                      **overrides) -> tuple[Unit, User]:
    """A unit with its unit account (unit_admin and the category's handler role)."""
    n = next(_seq)
    unit = Unit(name=overrides.pop("name", f"测试单位{n}"), credit_code=overrides.pop("credit_code", credit_code()),
                category=category, nature=overrides.pop("nature", "05"), region_code=region_code,
                legal_representative="赵法人", contact_name="钱联系", contact_phone=f"136{n:08d}",
                parent_id=parent.id if parent else None,
                ancestors=(parent.ancestors + [parent.id]) if parent else [], status=status, **overrides)
    await unit.insert()
    account = await units_service.unit_account(unit=unit, login=f"unitacct{n}", password=PASSWORD, must_change=False)
    await account.insert()
    return unit, account


async def create_hr_bureau(*, region_code: str = "370102", parent: Unit | None = None,
                           category: UnitCategory = UnitCategory.county_hr_bureau) -> tuple[Unit, User]:
    return await create_unit(parent=parent, category=category, region_code=region_code, nature="01")


async def create_sysadmin() -> User:
    return await create_person(roles=[RoleGrant(role=Role.sysadmin)])


async def login(client, user_or_login, password: str = PASSWORD) -> dict:
    """Logs in through the API and returns bearer headers."""
    name = user_or_login if isinstance(user_or_login, str) else user_or_login.login
    response = await client.post("/api/auth/login", json={"login": name, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def solved_captcha(purpose: str = "login") -> dict:
    """A real captcha issued by the service; the test knows the answer the picture shows."""
    captcha_id, answer, _ = await captcha.issue(purpose)
    return {"captcha_id": str(captcha_id), "captcha_answer": answer}
