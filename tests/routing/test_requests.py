"""The applicant's requests (删除流程, 退回编辑申请, 申请修改学历) and the reviewers' steps (流程附件, 保存意见):
each granted once and refused once, wrong states and other units refused, the double press."""

import asyncio
import io
import zipfile

from bson import ObjectId

from app import db
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow
from app.notifications.models import InboxMessage
from app.units.enums import UnitCategory
from tests.factories import (bearer, complete_draft, create_person, create_unit, declaration_payload,
                             force_dossier, grant, pdf_bytes)
from tests.routing.conftest import act


async def stored(world) -> Dossier:
    return await Dossier.get(ObjectId(world["dossier_id"]))


def url(world, tail: str = "") -> str:
    return f"/api/dossiers/{world['dossier_id']}{tail}"


async def gridfs_has(file_id) -> bool:
    return await db.current().db["fs.files"].count_documents({"_id": file_id}) == 1


async def outsider() -> dict:
    """The session of a handler of an unrelated unit (another region): out of every dossier's scope."""
    other, _ = await create_unit(name="无关单位", category=UnitCategory.city_private_enterprise, region_code="370200")
    handler = await create_person(name="外单位经办")
    await grant(handler, "unit_handler", other)
    return await bearer(handler)


async def a_draft(world) -> dict:
    """A second applicant's complete draft at the same employer, with their session."""
    applicant = await create_person(name="李四")
    dossier_id = await complete_draft(applicant, world["batch"], world["employer"])
    return {**world, "dossier_id": dossier_id, "as_applicant": await bearer(applicant), "applicant": applicant}


class TestAbandon:
    async def test_a_draft_leaves_every_list_its_files_go_and_the_trail_stays(self, client, world):
        draft = await a_draft(world)
        files = [a.file.file_id for a in (await stored(draft)).attachments]
        assert len(files) == 3 and all([await gridfs_has(f) for f in files])
        r = await client.delete(url(draft), headers=draft["as_applicant"])
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "abandoned"
        dossier = await stored(draft)
        assert dossier.attachments == [] and [t.action for t in dossier.trail] == ["abandon"]
        assert dossier.trail[0].detail["released_files"] == 3
        assert [await gridfs_has(f) for f in files] == [False, False, False]
        mine = (await client.get("/api/dossiers", headers=draft["as_applicant"])).json()
        assert mine == []
        row = await DossierRow.get(dossier.id)
        assert row.queue_keys == [] and row.reader_ids == [draft["applicant"].id]
        # the record stays readable by its applicant; pressing again is refused; no new dossier this batch
        assert (await client.get(url(draft), headers=draft["as_applicant"])).json()["status"] == "abandoned"
        again = await client.delete(url(draft), headers=draft["as_applicant"])
        assert again.status_code == 409 and again.json()["code"] == "not_abandonable"
        r = await client.post("/api/dossiers", json=declaration_payload(draft["batch"], draft["employer"]),
                              headers=draft["as_applicant"])
        assert r.status_code == 409 and r.json()["code"] == "dossier_abandoned"

    async def test_a_returned_dossier_leaves_the_units_queue_and_scope(self, client, world):
        await act(client, world, "as_employer", "return", opinion="补充业绩")
        queue = {"view": "turned_down"}
        before = (await client.get("/api/review/queue", params=queue, headers=world["as_employer"])).json()
        assert before["total"] == 1
        snapshot_files = [a.file.file_id for a in (await stored(world)).snapshots[0].attachments]
        r = await client.delete(url(world), headers=world["as_applicant"])
        assert r.status_code == 200 and r.json()["status"] == "abandoned"
        after = (await client.get("/api/review/queue", params=queue, headers=world["as_employer"])).json()
        assert after["total"] == 0
        assert (await client.get(url(world), headers=world["as_employer"])).status_code == 404
        assert not any([await gridfs_has(f) for f in snapshot_files])
        assert [t.action for t in (await stored(world)).trail] == ["submit", "return", "abandon"]

    async def test_refused_while_under_review_and_for_anyone_else(self, client, world):
        r = await client.delete(url(world), headers=world["as_applicant"])
        assert r.status_code == 409 and r.json()["code"] == "not_abandonable"
        for who in ("as_employer", "as_hr"):
            r = await client.delete(url(world), headers=world[who])
            assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"
        assert (await stored(world)).status == "submitted"


