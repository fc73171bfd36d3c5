"""A unit's staff: inviting persons (linked only when they accept), sub-accounts singly and in batch, enabling, resets, roles, deletion."""

import asyncio
from datetime import timedelta

from beanie import PydanticObjectId

from app import clock, db
from app.accounts.models import AuditEvent, User
from app.dossiers import writes
from app.units.enums import UnitCategory, UnitStatus
from app.units.models import StaffInvitation, Unit
from tests.factories import PASSWORD, create_person, create_unit, login, person_payload, resident_id


async def admin_of_approved_unit(client, **kwargs):
    unit, account = await create_unit(**kwargs)
    return unit, await login(client, account)


def spec(**overrides) -> dict:
    row = {"name": "赵六", "id_type": "resident", "id_number": resident_id(), "phone": "13700000001"}
    row.update(overrides)
    return row


async def link(client, unit, unit_headers, person, **body) -> None:
    """The consented link: the unit invites by ID number, the person accepts from their own account."""
    r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number, **body},
                          headers=unit_headers)
    assert r.status_code == 202, r.text
    own = await login(client, person)
    invitation = next(i for i in (await client.get("/api/me/invitations", headers=own)).json()
                      if i["unit_id"] == str(unit.id))
    r = await client.post(f"/api/me/invitations/{invitation['id']}/accept", headers=own)
    assert r.status_code == 200, r.text


def roles_of(user: User) -> list[tuple]:
    return [(g.role, g.unit_id) for g in user.roles]


