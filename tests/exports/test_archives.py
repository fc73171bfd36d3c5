"""Archive packages: who may export them; a package is a BagIt bag (validated with the `bagit` package) whose
forms pass the PDF/A-2b checks, whose 文件目录.xml lists every file with matching hashes and whose records
hold the trail, the minutes and the publicity; the four checks fail on what they guard; and the command line
export → verify → import round-trips into an EMPTY database whose flow and pages then render."""

import asyncio
import hashlib
import io
import os
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path
from xml.etree import ElementTree

import bagit
import httpx
import pikepdf
import pytest
from bson import ObjectId
from gridfs import GridFSBucket
from pymongo import MongoClient

from app.committee import tally
from app.committee.models import Meeting
from app.dossiers.models import Dossier, Publicity, PublicityOpinion
from app.dossiers.writes import to_bson
from app.embedded import free_port
from app.exports import archive_checks, archives
from tests.exports.conftest import finish, unzip, up_to_committee
from tests.factories import PASSWORD, create_person, create_unit, force_dossier, grant, login, pdf_bytes

TOP_TAGS = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"]


def cli(*args: str, database: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"ZC_DATABASE": database} if database else {})}
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True,
                          timeout=180)


def unpack(content: bytes, where: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        zf.extractall(where)
    (root,) = where.iterdir()
    return root


def rezip(root: Path, target: Path) -> Path:
    """A bag folder serialized again as the service does (one top-level folder)."""
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, f"{root.name}/{path.relative_to(root).as_posix()}")
    return target


async def with_minutes_and_publicity(world) -> None:
    """A closed meeting of three experts (one bound to the employer, so recused; one absent) and a publicity
    with the employer's opinion, written as the committee's workflow leaves them; then the certificate."""
    office, _ = await create_unit(name="山东艺术学院")        # off the dossier's route
    present = await create_person(name="专家甲", roles=[])
    absent = await create_person(name="专家乙", roles=[])
    bound = await create_person(name="专家丙", roles=[])
    for expert, unit in ((present, office), (absent, office), (bound, world["employer"])):
        await grant(expert, "expert", unit)
    meeting = Meeting(committee_code=world["committee"].code, name="2026年第一次评审会", held_on=date(2026, 11, 18),
                      location="济南", member_ids=[present.id, absent.id, bound.id], present_ids=[present.id, bound.id],
                      dossier_ids=[ObjectId(world["dossier_id"])], status="closed", created_by=present.id,
                      signer_id=present.id, signer_name="专家甲", signer_role="chair",
                      signed_at=datetime(2026, 11, 18, 8, tzinfo=timezone.utc))
    await meeting.insert()
    await finish(world)
    opinion = PublicityOpinion(id="o1", unit_id=world["employer"].id, unit_name="济南市群众艺术馆",
                               opinion="no_objection", by=ObjectId(), by_name="张馆长")
    publicity = Publicity(starts_on=date(2026, 11, 20), ends_on=date(2026, 11, 26), working_days=5,
                          published_at=datetime(2026, 11, 20, 1, tzinfo=timezone.utc), opinion=opinion)
    dossier = await Dossier.get(ObjectId(world["dossier_id"]))
    votes = dossier.votes.model_copy(update={"meeting_id": meeting.id})
    await force_dossier(world["dossier_id"], meeting_id=meeting.id, votes=to_bson(votes),
                        publicity=to_bson(publicity))


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


    async def test_a_dossier_voided_before_its_check_has_no_forms_and_says_so(self, client, world, archivist,
                                                                               tmp_path):
        await finish(world, status="voided")
        r = await client.get(f"/api/dossiers/{world['dossier_id']}/archive.zip", headers=archivist)
        root = unpack(r.content, tmp_path / "bag")
        assert bagit.Bag(str(root)).info["Zhicheng-Forms"] == "omitted: 申报未经受理即办结，没有正式版表单"
        assert not (root / "data" / "forms" / "申报表.pdf").exists()
        assert "申报未经受理即办结" in (root / "data" / "说明文件.txt").read_text()
        (tmp_path / "v.zip").write_bytes(r.content)
        assert archives.verify(tmp_path / "v.zip").passed


