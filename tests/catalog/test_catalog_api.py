"""Dictionaries through the API (cascade, import, export, edits) and batch administration."""

import json

from app.catalog.models import Batch, DictionaryEntry
from tests.factories import create_batch, create_person, create_sysadmin, login, pdf_bytes


class TestDictionaries:
    async def test_cascade_series_titles_specialties(self, client):
        titles = (await client.get("/api/catalog/titles", params={"parent": "qzwh"})).json()
        by_level = {t["extra"]["level"]: t["name"] for t in titles}
        assert by_level == {"2": "助理馆员", "3": "馆员", "4": "副研究馆员", "5": "研究馆员"}
        specialties = [s["name"] for s in (await client.get("/api/catalog/specialties",
                                                            params={"parent": "qzwh"})).json()]
        assert "舞蹈" in specialties
        r = await client.get("/api/catalog/no_such_dictionary")
        assert r.status_code == 404 and r.json()["field"] == "dictionary"

    async def test_export_then_import_round_trips(self, client):
        admin = await login(client, await create_sysadmin())
        exported = (await client.get("/api/catalog/export", params={"dictionary": "series"}, headers=admin)).json()
        assert list(exported) == ["series"] and len(exported["series"]) >= 10
        exported["series"].append({"code": "zz", "name": "测试系列"})
        r = await client.post("/api/catalog/import", headers=admin,
                              files={"file": ("dict.json", json.dumps(exported, ensure_ascii=False).encode(),
                                              "application/json")})
        assert r.status_code == 200 and r.json()["imported"] == len(exported["series"])
        assert await DictionaryEntry.find_one({"dictionary": "series", "code": "zz", "name": "测试系列"})

    async def test_a_bad_import_stores_nothing(self, client):
        admin = await login(client, await create_sysadmin())
        before = await DictionaryEntry.find_all().count()
        bad = {"series": [{"code": "aa", "name": "甲"}, {"code": "bb"}]}
        r = await client.post("/api/catalog/import", headers=admin,
                              files={"file": ("d.json", json.dumps(bad).encode(), "application/json")})
        assert r.status_code == 422 and r.json()["code"] == "bad_import" and "第2条" in r.json()["message"]
        r = await client.post("/api/catalog/import", headers=admin,
                              files={"file": ("d.json", b"\xff\xfe not json", "application/json")})
        assert r.status_code == 422
        assert await DictionaryEntry.find_all().count() == before

    async def test_only_sysadmin_edits(self, client):
        person = await login(client, await create_person())
        r = await client.put("/api/catalog/series/zz", json={"name": "测试"}, headers=person)
        assert r.status_code == 403
        admin = await login(client, await create_sysadmin())
        r = await client.put("/api/catalog/series/zz", json={"name": "测试系列", "enabled": False}, headers=admin)
        assert r.status_code == 200
        codes = [s["code"] for s in (await client.get("/api/catalog/series")).json()]
        assert "zz" not in codes     # disabled entries are not offered


class TestBatchAdministration:
    async def test_update_with_if_match(self, client):
        batch = await create_batch()
        admin = await login(client, await create_sysadmin())
        current = await client.get(f"/api/batches/{batch.id}")
        body = {k: current.json()[k] for k in ("year", "name", "kind", "series", "levels", "specialties",
                                               "committee", "region_code", "opens_at", "closes_at", "notice",
                                               "commitment_text", "rules", "published")}
        body["rules"]["summary_max_chars"] = 800
        url = f"/api/batches/{batch.id}"
        assert (await client.put(url, json=body, headers=admin)).status_code == 428
        r = await client.put(url, json=body, headers={**admin, "If-Match": current.headers["ETag"]})
        assert r.status_code == 200 and r.json()["rules"]["summary_max_chars"] == 800
        r = await client.put(url, json=body, headers={**admin, "If-Match": current.headers["ETag"]})
        assert r.status_code == 412
        assert (await Batch.get(batch.id)).version == 1

    async def test_notice_attachments(self, client):
        batch = await create_batch()
        admin = await login(client, await create_sysadmin())
        r = await client.post(f"/api/batches/{batch.id}/notice-attachments", headers=admin,
                              files={"file": ("评审通知.pdf", pdf_bytes(2), "application/pdf")})
        assert r.status_code == 200
        attachment = r.json()["notice_attachments"][0]
        got = await client.get(f"/api/batches/{batch.id}/notice-attachments/{attachment['file_id']}")
        assert got.status_code == 200 and got.content.startswith(b"%PDF")
        person = await login(client, await create_person())
        r = await client.post(f"/api/batches/{batch.id}/notice-attachments", headers=person,
                              files={"file": ("x.pdf", pdf_bytes(), "application/pdf")})
        assert r.status_code == 403

    async def test_unpublished_batches_are_hidden(self, client):
        hidden = await create_batch(published=False)
        assert str(hidden.id) not in [b["id"] for b in (await client.get("/api/batches")).json()]
        assert (await client.get(f"/api/batches/{hidden.id}")).status_code == 404
        admin = await login(client, await create_sysadmin())
        assert (await client.get(f"/api/batches/{hidden.id}", headers=admin)).status_code == 200
