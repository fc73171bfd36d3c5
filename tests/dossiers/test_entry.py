"""录入申报: a unit's handler enters, fills, submits and deletes a dossier for a member of the unit's staff;
the applicant sees and edits it; the trail says who entered what; one account per ID number, races included;
other units' handlers find nothing."""

import asyncio

from bson import ObjectId

from app.accounts import service as accounts_service
from app.accounts.models import User
from app.accounts.secrets import hash_password
from app.dossiers.models import Dossier
from app.units.enums import UnitCategory
from tests.factories import (PASSWORD, bearer, complete_sections, create_batch, create_person, create_unit,
                             declaration_payload, fill_complete, grant, login, resident_id)

ENTRIES = "/api/dossiers/entries"


async def a_unit(name: str = "济南市群众艺术馆") -> dict:
    """An employer unit, its handler (a person holding the unit's handler role) and one employee, a sub-account
    of the unit made through the staff API."""
    unit, account = await create_unit(name=name, region_code="370100", category=UnitCategory.city_affiliated)
    handler = await create_person(name="李经办")
    await grant(handler, "unit_handler", unit)
    return {"unit": unit, "account": account, "handler": handler, "headers": await bearer(handler)}


async def an_employee(client, world: dict, name: str = "张员工") -> User:
    r = await client.post(f"/api/units/{world['unit'].id}/sub-accounts", headers=await bearer(world["account"]),
                          json={"accounts": [{"name": name, "id_number": resident_id("19880808")}]})
    assert r.status_code == 201, r.text
    user_id = ObjectId(r.json()[0]["user_id"])
    await User.get_pymongo_collection().update_one({"_id": user_id}, {"$set": {    # as after their first login
        "must_change_password": False, "password_hash": await hash_password(PASSWORD)}})
    return await User.get(user_id)


def entry_payload(batch, unit, **who) -> dict:
    return {**declaration_payload(batch, unit), **who}


