"""GET /api/dossiers/{id}/bundle.zip and /api/bundles.zip: folders, manifest hashes, STORED entries,
exact Content-Length, forms falling back to a catalogue, and the read scope."""

import hashlib
import io
import json
import zipfile

from bson import ObjectId

from app.dossiers import access
from app.dossiers.models import DossierAccess
from app.exports import archives
from app.exports.models import ExportEvent
from tests.exports.conftest import unzip
from tests.factories import create_person, create_unit, declaration_payload, fill_complete, force_dossier, login


def folder_of(world) -> str:
    return f"济南市群众艺术馆-王小明-{world['applicant'].id_number[-4:]}"


def check_manifest(zf: zipfile.ZipFile) -> dict:
    """Every listed file is there with its size and SHA-256; manifest.sha256 agrees."""
    manifest = json.loads(zf.read("manifest.json"))
    for entry in manifest["files"]:
        data = zf.read(entry["path"])
        assert len(data) == entry["size"] and hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
    sums = dict(reversed(line.split("  ", 1)) for line in zf.read("manifest.sha256").decode().splitlines())
    assert sums["manifest.json"] == hashlib.sha256(zf.read("manifest.json")).hexdigest()
    return manifest


class TestDossierBundle:
    async def test_anonymous_is_401(self, client, world):
        assert (await client.get(f"/api/dossiers/{world['dossier_id']}/bundle.zip")).status_code == 401

    async def test_the_employer_downloads_one_folder_with_manifest(self, client, world, tmp_path):
        r = await client.get(f"/api/dossiers/{world['dossier_id']}/bundle.zip?forms=false",
                             headers=world["as_employer"])
        zf = unzip(r)
        folder = folder_of(world)
        assert sorted(zf.namelist()) == sorted([
            f"{folder}/01-基本信息-照片.jpg", f"{folder}/02-学历信息-学历证书.pdf",
            f"{folder}/03-现专业技术资格及聘任-资格证书.pdf", f"{folder}/材料目录.csv",
            "manifest.json", "manifest.sha256"])
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED, info.filename
            assert info.flag_bits & 0x800 or info.filename.isascii()      # UTF-8 names
        manifest = check_manifest(zf)
        assert manifest["format"] == "zhicheng-bundle/1"
        assert manifest["dossiers"][0]["folder"] == folder and "forms_note" in manifest["dossiers"][0]
        assert "未要求" in manifest["notes"][0]        # no forms, and the manifest says so
        catalogue = zf.read(f"{folder}/材料目录.csv").decode("utf-8-sig")
        assert "学历证书.pdf" in catalogue and "SHA-256" in catalogue
        assert zf.read(f"{folder}/02-学历信息-学历证书.pdf").startswith(b"%PDF-")
        (tmp_path / "b.zip").write_bytes(r.content)
        assert archives.verify(tmp_path / "b.zip").problems == []
        assert "attachment" in r.headers["content-disposition"]
        await access.flush()
        assert await DossierAccess.find_one({"actions": {"action": "export", "detail": "bundle"}})

    async def test_another_unit_gets_404(self, client, world):
        _, account = await create_unit(name="另一家单位")
        r = await client.get(f"/api/dossiers/{world['dossier_id']}/bundle.zip", headers=await login(client, account))
        assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"

    async def test_unknown_dossier_is_404(self, client, world):
        r = await client.get(f"/api/dossiers/{ObjectId()}/bundle.zip", headers=world["as_employer"])
        assert r.status_code == 404


class TestForms:
    async def test_forms_are_made_while_streaming_then_served_from_the_cache(self, client, world, converter_pool):
        url = f"/api/dossiers/{world['dossier_id']}/bundle.zip"
        first = await client.get(url, headers=world["as_employer"])
        assert first.status_code == 200 and "content-length" not in first.headers     # made as it streamed
        zf = zipfile.ZipFile(io.BytesIO(first.content))
        folder = folder_of(world)
        for name in ("申报表.pdf", "简介表.pdf", "材料目录.pdf"):
            info = zf.getinfo(f"{folder}/{name}")
            assert info.compress_type == zipfile.ZIP_STORED and zf.read(info).startswith(b"%PDF-")
        assert f"{folder}/材料目录.csv" not in zf.namelist()
        manifest = check_manifest(zf)
        assert manifest["notes"] == [] and "forms_note" not in manifest["dossiers"][0]
        assert {f["source"] for f in manifest["files"]} == {"attachment", "form"}

        again = unzip(await client.get(url, headers=world["as_employer"]))     # every size known: exact length
        assert {n: again.read(n) for n in again.namelist() if n.endswith(".pdf")} == \
               {n: zf.read(n) for n in zf.namelist() if n.endswith(".pdf")}
        check_manifest(again)


class TestSelectionBundle:
    async def test_namesakes_with_the_same_id_tail_get_two_folders(self, client, world):
        namesake = await create_person(name="王小明")
        headers = await login(client, namesake)
        r = await client.post("/api/dossiers", json=declaration_payload(world["batch"], world["employer"]),
                              headers=headers)
        await fill_complete(client, headers, r.json()["id"], namesake.id_number)
        assert (await client.post(f"/api/dossiers/{r.json()['id']}/submit", headers=headers)).status_code == 200
        # the rare clash the folder names must survive
        await force_dossier(r.json()["id"], id_number=world["applicant"].id_number)
        r = await client.get(f"/api/bundles.zip?view=pending&batch_id={world['batch'].id}&forms=false",
                             headers=world["as_employer"])
        zf = unzip(r)
        folders = sorted({name.split("/")[0] for name in zf.namelist() if "/" in name})
        assert folders == [folder_of(world), folder_of(world) + "(2)"]
        manifest = check_manifest(zf)
        assert len(manifest["dossiers"]) == 2
        assert len([f for f in manifest["files"] if f["source"] == "attachment"]) == 6
        event = await ExportEvent.find_one({"kind": "bundle"})
        assert event.rows == 2 and event.selection["view"] == "pending"
        await access.flush()
        assert await DossierAccess.find({"actions": {"action": "export", "detail": "bundle"}}).count() == 2

    async def test_chosen_ids_are_cut_to_the_scope(self, client, world):
        _, account = await create_unit(name="另一家单位")
        other = await login(client, account)
        r = await client.get(f"/api/bundles.zip?ids={world['dossier_id']}", headers=other)
        assert r.status_code == 404 and r.json()["code"] == "nothing_selected"
        r = await client.get(f"/api/bundles.zip?ids={world['dossier_id']}&forms=false", headers=world["as_employer"])
        manifest = check_manifest(unzip(r))
        assert manifest["selection"] == {"ids": 1} and "未要求" in manifest["notes"][0]

    async def test_a_meeting_of_another_committee_is_404(self, client, world):
        r = await client.get(f"/api/bundles.zip?meeting_id={ObjectId()}", headers=world["as_office"])
        assert r.status_code == 404 and r.json()["code"] == "meeting_not_found"

