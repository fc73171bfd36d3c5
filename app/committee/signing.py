"""The certificate's digital signature (PAdES, pyHanko): signing the rendered PDF with the issuing key, and
checking an uploaded PDF's signature.

The key is a PKCS#12 file (ZC_SIGNING_PKCS12_PATH, passphrase ZC_SIGNING_PKCS12_PASSPHRASE) or a key on a
PKCS#11 token (ZC_SIGNING_PKCS11_*). With neither, dev and test use a development key and self-signed
certificate made once under var/signing/ (var/ is never committed); production refuses to start without
one (app/config.py). A check trusts the signing certificate, its chain, and the certificates named in
ZC_SIGNING_TRUSTED_CERTS (the signing certificates of earlier keys after a rotation; docs/SECURITY.md).

The certificate's number goes into the signature's own /Reason, which the signature covers: it says which
register entry a PDF claims to be. What a reader sees (number, name, title) is compared with the register
by the caller from the signed page text. Pure and synchronous; callers run it in a worker thread.
"""

import io
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from app.config import Settings
from app.errors import AppError

log = logging.getLogger("app.signing")

FIELD_NAME = "CertificateSignature"
REASON_PREFIX = "专业技术资格证书 "          # + the certificate number
DEVELOPMENT_PASSPHRASE = b"development-only"
DEVELOPMENT_YEARS = 10


class SigningUnavailable(AppError):
    status = 503
    code = "signing_unavailable"


@dataclass(frozen=True)
class Checked:
    """What an uploaded PDF's signature says. `valid`: intact, made by a trusted key, and covering the
    whole file (nothing added after signing); `problem` says why not in words for the page."""
    valid: bool
    problem: str | None
    number: str | None = None          # from the signed /Reason
    signer: str | None = None
    signed_at: datetime | None = None
    text: str = ""                     # the signed pages' text, whitespace removed


def development_paths(settings: Settings) -> tuple[Path, Path]:
    folder = settings.var_dir / "signing"
    return folder / "development.p12", folder / "development-cert.pem"


def ensure_development_key(settings: Settings) -> Path:
    """The development PKCS#12, made on first use: an RSA key and a ten-year self-signed certificate whose
    key usage allows signing documents (non-repudiation, as validators require)."""
    p12_path, pem_path = development_paths(settings)
    if p12_path.exists():
        return p12_path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "职称申报评审服务（开发环境）"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "证书签章开发密钥（不可用于生产）")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365 * DEVELOPMENT_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    p12_path.parent.mkdir(parents=True, exist_ok=True)
    data = pkcs12.serialize_key_and_certificates(b"development", key, cert, None,
                                                 serialization.BestAvailableEncryption(DEVELOPMENT_PASSPHRASE))
    partial = p12_path.with_suffix(f".{os.getpid()}.tmp")       # two processes starting at once: one wins whole
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        out.write(data)
    pem_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(partial, p12_path)
    log.warning("made a development signing key at %s", p12_path)
    return p12_path


_lock = threading.Lock()
_signers: dict[tuple, signers.Signer] = {}


def _config_key(settings: Settings) -> tuple:
    return (settings.var_dir, settings.signing_pkcs12_path, settings.signing_pkcs12_passphrase,
            settings.signing_pkcs11_module, settings.signing_pkcs11_token_label, settings.signing_pkcs11_key_label,
            settings.signing_pkcs11_cert_label, settings.signing_pkcs11_pin)


def signer(settings: Settings) -> signers.Signer:
    """The configured signer, loaded once per configuration."""
    key = _config_key(settings)
    with _lock:
        if key not in _signers:
            _signers[key] = _load(settings)
        return _signers[key]


def _load(settings: Settings) -> signers.Signer:
    if settings.signing_pkcs11_module:
        return _pkcs11(settings)
    if settings.signing_pkcs12_path:
        path, passphrase = settings.signing_pkcs12_path, (settings.signing_pkcs12_passphrase or "").encode() or None
    elif settings.is_dev:
        path, passphrase = ensure_development_key(settings), DEVELOPMENT_PASSPHRASE
    else:
        raise SigningUnavailable("未配置证书签名密钥，暂不能生成电子证书")
    if not Path(path).is_file():
        raise SigningUnavailable(f"证书签名密钥文件 {path} 不存在，请检查 ZC_SIGNING_PKCS12_PATH")
    data = Path(path).read_bytes()
    try:        # opened here first: pyHanko would log a traceback for a wrong passphrase
        pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError:
        raise SigningUnavailable(f"无法打开证书签名密钥 {path}：口令错误或文件不是 PKCS#12 格式") from None
    return signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=passphrase)


