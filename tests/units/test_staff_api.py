"""A unit's staff: linking persons, sub-accounts singly and in batch, enabling, resets, roles, deletion."""

from beanie import PydanticObjectId

from app import db
from app.accounts.models import AuditEvent, User
from app.dossiers import rows
from app.units.enums import UnitCategory, UnitStatus
from tests.factories import PASSWORD, create_person, create_unit, login, resident_id


async def admin_of_approved_unit(client, **kwargs):
    unit, account = await create_unit(**kwargs)
    return unit, await login(client, account)


def spec(**overrides) -> dict:
    row = {"name": "赵六", "id_type": "resident", "id_number": resident_id(), "phone": "13700000001"}
    row.update(overrides)
    return row


class TestLinkStaff:
    async def test_link_a_registered_person_by_id_number(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number.lower()},
                              headers=headers)
        assert r.status_code == 201, r.text
        assert r.json()["id_number"] != person.id_number          # masked in staff views
        assert r.json()["id_number"].endswith(person.id_number[-4:])
        stored = await User.get(person.id)
        assert stored.has_role("unit_handler", unit.id) and stored.has_role("applicant")
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number}, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "already_linked"
        staff = (await client.get(f"/api/units/{unit.id}/staff", headers=headers)).json()
        assert person.name in {m["name"] for m in staff}
        assert await AuditEvent.find_one({"kind": "role_granted", "user_id": person.id})

    async def test_unregistered_id_number(self, client):
        unit, headers = await admin_of_approved_unit(client)
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": resident_id()}, headers=headers)
        assert r.status_code == 404 and r.json()["field"] == "id_number"

    async def test_role_not_for_this_unit(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number,
                                                                   "role": "hr_handler"}, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "role"
        assert [(g.role, g.unit_id) for g in (await User.get(person.id)).roles] == [("applicant", None)]

    async def test_another_units_staff_is_not_found(self, client):
        unit, _ = await create_unit()
        _, other_headers = await admin_of_approved_unit(client)
        assert (await client.get(f"/api/units/{unit.id}/staff", headers=other_headers)).status_code == 404
        person = await create_person()
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number},
                              headers=other_headers)
        assert r.status_code == 404
        assert [(g.role, g.unit_id) for g in (await User.get(person.id)).roles] == [("applicant", None)]

    async def test_handler_of_the_unit_is_not_its_administrator(self, client):
        unit, _ = await create_unit()
        handler = await create_person()
        await User.get_pymongo_collection().update_one(
            {"_id": handler.id}, {"$push": {"roles": {"role": "unit_handler", "unit_id": unit.id}}})
        r = await client.get(f"/api/units/{unit.id}/staff", headers=await login(client, handler))
        assert r.status_code == 403 and r.json()["code"] == "not_unit_admin"

    async def test_anonymous(self, client):
        unit, _ = await create_unit()
        assert (await client.get(f"/api/units/{unit.id}/staff")).status_code == 401