class TestEditRequest:
    async def test_granted_it_goes_back_to_the_applicant_who_is_told(self, client, world):
        await act(client, world, "as_employer", "pass", opinion="同意")
        await act(client, world, "as_employer", "report")                  # now at the department
        r = await client.post(url(world, "/edit-request"), json={"reason": "业绩材料上传错了"},
                              headers=world["as_applicant"])
        assert r.status_code == 200, r.text
        assert r.json()["edit_request"]["status"] == "pending" and r.json()["edit_request"]["reason"] == "业绩材料上传错了"
        dossier = await stored(world)
        assert dossier.edit_request.status == "pending"
        assert dossier.edit_request.unit_id == world["department"].id
        # the employer no longer holds it: it cannot answer
        r = await client.post(url(world, "/edit-request/decision"), json={"grant": True}, headers=world["as_employer"])
        assert r.status_code == 409 and r.json()["code"] == "not_your_node"
        row = await DossierRow.get(dossier.id)
        assert f"requests:{world['department'].id}" in row.queue_keys
        r = await client.post(url(world, "/edit-request/decision"), json={"grant": True, "answer": "请尽快修改"},
                              headers=world["as_department"])
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "returned"
        dossier = await stored(world)
        assert dossier.current_unit_id is None and dossier.route == []
        assert dossier.edit_request.status == "granted"
        assert [t.action for t in dossier.trail][-2:] == ["request_edit", "grant_edit"]
        assert f"requests:{world['department'].id}" not in (await DossierRow.get(dossier.id)).queue_keys
        inbox = await InboxMessage.find({"user_id": world["applicant"].id}).to_list()
        assert any(m.title == "退回编辑申请已同意" for m in inbox)
        again = await client.post(url(world, "/edit-request/decision"), json={"grant": True},
                                  headers=world["as_department"])
        assert again.status_code == 409 and again.json()["code"] == "not_your_node"     # no node holds it now
        r = await client.post(url(world, "/submit"), headers=world["as_applicant"])
        assert r.status_code == 200 and r.json()["status"] == "submitted"

    async def test_refused_with_a_reason_and_the_applicant_sees_it(self, client, world):
        await act(client, world, "as_employer", "pass")
        await client.post(url(world, "/edit-request"), json={"reason": "填错了"}, headers=world["as_applicant"])
        r = await client.post(url(world, "/edit-request/decision"), json={"grant": False},
                              headers=world["as_employer"])
        assert r.status_code == 422 and r.json()["code"] == "reason_required"
        r = await client.post(url(world, "/edit-request/decision"), json={"grant": False, "answer": "材料无误，无需修改"},
                              headers=world["as_employer"])
        assert r.status_code == 200 and r.json()["status"] == "passed"
        dossier = await stored(world)
        assert dossier.edit_request.status == "refused" and dossier.edit_request.answer == "材料无误，无需修改"
        message = await InboxMessage.find_one({"user_id": world["applicant"].id, "title": "退回编辑申请未同意"})
        assert message is not None and "材料无误，无需修改" in message.body
        again = await client.post(url(world, "/edit-request/decision"), json={"grant": True},
                                  headers=world["as_employer"])
        assert again.status_code == 409 and again.json()["code"] == "no_pending_request"

    async def test_pressing_twice_makes_one_request(self, client, world):
        await act(client, world, "as_employer", "read")           # a reviewer acted: beyond withdrawal
        body = {"reason": "需要补充"}
        first, second = await asyncio.gather(
            client.post(url(world, "/edit-request"), json=body, headers=world["as_applicant"]),
            client.post(url(world, "/edit-request"), json=body, headers=world["as_applicant"]))
        assert (first.status_code, second.status_code) == (200, 200)
        third = await client.post(url(world, "/edit-request"), json=body, headers=world["as_applicant"])
        assert third.status_code == 200
        dossier = await stored(world)
        assert [t.action for t in dossier.trail].count("request_edit") == 1

    async def test_two_presses_that_both_read_before_either_writes_make_one_request(self, client, world,
                                                                                     monkeypatch):
        """Both presses check "no pending request" on the same version; the second write misses, reads again
        and answers with the first one's request."""
        from app.routing import requests as steps

        await act(client, world, "as_employer", "pass")
        real, reads, both_read = steps.dossiers.get_own, [], asyncio.Event()

        async def get_own(actor, dossier_id):
            dossier = await real(actor, dossier_id)
            reads.append(dossier.version)
            if len(reads) == 2:
                both_read.set()
            if len(reads) <= 2:
                await both_read.wait()
            return dossier

        monkeypatch.setattr(steps.dossiers, "get_own", get_own)
        first, second = await asyncio.gather(
            steps.request_edit(actor=world["applicant"], dossier_id=ObjectId(world["dossier_id"]), reason="一"),
            steps.request_edit(actor=world["applicant"], dossier_id=ObjectId(world["dossier_id"]), reason="二"))
        assert reads[0] == reads[1] and len(reads) == 3            # the loser read once more
        assert first.edit_request.id == second.edit_request.id
        assert [t.action for t in (await stored(world)).trail].count("request_edit") == 1

    async def test_a_request_left_pending_by_a_return_does_not_block_the_next_round(self, client, world):
        await act(client, world, "as_employer", "pass")
        await client.post(url(world, "/edit-request"), json={"reason": "第一次"}, headers=world["as_applicant"])
        await act(client, world, "as_employer", "return", opinion="补充材料")       # returned without an answer
        row = await DossierRow.get(ObjectId(world["dossier_id"]))
        assert not any(k.startswith("requests:") for k in row.queue_keys)
        assert (await client.post(url(world, "/submit"), headers=world["as_applicant"])).status_code == 200
        await act(client, world, "as_employer", "pass")
        r = await client.post(url(world, "/edit-request"), json={"reason": "第二次"}, headers=world["as_applicant"])
        assert r.status_code == 200
        dossier = await stored(world)
        assert dossier.edit_request.reason == "第二次"
        assert [t.action for t in dossier.trail].count("request_edit") == 2

    async def test_wrong_states_and_other_parties(self, client, world):
        r = await client.post(url(world, "/edit-request"), json={"reason": "x"}, headers=world["as_applicant"])
        assert r.status_code == 409 and r.json()["code"] == "withdraw_instead"    # not yet reviewed: withdraw
        await act(client, world, "as_employer", "return", opinion="补充")
        r = await client.post(url(world, "/edit-request"), json={"reason": "x"}, headers=world["as_applicant"])
        assert r.status_code == 409 and r.json()["code"] == "not_edit_requestable"
        r = await client.post(url(world, "/edit-request"), json={"reason": ""}, headers=world["as_applicant"])
        assert r.status_code == 422 and r.json()["field"] == "reason"
        r = await client.post(url(world, "/edit-request"), json={"reason": "x"}, headers=world["as_employer"])
        assert r.status_code == 404
        r = await client.post(url(world, "/edit-request/decision"), json={"grant": True},
                              headers=await outsider())
        assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"


