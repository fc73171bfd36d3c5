"""What the unit hears about its permission application, and what the reviewer's card shows of it (the demo's
pending company included)."""

from app.messaging.models import OutboxMessage
from app.units.models import PermissionApplication
from app.units.enums import UnitStatus
from tests.factories import create_hr_bureau, create_unit, login


async def demo_login(client, login_name: str) -> None:
    """Signs in as a demo account, with cookies as a browser does."""
    client.cookies.clear()
    r = await client.post("/api/auth/login", json={"login": login_name, "password": "Demo@2026"})
    assert r.status_code == 200, r.text


async def test_the_company_is_told_of_a_refusal_and_of_an_approval(client):
    bureau, bureau_account = await create_hr_bureau()
    unit, account = await create_unit(status=UnitStatus.registered, parent=bureau, contact_email="hr@example.cn")
    headers, hr = await login(client, account), await login(client, bureau_account)
    first = (await client.post(f"/api/units/{unit.id}/permission-application", headers=headers)).json()["id"]
    r = await client.post(f"/api/permission-applications/{first}/decision",
                          json={"approve": False, "reason": "营业执照不清晰"}, headers=hr)
    assert r.status_code == 200
    refused = await OutboxMessage.find({"to": {"$in": [unit.contact_phone, unit.contact_email]}}).to_list()
    assert sorted(m.channel for m in refused) == ["email", "sms"]
    assert all("未通过" in m.subject and "营业执照不清晰" in m.body for m in refused)

    second = (await client.post(f"/api/units/{unit.id}/permission-application", headers=headers)).json()["id"]
    assert (await client.post(f"/api/permission-applications/{second}/decision", json={"approve": True},
                              headers=hr)).status_code == 200
    sms = await OutboxMessage.find({"to": unit.contact_phone}).sort("created_at").to_list()
    assert len(sms) == 2 and "已开通" in sms[-1].subject and unit.name in sms[-1].body


async def test_a_failed_decision_sends_nothing(client):
    bureau, bureau_account = await create_hr_bureau()
    unit, account = await create_unit(status=UnitStatus.registered, parent=bureau)
    application = (await client.post(f"/api/units/{unit.id}/permission-application",
                                     headers=await login(client, account))).json()["id"]
    r = await client.post(f"/api/permission-applications/{application}/decision", json={"approve": False},
                          headers=await login(client, bureau_account))
    assert r.status_code == 422
    assert await OutboxMessage.find({"to": unit.contact_phone}).count() == 0


async def test_the_demo_application_card_shows_the_representative_and_contact(client):
    from app import seed

    await seed.seed(demo=True)
    application = await PermissionApplication.find_one({})
    snap = application.unit_snapshot
    assert snap["legal_representative"] and snap["contact_name"]
    await demo_login(client, "lxrsj")
    page = (await client.get("/review/permissions")).text
    card = page[page.index("法定代表人"):page.index("单位地址")]
    assert snap["legal_representative"] in card and snap["contact_name"] in card and "—" not in card


async def test_the_demo_has_an_archivist_who_sees_the_archive_page(client):
    from app import seed
    from app.accounts.models import User

    await seed.seed(demo=True)
    archivist = await User.find_one({"login_key": "dangan"})
    assert [g.role for g in archivist.roles] == ["applicant", "archivist"]
    await demo_login(client, "dangan")
    assert (await client.get("/archives")).status_code == 200
