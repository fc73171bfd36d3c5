"""Review actions along the path: pass, report, return, reject, void, read, accept — and the bad ones."""

import asyncio
from datetime import timedelta

from bson import ObjectId

from app import clock
from app.dossiers.models import Dossier
from app.routing.models import Path
from tests.factories import create_person, create_unit, declaration_payload, grant, login
from tests.routing.conftest import act


async def stored(world) -> Dossier:
    return await Dossier.get(ObjectId(world["dossier_id"]))


class TestAlongThePath:
    async def test_up_three_nodes_to_the_committee(self, client, world):
        for node, nxt in (("as_employer", "department"), ("as_department", "hr")):
            r = await act(client, world, node, "pass", opinion="同意推荐", signer="张主任")
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "passed"
            r = await act(client, world, node, "report")
            assert r.status_code == 200 and r.json()["status"] == "submitted"
            assert (await stored(world)).current_unit_id == world[nxt].id
        assert (await act(client, world, "as_hr", "pass", opinion="同意")).status_code == 200
        r = await act(client, world, "as_hr", "report")
        assert r.json()["status"] == "at_committee"
        r = await act(client, world, "as_office", "accept", opinion="资格审查通过")
        assert r.status_code == 200 and r.json()["status"] == "accepted"
        dossier = await stored(world)
        assert dossier.committee_code == world["committee"].code
        assert [t.action for t in dossier.trail] == ["submit", "pass", "report", "pass", "report", "pass", "report",
                                                     "accept"]
        first_pass = dossier.trail[1]
        assert (first_pass.opinion, first_pass.signer, first_pass.unit_name) == ("同意推荐", "张主任", "济南市群众艺术馆")
        assert first_pass.detail["signed_on"]
        assert [n.unit_name for n in dossier.route] == ["济南市群众艺术馆", "济南市文化和旅游局", "济南市人力资源和社会保障局"]
        trail = (await client.get(f"/api/dossiers/{world['dossier_id']}/trail", headers=world["as_applicant"])).json()
        assert trail[-1]["action_label"] == "受理" and trail[1]["to_status_label"] == "通过未上报"
        flow = (await client.get(f"/api/dossiers/{world['dossier_id']}/flow", headers=world["as_applicant"])).json()
        assert [(n["name"], n["state"]) for n in flow["nodes"]] == [
            ("王小明", "done"), ("济南市群众艺术馆", "done"), ("济南市文化和旅游局", "done"),
            ("济南市人力资源和社会保障局", "done"), ("济南市群众文化系列中级职称评审委员会", "current")]

    async def test_flow_highlights_the_first_node_after_submission(self, client, world):
        flow = (await client.get(f"/api/dossiers/{world['dossier_id']}/flow", headers=world["as_applicant"])).json()
        assert [n["state"] for n in flow["nodes"]] == ["done", "current", "ahead", "ahead", "ahead"]
        assert flow["reaches_committee"] is True

    async def test_return_goes_back_one_node_then_to_the_applicant(self, client, world):
        await act(client, world, "as_employer", "pass")
        await act(client, world, "as_employer", "report")
        r = await act(client, world, "as_department", "return")
        assert r.status_code == 422 and r.json()["field"] == "opinion"
        r = await act(client, world, "as_department", "return", opinion="推荐材料不全")
        assert r.status_code == 200 and r.json()["status"] == "submitted"
        dossier = await stored(world)
        assert dossier.current_unit_id == world["employer"].id and len(dossier.route) == 1
        r = await act(client, world, "as_employer", "return", opinion="请补充业绩证明",
                      correction_deadline=(clock.utcnow() + timedelta(days=3)).isoformat())
        assert r.json()["status"] == "returned"
        dossier = await stored(world)
        assert dossier.current_unit_id is None and dossier.correction_deadline is not None
        r = await client.post(f"/api/dossiers/{world['dossier_id']}/submit", headers=world["as_applicant"])
        assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["snapshots"] == 2

    async def test_correction_deadline_expires(self, client, world):
        await act(client, world, "as_employer", "return", opinion="补充材料",
                  correction_deadline=(clock.utcnow() + timedelta(days=1)).isoformat())
        clock.advance(timedelta(days=2).total_seconds())
        headers = await login(client, world["applicant"])          # the old session expired meanwhile
        r = await client.post(f"/api/dossiers/{world['dossier_id']}/submit", headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "correction_expired"

    async def test_reject_goes_straight_to_the_applicant(self, client, world):
        for node in ("as_employer", "as_department"):
            await act(client, world, node, "pass")
            await act(client, world, node, "report")
        r = await act(client, world, "as_hr", "reject", opinion="不符合申报条件")
        assert r.json()["status"] == "rejected"
        assert (await stored(world)).current_unit_id is None

    async def test_void_blocks_the_batch(self, client, world):
        r = await act(client, world, "as_employer", "void", opinion="提供虚假材料")
        assert r.json()["status"] == "voided"
        r = await client.post("/api/dossiers", json=declaration_payload(world["batch"], world["employer"]),
                              headers=world["as_applicant"])
        assert r.json()["code"] == "dossier_voided"
        assert (await client.post(f"/api/dossiers/{world['dossier_id']}/submit",
                                  headers=world["as_applicant"])).status_code == 409

    async def test_read_records_without_changing(self, client, world):
        r = await act(client, world, "as_employer", "read")
        assert r.json()["status"] == "submitted"
        assert (await stored(world)).trail[-1].action == "read"

    async def test_withdrawal_ends_once_the_unit_acts(self, client, world):
        await act(client, world, "as_employer", "read")
        r = await client.post(f"/api/dossiers/{world['dossier_id']}/withdraw", headers=world["as_applicant"])
        assert r.status_code == 409


class TestRefusals:
    async def test_no_active_path(self, client, world):
        await Path.get_pymongo_collection().delete_many({"unit_id": world["employer"].id})
        await act(client, world, "as_employer", "pass")
        r = await act(client, world, "as_employer", "report")
        assert r.status_code == 409 and r.json()["code"] == "no_active_path"
        assert "群众文化" in r.json()["message"] and "中级" in r.json()["message"]
        assert (await stored(world)).status == "passed"

    async def test_wrong_node(self, client, world):
        r = await act(client, world, "as_department", "pass")
        assert r.status_code == 409      # it reads its subordinate's dossier but does not hold it yet
        assert r.json()["code"] == "not_your_node"
        await act(client, world, "as_employer", "pass")
        await act(client, world, "as_employer", "report")
        r = await act(client, world, "as_employer", "pass")
        assert r.status_code == 409 and r.json()["code"] == "not_your_node"

    async def test_outside_scope_is_404(self, client, world):
        _, stranger = await create_unit(region_code="370202")
        headers = await login(client, stranger)
        r = await client.post(f"/api/dossiers/{world['dossier_id']}/actions", json={"action": "pass"},
                              headers=headers)
        assert r.status_code == 404

    async def test_illegal_transition(self, client, world):
        r = await act(client, world, "as_employer", "report")
        assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
        assert "待审核" in r.json()["message"] and "上报" in r.json()["message"]
        r = await act(client, world, "as_employer", "accept")
        assert r.status_code == 409
        r = await act(client, world, "as_employer", "certify")
        assert r.status_code == 422

    async def test_anonymous(self, client, world):
        r = await client.post(f"/api/dossiers/{world['dossier_id']}/actions", json={"action": "pass"})
        assert r.status_code == 401

    async def test_two_reviewers_racing_one_wins(self, client, world):
        colleague = await create_person(name="同事")
        await grant(colleague, "unit_handler", world["employer"])
        other = await login(client, colleague)
        results = await asyncio.gather(
            act(client, world, "as_employer", "pass"),
            client.post(f"/api/dossiers/{world['dossier_id']}/actions", json={"action": "pass"}, headers=other))
        assert sorted(r.status_code for r in results) == [200, 409]
        assert [t.action for t in (await stored(world)).trail] == ["submit", "pass"]

    async def test_one_person_two_roles_acts_once_per_role(self, client, world):
        person = await create_person(name="兼职经办")
        await grant(person, "unit_handler", world["employer"])
        await grant(person, "dept_handler", world["department"])
        headers = await login(client, person)
        url = f"/api/dossiers/{world['dossier_id']}/actions"
        assert (await client.post(url, json={"action": "pass"}, headers=headers)).status_code == 200
        assert (await client.post(url, json={"action": "report"}, headers=headers)).status_code == 200
        r = await client.post(url, json={"action": "pass"}, headers=headers)
        assert r.status_code == 200
        roles = [(t.role, t.unit_name) for t in (await stored(world)).trail[1:]]
        assert roles == [("unit_handler", "济南市群众艺术馆"), ("unit_handler", "济南市群众艺术馆"),
                         ("dept_handler", "济南市文化和旅游局")]
        assert (await client.post(url, json={"action": "pass"}, headers=headers)).status_code == 409

    async def test_a_reviewer_cannot_review_their_own_dossier(self, client, world):
        await grant(world["applicant"], "unit_handler", world["employer"])
        r = await act(client, world, "as_applicant", "pass")
        assert r.status_code == 403 and r.json()["code"] == "own_dossier"
