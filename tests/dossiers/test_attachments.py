"""Attachments: per row, within the batch's rules, checked by content; nothing stored on failure."""

import io
from datetime import timedelta

import pytest
from PIL import Image

from app import clock, db
from app.catalog.models import AttachmentRule, Batch
from app.dossiers.attachments import sweep_orphans
from app.dossiers.models import Dossier
from tests.factories import (complete_sections, create_person, declaration_payload, force_dossier, jpeg_bytes, login,
                             pdf_bytes)


@pytest.fixture
async def dossier(client, applicant):
    r = await client.post("/api/dossiers", json=declaration_payload(applicant["batch"], applicant["unit"]),
                          headers=applicant["headers"])
    body = complete_sections(applicant["person"].id_number)["education"]
    url = f"/api/dossiers/{r.json()['id']}"
    saved = await client.put(f"{url}/sections/education", json=body,
                             headers={**applicant["headers"], "If-Match": r.headers["ETag"]})
    assert saved.status_code == 200
    return {"id": r.json()["id"], "url": url, "etag": saved.headers["ETag"], **applicant}


async def upload(client, dossier, *, section="education", row_id="edu0000001", name="证书.pdf", content=None,
                 mime="application/pdf"):
    data = {"section": section, **({"row_id": row_id} if row_id else {})}
    return await client.post(f"{dossier['url']}/attachments", data=data,
                             files={"file": (name, content if content is not None else pdf_bytes(3), mime)},
                             headers=dossier["headers"])


async def stored_files() -> int:
    return await db.current().db["fs.files"].count_documents({})


class TestUpload:
    async def test_pdf_for_a_row(self, client, dossier):
        r = await upload(client, dossier, name="学历 证书（2008）.pdf")
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["pages"] == 3 and body["kind"] == "pdf" and body["row_id"] == "edu0000001"
        got = await client.get(f"{dossier['url']}/attachments/{body['id']}", headers=dossier["headers"])
        assert got.status_code == 200 and got.content.startswith(b"%PDF")
        assert "filename*=UTF-8''" in got.headers["content-disposition"]
        section = (await client.get(f"{dossier['url']}/sections/education", headers=dossier["headers"])).json()
        assert [a["id"] for a in section["attachments"]] == [body["id"]]

    async def test_anonymous(self, client, dossier):
        r = await client.post(f"{dossier['url']}/attachments", data={"section": "other"},
                              files={"file": ("a.pdf", pdf_bytes(), "application/pdf")})
        assert r.status_code == 401

    async def test_row_must_be_saved_first(self, client, dossier):
        r = await upload(client, dossier, row_id="nosuchrow1")
        assert r.status_code == 422 and r.json()["code"] == "row_not_found"
        assert await stored_files() == 0

    @pytest.mark.parametrize("name, content, code", [
        ("证书.pdf", b"MZ\x90\x00" + b"\x00" * 200, "file_type_not_allowed"),
        ("证书.pdf", b"<html><script>alert(1)</script></html>", "file_type_not_allowed"),
        ("证书.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj broken", "pdf_broken"),
        ("证书.pdf", b"", "file_empty"),
    ])
    async def test_bad_files_store_nothing(self, client, dossier, name, content, code):
        r = await upload(client, dossier, name=name, content=content)
        assert r.status_code == 422 and r.json()["code"] == code
        assert await stored_files() == 0
        assert (await Dossier.get(dossier["id"])).attachments == []

    async def test_size_limit_of_the_batch(self, client, dossier):
        await Batch.get_pymongo_collection().update_one(
            {"_id": dossier["batch"].id},
            {"$set": {"rules.attachments.education": AttachmentRule(kinds=["pdf"], max_bytes=2000).model_dump()}})
        r = await upload(client, dossier, content=pdf_bytes(1) + b"%" * 5000)
        assert r.status_code == 422 and r.json()["code"] == "file_too_large"
        r = await upload(client, dossier, name="scan.jpg", content=jpeg_bytes((50, 50)), mime="image/jpeg")
        assert r.status_code == 422 and r.json()["code"] == "file_type_not_allowed"
        assert await stored_files() == 0

    async def test_photo_is_normalised_and_replaced(self, client, dossier):
        first = await upload(client, dossier, section="basic", row_id="photo", name="me.jpg",
                             content=jpeg_bytes((1200, 1600)), mime="image/jpeg")
        assert first.status_code == 201, first.text
        got = await client.get(f"{dossier['url']}/attachments/{first.json()['id']}", headers=dossier["headers"])
        assert Image.open(io.BytesIO(got.content)).size == (390, 567)
        second = await upload(client, dossier, section="basic", row_id="photo", name="me2.jpg",
                              content=jpeg_bytes((600, 800), (10, 20, 30)), mime="image/jpeg")
        assert second.status_code == 201
        photos = (await Dossier.get(dossier["id"])).attachments_of("basic", "photo")
        assert [p.id for p in photos] == [second.json()["id"]]
        assert await stored_files() == 1
        r = await upload(client, dossier, section="basic", row_id="photo", content=pdf_bytes())
        assert r.status_code == 422

    async def test_other_applicant_cannot_download(self, client, dossier):
        r = await upload(client, dossier)
        other = await login(client, await create_person())
        got = await client.get(f"{dossier['url']}/attachments/{r.json()['id']}", headers=other)
        assert got.status_code == 404


