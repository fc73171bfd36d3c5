"""The e-certificate as a document: rendered by LibreOffice with the issuing unit's seal and a QR code
pointing at the configured public address, signed (PAdES), and checked on upload against its signature
and the register; revocation shows on every verification."""

import asyncio
import io
import zipfile
from functools import partial

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.generic import pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader, PdfWriter

from app.committee import signing
from app.config import get_settings
from app.dossiers.models import Dossier
from tests.committee.committee_kit import place_dossier
from tests.committee.test_certificates import issue
from tests.factories import force_dossier
from tests.render.test_templates import text_of as text_of_docx

PUBLIC = "https://zc.example.gov.cn"


def seal_png() -> bytes:
    """A red round seal on a transparent ground, as a unit scans and uploads it."""
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 290, 290), outline=(220, 0, 0, 255), width=14)
    draw.regular_polygon((150, 150, 60), 5, fill=(220, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def is_red(image: Image.Image) -> bool:
    pixels = list(image.convert("RGB").resize((40, 40)).get_flattened_data())
    return sum(1 for r, g, b in pixels if r > 150 and g < 90 and b < 90) > 40


@pytest.fixture
def public_address(monkeypatch):
    monkeypatch.setenv("ZC_PUBLIC_BASE_URL", PUBLIC)
    get_settings.cache_clear()
    yield PUBLIC
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
async def signed(client, world, converter_pool, public_address):
    """A certificate issued without typing 发证机关, the HR bureau's seal uploaded, the PDF downloaded."""
    r = await client.put(f"/api/units/{world['hr'].id}/documents/seal", headers=world["as_hr"],
                         files={"file": ("公章.png", seal_png(), "image/png")})
    assert r.status_code == 200, r.text
    dossier = await place_dossier(world, status="publicized", name="王小明")
    assert (await issue(client, world, [dossier])).json()["done"] == 1
    r = await client.get(f"/api/dossiers/{dossier.id}/forms/certificate.pdf", headers=world["as_office"])
    assert r.status_code == 200, r.text
    return (await Dossier.get(dossier.id)), r.content


async def check_file(client, pdf: bytes, name: str = "证书.pdf"):
    return await client.post("/api/certificates/verify-file", files={"file": (name, pdf, "application/pdf")})


def reason_of(pdf: bytes) -> str:
    return str(PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()["/V"]["/Reason"])


class TestTheDocument:
    async def test_qr_code_seal_and_signature(self, client, world, signed):
        dossier, pdf = signed
        c = dossier.certificate
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        images = [image.image for image in reader.pages[0].images]
        decoded = [code.text for image in images for code in zxingcpp.read_barcodes(image)]
        assert decoded == [f"{PUBLIC}/verify?number={c.number}&code={c.verification_code}"]
        assert sum(is_red(image) for image in images) == 1                  # the HR bureau's seal
        text = "".join("".join(page.extract_text() for page in reader.pages).split())
        assert f"{PUBLIC}/verify" in text and "济南市人力资源和社会保障局" in text and "（印章）" not in text
        assert reason_of(pdf) == f"专业技术资格证书 {c.number}"
        r = await client.get(f"/api/dossiers/{dossier.id}/forms/certificate.docx", headers=world["as_office"])
        with zipfile.ZipFile(io.BytesIO(r.content)) as docx:       # the editable copy: QR code, no seal
            media = [Image.open(io.BytesIO(docx.read(n))) for n in docx.namelist() if n.startswith("word/media/")]
        assert len(media) == 1 and not is_red(media[0]) and "（印章）" in text_of_docx(r.content)

        r = await check_file(client, pdf)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["verdict"], body["signature_valid"], body["mismatches"]) == ("valid", True, [])
        assert body["certificate"]["number"] == c.number and body["certificate"]["holder_name"] == "王*明"
        assert "证书签章开发密钥" in body["signed_by"]

    async def test_one_changed_byte_fails(self, client, signed):
        """The Producer string is outside any compressed stream: changing one of its letters keeps the file
        well-formed, so only the signature can tell."""
        _, pdf = signed
        at = pdf.index(b"LibreOffice")
        forged = pdf[:at] + b"M" + pdf[at + 1:]
        r = await check_file(client, forged)
        assert r.status_code == 200, r.text
        assert (r.json()["verdict"], r.json()["signature_valid"]) == ("invalid", False)
        assert r.json()["certificate"] is None and "改动" in r.json()["problem"]

    async def test_any_changed_byte_fails_the_signature(self, signed):
        """Every 25th of the file, /Contents (the signature itself) included: pyHanko runs its own event loop,
        so the checks run in a thread as the service runs them."""
        _, pdf = signed
        settings = get_settings()

        def flips() -> list[bool]:
            found = []
            for at in range(0, len(pdf), len(pdf) // 25):
                changed = bytearray(pdf)
                changed[at] ^= 0x01
                found.append(signing.check(bytes(changed), settings).valid)
            return found

        assert (await asyncio.to_thread(signing.check, pdf, settings)).valid
        assert await asyncio.to_thread(flips) == [False] * len(range(0, len(pdf), len(pdf) // 25))

    async def test_an_appended_revision_is_not_covered(self, client, signed):
        """A PDF editor saving incrementally (the old signature still intact) must not pass."""
        _, pdf = signed
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        writer.root["/Lang"] = pdf_string("en-US")
        writer.update_root()
        out = io.BytesIO()
        writer.write(out)
        assert out.getvalue().startswith(pdf)
        r = await check_file(client, out.getvalue())
        assert (r.json()["verdict"], r.json()["signature_valid"]) == ("invalid", False), r.text

    async def test_a_certificate_edited_in_the_register_no_longer_matches(self, client, signed):
        dossier, pdf = signed
        await force_dossier(dossier.id, **{"certificate.title_name": "副研究馆员"})
        body = (await check_file(client, pdf)).json()
        assert (body["verdict"], body["signature_valid"], body["mismatches"]) == ("mismatch", True, ["资格名称"])

    async def test_signed_by_us_for_a_number_not_in_the_register(self, client, signed):
        _, pdf = signed
        other = await asyncio.to_thread(partial(signing.sign, blank_pdf(), number="2026370100QZWHZ99999",
                                                issuing_body="x", settings=get_settings()))
        body = (await check_file(client, other)).json()
        assert (body["verdict"], body["signature_valid"]) == ("unregistered", True)


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_another_key_is_not_trusted(tmp_path):
    """A forger's own key and self-signed certificate make a signature that is intact but not ours."""
    settings = get_settings()
    forger = settings.model_copy(update={"var_dir": tmp_path})
    forged = signing.sign(blank_pdf(), number="2026370100QZWHZ00001", issuing_body="x", settings=forger)
    assert signing.check(forged, forger).valid                     # valid for its own key
    checked = signing.check(forged, settings)
    assert not checked.valid and "不是本系统的发证密钥" in checked.problem
    trusting = settings.model_copy(update={"signing_trusted_certs": str(signing.development_paths(forger)[1])})
    assert signing.check(forged, trusting).valid                    # a rotated-out certificate, still trusted


class TestHostileUploads:
    @pytest.mark.parametrize("content, code", [
        (b"", "file_empty"), (b"PK\x03\x04 not a pdf", "not_pdf"),
        (b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024), "file_too_large"),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\n", "pdf_broken")])
    async def test_refused_with_the_error_body(self, client, content, code):
        r = await check_file(client, content)
        assert r.status_code == 422 and r.json()["code"] == code and r.json()["field"] == "file", r.text

    async def test_encrypted_and_unsigned(self, client):
        writer = PdfWriter(clone_from=io.BytesIO(blank_pdf()))
        writer.encrypt("owner-only")
        out = io.BytesIO()
        writer.write(out)
        r = await check_file(client, out.getvalue())
        assert r.status_code == 422 and r.json()["code"] == "pdf_encrypted", r.text
        body = (await check_file(client, blank_pdf())).json()
        assert (body["verdict"], body["signature_valid"]) == ("invalid", False) and "没有本系统的电子签名" in body["problem"]
        page = await client.post("/verify", files={"file": ("x.pdf", b"not a pdf", "application/pdf")})
        assert page.status_code == 422 and "请上传 PDF 格式的电子证书" in page.text


    async def test_a_client_checks_a_bounded_number_of_files(self, client, monkeypatch):
        from app.committee import certificates

        monkeypatch.setattr(certificates, "FILE_CHECKS", 2)
        answers = [(await check_file(client, blank_pdf())).status_code for _ in range(3)]
        assert answers == [200, 200, 429]


class TestRevocation:
    async def test_the_office_revokes_and_every_check_says_so(self, client, world, signed):
        dossier, pdf = signed
        c = dossier.certificate
        url = f"/api/dossiers/{dossier.id}/certificate/revocation"
        issued = (await client.get("/committee/certificates", params={"tab": "certified"}, headers=world["as_office"])).text
        assert f'data-api="{url}"' in issued and ">已撤销 " not in issued
        assert (await client.post(url, json={"reason": "  "}, headers=world["as_office"])).json()["field"] == "reason"
        r = await client.post(url, json={"reason": "x"}, headers=world["as_hr"])
        assert r.status_code in (404, 409)                              # not the committee office
        r = await client.post(url, json={"reason": "经查申报材料弄虚作假"}, headers=world["as_office"])
        assert r.status_code == 200, r.text
        assert r.json()["revoked"] and r.json()["revoked_reason"] == "经查申报材料弄虚作假"
        stored = await Dossier.get(dossier.id)
        assert stored.status == "certified" and stored.version == dossier.version + 1
        assert (stored.trail[-1].action, stored.trail[-1].opinion) == ("revoke_certificate", "经查申报材料弄虚作假")
        issued = (await client.get("/committee/certificates", params={"tab": "certified"}, headers=world["as_office"])).text
        assert f'data-api="{url}"' not in issued and 'title="经查申报材料弄虚作假">已撤销' in issued
        again = await client.post(url, json={"reason": "再次"}, headers=world["as_office"])
        assert again.status_code == 409 and again.json()["code"] == "certificate_revoked"

        revoked_on = r.json()["revoked_on"]
        body = (await check_file(client, pdf)).json()
        assert (body["verdict"], body["signature_valid"]) == ("revoked", True)
        assert body["verdict_label"] == f"该证书已于{revoked_on}撤销，撤销原因：经查申报材料弄虚作假"
        by_code = await client.get("/api/certificates/verify", params={"number": c.number, "code": c.verification_code})
        assert by_code.json()["revoked"] and by_code.json()["revoked_on"] == revoked_on
        page = await client.get("/verify", params={"number": c.number, "code": c.verification_code})
        assert f"已撤销：该证书已于 {revoked_on} 撤销" in page.text and "经查申报材料弄虚作假" in page.text
        assert "真实有效" not in page.text
        uploaded = await client.post("/verify", files={"file": ("证书.pdf", pdf, "application/pdf")})
        assert 'data-verdict="revoked"' in uploaded.text and "经查申报材料弄虚作假" in uploaded.text

    async def test_only_an_issued_certificate_is_revoked(self, client, world):
        dossier = await place_dossier(world, status="publicized")
        r = await client.post(f"/api/dossiers/{dossier.id}/certificate/revocation", json={"reason": "x"},
                              headers=world["as_office"])
        assert r.status_code == 409 and r.json()["code"] == "certificate_not_issued"
        r = await client.post(f"/api/dossiers/{dossier.id}/certificate/revocation", json={"reason": "x"})
        assert r.status_code == 401


SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"      # Debian's softhsm2 (scripts/bootstrap.sh installs it)


def test_a_key_on_a_pkcs11_token_signs(tmp_path, monkeypatch):
    """Production may keep the key on a token: SoftHSM stands in for one, holding the key and certificate
    of a development PKCS#12 made for the purpose; a wrong PIN is a clear 503, not a traceback."""
    import subprocess

    import pkcs11
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
    from pkcs11 import Attribute, CertificateType, ObjectClass

    conf = tmp_path / "softhsm2.conf"
    (tmp_path / "tokens").mkdir()
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "zc-test", "--pin", "1234", "--so-pin", "5678"],
                   check=True, capture_output=True)
    source = get_settings().model_copy(update={"var_dir": tmp_path / "var"})
    key, cert, _ = pkcs12.load_key_and_certificates(signing.ensure_development_key(source).read_bytes(),
                                                    signing.DEVELOPMENT_PASSPHRASE)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    subprocess.run(["softhsm2-util", "--import", str(tmp_path / "key.pem"), "--token", "zc-test", "--label", "signer",
                    "--id", "01", "--pin", "1234"], check=True, capture_output=True)
    with pkcs11.lib(SOFTHSM).get_token(token_label="zc-test").open(rw=True, user_pin="1234") as session:
        session.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                               Attribute.VALUE: cert.public_bytes(Encoding.DER), Attribute.SUBJECT: cert.subject.public_bytes(),
                               Attribute.LABEL: "signer", Attribute.ID: b"\x01", Attribute.TOKEN: True})
    token = get_settings().model_copy(update={
        "var_dir": tmp_path / "unused", "signing_pkcs11_module": SOFTHSM, "signing_pkcs11_token_label": "zc-test",
        "signing_pkcs11_key_label": "signer", "signing_pkcs11_pin": "1234"})
    signed = signing.sign(blank_pdf(), number="2026370100QZWHZ00001", issuing_body="x", settings=token)
    assert signing.check(signed, token).valid and signing.check(signed, source).valid    # the same key, now on a token
    assert not (tmp_path / "unused").exists()                                           # no development key made
    with pytest.raises(signing.SigningUnavailable, match="无法打开 PKCS#11 签名设备"):
        signing.signer(token.model_copy(update={"signing_pkcs11_pin": "0000"}))