class TestPackageContents:
    async def test_a_bag_with_pdfa_forms_metadata_and_records(self, client, world, archivist, converter_pool,
                                                              tmp_path):
        await up_to_committee(client, world)
        await with_minutes_and_publicity(world)
        dossier = await Dossier.get(ObjectId(world["dossier_id"]))
        r = await client.get(f"/api/dossiers/{world['dossier_id']}/archive.zip", headers=archivist)
        zf = unzip(r)
        name = archives.package_name(dossier)
        stem = name.removesuffix(".zip")
        # RFC 8493 §4.2: one top-level folder named like the file; the tag files come first.
        assert {n.split("/", 1)[0] for n in zf.namelist()} == {stem}
        assert [n.split("/", 1)[1] for n in zf.namelist()[:4]] == TOP_TAGS
        root = unpack(r.content, tmp_path)
        bag = bagit.Bag(str(root))
        bag.validate(processes=1)                       # the Library of Congress package's full validation
        assert bag.algorithms == ["sha256"] and (root / "tagmanifest-sha256.txt").exists()
        assert bag.info["External-Identifier"] == world["dossier_id"]
        assert bag.info["Bag-Group-Identifier"] == str(world["batch"].id)
        assert bag.info["Zhicheng-Certificate-Number"] == "2026ZC00001"
        assert bag.info["Zhicheng-Forms"] == "PDF/A-2b" and bag.info["Payload-Oxum"]

        data = root / "data"
        forms = sorted(p.name for p in (data / "forms").iterdir())
        assert forms == sorted(["申报表.pdf", "简介表.pdf", "材料目录.pdf", "证书.pdf"])
        for form in forms:
            pdf = (data / "forms" / form).read_bytes()
            assert archive_checks.pdfa_problems(pdf) == [], form
            with pikepdf.open(io.BytesIO(pdf)) as doc:
                meta = doc.open_metadata()
                assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
                assert doc.Root.OutputIntents[0].S == "/GTS_PDFA1" and not doc.is_encrypted
                assert archive_checks.unembedded_fonts(doc) == []

        xml = ElementTree.parse(data / "文件目录.xml").getroot()
        volume = xml.find("案卷")
        assert volume.findtext("档号") == world["dossier_id"] and volume.findtext("证书编号") == "2026ZC00001"
        assert (volume.findtext("申报职称"), volume.findtext("评委会")) == ("馆员", world["committee"].name)
        listed = {e.findtext("路径"): e for e in xml.iter("文件")}
        payload = {f"data/{p.relative_to(data).as_posix()}" for p in data.rglob("*") if p.is_file()}
        assert set(listed) == payload - {"data/文件目录.xml", "data/说明文件.txt"}
        for path, entry in listed.items():
            assert entry.findtext("哈希值") == hashlib.sha256((root / path).read_bytes()).hexdigest(), path
            assert entry.findtext("题名") and entry.findtext("日期") and entry.findtext("责任者"), path
            if path.endswith(".pdf"):
                with pikepdf.open(root / path) as doc:
                    assert int(entry.findtext("页数")) == len(doc.pages), path
        certificate = listed["data/forms/证书.pdf"]
        assert (certificate.findtext("责任者"), certificate.findtext("日期"), certificate.findtext("格式")) == (
            "济南市人力资源和社会保障局", "2026-11-20", "PDF/A-2b")
        assert listed["data/attachments/02-学历信息-学历证书.pdf"].findtext("责任者") == "王小明"
        assert len(listed) == 13           # 3 attachments, 4 forms, 3 records, dossier, batch and package JSON
        assert "data/records/公示记录.json" in listed
        readme = (data / "说明文件.txt").read_text()
        assert "BagIt" in readme and "PDF/A-2b" in readme and "文件 13 个" in readme

        trail = archives.loads((data / "records/审核记录.json").read_bytes())
        assert [row["原始记录"]["action"] for row in trail] == [e.action for e in dossier.trail]
        assert trail[1]["意见"] == "as_employer同意推荐" and trail[1]["单位"] == "济南市群众艺术馆"
        minutes = archives.loads((data / "records/评审会纪要.json").read_bytes())
        assert [(m["专家"], m["到会"]) for m in minutes["到会"]] == [("专家甲", True), ("专家乙", False),
                                                                   ("专家丙", True)]
        assert minutes["回避"] == ["专家丙"]
        assert (minutes["签署"]["签署人"], minutes["签署"]["身份"]) == ("专家甲", "主任委员（主持评审会）")
        assert minutes["签署"]["签署时间"].startswith("2026-11-18T08:00:00")
        assert minutes["表决结果"] == tally.vote_line(dossier.votes)
        assert minutes["表决"]["present"] == 8 and minutes["评审会"]["日期"] == "2026-11-18"
        publicity = archives.loads((data / "records/公示记录.json").read_bytes())
        assert publicity["公示"]["opinion"]["unit_name"] == "济南市群众艺术馆"

        package = tmp_path / name
        package.write_bytes(r.content)
        result = archives.verify(package)
        assert result.passed, result.problems
        assert [c.name for c in result.checks.values()] == ["真实性", "完整性", "可用性", "安全性"]