class TestInviteStaff:
    async def test_invitation_accepted_from_the_persons_own_account(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number.lower()},
                              headers=headers)
        assert r.status_code == 202, r.text
        body = r.json()
        assert set(body) == {"message", "id_number", "role", "role_label"} and body["role"] == "unit_handler"
        assert body["id_number"] != person.id_number and body["id_number"].endswith(person.id_number[-4:])
        for secret in (person.name, person.login, person.email, person.phone, str(person.id)):
            assert secret not in r.text
        assert roles_of(await User.get(person.id)) == [("applicant", None)]          # nothing granted yet
        staff = (await client.get(f"/api/units/{unit.id}/staff", headers=headers)).json()
        assert person.name not in {m["name"] for m in staff}
        pending = (await client.get(f"/api/units/{unit.id}/invitations", headers=headers)).json()
        assert [(i["id_number"], i["role"]) for i in pending] == [(body["id_number"], "unit_handler")]
        assert person.name not in str(pending)

        own = await login(client, person)
        mine = (await client.get("/api/me/invitations", headers=own)).json()
        assert [(i["unit_name"], i["role_label"]) for i in mine] == [(unit.name, "单位经办人")]
        r = await client.post(f"/api/me/invitations/{mine[0]['id']}/accept", headers=own)
        assert r.status_code == 200 and (unit.name, "单位经办人") in {(g["unit_name"], g["role_label"])
                                                                 for g in r.json()["roles"]}
        stored = await User.get(person.id)
        assert stored.has_role("unit_handler", unit.id) and stored.has_role("applicant")
        assert (await client.get("/api/me/invitations", headers=own)).json() == []
        assert (await client.get(f"/api/units/{unit.id}/invitations", headers=headers)).json() == []
        staff = (await client.get(f"/api/units/{unit.id}/staff", headers=headers)).json()
        assert person.name in {m["name"] for m in staff}
        for kind in ("staff_invited", "invitation_accepted", "role_granted"):
            assert await AuditEvent.find_one({"kind": kind, "unit_id": unit.id}), kind

    async def test_same_answer_whether_or_not_the_id_number_is_registered(self, client):
        unit, headers = await admin_of_approved_unit(client)
        registered, linked = await create_person(), await create_person()
        await link(client, unit, headers, linked)
        answers = []
        for id_number in (registered.id_number, resident_id(), linked.id_number):
            r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": id_number}, headers=headers)
            masked = r.json()["id_number"]
            answers.append((r.status_code, r.text.replace(masked, "<masked>")))
        assert answers[0] == answers[1] == answers[2] and answers[0][0] == 202
        pending = (await client.get(f"/api/units/{unit.id}/invitations", headers=headers)).json()
        assert len(pending) == 3                  # the unregistered number is listed like the others
        assert await StaffInvitation.find({"id_number_masked": {"$exists": True}}).count() == 3
        assert not await StaffInvitation.find_one({"id_number": {"$exists": True}})   # numbers kept hashed only

    async def test_invitation_waits_for_a_person_who_registers_later(self, client):
        unit, headers = await admin_of_approved_unit(client)
        later = person_payload()
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": later["id_number"]}, headers=headers)
        assert r.status_code == 202
        assert (await client.post("/api/auth/register", json=later)).status_code == 201
        own = await login(client, later["login"])
        assert [i["unit_name"] for i in (await client.get("/api/me/invitations", headers=own)).json()] == [unit.name]

    async def test_decline(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number}, headers=headers)
        own = await login(client, person)
        invitation = (await client.get("/api/me/invitations", headers=own)).json()[0]
        assert (await client.post(f"/api/me/invitations/{invitation['id']}/decline", headers=own)).status_code == 204
        assert roles_of(await User.get(person.id)) == [("applicant", None)]
        assert (await client.get(f"/api/units/{unit.id}/invitations", headers=headers)).json() == []
        r = await client.post(f"/api/me/invitations/{invitation['id']}/accept", headers=own)
        assert r.status_code == 404 and r.json()["code"] == "invitation_not_found"
        assert await AuditEvent.find_one({"kind": "invitation_declined", "user_id": person.id})

    async def test_unit_cancels(self, client):
        unit, headers = await admin_of_approved_unit(client)
        other_unit, other_headers = await admin_of_approved_unit(client)
        person = await create_person()
        await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number}, headers=headers)
        invitation = (await client.get(f"/api/units/{unit.id}/invitations", headers=headers)).json()[0]
        for path, who in ((f"/api/units/{unit.id}/invitations/{invitation['id']}", other_headers),
                          (f"/api/units/{other_unit.id}/invitations/{invitation['id']}", other_headers)):
            assert (await client.delete(path, headers=who)).status_code == 404
        assert (await client.get(f"/api/units/{unit.id}/invitations", headers=other_headers)).status_code == 404
        path = f"/api/units/{unit.id}/invitations/{invitation['id']}"
        assert (await client.delete(path, headers=headers)).status_code == 204
        assert (await client.delete(path, headers=headers)).status_code == 404
        own = await login(client, person)
        assert (await client.get("/api/me/invitations", headers=own)).json() == []
        r = await client.post(f"/api/me/invitations/{invitation['id']}/accept", headers=own)
        assert r.status_code == 404
        assert roles_of(await User.get(person.id)) == [("applicant", None)]
        assert await AuditEvent.find_one({"kind": "invitation_cancelled", "unit_id": unit.id})

    async def test_invitation_expires(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number}, headers=headers)
        own = await login(client, person)
        invitation = (await client.get("/api/me/invitations", headers=own)).json()[0]
        stored = await StaffInvitation.get(invitation["id"])
        assert stored.expires_at - stored.invited_at == timedelta(days=30)
        indexes = await StaffInvitation.get_pymongo_collection().index_information()
        assert any(i["key"] == [("expires_at", 1)] and i.get("expireAfterSeconds") == 0 for i in indexes.values())
        clock.advance(timedelta(days=30, seconds=1).total_seconds())
        own = await login(client, person)
        assert (await client.get("/api/me/invitations", headers=own)).json() == []
        assert (await client.get(f"/api/units/{unit.id}/invitations",
                                 headers=await login(client, (await User.find_one({"unit_id": unit.id})))
                                 )).json() == []
        r = await client.post(f"/api/me/invitations/{invitation['id']}/accept", headers=own)
        assert r.status_code == 404
        assert roles_of(await User.get(person.id)) == [("applicant", None)]

    async def test_only_the_invited_person_may_answer(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person, stranger = await create_person(), await create_person()
        await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number}, headers=headers)
        invitation = (await client.get(f"/api/units/{unit.id}/invitations", headers=headers)).json()[0]
        for who in (await login(client, stranger), headers):      # another person, the inviting unit itself
            assert (await client.get("/api/me/invitations", headers=who)).json() == []
            for answer in ("accept", "decline"):
                r = await client.post(f"/api/me/invitations/{invitation['id']}/{answer}", headers=who)
                assert r.status_code == 404, answer
        assert roles_of(await User.get(stranger.id)) == [("applicant", None)]
        assert await StaffInvitation.get(invitation["id"]) is not None

    async def test_two_accepts_at_once_grant_the_role_once(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number}, headers=headers)
        own = await login(client, person)
        invitation = (await client.get("/api/me/invitations", headers=own)).json()[0]
        path = f"/api/me/invitations/{invitation['id']}/accept"
        answers = await asyncio.gather(client.post(path, headers=own), client.post(path, headers=own))
        assert sorted(r.status_code for r in answers) == [200, 404]
        assert roles_of(await User.get(person.id)).count(("unit_handler", unit.id)) == 1

    async def test_unit_no_longer_approved(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number}, headers=headers)
        await Unit.get_pymongo_collection().update_one({"_id": unit.id}, {"$set": {"status": "rejected"}})
        own = await login(client, person)
        invitation = (await client.get("/api/me/invitations", headers=own)).json()[0]
        r = await client.post(f"/api/me/invitations/{invitation['id']}/accept", headers=own)
        assert r.status_code == 409 and r.json()["code"] == "unit_not_approved"
        assert roles_of(await User.get(person.id)) == [("applicant", None)]

    async def test_role_not_for_this_unit(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number,
                                                                   "role": "hr_handler"}, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "role"
        assert await StaffInvitation.find_all().count() == 0

    async def test_another_units_staff_is_not_found(self, client):
        unit, _ = await create_unit()
        _, other_headers = await admin_of_approved_unit(client)
        assert (await client.get(f"/api/units/{unit.id}/staff", headers=other_headers)).status_code == 404
        person = await create_person()
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number},
                              headers=other_headers)
        assert r.status_code == 404
        assert await StaffInvitation.find_all().count() == 0

    async def test_handler_of_the_unit_is_not_its_administrator(self, client):
        unit, _ = await create_unit()
        handler = await create_person()
        await User.get_pymongo_collection().update_one(
            {"_id": handler.id}, {"$push": {"roles": {"role": "unit_handler", "unit_id": unit.id}}})
        handler_headers = await login(client, handler)
        for r in (await client.get(f"/api/units/{unit.id}/staff", headers=handler_headers),
                  await client.get(f"/api/units/{unit.id}/invitations", headers=handler_headers)):
            assert r.status_code == 403 and r.json()["code"] == "not_unit_admin"

    async def test_anonymous(self, client):
        unit, _ = await create_unit()
        for method, path in (("GET", f"/api/units/{unit.id}/staff"), ("GET", f"/api/units/{unit.id}/invitations"),
                             ("GET", "/api/me/invitations"),
                             ("POST", "/api/me/invitations/0123456789abcdef01234567/accept")):
            assert (await client.request(method, path)).status_code == 401, path


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
        await writes.refresh(declared.inserted_id)
        r = await client.delete(f"/api/units/{unit.id}/staff/{created['user_id']}", headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "has_declarations"
        assert await User.get(created["user_id"]) is not None

    async def test_linked_person_is_unlinked_not_deleted(self, client):
        unit, headers = await admin_of_approved_unit(client)
        person = await create_person()
        await link(client, unit, headers, person)
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
        await link(client, unit, headers, person)
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


class TestInvitationPlans:
    async def test_each_read_uses_an_index(self):
        """SecantusDB's planner scans for any filter an index does not cover whole (even `_id` with another
        field), so invitations are read by one indexed equality and checked in code."""
        for query, sort in (({"id_number_digest": "d" * 64}, {"invited_at": -1}),
                            ({"unit_id": PydanticObjectId()}, {"invited_at": -1}), ({"_id": PydanticObjectId()}, None)):
            plan = await db.current().db.command(
                "explain", {"find": "staff_invitations", "filter": query, **({"sort": sort} if sort else {})},
                verbosity="queryPlanner")
            winning = str(plan["queryPlanner"]["winningPlan"])
            assert "IXSCAN" in winning or "IDHACK" in winning, (query, winning)
            assert "COLLSCAN" not in winning, (query, winning)
