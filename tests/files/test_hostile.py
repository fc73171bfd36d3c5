"""Hostile uploads over HTTP, through the real application and database: each one is refused with the error
body and leaves GridFS exactly as it was, or is stored neutralised (re-encoded pixels, a harmless name)."""

import io
import zipfile
from urllib.parse import unquote

import pytest

from app import db
from app.dossiers.models import Dossier
from app.files.names import SANDBOX_CSP
from app.request_size import MAX_REQUEST_BYTES
from tests.factories import create_batch, create_person, create_unit, declaration_payload, login
from tests.files import samples

MB = 1024 * 1024


@pytest.fixture
async def dossier(client):
    person = await create_person(name="王小明")
    unit, _ = await create_unit(name="济南市群众艺术馆", region_code="370100")
    headers = await login(client, person)
    created = await client.post("/api/dossiers", json=declaration_payload(await create_batch(), unit), headers=headers)
    assert created.status_code == 201, created.text
    return {"url": f"/api/dossiers/{created.json()['id']}", "id": created.json()["id"], "headers": headers,
            "login": person.login}


async def upload(client, dossier, content: bytes, name: str = "证明材料.pdf", mime: str = "application/pdf"):
    return await client.post(f"{dossier['url']}/attachments", data={"section": "declaration"},
                             files={"file": (name, content, mime)}, headers=dossier["headers"])


async def gridfs() -> tuple[int, int]:
    database = db.current().db
    return await database["fs.files"].count_documents({}), await database["fs.chunks"].count_documents({})


def jpeg_zip_polyglot() -> bytes:
    return samples.jpeg() + samples.zip_archive()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>'
REFUSED = {
    "exe-as-pdf": (samples.exe(), "file_type_not_allowed"),
    "html-as-pdf": (samples.html(), "file_type_not_allowed"),
    "zip-as-pdf": (samples.zip_archive(), "file_type_not_allowed"),
    "svg": (SVG, "file_type_not_allowed"),
    "html-then-pdf": (samples.html() + samples.pdf(), "file_type_not_allowed"),
    "pdf-then-html": (samples.pdf() + samples.html(), "pdf_extra_data"),
    "pdf-then-zip": (samples.pdf() + samples.zip_archive(), "pdf_extra_data"),
    "pdf-javascript-open-action": (samples.active_pdf(samples.ACTIVE_PDFS["open-action-js"][1], packed=False, hide=False),
                                   "pdf_active_content"),
    "pdf-javascript-compressed-and-escaped": (samples.active_pdf(samples.ACTIVE_PDFS["javascript-name-tree"][1], packed=True, hide=True),
                                              "pdf_active_content"),
    "pdf-launch": (samples.active_pdf(samples.ACTIVE_PDFS["launch"][1], packed=True, hide=False), "pdf_active_content"),
    "pdf-embedded-file": (samples.active_pdf(samples.ACTIVE_PDFS["embedded-files"][1], packed=True, hide=False), "pdf_active_content"),
    "pdf-xfa": (samples.active_pdf(samples.ACTIVE_PDFS["xfa"][1], packed=False, hide=True), "pdf_active_content"),
    "pdf-encrypted": (samples.encrypted_pdf(), "pdf_encrypted"),
    "pdf-truncated": (samples.pdf(3)[:400], "pdf_broken"),
    "pdf-bomb": (samples.raw_pdf(b"/Pad 4 0 R", b"", b"(" + b" " * (17 * MB) + b")", packed=True), "pdf_bomb"),
    "png-bomb": (samples.bomb_png(20000, 20000), "image_too_large"),
    "jpeg-truncated": (samples.jpeg(noise=True)[:5000], "image_broken"),
    "empty": (b"", "file_empty"),
}


class TestRefused:
    @pytest.mark.parametrize("case", REFUSED)
    async def test_error_body_and_nothing_stored(self, client, dossier, case):
        content, code = REFUSED[case]
        before = await gridfs()
        response = await upload(client, dossier, content)
        assert response.status_code == 422, response.text
        body = response.json()
        assert (body["code"], body["field"]) == (code, "file") and body["message"]
        assert await gridfs() == before == (0, 0)
        assert (await Dossier.get(dossier["id"])).attachments == []

    async def test_over_the_batch_limit(self, client, dossier):
        response = await upload(client, dossier, samples.pdf(1, padding=6 * MB))
        assert response.status_code == 422 and response.json()["code"] == "file_too_large"
        assert await gridfs() == (0, 0)