class TestChecks:
    """Each of the four checks fails on what it guards (packages made without forms: the forms' checks
    are in TestPackageContents and TestPdfa)."""

    @pytest.fixture
    async def package(self, client, world, archivist, tmp_path) -> tuple[bytes, Path]:
        await finish(world)
        r = await client.get(f"/api/dossiers/{world['dossier_id']}/archive.zip?forms=false", headers=archivist)
        assert r.status_code == 200
        return r.content, unpack(r.content, tmp_path / "bag")

    def test_sound_package_notes_the_missing_forms_and_passes(self, package, tmp_path):
        content, _ = package
        (tmp_path / "p.zip").write_bytes(content)
        result = archives.verify(tmp_path / "p.zip")
        assert result.passed, result.problems
        assert result.checks["完整性"].notes == ["未含表单：本次导出未要求生成表单"]

    def test_a_changed_byte_fails_authenticity(self, package, tmp_path):
        content, _ = package
        data = bytearray(content)
        at = data.index(b"%PDF-") + 20           # a byte inside the first PDF attachment
        data[at] ^= 0xFF
        (tmp_path / "t.zip").write_bytes(data)
        result = archives.verify(tmp_path / "t.zip")
        assert not result.checks["真实性"].passed and result.checks["完整性"].passed
        assert any("02-学历信息-学历证书.pdf" in p for p in result.checks["真实性"].problems)

    def test_a_removed_file_fails_completeness_even_with_the_manifests_remade(self, package, tmp_path):
        _, root = package
        removed = next((root / "data" / "attachments").glob("03-*"))
        removed.unlink()
        bag = bagit.Bag(str(root))
        bag.save(manifests=True)                 # a forger who re-made every manifest
        result = archives.verify(rezip(root, tmp_path / "r.zip"))
        problems = result.checks["完整性"].problems
        assert any(removed.name in p and "缺失" in p for p in problems), problems
        assert any("缺少现专业技术资格及聘任文件" in p for p in problems), problems

    def test_a_file_changed_with_the_manifests_remade_still_fails_authenticity(self, package, tmp_path):
        _, root = package
        target = next((root / "data" / "attachments").glob("02-*"))
        target.write_bytes(target.read_bytes() + b"%% a line added after the upload\n")
        bagit.Bag(str(root)).save(manifests=True)
        result = archives.verify(rezip(root, tmp_path / "c.zip"))
        problems = result.checks["真实性"].problems
        assert any(target.name in p and "文件目录" in p for p in problems), problems
        assert any(target.name in p and "上传时记录" in p for p in problems), problems

    def test_an_unreadable_or_dangerous_file_fails_usability_and_security(self, package, tmp_path):
        _, root = package
        attachments = root / "data" / "attachments"
        next(attachments.glob("01-*")).write_bytes(b"not a picture")              # the photo
        with pikepdf.open(io.BytesIO(pdf_bytes())) as pdf:
            pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
            out = io.BytesIO()
            pdf.save(out)
        next(attachments.glob("02-*")).write_bytes(out.getvalue())
        bagit.Bag(str(root)).save(manifests=True)
        result = archives.verify(rezip(root, tmp_path / "u.zip"))
        assert any("图片无法打开" in p for p in result.checks["可用性"].problems), result.problems
        assert any("JavaScript" in p for p in result.checks["安全性"].problems), result.problems

    def test_an_entry_escaping_the_folder_fails_security(self, package, tmp_path):
        content, _ = package
        target = tmp_path / "e.zip"
        target.write_bytes(content)
        with zipfile.ZipFile(target, "a") as zf:
            zf.writestr("../evil.txt", b"x")
        result = archives.verify(target)
        assert result.checks["安全性"].problems == ["../evil.txt：路径越出归档包"]