def _pkcs11(settings: Settings) -> signers.Signer:
    """A key that never leaves its token (a hardware security module or a USB key, as Chinese e-seal
    issuers supply). Needs the optional python-pkcs11 package (`pip install .[pkcs11]`)."""
    try:
        from pyhanko.sign import pkcs11
    except ImportError:
        raise SigningUnavailable("已配置 PKCS#11 签名设备，但未安装 python-pkcs11（pip install '.[pkcs11]'）") from None
    try:
        session = pkcs11.open_pkcs11_session(
            str(settings.signing_pkcs11_module), user_pin=settings.signing_pkcs11_pin,
            token_criteria=pkcs11.TokenCriteria(label=settings.signing_pkcs11_token_label))
        return pkcs11.PKCS11Signer(session, key_label=settings.signing_pkcs11_key_label,
                                   cert_label=settings.signing_pkcs11_cert_label or settings.signing_pkcs11_key_label)
    except Exception as exc:        # the token library's own errors: a clear 503 instead of a 500
        raise SigningUnavailable(f"无法打开 PKCS#11 签名设备：{exc}") from None


def sign(pdf: bytes, *, number: str, issuing_body: str, settings: Settings) -> bytes:
    """The PDF with one PAdES signature over the whole file, naming the certificate's number."""
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=REASON_PREFIX + number,
                                        name=issuing_body, contact_info=settings.public_base_url + "/verify")
    try:
        return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer(settings)).getvalue()
    except SigningError as exc:
        raise SigningUnavailable(f"证书签名失败：{exc}") from None


def trust_roots(settings: Settings) -> list[asn1_x509.Certificate]:
    """The signing certificate and its chain, and the configured earlier or issuing certificates."""
    current = signer(settings)
    roots = [current.signing_cert, *current.cert_registry]
    for name in filter(None, (part.strip() for part in settings.signing_trusted_certs.split(","))):
        data = Path(name).read_bytes()
        for block in data.split(b"-----END CERTIFICATE-----"):
            if b"-----BEGIN CERTIFICATE-----" in block:
                pem = block[block.index(b"-----BEGIN CERTIFICATE-----"):] + b"-----END CERTIFICATE-----\n"
                roots.append(asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(
                    serialization.Encoding.DER)))
    return roots


def _padding_untouched(contents: bytes) -> bool:
    """The signature container is reserved larger than the DER signature and zero-padded; the padding is
    outside what is signed, and validators ignore it. A changed byte there is still a changed file."""
    if len(contents) < 2 or contents[0] != 0x30:
        return False
    if contents[1] < 0x80:
        end = 2 + contents[1]
    else:
        size = contents[1] & 0x7F
        end = 2 + size + int.from_bytes(contents[2:2 + size], "big")
    return end <= len(contents) and not contents[end:].strip(b"\x00")


def check(pdf: bytes, settings: Settings) -> Checked:
    """The signature of a PDF already checked to be a plain, unencrypted PDF (app.files.pdf.check_pdf)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:       # the reader's own errors on a damaged file
        return Checked(False, "文件无法解析为已签名的 PDF")
    ours = [s for s in signatures if s.field_name == FIELD_NAME]
    if not ours:
        return Checked(False, "文件没有本系统的电子签名：不是本系统签发的电子证书，或签名已被去除")
    signature = ours[0]
    if not _padding_untouched(bytes(signature.sig_object.get("/Contents", b""))):
        return Checked(False, "电子签名已损坏：文件在签名后被改动过")
    reason = str(signature.sig_object.get("/Reason", ""))
    number = reason.removeprefix(REASON_PREFIX) if reason.startswith(REASON_PREFIX) else None
    context = ValidationContext(trust_roots=trust_roots(settings), allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, context)
    except (SignatureValidationError, ValueError) as exc:
        log.info("certificate signature refused: %s", exc)
        return Checked(False, "电子签名已损坏：文件在签名后被改动过", number=number)
    signer_name = status.signing_cert.subject.human_friendly if status.signing_cert else None
    base = dict(number=number, signer=signer_name, signed_at=status.signer_reported_dt)
    if not status.intact:
        return Checked(False, "电子签名与文件内容不符：文件在签名后被改动过", **base)
    if not status.valid or not status.trusted:
        return Checked(False, "签名密钥不是本系统的发证密钥：该文件并非本系统签发", **base)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return Checked(False, "文件在签名后被追加修改过，签名不覆盖全部内容", **base)
    text = "".join("".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())
    return Checked(True, None, text=text, **base)