async def carried_draft(world) -> dict:
    draft = await a_draft(world)
    await force_dossier(draft["dossier_id"], **{"sections.education.rows.0.carried": True})
    return draft


CORRECTED = {"start": "2004-09", "end": "2008-07", "school": "山东师范大学", "major": "舞蹈学", "education_level": "21",
             "degree": "bachelor", "study_mode": "fulltime", "full_time": True, "highest": True, "qualifying": True}


class TestEducationChange:
    async def test_approved_by_the_employer_the_row_changes_in_the_trail(self, client, world):
        draft = await carried_draft(world)
        assert (await client.get(url(draft), headers=draft["as_employer"])).status_code == 404     # a draft
        body = {"row_id": "edu0000001", "row": CORRECTED, "reason": "毕业学校填错"}
        first, second = await asyncio.gather(
            client.post(url(draft, "/education-requests"), json=body, headers=draft["as_applicant"]),
            client.post(url(draft, "/education-requests"), json=body, headers=draft["as_applicant"]))
        assert (first.status_code, second.status_code) == (200, 200), first.text
        dossier = await stored(draft)
        assert len(dossier.education_requests) == 1
        request_id = dossier.education_requests[0].id
        # the employer reads the draft while the request waits for it, and finds it among its requests
        assert (await client.get(url(draft), headers=draft["as_employer"])).status_code == 200
        queue = (await client.get("/api/review/queue", params={"view": "requests"},
                                  headers=draft["as_employer"])).json()
        assert [i["id"] for i in queue["items"]] == [draft["dossier_id"]]
        r = await client.post(url(draft, f"/education-requests/{request_id}/decision"), json={"approve": True},
                              headers=draft["as_applicant"])
        assert r.status_code == 403 and r.json()["code"] == "own_dossier"
        r = await client.post(url(draft, f"/education-requests/{request_id}/decision"), json={"approve": True},
                              headers=draft["as_employer"])
        assert r.status_code == 200, r.text
        dossier = await stored(draft)
        row = dossier.sections["education"]["rows"][0]
        assert row["school"] == "山东师范大学" and row["carried"] is True
        entry = dossier.trail[-1]
        assert entry.action == "approve_education_change"
        assert (entry.detail["before"]["school"], entry.detail["after"]["school"]) == ("山东艺术学院", "山东师范大学")
        assert (await client.get(url(draft), headers=draft["as_employer"])).status_code == 404     # answered
        assert await InboxMessage.find_one({"user_id": draft["applicant"].id, "title": "修改学历申请已同意"})
        again = await client.post(url(draft, f"/education-requests/{request_id}/decision"), json={"approve": True},
                                  headers=draft["as_applicant"])
        assert again.status_code in (403, 409)

    async def test_refused_by_the_hr_bureau_the_row_stays(self, client, world):
        draft = await carried_draft(world)
        body = {"row_id": "edu0000001", "row": CORRECTED, "reason": "毕业学校填错"}
        await client.post(url(draft, "/education-requests"), json=body, headers=draft["as_applicant"])
        request_id = (await stored(draft)).education_requests[0].id
        decision = url(draft, f"/education-requests/{request_id}/decision")
        r = await client.post(decision, json={"approve": False}, headers=draft["as_hr"])
        assert r.status_code == 422 and r.json()["field"] == "answer"
        r = await client.post(decision, json={"approve": False, "answer": "与学信网记录不符"}, headers=draft["as_hr"])
        assert r.status_code == 200, r.text
        dossier = await stored(draft)
        assert dossier.sections["education"]["rows"][0]["school"] == "山东艺术学院"
        assert dossier.education_requests[0].status == "refused"
        assert dossier.trail[-1].action == "refuse_education_change" and dossier.trail[-1].unit_id == draft["hr"].id
        r = await client.post(decision, json={"approve": True}, headers=draft["as_hr"])
        assert r.status_code == 404      # answered: the draft is the applicant's alone again

    async def test_bad_requests(self, client, world):
        draft = await a_draft(world)
        body = {"row_id": "edu0000001", "row": CORRECTED, "reason": "改"}
        r = await client.post(url(draft, "/education-requests"), json=body, headers=draft["as_applicant"])
        assert r.status_code == 422 and r.json()["code"] == "not_carried"
        await force_dossier(draft["dossier_id"], **{"sections.education.rows.0.carried": True})
        r = await client.post(url(draft, "/education-requests"), json={**body, "row_id": "edu0000009"},
                              headers=draft["as_applicant"])
        assert r.status_code == 404 and r.json()["code"] == "row_not_found"
        r = await client.post(url(draft, "/education-requests"), json={**body, "row": {**CORRECTED, "school": ""}},
                              headers=draft["as_applicant"])
        assert r.status_code == 422 and r.json()["field"].startswith("row")
        original = (await stored(draft)).sections["education"]["rows"][0]
        r = await client.post(url(draft, "/education-requests"),
                              json={**body, "row": {k: v for k, v in original.items() if k not in ("id", "carried")}},
                              headers=draft["as_applicant"])
        assert r.status_code == 422 and r.json()["code"] == "unchanged"
        await force_dossier(draft["dossier_id"], status="submitted")
        r = await client.post(url(draft, "/education-requests"), json=body, headers=draft["as_applicant"])
        assert r.status_code == 409 and r.json()["code"] == "not_editable"
        assert (await stored(draft)).education_requests == []