class TestOversizeRequest:
    """The 51 MB cap on any request body, before any route sees it."""

    async def test_streamed_without_length_is_cut_off(self, client, dossier):
        boundary, block, sent = "hostile-boundary", b"0" * (256 * 1024), 0

        async def body():
            nonlocal sent
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"section\"\r\n\r\ndeclaration\r\n"
                   f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"大.pdf\"\r\n"
                   "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n").encode()
            while sent < 200 * MB:
                sent += len(block)
                yield block

        response = await client.post(f"{dossier['url']}/attachments", content=body(), headers={
            **dossier["headers"], "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert response.status_code == 413
        assert response.json() == {"code": "request_too_large", "field": None, "message": "请求内容过大，不能超过 51 MB"}
        assert MAX_REQUEST_BYTES - len(block) <= sent <= MAX_REQUEST_BYTES + len(block)   # stopped at the cap
        assert await gridfs() == (0, 0)
        assert (await Dossier.get(dossier["id"])).attachments == []

    async def test_declared_length_is_refused_before_reading(self, client, dossier):
        read = 0

        async def body():
            nonlocal read
            for _ in range(4):
                read += 1
                yield b"x" * 1024

        response = await client.post(f"{dossier['url']}/attachments", content=body(), headers={
            **dossier["headers"], "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(MAX_REQUEST_BYTES + 1)})
        assert response.status_code == 413 and response.json()["code"] == "request_too_large"
        assert read == 0
        assert await gridfs() == (0, 0)

    async def test_a_request_under_the_cap_passes(self, client, dossier):
        response = await upload(client, dossier, samples.pdf(2))
        assert response.status_code == 201, response.text


class TestNeutralised:
    @pytest.mark.parametrize("content, kind", [(samples.png(), "png"), (samples.jpeg(), "jpeg")], ids=["png", "jpeg"])
    async def test_an_image_named_pdf_is_stored_as_what_it_is(self, client, dossier, content, kind):
        response = await upload(client, dossier, content, name="营业执照.pdf")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["kind"] == kind and body["filename"] == f"营业执照.{'jpg' if kind == 'jpeg' else 'png'}"

    async def test_jpeg_zip_polyglot_keeps_only_the_pixels(self, client, dossier):
        polyglot = jpeg_zip_polyglot()
        assert zipfile.is_zipfile(io.BytesIO(polyglot))
        response = await upload(client, dossier, polyglot, name="照片.jpg", mime="image/jpeg")
        assert response.status_code == 201, response.text
        stored = await client.get(f"{dossier['url']}/attachments/{response.json()['id']}", headers=dossier["headers"])
        assert stored.content.startswith(b"\xff\xd8\xff") and b"PK\x03\x04" not in stored.content
        assert not zipfile.is_zipfile(io.BytesIO(stored.content))

    @pytest.mark.parametrize("name, expected", [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\win.ini", "win.pdf"),
        ("申报\x00材料\x1b[31m.pdf", "申报材料[31m.pdf"),
        ("报告\u202efdp.exe", "报告fdp.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("长" * 200 + ".pdf", "长" * 58 + ".pdf"),
    ], ids=["traversal", "windows-traversal", "nul-and-escape", "rtl-override", "windows-device", "very-long"])
    async def test_hostile_names(self, client, dossier, name, expected):
        """The name goes into the multipart header byte for byte (httpx would percent-escape a NUL)."""
        boundary = "name-boundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"section\"\r\n\r\ndeclaration\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                "Content-Type: application/pdf\r\n\r\n").encode() + samples.pdf() + f"\r\n--{boundary}--\r\n".encode()
        response = await client.post(f"{dossier['url']}/attachments", content=body, headers={
            **dossier["headers"], "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert response.status_code == 201, response.text
        assert response.json()["filename"] == expected
        got = await client.get(f"{dossier['url']}/attachments/{response.json()['id']}", headers=dossier["headers"])
        disposition = got.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="') and "\r" not in disposition and "\n" not in disposition
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == expected


class TestServedSandboxed:
    @pytest.mark.parametrize("inline", [True, False])
    async def test_pdf_download_headers(self, client, dossier, inline):
        response = await upload(client, dossier, samples.pdf(), name="学历证书.pdf")
        got = await client.get(f"{dossier['url']}/attachments/{response.json()['id']}",
                               params={"inline": str(inline).lower()}, headers=dossier["headers"])
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
        assert got.headers["content-security-policy"] == SANDBOX_CSP == \
            "sandbox; default-src 'none'; frame-ancestors 'self'"
        assert got.headers["x-content-type-options"] == "nosniff"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("inline; " if inline else "attachment; ")
        assert disposition.endswith("filename*=UTF-8''%E5%AD%A6%E5%8E%86%E8%AF%81%E4%B9%A6.pdf")
