"""The forms endpoints as .docx (no converter needed): scope, state, the ZIP for units, and the per-batch
replacement templates checked at upload."""

import io
import zipfile
from datetime import date
from urllib.parse import unquote

from bson import ObjectId

from app.dossiers import access
from app.dossiers.models import DossierAccess
from app.files.names import SANDBOX_CSP
from app.render import templates
from app.dossiers.models import Certificate
from app.dossiers.writes import to_bson
from tests.factories import create_person, create_sysadmin, create_unit, force_dossier, login
from tests.render.test_templates import text_of


def url(world, form: str, fmt: str = "docx") -> str:
    return f"/api/dossiers/{world['dossier_id']}/forms/{form}.{fmt}"


def download_name(response) -> str:
    return unquote(response.headers["content-disposition"].split("filename*=UTF-8''")[1])


async def certify(world) -> None:
    """Writes a certificate the way the certify transition does (the workflow has its own tests)."""
    certificate = Certificate(number="2026370100QZWHZ00007", verification_code="K7M2Q9XA",
                              document_number="济人社职字〔2026〕12号", issued_on=date(2026, 12, 30),
                              issuing_body="济南市人力资源和社会保障局", committee_code=world["committee"].code,
                              committee_name=world["committee"].name, holder_name="王小明", title_name="馆员",
                              specialty_name="舞蹈", issued_by=ObjectId())
    await force_dossier(world["dossier_id"], status="certified", certificate=to_bson(certificate))