class TestPdfa:
    """The PDF/A points read with pikepdf, on PDFs made here (no converter, no database)."""

    def test_a_plain_pdf_is_not_pdfa(self):
        problems = archive_checks.pdfa_problems(pdf_bytes())
        assert any("part=None" in p for p in problems) and "缺少 PDF/A 输出意图（OutputIntent）" in problems

    def test_encrypted_and_unembedded_fonts_are_named(self):
        with pikepdf.open(io.BytesIO(pdf_bytes())) as pdf:
            pdf.pages[0].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=pdf.make_indirect(
                pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                   BaseFont=pikepdf.Name.Helvetica))))
            plain, locked = io.BytesIO(), io.BytesIO()
            pdf.save(plain)
            pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user=""))
        assert "字体未嵌入：Helvetica" in archive_checks.pdfa_problems(plain.getvalue())
        assert "已加密" in archive_checks.pdfa_problems(locked.getvalue())

    def test_external_actions_are_named(self):
        with pikepdf.open(io.BytesIO(pdf_bytes())) as pdf:
            pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.Launch,
                                                                       F=pikepdf.String("calc.exe")))
            assert archive_checks.pdf_dangers(pdf) == ["含外部引用或外部动作（/Launch）"]


async def test_the_pdfa_variant_leaves_the_normal_forms_as_they_were(converter_pool):
    """The option goes with each request: the same warm worker answers plain, PDF/A, plain."""
    from tests.render.test_pdf import demo_docx

    docx = demo_docx("brief")
    plain, archived, again = [await converter_pool.convert(docx, pdfa=pdfa) for pdfa in (False, True, False)]
    assert archive_checks.pdfa_problems(archived) == []
    for pdf in (plain, again):
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            assert "/OutputIntents" not in doc.Root and doc.open_metadata().get("pdfaid:part") is None


class TestBatchArchive:
    async def test_completed_dossiers_of_a_batch_as_packages(self, client, world, archivist, tmp_path):
        url = f"/api/archives.zip?batch_id={world['batch'].id}&forms=false"
        r = await client.get(url, headers=archivist)
        assert r.status_code == 404 and r.json()["code"] == "nothing_selected"   # nothing completed yet
        await finish(world, status="not_approved")
        r = await client.get(url, headers=archivist)
        zf = unzip(r)
        inner_name = next(n for n in zf.namelist() if n.endswith(".zip"))
        assert inner_name.endswith(f"-{world['dossier_id']}.zip")
        inner = zipfile.ZipFile(io.BytesIO(zf.read(inner_name)))
        assert f"{inner_name.removesuffix('.zip')}/data/dossier.json" in inner.namelist()
        (tmp_path / "batch.zip").write_bytes(r.content)
        assert archives.verify(tmp_path / "batch.zip").passed
        data = bytearray(r.content)
        at = data.index(b"%PDF-") + 20
        data[at] ^= 0xFF
        (tmp_path / "bad.zip").write_bytes(data)
        problems = archives.verify(tmp_path / "bad.zip").checks["真实性"].problems
        assert problems and all(p.startswith(inner_name) for p in problems), problems