async def trail(client, headers, dossier_id) -> list[dict]:
    r = await client.get(f"/api/dossiers/{dossier_id}/trail", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_unit_enters_and_submits_for_an_employee_who_sees_it_in_their_list(client):
    world = await a_unit()
    employee = await an_employee(client, world)
    batch = await create_batch()
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], user_id=str(employee.id)),
                          headers=world["headers"])
    assert r.status_code == 201, r.text
    assert r.json()["account"] is None                       # the existing account is linked
    dossier_id = r.json()["id"]
    assert r.json()["entered_by"]["by_name"] == "李经办"
    # The employee sees the draft in their own list and edits it while it is a draft.
    own = await bearer(employee)
    mine = (await client.get("/api/dossiers", headers=own)).json()
    assert [d["id"] for d in mine] == [dossier_id]
    etag = (await client.get(f"/api/dossiers/{dossier_id}", headers=own)).headers["ETag"]
    r = await client.put(f"/api/dossiers/{dossier_id}/sections/summary", json={"text": "本人先写一句。"},
                         headers={**own, "If-Match": etag})
    assert r.status_code == 200, r.text
    # The handler fills every section and uploads the proofs for them, then submits.
    await fill_complete(client, world["headers"], dossier_id, employee.id_number)
    r = await client.post(f"/api/dossiers/{dossier_id}/submit", headers=world["headers"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted"
    assert r.json()["id_number"] == employee.id_number      # the employer certifies its staff's identity (identity rule)
    mine = (await client.get("/api/dossiers", headers=own)).json()
    assert [(d["id"], d["status"]) for d in mine] == [(dossier_id, "submitted")]
    # Submitted, nobody edits it any more.
    etag = (await client.get(f"/api/dossiers/{dossier_id}", headers=own)).headers["ETag"]
    r = await client.put(f"/api/dossiers/{dossier_id}/sections/summary", json={"text": "改"},
                         headers={**own, "If-Match": etag})
    assert r.status_code == 409 and r.json()["code"] == "not_editable"
    # The trail: the employee's own edit left nothing; each of the handler's did, on the employee's behalf.
    items = await trail(client, own, dossier_id)
    entered = [i for i in items if i["action"] == "enter"]
    sections = complete_sections(employee.id_number)
    assert len(entered) == 1 + len(sections) + 3               # created, each section, three uploads
    assert {i["actor_name"] for i in entered} == {"李经办"}
    assert {i["on_behalf_of"] for i in entered} == {"张员工"}
    assert entered[0]["note"] == "新建申报" and entered[1]["note"] == "填写“基本信息”"
    assert any("学历证书.pdf" in i["note"] for i in entered)
    submit = items[-1]
    assert (submit["action"], submit["actor_name"], submit["role"], submit["on_behalf_of"]) == (
        "submit", "李经办", "unit_handler", "张员工")
    stored = await Dossier.get(ObjectId(dossier_id))
    assert {a.uploaded_by for a in stored.attachments} == {world["handler"].id}
    assert stored.applicant_id == employee.id and stored.entered_by.unit_id == world["unit"].id
    # The unit's list of what it entered.
    r = await client.get(ENTRIES, params={"unit_id": str(world["unit"].id)}, headers=world["headers"])
    assert [(d["id"], d["applicant_name"]) for d in r.json()] == [(dossier_id, "张员工")]


async def test_a_new_person_by_id_number_gets_one_account_entered_twice(client):
    world = await a_unit()
    first, second = await create_batch(), await create_batch()
    number = resident_id("19900909")
    person = {"name": "赵新人", "id_number": number, "phone": "13912345678"}
    r = await client.post(ENTRIES, json=entry_payload(first, world["unit"], person=person), headers=world["headers"])
    assert r.status_code == 201, r.text
    account = r.json()["account"]
    assert account["name"] == "赵新人" and account["initial_password"]
    r2 = await client.post(ENTRIES, json=entry_payload(second, world["unit"], person=person), headers=world["headers"])
    assert r2.status_code == 201, r2.text
    assert r2.json()["account"] is None                        # linked, not made again
    assert await User.find({"id_number": number}).count() == 1
    made = await User.find_one({"id_number": number})
    assert made.unit_id == world["unit"].id and made.kind == "sub"
    # The same batch again: the person has a dossier there already.
    r3 = await client.post(ENTRIES, json=entry_payload(first, world["unit"], person=person), headers=world["headers"])
    assert r3.status_code == 409 and r3.json()["code"] == "dossier_exists"
    # The new person logs in with the initial password and finds both dossiers.
    own = await login(client, account["login"], account["initial_password"])
    changed = await client.post("/api/auth/password", headers=own,
                                json={"old_password": account["initial_password"], "new_password": PASSWORD})
    assert changed.status_code in (200, 204), changed.text
    listed = (await client.get("/api/dossiers", headers=own)).json()
    assert {d["id"] for d in listed} == {r.json()["id"], r2.json()["id"]}


async def test_two_entries_racing_for_one_new_id_number_make_one_account(client, monkeypatch):
    """Both requests pass the look-up before either inserts (held at the insert until both arrive)."""
    world = await a_unit()
    first, second = await create_batch(), await create_batch()
    number = resident_id("19910101")
    person = {"name": "钱并发", "id_number": number}
    arrived, released, held = asyncio.Event(), asyncio.Event(), []
    real = accounts_service.insert_user

    async def gated(user, **kwargs):
        if user.id_number == number and len(held) < 2:
            held.append(user)
            if len(held) == 2:
                arrived.set()
            await released.wait()
        return await real(user, **kwargs)

    monkeypatch.setattr(accounts_service, "insert_user", gated)
    tasks = [asyncio.create_task(client.post(ENTRIES, json=entry_payload(b, world["unit"], person=person),
                                             headers=world["headers"])) for b in (first, second)]
    await asyncio.wait_for(arrived.wait(), 30)
    released.set()
    answers = await asyncio.gather(*tasks)
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert await User.find({"id_number": number}).count() == 1
    assert sorted(a.json()["account"] is None for a in answers) == [False, True]   # one made, one linked
    applicants = {d.applicant_id for d in await Dossier.find({"id_number": number}).to_list()}
    assert len(applicants) == 1


async def test_the_person_must_be_the_units_staff_and_the_name_must_match(client):
    world = await a_unit()
    batch = await create_batch()
    stranger = await create_person(name="孙路人")
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], user_id=str(stranger.id)),
                          headers=world["headers"])
    assert r.status_code == 404 and r.json()["code"] == "staff_not_found"
    person = {"name": "孙路人", "id_number": stranger.id_number}
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], person=person), headers=world["headers"])
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (409, "not_staff", "person.id_number")
    employee = await an_employee(client, world)
    person = {"name": "别的名字", "id_number": employee.id_number}
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], person=person), headers=world["headers"])
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "name_mismatch", "person.name")
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"]), headers=world["headers"])
    assert r.status_code == 422                               # neither a staff member nor a person
    # A closed batch refuses before any account is made.
    closed = await create_batch(open_now=False)
    number = resident_id("19920202")
    r = await client.post(ENTRIES, json=entry_payload(closed, world["unit"], person={"name": "周未建", "id_number": number}),
                          headers=world["headers"])
    assert r.status_code == 409, r.text
    assert await User.find_one({"id_number": number}) is None
    assert await Dossier.find({"entered_by.unit_id": world["unit"].id}).count() == 0