class TestStepAttachments:
    async def test_the_holder_uploads_it_is_in_the_trail_and_the_bundle(self, client, world):
        pdf = {"file": ("推荐意见.pdf", pdf_bytes(1), "application/pdf")}
        r = await client.post(url(world, "/step-attachments"), data={"kind": "recommendation"}, files=pdf,
                              headers=world["as_employer"])
        assert r.status_code == 201, r.text
        attachment = r.json()
        assert attachment["kind_label"] == "推荐材料" and attachment["unit_name"] == "济南市群众艺术馆"
        trail = (await client.get(url(world, "/trail"), headers=world["as_applicant"])).json()
        assert trail[-1]["action"] == "step_attachment"
        assert trail[-1]["attachment_id"] == attachment["id"] and "推荐意见.pdf" in trail[-1]["attachment_label"]
        assert (await stored(world)).status == "submitted"
        listed = (await client.get(url(world, "/step-attachments"), headers=world["as_employer"])).json()
        assert [a["id"] for a in listed] == [attachment["id"]]
        download = await client.get(url(world, f"/attachments/{attachment['id']}"), headers=world["as_employer"])
        assert download.status_code == 200 and download.content.startswith(b"%PDF")
        bundle = await client.get(url(world, "/bundle.zip"), params={"forms": "false"}, headers=world["as_employer"])
        assert bundle.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
        assert any("/流程附件/01-推荐材料-济南市群众艺术馆-推荐意见.pdf" in n for n in names), names

    async def test_refused_for_others_wrong_kinds_and_bad_files(self, client, world):
        pdf = {"file": ("a.pdf", pdf_bytes(1), "application/pdf")}
        r = await client.post(url(world, "/step-attachments"), data={"kind": "x"}, files=pdf,
                              headers=world["as_employer"])
        assert r.status_code == 422 and r.json()["field"] == "kind"
        r = await client.post(url(world, "/step-attachments"), data={"kind": "publicity"},
                              files={"file": ("a.txt", b"hello", "text/plain")}, headers=world["as_employer"])
        assert r.status_code == 422 and r.json()["field"] == "file"
        r = await client.post(url(world, "/step-attachments"), data={"kind": "publicity"}, files=pdf,
                              headers=world["as_department"])
        assert r.status_code == 409 and r.json()["code"] == "not_your_node"   # reads it (above), does not hold it
        r = await client.post(url(world, "/step-attachments"), data={"kind": "publicity"}, files=pdf,
                              headers=await outsider())
        assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"
        r = await client.post(url(world, "/step-attachments"), data={"kind": "publicity"}, files=pdf,
                              headers=world["as_applicant"])
        assert r.status_code == 403 and r.json()["code"] == "own_dossier"
        await act(client, world, "as_employer", "pass")
        await act(client, world, "as_employer", "report")
        r = await client.post(url(world, "/step-attachments"), data={"kind": "publicity"}, files=pdf,
                              headers=world["as_employer"])
        assert r.status_code == 409 and r.json()["code"] == "not_your_node"
        assert (await stored(world)).step_attachments == []
        assert await db.current().db["fs.files"].count_documents({"metadata.section": "step"}) == 0