def _healthy(address: str) -> bool:
    try:
        return httpx.get(f"{address}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class TestFlowWithoutUnits:
    """A restored dossier's flow comes from its recorded route: it draws with its units, paths and committee
    gone (it raised AttributeError in paths.route_from)."""

    async def test_at_the_committee(self, client, world):
        from app.catalog.models import Committee
        from app.routing.models import Path as ReportingPath
        from app.units.models import Unit

        await up_to_committee(client, world)
        for model in (Unit, ReportingPath, Committee):
            await model.get_pymongo_collection().delete_many({})
        r = await client.get(f"/api/dossiers/{world['dossier_id']}/flow", headers=world["as_applicant"])
        assert r.status_code == 200, r.text
        assert [(n["name"], n["kind"], n["state"]) for n in r.json()["nodes"]] == [
            ("王小明", "applicant", "done"), ("济南市群众艺术馆", "unit", "done"), ("济南市文化和旅游局", "unit", "done"),
            ("济南市人力资源和社会保障局", "unit", "done"), (world["committee"].code, "committee", "current")]

    async def test_on_the_way_the_nodes_ahead_still_come_from_the_paths(self, client, world):
        from app.units.models import Unit

        await Unit.get_pymongo_collection().delete_many({})
        r = await client.get(f"/api/dossiers/{world['dossier_id']}/flow", headers=world["as_applicant"])
        assert r.status_code == 200, r.text
        assert [(n["name"], n["state"]) for n in r.json()["nodes"]] == [
            ("王小明", "done"), ("济南市群众艺术馆", "current"), ("济南市文化和旅游局", "ahead"),
            ("济南市人力资源和社会保障局", "ahead"), (world["committee"].name, "ahead")]
        assert r.json()["reaches_committee"] is True


class TestRoundTrip:
    async def test_import_refuses_what_is_not_one_dossiers_bag(self, client, world, archivist, tmp_path):
        from app.errors import ValidationFailed

        await finish(world, status="not_approved")
        bundle = await client.get(f"/api/dossiers/{world['dossier_id']}/bundle.zip?forms=false",
                                  headers=world["as_employer"])
        batch = await client.get(f"/api/archives.zip?batch_id={world['batch'].id}&forms=false", headers=archivist)
        for name, response, message in (("bundle.zip", bundle, "不是 BagIt"), ("batch.zip", batch, "逐个导入")):
            (tmp_path / name).write_bytes(response.content)
            with pytest.raises(ValidationFailed) as refused:
                await archives.import_package(tmp_path / name)
            assert refused.value.code == "package_format" and message in refused.value.message
        assert await Dossier.get_pymongo_collection().count_documents({}) == 1


    async def test_export_verify_import_into_an_empty_database_whose_pages_render(self, client, world, tmp_path):
        """The command line exports the batch; verify passes it and fails a tampered copy; import refuses the
        tampered copy, restores the package into a database that has none of its units, paths or users, and
        refuses it a second time; an app on that database then draws its flow and renders its pages."""
        await up_to_committee(client, world)
        await finish(world)
        out = tmp_path / "out"
        done = cli("archive", "export", "--batch", str(world["batch"].id), "--out", str(out), "--no-forms")
        assert done.returncode == 0, done.stderr
        (package,) = out.glob("*.zip")
        assert "已导出 1 个归档包" in done.stdout
        tampered = tmp_path / "tampered.zip"
        data = bytearray(package.read_bytes())
        data[data.index(b"%PDF-") + 20] ^= 0xFF
        tampered.write_bytes(data)

        fresh = f"zc_archive_{uuid.uuid4().hex[:8]}"
        ok, bad, refused = await asyncio.gather(asyncio.to_thread(cli, "archive", "verify", str(package)),
                                                asyncio.to_thread(cli, "archive", "verify", str(tampered)),
                                                asyncio.to_thread(cli, "archive", "import", str(tampered),
                                                                  database=fresh))
        assert ok.returncode == 0 and "真实性：通过" in ok.stdout and "安全性：通过" in ok.stdout, ok.stderr
        assert bad.returncode == 1 and "真实性：未通过" in bad.stdout and "学历证书.pdf" in bad.stderr
        assert refused.returncode == 2 and "检测未通过" in refused.stderr
        mongo = MongoClient(os.environ["MONGODB_URI"], tz_aware=True)
        server = None
        try:
            assert mongo[fresh].dossiers.count_documents({}) == 0 and mongo[fresh]["fs.files"].count_documents({}) == 0
            imported = cli("archive", "import", str(package), database=fresh)
            assert imported.returncode == 0, imported.stderr
            again = cli("archive", "import", str(package), database=fresh)
            assert again.returncode == 2 and "已存在" in again.stderr
            original = await Dossier.get_pymongo_collection().find_one({"_id": ObjectId(world["dossier_id"])})
            copy = mongo[fresh].dossiers.find_one({"_id": ObjectId(world["dossier_id"])})
            copy.pop("reader_ids")
            assert {k: v for k, v in original.items() if k != "reader_ids"} == copy
            assert mongo[fresh].units.count_documents({}) == 0 and mongo[fresh].paths.count_documents({}) == 0
            assert mongo[fresh].batches.find_one({"_id": world["batch"].id})["name"] == world["batch"].name
            bucket = GridFSBucket(mongo[fresh])
            with zipfile.ZipFile(package) as zf:
                stem = package.name.removesuffix(".zip")
                restored = archives.loads(zf.read(f"{stem}/data/package.json"))["files"]
                stored = [f for f in restored if f.get("source") == "attachment"]
                assert len(stored) == 3
                for entry in stored:
                    assert bucket.open_download_stream(ObjectId(entry["file_id"])).read() == zf.read(
                        f"{stem}/data/{entry['path']}")

            assert cli("create-admin", "--login", "restorer", "--password", PASSWORD,
                       database=fresh).returncode == 0
            port = free_port()
            server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
                                       "--port", str(port)], env={**os.environ, "ZC_DATABASE": fresh},
                                      stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("wb"))
            address = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while not await asyncio.to_thread(_healthy, address):
                assert server.poll() is None and time.monotonic() < deadline, "the app on the empty database"
                await asyncio.sleep(0.3)
            async with httpx.AsyncClient(base_url=address, timeout=30) as http:
                r = await http.post("/api/auth/login", json={"login": "restorer", "password": PASSWORD})
                assert r.status_code == 200, r.text
                headers = {"Authorization": f"Bearer {r.json()['token']}"}
                flow = await http.get(f"/api/dossiers/{world['dossier_id']}/flow", headers=headers)
                assert flow.status_code == 200, flow.text
                assert [(n["name"], n["state"]) for n in flow.json()["nodes"]] == [
                    ("王小明", "done"), ("济南市群众艺术馆", "done"), ("济南市文化和旅游局", "done"),
                    ("济南市人力资源和社会保障局", "done"), (world["committee"].name, "current")]
                r = await http.get(f"/review/{world['dossier_id']}", headers=headers)
                assert r.status_code == 200 and "王小明" in r.text and "济南市文化和旅游局" in r.text, r.text[-800:]
                # The applicant's account came over (accounts move with people, units stay behind): their pages.
                mongo[fresh].users.insert_one(mongo[os.environ["ZC_DATABASE"]].users.find_one(
                    {"_id": world["applicant"].id}))
                r = await http.post("/api/auth/login", json={"login": world["applicant"].login, "password": PASSWORD})
                own = {"Authorization": f"Bearer {r.json()['token']}"}
                for page in (f"/dossiers/{world['dossier_id']}", f"/dossiers/{world['dossier_id']}/track"):
                    r = await http.get(page, headers=own)
                    assert r.status_code == 200 and "济南市群众艺术馆" in r.text, (page, r.status_code, (tmp_path / "server.log").read_text()[-3000:])
                r = await http.get(f"/api/dossiers/{world['dossier_id']}/flow", headers=own)
                assert r.status_code == 200 and r.json() == flow.json()
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            mongo.drop_database(fresh)
            mongo.close()