async def test_another_units_handler_finds_nothing(client):
    world = await a_unit()
    other = await a_unit(name="济南市另一单位")
    employee = await an_employee(client, world)
    batch = await create_batch()
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], user_id=str(employee.id)),
                          headers=world["headers"])
    dossier_id = r.json()["id"]
    url = f"/api/dossiers/{dossier_id}"
    etag = r.headers["ETag"]
    outsider = other["headers"]
    refused = [
        await client.post(ENTRIES, json=entry_payload(batch, world["unit"], user_id=str(employee.id)), headers=outsider),
        await client.get(ENTRIES, params={"unit_id": str(world["unit"].id)}, headers=outsider),
        await client.get(url, headers=outsider),
        await client.put(f"{url}/sections/summary", json={"text": "外单位"}, headers={**outsider, "If-Match": etag}),
        await client.post(f"{url}/attachments", data={"section": "current_title"},
                          files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")}, headers=outsider),
        await client.post(f"{url}/submit", headers=outsider),
        await client.delete(url, headers=outsider),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused), [r.text for r in refused]
    assert {r.json()["code"] for r in refused} == {"unit_not_found", "dossier_not_found"}
    # The employee's own dossiers made by themselves stay private to them: the unit's handler does not edit them.
    own = await bearer(employee)
    other_batch = await create_batch()
    mine = await client.post("/api/dossiers", json=declaration_payload(other_batch, world["unit"]), headers=own)
    assert mine.status_code == 201
    r = await client.get(f"/api/dossiers/{mine.json()['id']}", headers=world["headers"])
    assert r.status_code == 404
    assert (await Dossier.get(ObjectId(dossier_id))).version == 1


async def test_the_unit_deletes_a_draft_it_entered_through_the_abandon_route(client):
    world = await a_unit()
    employee = await an_employee(client, world)
    batch = await create_batch()
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], user_id=str(employee.id)),
                          headers=world["headers"])
    dossier_id = r.json()["id"]
    r = await client.delete(f"/api/dossiers/{dossier_id}", headers=world["headers"])
    assert r.status_code == 200 and r.json()["status"] == "abandoned"
    own = await bearer(employee)
    assert (await client.get("/api/dossiers", headers=own)).json() == []
    assert (await client.get(ENTRIES, params={"unit_id": str(world["unit"].id)}, headers=world["headers"])).json() == []
    last = (await trail(client, own, dossier_id))[-1]
    assert (last["action"], last["actor_name"], last["on_behalf_of"]) == ("abandon", "李经办", "张员工")
    # Deleted, the unit no longer reads it; its applicant keeps the record.
    assert (await client.get(f"/api/dossiers/{dossier_id}", headers=world["headers"])).status_code == 404


async def test_the_unit_does_not_delete_what_was_submitted(client):
    world = await a_unit()
    employee = await an_employee(client, world)
    batch = await create_batch()
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], user_id=str(employee.id)),
                          headers=world["headers"])
    dossier_id = r.json()["id"]
    await fill_complete(client, world["headers"], dossier_id, employee.id_number)
    assert (await client.post(f"/api/dossiers/{dossier_id}/submit", headers=world["headers"])).status_code == 200
    own = await bearer(employee)
    r = await client.post(f"/api/dossiers/{dossier_id}/actions", json={"action": "return", "opinion": "补充材料"},
                          headers=world["headers"])
    assert r.status_code == 200, r.text
    r = await client.delete(f"/api/dossiers/{dossier_id}", headers=world["headers"])
    assert r.status_code == 409 and r.json()["code"] == "not_abandonable"
    assert (await client.get(f"/api/dossiers/{dossier_id}", headers=own)).json()["status"] == "returned"



async def test_the_handler_changes_the_declaration_within_the_unit_only(client):
    world = await a_unit()
    employee = await an_employee(client, world)
    batch = await create_batch()
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], user_id=str(employee.id)),
                          headers=world["headers"])
    dossier_id, etag = r.json()["id"], r.headers["ETag"]
    other, _ = await create_unit(name="济南市第三单位", region_code="370100")
    moved = {k: v for k, v in declaration_payload(batch, other).items() if k not in ("batch_id", "commitment_agreed")}
    r = await client.put(f"/api/dossiers/{dossier_id}/declaration", json=moved, headers={**world["headers"],
                                                                                        "If-Match": etag})
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "not_entry_unit", "employer_unit_id")
    kept = {**moved, "employer_unit_id": str(world["unit"].id), "unit_rank": "1/3"}
    r = await client.put(f"/api/dossiers/{dossier_id}/declaration", json=kept, headers={**world["headers"],
                                                                                       "If-Match": etag})
    assert r.status_code == 200 and r.json()["declaration"]["unit_rank"] == "1/3"
    last = (await trail(client, world["headers"], dossier_id))[-1]
    assert (last["action"], last["note"], last["actor_name"]) == ("enter", "修改申报信息", "李经办")


async def test_a_staff_member_without_the_applicant_role_is_refused(client):
    world = await a_unit()
    batch = await create_batch()
    clerk = await create_person(name="周文员", roles=[])
    await grant(clerk, "unit_handler", world["unit"])
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], user_id=str(clerk.id)),
                          headers=world["headers"])
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (409, "not_applicant", "user_id")
    assert await Dossier.find({"applicant_id": clerk.id}).count() == 0
