"""Review queues, batch actions with their preview, and path applications."""

from bson import ObjectId

from app.dossiers.models import Dossier
from app.routing.models import Path
from app.units.enums import UnitCategory
from tests.factories import (create_batch, create_person, create_unit, declaration_payload, fill_complete, login)
from tests.routing.conftest import act


async def second_dossier(client, world, name="李小红"):
    person = await create_person(name=name)
    headers = await login(client, person)
    r = await client.post("/api/dossiers", json=declaration_payload(world["batch"], world["employer"]),
                          headers=headers)
    await fill_complete(client, headers, r.json()["id"], person.id_number)
    assert (await client.post(f"/api/dossiers/{r.json()['id']}/submit", headers=headers)).status_code == 200
    return r.json()["id"]


class TestQueue:
    async def test_views_follow_the_dossier(self, client, world):
        queue = "/api/review/queue"
        pending = (await client.get(queue, headers=world["as_employer"])).json()
        assert pending["total"] == 1 and pending["items"][0]["applicant_name"] == "王小明"
        assert "*" in pending["items"][0]["id_number"]
        await act(client, world, "as_employer", "pass")
        assert (await client.get(queue, headers=world["as_employer"])).json()["total"] == 0
        passed = (await client.get(queue, params={"view": "passed"}, headers=world["as_employer"])).json()
        assert passed["items"][0]["status_label"] == "通过未上报"
        await act(client, world, "as_employer", "report")
        reported = (await client.get(queue, params={"view": "reported"}, headers=world["as_employer"])).json()
        assert reported["total"] == 1 and reported["items"][0]["status"] == "submitted"
        assert (await client.get(queue, headers=world["as_department"])).json()["total"] == 1
        await act(client, world, "as_department", "return", opinion="退回补充")
        turned = (await client.get(queue, params={"view": "turned_down"}, headers=world["as_department"])).json()
        assert turned["total"] == 1

    async def test_filters_sorting_and_pages(self, client, world):
        await second_dossier(client, world, "李小红")
        await second_dossier(client, world, "李大伟")
        queue = "/api/review/queue"
        by_name = (await client.get(queue, params={"name": "李"}, headers=world["as_employer"])).json()
        assert {i["applicant_name"] for i in by_name["items"]} == {"李小红", "李大伟"}
        exact = (await client.get(queue, params={"id_number": world["applicant"].id_number},
                                  headers=world["as_employer"])).json()
        assert [i["applicant_name"] for i in exact["items"]] == ["王小明"]
        sorted_page = (await client.get(queue, params={"sort": "name", "descending": False, "size": 2},
                                        headers=world["as_employer"])).json()
        assert sorted_page["total"] == 3 and len(sorted_page["items"]) == 2
        page2 = (await client.get(queue, params={"sort": "name", "descending": False, "size": 2, "page": 2},
                                  headers=world["as_employer"])).json()
        names = [i["applicant_name"] for i in sorted_page["items"] + page2["items"]]
        assert sorted(names) == names and len(set(names)) == 3
        other_batch = await create_batch()
        none = (await client.get(queue, params={"batch_id": str(other_batch.id)}, headers=world["as_employer"])).json()
        assert none["total"] == 0
        bad = await client.get(queue, params={"sort": "password"}, headers=world["as_employer"])
        assert bad.status_code == 422 and bad.json()["field"] == "sort"

    async def test_another_unit_sees_nothing(self, client, world):
        _, stranger = await create_unit(region_code="370202")
        r = await client.get("/api/review/queue", headers=await login(client, stranger))
        assert r.json()["total"] == 0
        assert (await client.get("/api/review/queue")).status_code == 401