class TestSubAccounts:
    async def test_batch_creation_and_first_login(self, client):
        unit, headers = await admin_of_approved_unit(client)
        rows = [spec(name="赵六"), spec(name="钱七", role="unit_handler")]
        r = await client.post(f"/api/units/{unit.id}/sub-accounts", json={"accounts": rows}, headers=headers)
        assert r.status_code == 201, r.text
        created = r.json()
        assert [c["name"] for c in created] == ["赵六", "钱七"]
        assert created[0]["login"] != created[1]["login"]
        first = await login(client, created[0]["login"], created[0]["initial_password"])
        r = await client.get("/api/units/tree", headers=first)
        assert r.json()["code"] == "password_change_required"
        r = await client.post("/api/auth/password", json={"old_password": created[0]["initial_password"],
                                                         "new_password": "Mine1234!"}, headers=first)
        assert r.status_code == 204
        handler = await User.get(created[1]["user_id"])
        assert handler.has_role("unit_handler", unit.id) and handler.unit_id == unit.id
        # the ID number logs in too
        await login(client, rows[0]["id_number"], "Mine1234!")

    async def test_bad_row_refuses_the_whole_batch(self, client):
        unit, headers = await admin_of_approved_unit(client)
        before = await User.find_all().count()
        duplicate = resident_id()
        rows = [spec(id_number=duplicate), spec(), spec(id_number=duplicate)]
        r = await client.post(f"/api/units/{unit.id}/sub-accounts", json={"accounts": rows}, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "accounts.2.id_number"
        existing = await create_person()
        rows = [spec(), spec(id_number=existing.id_number)]
        r = await client.post(f"/api/units/{unit.id}/sub-accounts", json={"accounts": rows}, headers=headers)
        assert r.status_code == 409 and r.json()["field"] == "accounts.1.id_number"
        rows = [spec(), spec(id_number="110105194912310021")]      # bad check character
        r = await client.post(f"/api/units/{unit.id}/sub-accounts", json={"accounts": rows}, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "accounts.1.id_number"
        assert await User.find_all().count() == before + 1          # only the person made above

    async def test_disable_reset_and_delete(self, client):
        unit, headers = await admin_of_approved_unit(client)
        created = (await client.post(f"/api/units/{unit.id}/sub-accounts", json={"accounts": [spec()]},
                                     headers=headers)).json()[0]
        member = f"/api/units/{unit.id}/staff/{created['user_id']}"
        own_headers = await login(client, created["login"], created["initial_password"])
        r = await client.patch(member, json={"enabled": False}, headers=headers)
        assert r.status_code == 200 and r.json()["enabled"] is False
        assert (await client.get("/api/me", headers=own_headers)).status_code == 401
        r = await client.post("/api/auth/login", json={"login": created["login"],
                                                      "password": created["initial_password"]})
        assert r.json()["code"] == "account_disabled"
        await client.patch(member, json={"enabled": True}, headers=headers)
        r = await client.post(f"{member}/reset-password", headers=headers)
        assert r.status_code == 200
        await login(client, created["login"], r.json()["initial_password"])
        assert (await client.delete(member, headers=headers)).status_code == 204
        assert await User.get(created["user_id"]) is None
        assert await AuditEvent.find_one({"kind": "account_deleted", "user_id": PydanticObjectId(created["user_id"])})

    async def test_sub_account_with_declarations_can_only_be_disabled(self, client):
        unit, headers = await admin_of_approved_unit(client)
        created = (await client.post(f"/api/units/{unit.id}/sub-accounts", json={"accounts": [spec()]},
                                     headers=headers)).json()[0]
        declared = await db.current().db["dossiers"].insert_one({"applicant_id": PydanticObjectId(created["user_id"]),
                                                                 "version": 1})
        await rows.refresh(declared.inserted_id)
        r = await client.delete(f"/api/units/{unit.id}/staff/{created['user_id']}", headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "has_declarations"
        assert await User.get(created["user_id"]) is not None

    async def test_linked_person_is_unlinked_not_deleted(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number}, headers=headers)
        r = await client.patch(f"/api/units/{unit.id}/staff/{person.id}", json={"enabled": False}, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "not_sub_account"
        assert (await client.delete(f"/api/units/{unit.id}/staff/{person.id}", headers=headers)).status_code == 204
        stored = await User.get(person.id)
        assert stored is not None and not stored.has_role("unit_handler", unit.id)
        await login(client, person, PASSWORD)

    async def test_grant_and_revoke_roles(self, client):
        unit, headers = await admin_of_approved_unit(client, category=UnitCategory.city_department,
                                                      region_code="370100")
        person = await create_person()
        await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number}, headers=headers)
        assert (await User.get(person.id)).has_role("dept_handler", unit.id)
        r = await client.post(f"/api/units/{unit.id}/staff/{person.id}/roles", json={"role": "committee_senior"},
                              headers=headers)
        assert r.status_code == 200 and "高评办经办人" in {g["role_label"] for g in r.json()["roles"]}
        r = await client.post(f"/api/units/{unit.id}/staff/{person.id}/roles", json={"role": "sysadmin"},
                              headers=headers)
        assert r.status_code == 422
        r = await client.delete(f"/api/units/{unit.id}/staff/{person.id}/roles/committee_senior", headers=headers)
        assert r.status_code == 200
        assert not (await User.get(person.id)).has_role("committee_senior", unit.id)
        r = await client.delete(f"/api/units/{unit.id}/staff/{person.id}/roles/committee_senior", headers=headers)
        assert r.status_code == 404

    async def test_unapproved_unit(self, client):
        unit, headers = await admin_of_approved_unit(client, status=UnitStatus.rejected)
        r = await client.post(f"/api/units/{unit.id}/sub-accounts", json={"accounts": [spec()]}, headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "unit_not_approved"
