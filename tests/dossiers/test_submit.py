"""确认申报: completeness, the frozen snapshot, withdrawal, resubmission and what changed; scope of reading."""

import asyncio

import pytest
from bson import ObjectId

from app import db
from app.dossiers import access, writes
from app.dossiers.models import Dossier, DossierAccess
from tests.factories import create_batch, create_person, declaration_payload, fill_complete, force_dossier, login


@pytest.fixture
async def dossier(client, applicant):
    r = await client.post("/api/dossiers", json=declaration_payload(applicant["batch"], applicant["unit"]),
                          headers=applicant["headers"])
    return {"id": r.json()["id"], "url": f"/api/dossiers/{r.json()['id']}", **applicant}


async def submit(client, dossier):
    return await client.post(f"{dossier['url']}/submit", headers=dossier["headers"])


class TestSubmit:
    async def test_incomplete_dossier_gets_the_missing_list(self, client, dossier):
        report = (await client.get(f"{dossier['url']}/completeness", headers=dossier["headers"])).json()
        assert report["complete"] is False
        missing = {s["section"]: s["missing"] for s in report["sections"] if s["missing"]}
        assert "请上传大一寸照片" in missing["basic"] and "请填写工作经历" in missing["work_history"]
        r = await submit(client, dossier)
        assert r.status_code == 422 and r.json()["code"] == "incomplete"
        assert {m["section"] for m in r.json()["missing"]} == set(missing)
        assert (await Dossier.get(dossier["id"])).status == "draft"

    async def test_required_proofs_are_part_of_completeness(self, client, dossier):
        await fill_complete(client, dossier["headers"], dossier["id"], dossier["person"].id_number)
        stored = await Dossier.get(dossier["id"])
        proof = stored.attachments_of("education")[0]
        assert (await client.delete(f"{dossier['url']}/attachments/{proof.id}",
                                    headers=dossier["headers"])).status_code == 204
        r = await submit(client, dossier)
        assert r.status_code == 422
        assert r.json()["missing"] == [{"section": "education", "label": "学历信息", "missing": ["第1项缺少证明材料"]}]

    async def test_submit_freezes_a_snapshot_and_locks(self, client, dossier):
        etag = await fill_complete(client, dossier["headers"], dossier["id"], dossier["person"].id_number)
        r = await submit(client, dossier)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "submitted" and r.json()["editable"] is False and r.json()["snapshots"] == 1
        stored = await Dossier.get(dossier["id"])
        assert stored.current_unit_id == dossier["unit"].id
        assert stored.snapshots[0].sections == stored.sections
        assert {a.id for a in stored.snapshots[0].attachments} == {a.id for a in stored.attachments}
        assert [(t.action, t.from_status, t.to_status) for t in stored.trail] == [("submit", "draft", "submitted")]
        r = await client.put(f"{dossier['url']}/sections/summary", json={"text": "改"},
                             headers={**dossier["headers"], "If-Match": r.headers["ETag"]})
        assert r.status_code == 409
        assert (await submit(client, dossier)).status_code == 409
        assert etag

    async def test_outside_the_window(self, client, applicant):
        closed = await create_batch(open_now=False)
        created = await Dossier(applicant_id=applicant["person"].id, applicant_name=applicant["person"].name,
                                id_number=applicant["person"].id_number, batch_id=closed.id, year=closed.year,
                                declaration={**declaration_payload(closed, applicant["unit"]),
                                             "employer_unit_name": "x"},
                                commitment={"agreed_at": closed.opens_at, "text_sha256": "0" * 64}).insert()
        await writes.refresh(created.id)
        await fill_complete(client, applicant["headers"], str(created.id), applicant["person"].id_number)
        r = await client.post(f"/api/dossiers/{created.id}/submit", headers=applicant["headers"])
        assert r.status_code == 409 and r.json()["code"] == "batch_closed"

    async def test_pressing_submit_twice_at_once(self, client, dossier):
        await fill_complete(client, dossier["headers"], dossier["id"], dossier["person"].id_number)
        results = await asyncio.gather(submit(client, dossier), submit(client, dossier))
        assert sorted(r.status_code for r in results) in ([200, 409], [200, 412])
        stored = await Dossier.get(dossier["id"])
        assert len(stored.snapshots) == 1 and len(stored.trail) == 1


