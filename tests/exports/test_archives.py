"""Archive packages: who may export them, what they hold, verify (and a tampered byte), the batch
archive, and the command line export → verify → import into a fresh database, byte for byte."""

import asyncio
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile

from bson import ObjectId
from gridfs import GridFSBucket
from pymongo import MongoClient

from app.dossiers.models import Dossier
from app.exports import archives
from tests.exports.conftest import finish, unzip
from tests.factories import create_person, grant, login


def cli(*args: str, database: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"ZC_DATABASE": database} if database else {})}
    return subprocess.run([sys.executable, "-m", "app", "archive", *args], env=env, capture_output=True, text=True,
                          timeout=180)


class TestDossierArchive:
    async def test_only_archivists_and_only_completed_dossiers(self, client, world, archivist):
        url = f"/api/dossiers/{world['dossier_id']}/archive.zip"
        assert (await client.get(url)).status_code == 401
        r = await client.get(url, headers=world["as_employer"])
        assert r.status_code == 403 and r.json()["code"] == "not_archivist"
        r = await client.get(url, headers=archivist)
        assert r.status_code == 409 and r.json()["code"] == "not_completed"

    async def test_an_archivist_of_another_bureau_gets_404(self, client, world):
        from tests.factories import create_hr_bureau

        bureau, _ = await create_hr_bureau(region_code="370200")
        person = await create_person(roles=[])
        await grant(person, "archivist", bureau)
        await finish(world)
        r = await client.get(f"/api/dossiers/{world['dossier_id']}/archive.zip", headers=await login(client, person))
        assert r.status_code == 404

    async def test_package_verify_tamper_and_import_round_trip(self, client, world, archivist, tmp_path):
        await finish(world)
        r = await client.get(f"/api/dossiers/{world['dossier_id']}/archive.zip?forms=false", headers=archivist)
        zf = unzip(r)
        names = zf.namelist()
        assert names[0] == "dossier.json" and names[-2:] == ["manifest.json", "manifest.sha256"]
        assert "forms/材料目录.csv" in names
        assert sorted(n for n in names if n.startswith("attachments/")) == [
            "attachments/01-基本信息-照片.jpg", "attachments/02-学历信息-学历证书.pdf",
            "attachments/03-现专业技术资格及聘任-资格证书.pdf"]
        document = archives.loads(zf.read("dossier.json"))
        assert document["_id"] == ObjectId(world["dossier_id"]) and document["trail"][0]["action"] == "submit"
        assert document["snapshots"][0]["attachments"]
        package = tmp_path / "package.zip"
        package.write_bytes(r.content)
        tampered = tmp_path / "tampered.zip"
        data = bytearray(r.content)
        at = data.index(b"%PDF-") + 20           # a byte inside the first PDF attachment
        data[at] ^= 0xFF
        tampered.write_bytes(data)
        problems = archives.verify(tampered)
        assert len(problems) == 1 and problems[0].startswith("attachments/02-学历信息-学历证书.pdf：")

        # The commands that read the packages alone run side by side (each is seconds of interpreter start);
        # the imports into the fresh database go one after the other.
        fresh = f"zc_import_{uuid.uuid4().hex[:8]}"
        ok, bad, refused = await asyncio.gather(asyncio.to_thread(cli, "verify", str(package)),
                                                asyncio.to_thread(cli, "verify", str(tampered)),
                                                asyncio.to_thread(cli, "import", str(tampered), database=fresh))
        assert ok.returncode == 0, ok.stderr
        assert bad.returncode == 1 and "attachments/02-学历信息-学历证书.pdf" in bad.stderr
        assert refused.returncode == 2 and "校验未通过" in refused.stderr
        imported = cli("import", str(package), database=fresh)
        assert imported.returncode == 0, imported.stderr
        again = cli("import", str(package), database=fresh)
        assert again.returncode == 2 and "已存在" in again.stderr
        mongo = MongoClient(os.environ["MONGODB_URI"], tz_aware=True)
        try:
            original = await Dossier.get_pymongo_collection().find_one({"_id": ObjectId(world["dossier_id"])})
            copy = mongo[fresh].dossiers.find_one({"_id": ObjectId(world["dossier_id"])})
            # The read keys are recomputed where the dossier lands: this database has none of its units'
            # tree or regions, so only the applicant, the route units themselves and the meeting read it.
            moved = copy.pop("reader_ids")
            assert {k: v for k, v in original.items() if k != "reader_ids"} == copy
            assert moved == [original["applicant_id"], *original["route_unit_ids"], f"meeting:{original['meeting_id']}"]
            bucket = GridFSBucket(mongo[fresh])
            manifest = json.loads(zf.read("manifest.json"))
            restored = [f for f in manifest["files"] if f.get("source") == "attachment"]
            assert len(restored) == 3
            for entry in restored:
                stored = bucket.open_download_stream(ObjectId(entry["file_id"]))
                assert stored.read() == zf.read(entry["path"])
                assert stored.metadata["sha256"] == entry["sha256"]
        finally:
            mongo.drop_database(fresh)
            mongo.close()


class TestBatchArchive:
    async def test_completed_dossiers_of_a_batch_as_packages(self, client, world, archivist, tmp_path):
        url = f"/api/archives.zip?batch_id={world['batch'].id}&forms=false"
        r = await client.get(url, headers=archivist)
        assert r.status_code == 404 and r.json()["code"] == "nothing_selected"   # nothing completed yet
        await finish(world, status="not_approved")
        zf = unzip(await client.get(url, headers=archivist))
        inner_name = next(n for n in zf.namelist() if n.endswith(".zip"))
        assert inner_name.endswith(f"-{world['dossier_id']}.zip")
        inner = zipfile.ZipFile(io.BytesIO(zf.read(inner_name)))
        assert "dossier.json" in inner.namelist()
        (tmp_path / "batch.zip").write_bytes(await _body(client, url, archivist))
        assert archives.verify(tmp_path / "batch.zip") == []

    async def test_command_line_export(self, client, world, tmp_path):
        await finish(world)
        out = tmp_path / "out"
        done = cli("export", "--batch", str(world["batch"].id), "--out", str(out), "--no-forms")
        assert done.returncode == 0, done.stderr
        packages = list(out.glob("*.zip"))
        assert len(packages) == 1 and "已导出 1 个归档包" in done.stdout
        assert archives.verify(packages[0]) == []


async def _body(client, url, headers) -> bytes:
    r = await client.get(url, headers=headers)
    assert r.status_code == 200
    return r.content
