"""A batch may require a signed and sealed 评审表 (a real PDF of at most 4 MB) and the unit handler's name and
phone on each 上报: refused with the error body and nothing stored when wrong, recorded in the trail when given."""

import io
import zipfile

from bson import ObjectId

from app import db
from app.catalog import batches
from app.catalog.models import Batch
from app.dossiers.models import Dossier
from tests.factories import jpeg_bytes, pdf_bytes
from tests.routing.conftest import act, world  # noqa: F401  (world is a fixture used below)


async def require(world, **rules) -> None:
    """Sets the batch's rules as an administrator's edit would (this process drops its copy)."""
    await Batch.get_pymongo_collection().update_one({"_id": world["batch"].id},
                                                    {"$set": {f"rules.{k}": v for k, v in rules.items()}})
    batches.forget_recent(world["batch"].id)


def url(world, tail: str = "") -> str:
    return f"/api/dossiers/{world['dossier_id']}{tail}"


async def files_count() -> int:
    return await db.current().db["fs.files"].count_documents({})


async def upload(client, world, data: bytes, filename: str = "评审表.pdf"):
    return await client.post(url(world, "/step-attachments"), data={"kind": "sealed_form"},
                             files={"file": (filename, data, "application/pdf")}, headers=world["as_employer"])


def big_pdf() -> bytes:
    """A real PDF just over 4 MB (a page carrying a large stream)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    stream = DecodedStreamObject()
    stream.set_data(b"% " + b"0" * (4 * 1024 * 1024 + 1024) + b"\n")
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_the_sealed_form_is_refused_where_the_batch_does_not_ask_for_it(client, world):
    before = await files_count()
    r = await upload(client, world, pdf_bytes(1))
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "sealed_form_not_required", "kind")
    assert await files_count() == before


async def test_a_sealed_form_too_large_or_not_a_pdf_is_refused_and_nothing_is_stored(client, world):
    await require(world, sealed_form_required=True)
    before = await files_count()
    data = big_pdf()
    assert len(data) > 4 * 1024 * 1024
    r = await upload(client, world, data)
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "file_too_large", "file")
    assert r.json()["message"]
    r = await upload(client, world, jpeg_bytes(), filename="评审表.pdf")      # a picture named .pdf
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "file_type_not_allowed", "file")
    r = await upload(client, world, b"%PDF-1.4\nnot really a pdf")
    assert r.status_code == 422 and r.json()["field"] == "file"
    assert await files_count() == before
    stored = await Dossier.get(ObjectId(world["dossier_id"]))
    assert stored.step_attachments == [] and not any(e.action == "step_attachment" for e in stored.trail)


async def test_report_needs_the_sealed_form_where_required_and_lists_it_with_the_bundle(client, world):
    await require(world, sealed_form_required=True)
    assert (await act(client, world, "as_employer", "pass")).status_code == 200
    r = await act(client, world, "as_employer", "report")
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "sealed_form_required", "sealed_form")
    r = await upload(client, world, pdf_bytes(2))
    assert r.status_code == 201, r.text
    assert r.json()["kind_label"] == "签字盖章的评审表"
    listed = (await client.get(url(world, "/step-attachments"), headers=world["as_applicant"])).json()
    assert [a["kind"] for a in listed] == ["sealed_form"]
    bundle = await client.get(url(world, "/bundle.zip"), params={"forms": "false"}, headers=world["as_employer"])
    assert bundle.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert any("评审表.pdf" in n for n in names), names
    r = await act(client, world, "as_employer", "report")
    assert r.status_code == 200, r.text


async def test_report_without_the_handlers_phone_is_refused_where_required(client, world):
    await require(world, report_contact_required=True)
    assert (await act(client, world, "as_employer", "pass")).status_code == 200
    version = (await Dossier.get(ObjectId(world["dossier_id"]))).version
    r = await act(client, world, "as_employer", "report", handler_name="钱经办")
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "handler_required", "handler_phone")
    r = await act(client, world, "as_employer", "report", handler_phone="13800001111")
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "handler_required", "handler_name")
    r = await act(client, world, "as_employer", "report", handler_name="钱经办", handler_phone="12345")
    assert r.status_code == 422 and r.json()["field"] == "handler_phone"
    assert (await Dossier.get(ObjectId(world["dossier_id"]))).version == version      # nothing written
    r = await act(client, world, "as_employer", "report", handler_name="钱经办", handler_phone="0531-86001234")
    assert r.status_code == 200, r.text
    assert (r.json()["trail"]["handler_name"], r.json()["trail"]["handler_phone"]) == ("钱经办", "0531-86001234")
    trail = (await client.get(url(world, "/trail"), headers=world["as_department"])).json()
    assert trail[-1]["action"] == "report" and trail[-1]["handler_phone"] == "0531-86001234"


async def test_without_the_rule_a_report_records_the_contact_when_given(client, world):
    assert (await act(client, world, "as_employer", "pass")).status_code == 200
    r = await act(client, world, "as_employer", "report", handler_name="钱经办", handler_phone="13800001111")
    assert r.status_code == 200 and r.json()["trail"]["handler_name"] == "钱经办"
    r = await act(client, world, "as_department", "pass")
    assert r.status_code == 200 and r.json()["trail"]["handler_name"] is None     # only 上报 records it