class TestChange:
    async def test_replace_and_delete(self, client, dossier):
        first = (await upload(client, dossier)).json()
        r = await client.put(f"{dossier['url']}/attachments/{first['id']}", headers=dossier["headers"],
                             files={"file": ("新证书.pdf", pdf_bytes(5), "application/pdf")})
        assert r.status_code == 200 and r.json()["pages"] == 5 and r.json()["filename"] == "新证书.pdf"
        assert await stored_files() == 1
        assert (await client.delete(f"{dossier['url']}/attachments/{first['id']}",
                                    headers=dossier["headers"])).status_code == 204
        assert await stored_files() == 0
        assert (await client.delete(f"{dossier['url']}/attachments/{first['id']}",
                                    headers=dossier["headers"])).status_code == 404

    async def test_every_change_moves_the_version_and_answers_the_new_etag(self, client, dossier):
        before = int(dossier["etag"].strip('"'))
        added = await upload(client, dossier)
        assert added.headers["ETag"] == f'"{before + 1}"' and added.json()["dossier_version"] == before + 1
        replaced = await client.put(f"{dossier['url']}/attachments/{added.json()['id']}", headers=dossier["headers"],
                                    files={"file": ("新证书.pdf", pdf_bytes(2), "application/pdf")})
        assert replaced.headers["ETag"] == f'"{before + 2}"' and replaced.json()["dossier_version"] == before + 2
        deleted = await client.delete(f"{dossier['url']}/attachments/{added.json()['id']}", headers=dossier["headers"])
        assert deleted.status_code == 204 and deleted.headers["ETag"] == f'"{before + 3}"'
        stored = await Dossier.get(dossier["id"])
        assert stored.version == before + 3
        r = await client.put(f"{dossier['url']}/sections/summary", json={"text": "总结"},
                             headers={**dossier["headers"], "If-Match": dossier["etag"]})
        assert r.status_code == 412 and r.json()["current_version"] == before + 3

    async def test_removing_a_row_removes_its_proofs(self, client, dossier):
        etag = (await upload(client, dossier)).headers["ETag"]
        r = await client.put(f"{dossier['url']}/sections/education", json={"rows": []},
                             headers={**dossier["headers"], "If-Match": etag})
        assert r.status_code == 200
        assert (await Dossier.get(dossier["id"])).attachments == []
        assert await stored_files() == 0

    async def test_read_only_after_submission(self, client, dossier):
        ref = (await upload(client, dossier)).json()
        await force_dossier(dossier["id"], status="submitted")
        assert (await upload(client, dossier)).json()["code"] == "not_editable"
        r = await client.delete(f"{dossier['url']}/attachments/{ref['id']}", headers=dossier["headers"])
        assert r.status_code == 409
        r = await client.put(f"{dossier['url']}/attachments/{ref['id']}", headers=dossier["headers"],
                             files={"file": ("x.pdf", pdf_bytes(), "application/pdf")})
        assert r.status_code == 409
        assert await stored_files() == 1


async def test_orphan_sweep_removes_only_unreferenced_old_files(client, dossier):
    from app.files import service as files

    await upload(client, dossier)
    orphan = await files.store_upload(_chunks(pdf_bytes()), allowed=["pdf"], max_bytes=10**6, field="file",
                                      metadata={}, filename="orphan.pdf")
    assert await sweep_orphans() == 0                      # still inside the grace period
    clock.advance(timedelta(hours=2).total_seconds())
    assert await sweep_orphans() == 1
    remaining = [f["_id"] async for f in db.current().db["fs.files"].find({}, {"_id": 1})]
    assert orphan.file_id not in remaining and len(remaining) == 1


async def _chunks(data: bytes):
    yield data