class TestSavedOpinion:
    async def test_saved_then_prefilled_then_cleared_by_the_decision(self, client, world):
        versions_before = len((await stored(world)).trail)
        r = await client.put(url(world, "/opinion-draft"), json={"opinion": "材料齐全，拟同意推荐", "signer": "张主任"},
                             headers=world["as_employer"])
        assert r.status_code == 200, r.text
        assert len((await stored(world)).trail) == versions_before         # not a decision
        got = (await client.get(url(world, "/opinion-draft"), headers=world["as_employer"])).json()
        assert got["opinion"] == "材料齐全，拟同意推荐" and got["signer"] == "张主任"
        assert (await client.get(url(world, "/opinion-draft"), headers=world["as_applicant"])).json() is None
        assert (await act(client, world, "as_employer", "read")).status_code == 200       # 已阅 decides nothing
        assert str(world["employer"].id) in (await stored(world)).opinion_drafts
        r = await act(client, world, "as_employer", "pass", opinion="同意推荐")
        assert r.status_code == 200
        assert (await stored(world)).opinion_drafts == {}

    async def test_refused_when_not_holding_it(self, client, world):
        r = await client.put(url(world, "/opinion-draft"), json={"opinion": "x"}, headers=world["as_applicant"])
        assert r.status_code == 403
        r = await client.put(url(world, "/opinion-draft"), json={"opinion": "x"}, headers=world["as_department"])
        assert r.status_code == 409 and r.json()["code"] == "not_your_node"
        r = await client.put(url(world, "/opinion-draft"), json={"opinion": "x"}, headers=await outsider())
        assert r.status_code == 404
        r = await client.put(url(world, "/opinion-draft"), json={"opinion": "x" * 2001}, headers=world["as_employer"])
        assert r.status_code == 422 and r.json()["field"] == "opinion"