class TestBatchActions:
    async def test_preview_then_confirm(self, client, world):
        other = await second_dossier(client, world)
        ids = [world["dossier_id"], other]
        r = await client.post("/api/review/batch", json={"action": "pass", "ids": ids}, headers=world["as_employer"])
        assert r.status_code == 200
        assert r.json()["confirmed"] is False and r.json()["count"] == 2 and r.json()["done"] == 0
        assert {p["applicant_name"] for p in r.json()["preview"]} == {"王小明", "李小红"}
        assert (await Dossier.get(ObjectId(other))).status == "submitted"      # a preview changes nothing
        r = await client.post("/api/review/batch", json={"action": "pass", "ids": ids, "confirm": True},
                              headers=world["as_employer"])
        assert r.json()["done"] == 2 and r.json()["failed"] == []
        r = await client.post("/api/review/batch", json={"action": "report", "filter": {"view": "passed"},
                                                          "confirm": True}, headers=world["as_employer"])
        assert r.json()["count"] == 2 and r.json()["done"] == 2
        assert (await Dossier.get(ObjectId(other))).current_unit_id == world["department"].id

    async def test_failures_are_listed_not_fatal(self, client, world):
        other = await second_dossier(client, world)
        await act(client, world, "as_employer", "pass")
        r = await client.post("/api/review/batch", json={"action": "report", "ids": [world["dossier_id"], other],
                                                          "confirm": True}, headers=world["as_employer"])
        assert r.json()["done"] == 1
        assert r.json()["failed"][0]["applicant_name"] == "李小红" and "不能执行" in r.json()["failed"][0]["message"]

    async def test_selection_is_required_and_scope_applies(self, client, world):
        r = await client.post("/api/review/batch", json={"action": "pass"}, headers=world["as_employer"])
        assert r.status_code == 422
        _, stranger = await create_unit(region_code="370202")
        r = await client.post("/api/review/batch", json={"action": "pass", "ids": [world["dossier_id"]],
                                                          "confirm": True}, headers=await login(client, stranger))
        assert r.json()["count"] == 0 and r.json()["failed"][0]["message"] == "申报材料不存在"
        assert (await Dossier.get(ObjectId(world["dossier_id"]))).status == "submitted"


class TestPaths:
    async def test_apply_approve_and_graph(self, client, world):
        unit, account = await create_unit(name="济南市图书馆", parent=world["department"],
                                          category=UnitCategory.city_affiliated, region_code="370100")
        headers = await login(client, account)
        body = {"unit_id": str(unit.id), "series": "qzwh", "level": "3", "target_unit_id": str(world["department"].id)}
        r = await client.post("/api/paths", json=body, headers=headers)
        assert r.status_code == 201 and r.json()["status"] == "pending"
        path_id = r.json()["id"]
        again = await client.post("/api/paths", json=body, headers=headers)
        assert again.status_code == 409 and "待审核" in again.json()["message"]
        incoming = (await client.get("/api/paths", params={"incoming": True}, headers=world["as_department"])).json()
        assert path_id in [p["id"] for p in incoming]
        assert (await client.post(f"/api/paths/{path_id}/decision", json={"approve": True},
                                  headers=world["as_employer"])).status_code == 404
        r = await client.post(f"/api/paths/{path_id}/decision", json={"approve": False},
                              headers=world["as_department"])
        assert r.status_code == 422 and r.json()["field"] == "reason"
        r = await client.post(f"/api/paths/{path_id}/decision", json={"approve": True},
                              headers=world["as_department"])
        assert r.json()["status"] == "active"
        graph = (await client.get("/api/paths/graph", params={"series": "qzwh", "level": "3"},
                                  headers=headers)).json()
        names = {n["name"] for n in graph["nodes"]}
        assert {"济南市图书馆", "济南市文化和旅游局", "济南市群众文化系列中级职称评审委员会"} <= names
        assert len(graph["edges"]) == 4

    async def test_committee_path_checks_the_committee(self, client, world):
        body = {"unit_id": str(world["department"].id), "series": "qzwh", "level": "4",
                "committee_code": world["committee"].code}
        r = await client.post("/api/paths", json=body, headers=world["as_department"])
        assert r.status_code == 422 and "不评审" in r.json()["message"]
        r = await client.post("/api/paths", json={**body, "level": "2"}, headers=world["as_department"])
        assert r.status_code == 201
        r = await client.post(f"/api/paths/{r.json()['id']}/decision", json={"approve": True},
                              headers=world["as_office"])
        assert r.status_code == 200 and r.json()["status"] == "active"

    async def test_bad_applications(self, client, world):
        base = {"unit_id": str(world["employer"].id), "series": "qzwh", "level": "2"}
        r = await client.post("/api/paths", json=base, headers=world["as_employer"])
        assert r.status_code == 422 and r.json()["code"] == "target_required"
        r = await client.post("/api/paths", json={**base, "target_unit_id": str(world["employer"].id)},
                              headers=world["as_employer"])
        assert r.status_code == 422 and r.json()["field"] == "target_unit_id"
        r = await client.post("/api/paths", json={**base, "target_unit_id": str(world["department"].id)},
                              headers=world["as_department"])
        assert r.status_code == 403
        assert await Path.find({"level": "2"}).count() == 0
