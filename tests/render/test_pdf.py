"""PDFs through the warm LibreOffice pool: content, embedded CJK fonts, the preview watermark, and the
pool surviving what goes wrong (a missing LibreOffice, a killed worker, a hung conversion)."""

import asyncio
import io
import os
import signal
import subprocess
import zipfile

import pytest
from pypdf import PdfReader

from app.config import get_settings
from app.render import contexts, convert, demo, templates
from app.render import docx as docx_render
from tests.render.conftest import OPINIONS, move_along
from tests.render.test_forms_api import certify, download_name, url


def text_of(pdf: bytes) -> str:
    return "".join("".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())


def fonts_of(pdf: bytes) -> list[tuple[str, str]]:
    """(font name, embedded yes/no) as poppler's pdffonts lists them."""
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    return [(row[0], row[-5]) for row in rows]


def office_process(worker) -> int:
    """The soffice.bin doing the work (the launcher soffice started it, in the worker's process group)."""
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.getpgid(int(entry)) == worker.proc.pid and b"soffice.bin" in open(
                    f"/proc/{entry}/cmdline", "rb").read():
                return int(entry)
        except (ProcessLookupError, FileNotFoundError):
            continue
    raise AssertionError("no soffice.bin in the worker's process group")


def demo_docx(form: str = "application") -> bytes:
    compiled = docx_render.compile_template(templates.default_source(form)[0])
    return compiled.render(contexts.build(form, demo.demo_source(), demo.demo_lookups()))


async def test_application_pdf_has_every_node_in_embedded_chinese_fonts(client, world, converter_pool):
    await move_along(client, world, accept=True)
    r = await client.get(url(world, "application", "pdf"), headers=world["as_office"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and r.headers["x-form-edition"] == "official"
    assert download_name(r) == "王小明-申报表.pdf"
    text = text_of(r.content)
    for expected in ("王小明", "馆员", "群众文化", "济南市群众艺术馆", "山东艺术学院", "资格审查通过。", "赵主任",
                     "2026年11月3日", *(s for pair in OPINIONS.values() for s in pair)):
        assert expected in text, expected
    assert "预览版" not in text
    fonts = fonts_of(r.content)
    assert any("CJK" in name for name, _ in fonts), fonts
    assert all(embedded == "yes" for _, embedded in fonts), fonts


async def test_preview_watermark_until_the_qualification_check(client, world, converter_pool):
    r = await client.get(url(world, "brief", "pdf"), headers=world["as_employer"])
    assert r.status_code == 200, r.text
    assert r.headers["x-form-edition"] == "preview" and download_name(r) == "王小明-简介表（预览版）.pdf"
    assert "预览版" in text_of(r.content) and "王小明" in text_of(r.content)
    assert all(embedded == "yes" for _, embedded in fonts_of(r.content))
    await move_along(client, world, accept=False)              # at the committee, not yet checked
    r = await client.get(url(world, "brief", "pdf"), headers=world["as_office"])
    assert "预览版" in text_of(r.content)
    r = await client.post(f"/api/dossiers/{world['dossier_id']}/actions", json={"action": "accept"},
                          headers=world["as_office"])
    assert r.json()["status"] == "accepted"
    r = await client.get(url(world, "brief", "pdf"), headers=world["as_office"])
    assert r.headers["x-form-edition"] == "official" and "预览版" not in text_of(r.content)


async def test_certificate_pdf_carries_numbers_photo_and_qr_code(client, world, converter_pool):
    await certify(world)
    r = await client.get(url(world, "certificate", "pdf"), headers=world["as_applicant"])
    assert r.status_code == 200, r.text
    text = text_of(r.content)
    for expected in ("2026370100QZWHZ00007", "K7M2Q9XA", "济人社职字〔2026〕12号", "扫码核验"):
        assert expected in text, expected
    page = PdfReader(io.BytesIO(r.content)).pages[0]
    assert len(page.images) == 2                                # the photo and the QR code


async def test_a_unit_zips_pdfs(client, world, converter_pool):
    body = {"ids": [world["dossier_id"]], "form": "catalogue", "format": "pdf"}
    r = await client.post("/api/forms/batch", json=body, headers=world["as_employer"])
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert archive.namelist() == ["王小明-材料目录（预览版）.pdf"]
    assert "学历证书.pdf" in text_of(archive.read("王小明-材料目录（预览版）.pdf"))


async def test_a_missing_libreoffice_gives_a_clear_error(client, world, monkeypatch):
    settings = get_settings().model_copy(update={"converter_soffice": "/nonexistent/soffice"})
    missing = convert.LocalPool(settings)
    monkeypatch.setattr(convert, "_converter", missing)
    missing.start()                           # as the service does at start-up
    r = await client.get(url(world, "brief", "pdf"), headers=world["as_employer"])
    assert r.status_code == 503
    body = r.json()
    assert body["code"] == "converter_unavailable" and "LibreOffice" in body["message"]
    assert "/nonexistent/soffice" in body["message"]
    assert (await client.get(url(world, "brief", "docx"), headers=world["as_employer"])).status_code == 200


async def test_a_killed_worker_is_restarted_and_the_others_go_on(converter_pool):
    docx = demo_docx()
    first = asyncio.create_task(converter_pool.convert(docx))
    while not any(w.state == "busy" for w in converter_pool.workers):
        await asyncio.sleep(0.005)
    victim = next(w for w in converter_pool.workers if w.state == "busy")
    old_pid = victim.soffice_pid
    second = asyncio.create_task(converter_pool.convert(docx))      # goes to the other worker
    await asyncio.sleep(0.05)
    os.killpg(victim.proc.pid, signal.SIGKILL)
    with pytest.raises(convert.ConverterUnavailable) as failed:
        await first
    assert failed.value.status == 503
    assert (await second).startswith(b"%PDF")
    assert await converter_pool.wait_ready(120)
    assert victim.soffice_pid != old_pid
    assert (await converter_pool.convert(docx)).startswith(b"%PDF")


async def test_a_worker_that_dies_idle_is_replaced_before_it_gets_work(converter_pool):
    assert await converter_pool.wait_ready(120)
    victim = converter_pool.workers[0]
    old_pid = victim.soffice_pid
    os.kill(office_process(victim), signal.SIGKILL)                # LibreOffice crashes; its bridge notices
    for _ in range(400):
        if victim.soffice_pid != old_pid and victim.state == "idle":
            break
        await asyncio.sleep(0.05)
    assert victim.soffice_pid != old_pid and victim.state == "idle"
    assert (await converter_pool.convert(demo_docx("brief"))).startswith(b"%PDF")


async def test_a_conversion_past_its_timeout_is_stopped(converter_pool):
    assert await converter_pool.wait_ready(120)
    with pytest.raises(convert.ConversionTimeout) as late:
        await converter_pool.convert(demo_docx(), timeout=0.01)
    assert late.value.status == 504 and late.value.code == "conversion_timeout"
    assert (await converter_pool.convert(demo_docx("brief"))).startswith(b"%PDF")
    assert await converter_pool.wait_ready(120)
