"""代表作: the applicant marks uploaded PDF proofs as representative works through the dossier's one write path
(If-Match, the batch's limit, only papers/achievements/awards/other PDFs), and deleting a marked attachment
unmarks it in the same write."""

from app.catalog import batches
from app.catalog.models import Batch
from tests.factories import (create_batch, create_person, create_unit, declaration_payload, fill_complete, jpeg_bytes,
                             login, pdf_bytes)


async def _draft(client):
    unit, _ = await create_unit(name="济南市群众艺术馆")
    batch = await create_batch()
    await Batch.get_pymongo_collection().update_one({"_id": batch.id}, {"$set": {"rules.blind_review.max_works": 2}})
    batches.forget_recent(batch.id)
    applicant = await create_person(name="王小明")
    headers = await login(client, applicant)
    r = await client.post("/api/dossiers", json=declaration_payload(batch, unit), headers=headers)
    dossier_id = r.json()["id"]
    etag = await fill_complete(client, headers, dossier_id, applicant.id_number)
    ids = []
    for name, content, kind in (("论文一.pdf", pdf_bytes(2), "application/pdf"), ("论文二.pdf", pdf_bytes(1), "application/pdf"),
                                ("论文三.pdf", pdf_bytes(1), "application/pdf"), ("照片.jpg", jpeg_bytes(), "image/jpeg")):
        r = await client.post(f"/api/dossiers/{dossier_id}/attachments", data={"section": "achievements",
                                                                                "row_id": "ach0000001"},
                              files={"file": (name, content, kind)}, headers=headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
        etag = r.headers["ETag"]
    return dossier_id, headers, ids, etag


async def test_marks_are_written_with_if_match_and_checked(client):
    dossier_id, headers, (a, b, c, photo), etag = await _draft(client)
    url = f"/api/dossiers/{dossier_id}/representative-works"
    r = await client.put(url, json={"attachment_ids": [b, a]}, headers={**headers, "If-Match": etag})
    assert r.status_code == 200 and r.json()["representative_works"] == [b, a]
    assert r.headers["ETag"] != etag
    stale = await client.put(url, json={"attachment_ids": [a]}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    fresh = r.headers["ETag"]
    for ids, code in (([a, b, c], "too_many_works"), ([photo], "work_not_pdf"), (["nope"], "not_a_work")):
        r = await client.put(url, json={"attachment_ids": ids}, headers={**headers, "If-Match": fresh})
        assert r.status_code == 422 and r.json()["code"] == code and r.json()["field"] == "attachment_ids", r.text
    assert (await client.get(f"/api/dossiers/{dossier_id}", headers=headers)).json()["representative_works"] == [b, a]
    # deleting a marked work unmarks it in the same write
    assert (await client.delete(f"/api/dossiers/{dossier_id}/attachments/{b}", headers=headers)).status_code == 204
    assert (await client.get(f"/api/dossiers/{dossier_id}", headers=headers)).json()["representative_works"] == [a]


async def test_only_the_editor_marks_and_only_while_editable(client):
    dossier_id, headers, (a, *_), etag = await _draft(client)
    url = f"/api/dossiers/{dossier_id}/representative-works"
    other = await login(client, await create_person(name="李四"))
    r = await client.put(url, json={"attachment_ids": [a]}, headers={**other, "If-Match": etag})
    assert r.status_code == 404
    assert (await client.post(f"/api/dossiers/{dossier_id}/submit", headers=headers)).status_code == 200
    etag = (await client.get(f"/api/dossiers/{dossier_id}", headers=headers)).headers["ETag"]
    r = await client.put(url, json={"attachment_ids": [a]}, headers={**headers, "If-Match": etag})
    assert r.status_code == 409 and r.json()["code"] == "not_editable"