def with_text_replaced(source: bytes, old: bytes, new: bytes) -> bytes:
    """The template with a piece of its document.xml rewritten, as an administrator's edit would."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "word/document.xml":
                assert old in data
                data = data.replace(old, new, 1)
            copy.writestr(item, data)
    return out.getvalue()


class TestOneForm:
    async def test_anonymous_is_refused(self, client, world):
        assert (await client.get(url(world, "application"))).status_code == 401

    async def test_outside_the_scope_is_not_found(self, client, world):
        _, stranger = await create_unit(name="另一个单位")
        r = await client.get(url(world, "application"), headers=await login(client, stranger))
        assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"

    async def test_unknown_form_or_format(self, client, world):
        r = await client.get(url(world, "payslip"), headers=world["as_employer"])
        assert r.status_code == 404 and r.json()["code"] == "form_not_found" and r.json()["field"] == "form"
        r = await client.get(url(world, "brief", "odt"), headers=world["as_employer"])
        assert r.status_code == 404 and r.json()["code"] == "format_not_found"

    async def test_no_entrustment_letter_unless_entrusted(self, client, world):
        r = await client.get(url(world, "entrustment"), headers=world["as_employer"])
        assert r.status_code == 409 and r.json()["code"] == "not_entrusted"

    async def test_no_certificate_before_certification(self, client, world):
        r = await client.get(url(world, "certificate"), headers=world["as_applicant"])
        assert r.status_code == 409 and r.json()["code"] == "certificate_not_issued"

    async def test_the_unit_downloads_a_preview_and_the_read_is_recorded(self, client, world):
        r = await client.get(url(world, "application"), headers=world["as_employer"])
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert r.headers["x-form-edition"] == "preview" and r.headers["cache-control"] == "private, no-store"
        assert r.headers["content-security-policy"] == SANDBOX_CSP and r.headers["x-content-type-options"] == "nosniff"
        assert download_name(r) == "王小明-申报表（预览版）.docx"
        text = text_of(r.content)
        assert "王小明" in text and "馆员" in text and "山东艺术学院" in text
        assert b'string="\xe9\xa2\x84\xe8\xa7\x88\xe7\x89\x88"' in zipfile.ZipFile(io.BytesIO(r.content)).read(
            "word/header1.xml")
        await access.flush()
        record = await DossierAccess.find_one({"dossier_id": ObjectId(world["dossier_id"])})
        assert [(a.action, a.detail) for a in record.actions] == [("download", "form:application.docx"),
                                                                  ("id_number", "form")]   # the employer's: full

    async def test_the_applicant_downloads_the_catalogue(self, client, world):
        r = await client.get(url(world, "catalogue"), headers=world["as_applicant"])
        assert r.status_code == 200
        text = text_of(r.content)
        assert "学历证书.pdf" in text and "学历信息（1份，2页）" in text
        assert "3份4" in text                 # 合计 3 files, 4 pages (python-docx repeats merged cells' text)
        await access.flush()
        assert await DossierAccess.find_one({"dossier_id": ObjectId(world["dossier_id"])}) is None

    async def test_certificate_once_issued(self, client, world):
        await certify(world)
        r = await client.get(url(world, "certificate"), headers=world["as_applicant"])
        assert r.status_code == 200 and r.headers["x-form-edition"] == "official"
        assert "2026370100QZWHZ00007" in text_of(r.content) and download_name(r) == "王小明-证书.docx"


class TestManyForms:
    async def test_a_unit_zips_the_forms_it_may_read(self, client, world):
        body = {"ids": [world["dossier_id"], str(ObjectId())], "form": "brief", "format": "docx"}
        r = await client.post("/api/forms/batch", json=body, headers=world["as_employer"])
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip" and r.headers["x-forms-missing"] == "1"
        assert int(r.headers["content-length"]) == len(r.content)       # planned on the export writer: sized
        archive = zipfile.ZipFile(io.BytesIO(r.content))
        assert archive.namelist() == ["王小明-简介表（预览版）.docx"]
        assert archive.getinfo("王小明-简介表（预览版）.docx").compress_type == zipfile.ZIP_STORED
        assert "王小明" in text_of(archive.read("王小明-简介表（预览版）.docx"))

    async def test_forms_that_cannot_be_made_are_explained(self, client, world):
        body = {"ids": [world["dossier_id"]], "form": "entrustment", "format": "docx"}
        r = await client.post("/api/forms/batch", json=body, headers=world["as_employer"])
        archive = zipfile.ZipFile(io.BytesIO(r.content))
        assert archive.namelist() == ["说明.txt"]
        assert "未选择委托评审" in archive.read("说明.txt").decode()

    async def test_nothing_readable_is_not_found(self, client, world):
        _, stranger = await create_unit(name="另一个单位")
        body = {"ids": [world["dossier_id"]], "form": "brief", "format": "docx"}
        r = await client.post("/api/forms/batch", json=body, headers=await login(client, stranger))
        assert r.status_code == 404

    async def test_bad_input(self, client, world):
        r = await client.post("/api/forms/batch", json={"ids": [], "form": "brief"}, headers=world["as_employer"])
        assert r.status_code == 422 and r.json()["field"] == "ids"


class TestReplacementTemplates:
    async def upload(self, client, headers, batch, form: str, data: bytes):
        return await client.put(f"/api/batches/{batch.id}/templates/{form}", headers=headers,
                                files={"file": (f"{form}.docx", data, "application/octet-stream")})

    async def test_only_a_system_administrator_uploads(self, client, world):
        r = await self.upload(client, world["as_hr"], world["batch"], "brief", templates.default_source("brief")[0])
        assert r.status_code == 403

    async def test_unknown_variables_are_refused_by_name(self, client, world):
        admin = await login(client, await create_sysadmin())
        bad = with_text_replaced(templates.default_source("brief")[0], b"{{ name }}", b"{{ nam }}{{ salary }}")
        r = await self.upload(client, admin, world["batch"], "brief", bad)
        assert r.status_code == 422
        body = r.json()
        assert body["code"] == "unknown_template_variables" and body["unknown"] == ["nam", "salary"]
        assert "nam" in body["message"] and "salary" in body["message"] and "name" in body["known"]
        listing = (await client.get(f"/api/batches/{world['batch'].id}/templates", headers=admin)).json()
        assert {t["source"] for t in listing} == {"default"}

    async def test_unknown_fields_and_broken_files_are_refused(self, client, world):
        admin = await login(client, await create_sysadmin())
        typo = with_text_replaced(templates.default_source("brief")[0], b"basic.politics", b"basic.party")
        r = await self.upload(client, admin, world["batch"], "brief", typo)
        assert r.status_code == 422 and r.json()["code"] == "unknown_template_fields"
        assert r.json()["unknown"] == ["party"]
        r = await self.upload(client, admin, world["batch"], "brief", b"PK\x03\x04 not really a docx")
        assert r.status_code == 422 and r.json()["code"] == "template_unreadable"
        broken = with_text_replaced(templates.default_source("brief")[0], b"{{ name }}", b"{{ name }")
        r = await self.upload(client, admin, world["batch"], "brief", broken)
        assert r.status_code == 422 and r.json()["code"] == "template_syntax"

    async def test_a_good_replacement_is_used_until_reset(self, client, world):
        admin = await login(client, await create_sysadmin())
        good = with_text_replaced(templates.default_source("brief")[0], "申报专业技术资格人员情况简介表".encode(),
                                  "济南市职称评审人员简介表（{{ batch_name }}）".encode())
        r = await self.upload(client, admin, world["batch"], "brief", good)
        assert r.status_code == 200, r.text
        assert r.json()["source"] == "batch" and "batch_name" in r.json()["variables"]
        text = text_of((await client.get(url(world, "brief"), headers=world["as_employer"])).content)
        assert "济南市职称评审人员简介表（测试批次" in text
        current = await client.get(f"/api/batches/{world['batch'].id}/templates/brief.docx", headers=admin)
        assert current.content == good
        r = await client.delete(f"/api/batches/{world['batch'].id}/templates/brief", headers=admin)
        assert r.status_code == 204
        text = text_of((await client.get(url(world, "brief"), headers=world["as_employer"])).content)
        assert "申报专业技术资格人员情况简介表" in text
        r = await client.delete(f"/api/batches/{world['batch'].id}/templates/brief", headers=admin)
        assert r.status_code == 404 and r.json()["code"] == "template_not_replaced"

    async def test_unknown_batch_or_form(self, client, world):
        admin = await login(client, await create_sysadmin())
        r = await self.upload(client, admin, world["batch"], "payslip", b"x")
        assert r.status_code == 404 and r.json()["code"] == "form_not_found"
        r = await client.get(f"/api/batches/{ObjectId()}/templates", headers=admin)
        assert r.status_code == 404 and r.json()["code"] == "batch_not_found"


async def test_a_person_without_a_unit_reads_nothing(client, world):
    person = await create_person(name="路人")
    r = await client.get(url(world, "brief"), headers=await login(client, person))
    assert r.status_code == 404