class TestWithdrawAndResubmit:
    async def test_withdraw_edit_resubmit_and_see_what_changed(self, client, dossier):
        await fill_complete(client, dossier["headers"], dossier["id"], dossier["person"].id_number)
        await submit(client, dossier)
        r = await client.post(f"{dossier['url']}/withdraw", headers=dossier["headers"])
        assert r.status_code == 200 and r.json()["status"] == "draft"
        etag = r.headers.get("ETag") or f'"{r.json()["version"]}"'
        r = await client.put(f"{dossier['url']}/sections/summary", json={"text": "修改后的工作总结。"},
                             headers={**dossier["headers"], "If-Match": etag})
        assert r.status_code == 200
        r = await submit(client, dossier)
        assert r.status_code == 200 and r.json()["snapshots"] == 2
        changes = (await client.get(f"{dossier['url']}/changes", params={"from": 1, "to": 2},
                                    headers=dossier["headers"])).json()
        assert changes == [{"part": "summary", "label": "任现职以来工作总结", "change": "changed", "row_id": None,
                            "field": "text", "before": "任现职以来，本人长期从事群众舞蹈辅导与创编工作，组织培训百余场。",
                            "after": "修改后的工作总结。"}]
        trail = [t.action for t in (await Dossier.get(dossier["id"])).trail]
        assert trail == ["submit", "withdraw", "submit"]

    async def test_no_withdrawal_once_a_reviewer_acted(self, client, dossier):
        await fill_complete(client, dossier["headers"], dossier["id"], dossier["person"].id_number)
        await submit(client, dossier)
        await force_dossier(dossier["id"], reviewer_acted=True)
        r = await client.post(f"{dossier['url']}/withdraw", headers=dossier["headers"])
        assert r.status_code == 409 and r.json()["code"] == "not_withdrawable"

    async def test_draft_cannot_be_withdrawn(self, client, dossier):
        r = await client.post(f"{dossier['url']}/withdraw", headers=dossier["headers"])
        assert r.status_code == 409

    async def test_snapshot_files_survive_later_edits(self, client, dossier):
        await fill_complete(client, dossier["headers"], dossier["id"], dossier["person"].id_number)
        await submit(client, dossier)
        r = await client.post(f"{dossier['url']}/withdraw", headers=dossier["headers"])
        proof = (await Dossier.get(dossier["id"])).attachments_of("education")[0]
        assert (await client.delete(f"{dossier['url']}/attachments/{proof.id}",
                                    headers=dossier["headers"])).status_code == 204
        assert await db.current().db["fs.files"].count_documents({"_id": proof.file.file_id}) == 1
        assert r.status_code == 200


class TestCarriedEducation:
    async def test_education_is_carried_and_cannot_be_deleted(self, client, dossier):
        await fill_complete(client, dossier["headers"], dossier["id"], dossier["person"].id_number)
        assert (await submit(client, dossier)).status_code == 200
        next_year = await create_batch(year=dossier["batch"].year + 1)
        r = await client.post("/api/dossiers", json=declaration_payload(next_year, dossier["unit"]),
                              headers=dossier["headers"])
        assert r.status_code == 201
        new = r.json()
        rows = new["sections"]["education"]["rows"]
        assert len(rows) == 1 and rows[0]["carried"] is True
        carried_proof = [a for a in new["attachments"] if a["section"] == "education"]
        assert carried_proof and carried_proof[0]["carried"] is True
        url = f"/api/dossiers/{new['id']}"
        headers = {**dossier["headers"], "If-Match": r.headers["ETag"]}
        r = await client.put(f"{url}/sections/education", json={"rows": []}, headers=headers)
        assert r.status_code == 422 and r.json()["code"] == "carried_education"
        changed = dict(rows[0], school="另一所学校")
        r = await client.put(f"{url}/sections/education", json={"rows": [changed]}, headers=headers)
        assert r.status_code == 422 and "不能修改" in r.json()["message"]
        extra = dict(rows[0], id="edu0000002", carried=False, highest=False, school="中国艺术研究院",
                     start="2010-09", end="2013-07", education_level="14", degree="master")
        r = await client.put(f"{url}/sections/education", json={"rows": [rows[0], extra]}, headers=headers)
        assert r.status_code == 200, r.text
        r = await client.delete(f"{url}/attachments/{carried_proof[0]['id']}", headers=dossier["headers"])
        assert r.status_code == 409 and r.json()["code"] == "carried_attachment"


class TestScope:
    async def test_employer_unit_reads_submitted_dossiers_and_is_recorded(self, client, dossier):
        unit_headers = await login(client, dossier["unit_account"])
        assert (await client.get(dossier["url"], headers=unit_headers)).status_code == 404   # a draft
        await fill_complete(client, dossier["headers"], dossier["id"], dossier["person"].id_number)
        await submit(client, dossier)
        r = await client.get(dossier["url"], headers=unit_headers)
        assert r.status_code == 200
        assert r.json()["id_number"] == dossier["person"].id_number      # the employer certifies identity
        await access.flush()
        records = await DossierAccess.find({"dossier_id": ObjectId(dossier["id"])}).to_list()
        assert [(r.user_id, [a.action for a in r.actions]) for r in records] == \
            [(dossier["unit_account"].id, ["read", "id_number"])]

    async def test_other_people_get_404(self, client, dossier):
        await fill_complete(client, dossier["headers"], dossier["id"], dossier["person"].id_number)
        await submit(client, dossier)
        from tests.factories import create_unit

        _, stranger_unit = await create_unit()
        for headers in (await login(client, await create_person()), await login(client, stranger_unit)):
            assert (await client.get(dossier["url"], headers=headers)).status_code == 404
            assert (await client.get(f"{dossier['url']}/changes", headers=headers)).status_code == 404
