"""Committees' settings and review meetings: creation, scheduling with preview, removal, attendance."""

import pytest

from app.dossiers.models import Dossier
from app.catalog.committees import sync_committees
from app.catalog.models import Committee
from app.committee.models import Meeting
from app.units.enums import UnitCategory
from tests.factories import create_person, create_sysadmin, create_unit, login
from tests.committee.committee_kit import make_experts, new_meeting, place_dossier, schedule


@pytest.fixture
async def experts(client, world):
    library, _ = await create_unit(name="济南市图书馆", parent=world["department"], region_code="370100",
                                   category=UnitCategory.city_affiliated)
    return await make_experts(client, library, 3)


class TestCommittees:
    async def test_sync_keeps_office_and_settings(self, world):
        await world["committee"].set({"name": "旧名称", "publicity_working_days": 7,
                                      "certificate_pattern": "鲁群文中{year}{seq:04d}"})
        assert await sync_committees() >= 12
        synced = await Committee.find_one(Committee.code == world["committee"].code)
        assert synced.name == "济南市群众文化系列中级职称评审委员会"             # from the dictionary
        assert synced.office_unit_id == world["hr"].id and synced.publicity_working_days == 7
        assert synced.certificate_pattern == "鲁群文中{year}{seq:04d}"
        senior = await Committee.find_one(Committee.code == "370000-qzwh-senior")
        assert senior.tier == "senior" and senior.office_unit_id is None and senior.levels == ["4", "5"]
        assert await sync_committees() == await Committee.find({}).count()       # idempotent

    async def test_listing_by_role(self, client, world):
        await sync_committees()
        r = await client.get("/api/committees", headers=world["as_office"])
        assert r.status_code == 200
        [mine] = r.json()
        assert mine["code"] == world["committee"].code and mine["office_unit_name"] == "济南市人力资源和社会保障局"
        assert mine["rule"] == "到会≥2/3，同意≥到会2/3" and mine["certificate_sample"] == "2026370100QZWHZ00001"
        admin = await login(client, await create_sysadmin())
        assert len((await client.get("/api/committees", headers=admin)).json()) >= 12
        assert (await client.get("/api/committees", headers=world["as_applicant"])).status_code == 403
        assert (await client.get("/api/committees")).status_code == 401

    async def test_settings(self, client, world):
        url = f"/api/committees/{world['committee'].code}"
        admin = await login(client, await create_sysadmin())
        for body, field in (({"quorum_numerator": 4}, "quorum_numerator"),          # 4/3
                            ({"pass_numerator": 0}, "pass_numerator"),
                            ({"publicity_working_days": 31}, "publicity_working_days"),
                            ({"publicity_working_days": 4}, "publicity_working_days"),     # national floor: 5
                            ({"certificate_pattern": "{year}-no-sequence"}, "certificate_pattern"),
                            ({"certificate_pattern": "{year}{secret}{seq}"}, "certificate_pattern"),
                            ({"certificate_pattern": "{seq:q}"}, "certificate_pattern"),
                            ({"certificate_pattern": "{seq"}, "certificate_pattern"),
                            ({"office_unit_id": str(world["batch"].id)}, "office_unit_id"),
                            ({"quorum": "2/3"}, "quorum")):
            r = await client.put(url, json=body, headers=admin)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["field"] == field and r.json()["message"]
        assert (await Committee.get(world["committee"].id)).version == 0                # nothing stored
        r = await client.put(url, json={"publicity_working_days": 7}, headers=world["as_office"])
        assert r.status_code == 403
        assert (await client.put(url, json={})).status_code == 401
        r = await client.put("/api/committees/nope", json={}, headers=admin)
        assert r.status_code == 404
        r = await client.put(url, headers=admin, json={
            "quorum_numerator": 3, "quorum_denominator": 4, "pass_numerator": 1, "pass_denominator": 2,
            "publicity_working_days": 7, "certificate_pattern": "鲁群文中字{year}第{seq:04d}号", "issuing_body": "济南市人社局"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["rule"] == "到会≥3/4，同意≥到会1/2" and body["certificate_sample"] == "鲁群文中字2026第0001号"
        assert body["office_unit_id"] == str(world["hr"].id) and body["issuing_body"] == "济南市人社局"
        assert r.headers["ETag"] == '"1"'

    async def test_a_page_copy_older_than_the_settings_is_refused(self, client, world):
        """The settings page sends the version it showed: a change saved meanwhile is not overwritten."""
        url = f"/api/committees/{world['committee'].code}"
        admin = await login(client, await create_sysadmin())
        first = await client.put(url, json={"case_answer_days": 20}, headers={**admin, "If-Match": '"0"'})
        assert first.status_code == 200 and first.headers["ETag"] == '"1"'
        stale = await client.put(url, json={"case_answer_days": 40}, headers={**admin, "If-Match": '"0"'})
        assert stale.status_code == 412 and stale.json()["code"] == "stale_version" and stale.json()["message"]
        bad = await client.put(url, json={"case_answer_days": 40}, headers={**admin, "If-Match": "abc"})
        assert bad.status_code == 412
        stored = await Committee.get(world["committee"].id)
        assert stored.case_answer_days == 20 and stored.version == 1


class TestMeetings:
    async def test_create(self, client, world, experts):
        body = {"committee_code": world["committee"].code, "name": "评审会", "held_on": "2026-12-10",
                "location": "三楼", "member_ids": [str(e.id) for e, _ in experts]}
        assert (await client.post("/api/meetings", json=body)).status_code == 401
        r = await client.post("/api/meetings", json=body, headers=world["as_department"])
        assert r.status_code == 404 and r.json()["code"] == "committee_not_found"
        for bad, field in (({"name": ""}, "name"), ({"held_on": "12月10日"}, "held_on"), ({"extra": 1}, "extra"),
                           ({"member_ids": [str(world["applicant"].id)]}, "member_ids")):
            r = await client.post("/api/meetings", json={**body, **bad}, headers=world["as_office"])
            assert r.status_code == 422 and r.json()["field"] == field, r.text
        assert await Meeting.find({}).count() == 0
        r = await client.post("/api/meetings", json=body, headers=world["as_office"])
        assert r.status_code == 201
        assert r.json()["status_label"] == "筹备中" and len(r.json()["members"]) == 3
        assert r.json()["rule"] == "到会≥2/3，同意≥到会2/3"

    async def test_schedule_preview_then_confirm(self, client, world, experts):
        meeting = await new_meeting(client, world, [e for e, _ in experts])
        ready = [await place_dossier(world, name=f"申报人{i}") for i in range(2)]
        waiting = await place_dossier(world, name="未受理", status="at_committee")
        ids = [str(d.id) for d in ready + [waiting]]
        url = f"/api/meetings/{meeting['id']}/dossiers"
        r = await client.post(url, json={"ids": ids}, headers=world["as_office"])
        assert r.status_code == 200 and r.json()["count"] == 3 and r.json()["done"] == 0
        assert (await Dossier.get(ready[0].id)).status == "accepted"
        r = await client.post(url, json={"ids": ids, "confirm": True}, headers=world["as_office"])
        assert r.json()["done"] == 2 and [f["applicant_name"] for f in r.json()["failed"]] == ["未受理"]
        scheduled = await Dossier.get(ready[0].id)
        assert scheduled.status == "scheduled" and str(scheduled.meeting_id) == meeting["id"]
        assert scheduled.trail[-1].action == "schedule" and scheduled.trail[-1].detail["meeting"] == meeting["name"]
        stored = await Meeting.get(scheduled.meeting_id)
        assert set(stored.dossier_ids) == {d.id for d in ready}
        r = await client.post(url, json={"ids": ids[:1], "confirm": True}, headers=world["as_office"])
        assert r.json()["done"] == 0 and len(r.json()["failed"]) == 1                 # a second press
        assert set((await Meeting.get(scheduled.meeting_id)).dossier_ids) == {d.id for d in ready}
        r = await client.post(url, json={"ids": ids, "confirm": True}, headers=world["as_department"])
        assert r.status_code == 404

    async def test_unschedule_while_planned_only(self, client, world, experts):
        meeting = await new_meeting(client, world, [e for e, _ in experts])
        dossier = await place_dossier(world)
        await schedule(client, world, meeting["id"], [dossier.id])
        url = f"/api/meetings/{meeting['id']}/dossiers/{dossier.id}"
        r = await client.delete(url, headers=world["as_office"])
        assert r.status_code == 200 and r.json()["dossiers"] == []
        moved = await Dossier.get(dossier.id)
        assert moved.status == "accepted" and moved.meeting_id is None and moved.trail[-1].action == "unschedule"
        assert (await client.delete(url, headers=world["as_office"])).status_code == 404
        await schedule(client, world, meeting["id"], [dossier.id])
        await client.put(f"/api/meetings/{meeting['id']}/present", json={"present_ids": [str(e.id) for e, _ in experts]},
                         headers=world["as_office"])
        assert (await client.post(f"/api/meetings/{meeting['id']}/open", headers=world["as_office"])).status_code == 200
        r = await client.delete(url, headers=world["as_office"])
        assert r.status_code == 409 and r.json()["code"] == "meeting_state"
        assert (await Dossier.get(dossier.id)).status == "scheduled"

    async def test_attendance_and_visibility(self, client, world, experts):
        meeting = await new_meeting(client, world, [e for e, _ in experts[:2]])
        url = f"/api/meetings/{meeting['id']}"
        present = f"{url}/present"
        r = await client.put(present, json={"present_ids": [str(experts[2][0].id)]}, headers=world["as_office"])
        assert r.status_code == 422 and r.json()["code"] == "not_a_member"
        r = await client.put(present, json={"present_ids": [str(experts[0][0].id)]}, headers=world["as_office"])
        assert r.status_code == 200 and [m["present"] for m in r.json()["members"]] == [True, False]
        assert (await client.get(url, headers=experts[0][1])).status_code == 200
        assert (await client.get(url, headers=experts[2][1])).status_code == 404    # not invited
        assert (await client.get(url, headers=world["as_department"])).status_code == 404
        r = await client.put(f"{url}/present", json={"present_ids": []}, headers=experts[0][1])
        assert r.status_code == 403
        r = await client.post(f"{url}/open", headers=world["as_office"])
        assert r.status_code == 409 and r.json()["code"] == "meeting_empty"
        listed = (await client.get("/api/meetings", headers=experts[0][1])).json()
        assert [m["id"] for m in listed] == [meeting["id"]]
        assert (await client.get("/api/meetings", headers=experts[2][1])).json() == []

    async def test_experts_list_for_offices(self, client, world, experts):
        r = await client.get("/api/experts", headers=world["as_office"])
        assert r.status_code == 200 and len(r.json()) == 3
        assert r.json()[0]["units"][0]["name"] == "济南市图书馆"
        assert (await client.get("/api/experts", headers=world["as_employer"])).status_code == 403
        other = await create_person(name="路人")
        assert (await client.get("/api/experts", headers=await login(client, other))).status_code == 403
