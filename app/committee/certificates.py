"""Certificates (证书): issued after publicity with the committee's numbering pattern, a document number
(发文字号), an issue date and the issuing body, written with the certify transition; and the public
verification by certificate number and verification code, or of an uploaded certificate PDF by its
signature (app.committee.signing) against the register; and revocation (撤销) by the committee office.

Numbers come from a per-committee, per-year counter advanced by one atomic $inc, so concurrent
issuance never repeats one; a unique index on the dossiers' certificate numbers guards the rest
(e.g. two committees given the same pattern). A number drawn for a transition that is then refused
is not reused: the sequence may have gaps, never duplicates."""

import hmac
import io
import secrets
from datetime import timedelta

from fastapi import UploadFile
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError
from starlette.concurrency import run_in_threadpool

from app import throttle
from app.accounts.audit import ClientInfo
from app.accounts.models import User
from app.catalog import service as catalog
from app.catalog.models import Committee
from app.clock import CHINA
from app.committee import committees, signing
from app.committee.models import Counter
from app.committee.numbers import format_number
from app.committee.schemas import VERDICTS, FileVerificationOut, IssueIn, RevokeIn, VerificationOut
from app.config import get_settings
from app.dossiers import writes
from app.dossiers.enums import STATUS_LABELS
from app.dossiers.enums import DossierStatus as S
from app.dossiers.models import Certificate, Dossier, TrailEntry
from app.dossiers.writes import to_bson
from app.errors import Conflict, NotFound, ValidationFailed
from app.files.pdf import check_pdf
from app.personnel import service as personnel
from app.routing import service as routing
from app.routing.machine import Action
from app.routing.service import BatchResult, run_batch

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"      # no 0/O, 1/I/L: read off paper without doubt
CODE_LENGTH = 8
NOT_FOUND = "证书编号或验证码不正确，未查到该证书"
VERIFY_FAILURES, VERIFY_WINDOW = 10, timedelta(minutes=10)     # wrong guesses a client may make per window
FILE_CHECKS = 30                         # uploaded certificates a client may have checked per window
REVOKE_ACTION = "revoke_certificate"
UPLOAD_MAX_BYTES = 5 * 1024 * 1024      # a certificate PDF is a few hundred KB
UPLOAD_CHUNK = 256 * 1024


def verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def next_number(committee: Committee, year: int) -> str:
    """The next number of the committee's year."""
    seq = await next_seq(f"certificate:{committee.code}:{year}")
    return format_number(committee.certificate_pattern, committee, year=year, seq=seq)


async def next_seq(key: str) -> int:
    """The next value of a counter. The counter is created by a separate $setOnInsert upsert:
    SecantusDB (0.7.0b3) answers some concurrent upserting find_one_and_update calls with None after
    applying their $inc, which would lose those numbers; without upsert, None means nothing happened."""
    collection = Counter.get_pymongo_collection()
    while True:
        counter = await collection.find_one_and_update({"_id": key}, {"$inc": {"seq": 1}},
                                                       return_document=ReturnDocument.AFTER)
        if counter is not None:
            return counter["seq"]
        try:
            await collection.update_one({"_id": key}, {"$setOnInsert": {"seq": 0}}, upsert=True)
        except DuplicateKeyError:        # another issuance created it at the same moment
            pass


async def _name(dictionary: str, code: str) -> str:
    entry = await catalog.get_entry(dictionary, code)
    return entry.name if entry else code


def document_number_of(data: IssueIn) -> str:
    """The 发文字号 every issuance needs, checked before any number is drawn."""
    document_number = data.document_number.strip()
    if not document_number:
        raise ValidationFailed("请填写发文字号", field="document_number", code="document_number_required")
    return document_number


async def holder_fields(dossier: Dossier) -> dict:
    """What a certificate says of its holder and title, from the dossier's declaration."""
    return {"holder_name": dossier.applicant_name, "title_name": await _name("titles", dossier.declaration.title),
            "specialty_name": await _name("specialties", dossier.declaration.specialty)}


async def certify(*, dossier: Dossier, acting, actor: User, certificate: Certificate, data: IssueIn,
                  taken: str) -> None:
    """The certify transition carrying its certificate in the same write; a number already used is a 409
    saying `taken` (the unique index on certificate numbers decides)."""
    try:
        await routing.apply(dossier=dossier, acting=acting, actor=actor, action=Action.certify,
                            opinion=f"证书编号{certificate.number}",
                            detail={"certificate_number": certificate.number,
                                    "document_number": certificate.document_number,
                                    "issued_on": data.issued_on.isoformat(), "issuing_body": certificate.issuing_body},
                            extra_set={"certificate": to_bson(certificate)})
    except DuplicateKeyError:
        raise Conflict(f"证书编号{certificate.number}已被占用{taken}", code="number_taken") from None
    await personnel.title_certified(dossier, certificate)


async def issue(*, actor: User, data: IssueIn) -> BatchResult:
    """发证, singly or in batch: each dossier its own certify transition carrying its certificate."""
    document_number = document_number_of(data)

    async def work(dossier: Dossier) -> None:
        acting = await routing.acting_as(actor, dossier)
        if dossier.status != S.publicized:      # checked before a number is drawn for it
            raise Conflict(f"当前状态“{STATUS_LABELS[dossier.status]}”下不能发证，公示结束后方可发证",
                           code="illegal_transition")
        committee = await Committee.find_one(Committee.code == dossier.committee_code)
        issuer = await committees.issuing_unit(committee)
        body = (data.issuing_body or "").strip() or committees.body_name(committee, issuer)
        if not body:
            raise ValidationFailed("请填写发证机关（评委会未设置发证机关，也没有办事机构）", field="issuing_body",
                                   code="issuing_body_required")
        certificate = Certificate(
            number=await next_number(committee, data.issued_on.year), verification_code=verification_code(),
            document_number=document_number, issued_on=data.issued_on, issuing_body=body,
            committee_code=committee.code, committee_name=committee.name, **await holder_fields(dossier),
            issued_by=actor.id, issuing_unit_id=issuer.id if issuer else None)
        await certify(dossier=dossier, acting=acting, actor=actor, certificate=certificate, data=data,
                      taken="，请检查评委会的证书编号规则")

    return await run_batch(actor=actor, ids=data.ids, confirm=data.confirm, action=Action.certify,
                                      label="发证", work=work)


def mask_name(name: str) -> str:
    """王小明 → 王*明, 张三 → 张*, 欧阳明华 → 欧**华."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


async def verify(*, number: str, code: str, client: ClientInfo) -> VerificationOut:
    """Public: the same 404 for an unknown number and a wrong code, so neither can be probed alone, and
    a client that keeps guessing is held off for a while."""
    key = f"certificate-verify:{client.ip}"
    await throttle.refuse_when_exhausted(key, limit=VERIFY_FAILURES, window=VERIFY_WINDOW, doing="证书查验")
    certificate = await registered(number.strip())
    expected = certificate.verification_code if certificate else ""
    if not (expected and hmac.compare_digest(expected.encode(), code.strip().upper().encode())):
        await throttle.note_failure(key, window=VERIFY_WINDOW)
        raise NotFound(NOT_FOUND, code="certificate_not_found")
    return register_entry(certificate)


async def registered(number: str) -> Certificate | None:
    """The certificate of this number in the register: a dossier's current one, or one a reissue (补发)
    replaced, which stays registered so that its old copy verifies as replaced rather than unknown. Each read
    names its index: SecantusDB never plans a partial index by itself (it scanned every dossier), and an
    equality on a string is always inside the index's partial filter, so the hint is exact on MongoDB too."""
    if not number:
        return None
    collection = Dossier.get_pymongo_collection()
    found = await collection.find_one({"certificate.number": number, "status": S.certified}, {"certificate": 1},
                                      hint=[("certificate.number", 1)])
    if found is not None and found.get("certificate"):
        return Certificate.model_validate(found["certificate"])
    found = await collection.find_one({"replaced_certificates.number": number, "status": S.certified},
                                      {"replaced_certificates": 1}, hint=[("replaced_certificates.number", 1)])
    replaced = [Certificate.model_validate(c) for c in (found or {}).get("replaced_certificates") or []]
    return next((c for c in replaced if c.number == number), None)


def register_entry(c: Certificate) -> VerificationOut:
    """The certificate as the public sees it: the holder's name masked, a revocation with its date and reason,
    a replacement (补发) with the new number."""
    return VerificationOut(number=c.number, holder_name=mask_name(c.holder_name), title_name=c.title_name,
                           specialty_name=c.specialty_name, committee_name=c.committee_name, issued_on=c.issued_on,
                           document_number=c.document_number, issuing_body=c.issuing_body,
                           revoked=c.revoked_at is not None,
                           revoked_on=c.revoked_at.astimezone(CHINA).date() if c.revoked_at else None,
                           revoked_reason=c.revoked_reason, replaced=c.replaced_by is not None,
                           replaced_by=c.replaced_by,
                           replaced_on=c.replaced_at.astimezone(CHINA).date() if c.replaced_at else None,
                           replaces=c.replaces, reissued_on=c.reissued_on)


async def revoke(*, actor: User, dossier: Dossier, data: RevokeIn) -> Dossier:
    """撤销: the committee office marks an issued certificate revoked, with its reason, through the dossier's
    write path with a trail entry. The certificate stays in the register, so verification says 已撤销."""
    reason = data.reason.strip()
    if not reason:
        raise ValidationFailed("请填写撤销原因", field="reason", code="reason_required")

    async def load() -> Dossier:
        return await writes.read({"_id": dossier.id}) or dossier

    async def plan(current: Dossier) -> writes.Change:
        c = current.certificate
        if current.status != S.certified or c is None:
            raise Conflict("该申报尚未发证，没有可撤销的证书", code="certificate_not_issued")
        if c.revoked_at is not None:
            raise Conflict(f"证书{c.number}已于{register_entry(c).revoked_on}撤销", code="certificate_revoked")
        acting = await routing.acting_as(actor, current)
        entry = TrailEntry(action=REVOKE_ACTION, actor_id=actor.id, actor_name=actor.name, role=acting.role,
                           unit_id=acting.unit_id, unit_name=acting.unit_name, from_status=current.status,
                           to_status=current.status, opinion=reason, detail={"certificate_number": c.number})
        return writes.Change({"$set": {"certificate.revoked_at": entry.at, "certificate.revoked_reason": reason,
                                       "certificate.revoked_by": actor.id}}, entry)

    return await writes.retrying(load, plan)


async def _read_upload(upload: UploadFile) -> bytes:
    """The uploaded file, refused as soon as it passes the cap (never read whole first)."""
    data = bytearray()
    while chunk := await upload.read(UPLOAD_CHUNK):
        data += chunk
        if len(data) > UPLOAD_MAX_BYTES:
            raise ValidationFailed(f"证书文件不能超过 {UPLOAD_MAX_BYTES // (1024 * 1024)} MB，请上传本系统下载的电子证书",
                                   code="file_too_large", field="file")
    if not data:
        raise ValidationFailed("文件为空，请重新选择", code="file_empty", field="file")
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed("请上传 PDF 格式的电子证书", code="not_pdf", field="file")
    return bytes(data)


def _mismatches(c: Certificate, text: str) -> list[str]:
    """What the register says that the signed pages do not show (whitespace aside, as PDF text extraction
    may split a line anywhere)."""
    wanted = {"证书编号": c.number, "持证人": c.holder_name, "资格名称": c.title_name}
    return [label for label, value in wanted.items() if "".join(value.split()) not in text]


async def verify_file(*, upload: UploadFile, client: ClientInfo) -> FileVerificationOut:
    """Public: is this PDF a certificate this service signed, and does it say what the register says?
    Hostile files are refused by the upload checks (not a PDF, too big, encrypted, active content); each
    check costs a parse and a signature verification, so a client gets a bounded number per window."""
    await throttle.take(f"certificate-file:{client.ip}", limit=FILE_CHECKS, window=VERIFY_WINDOW, doing="上传证书查验")
    data = await _read_upload(upload)
    await run_in_threadpool(check_pdf, io.BytesIO(data), field="file")
    checked = await run_in_threadpool(signing.check, data, get_settings())

    def answer(verdict: str, *, problem: str | None = None, mismatches: list[str] = (),
               certificate: VerificationOut | None = None) -> FileVerificationOut:
        label = VERDICTS[verdict]
        if verdict == "revoked":
            label = f"该证书已于{certificate.revoked_on}撤销，撤销原因：{certificate.revoked_reason}"
        if verdict == "replaced":
            label = f"该证书已于{certificate.replaced_on}补发新证（新证书编号{certificate.replaced_by}），原证书作废"
        return FileVerificationOut(verdict=verdict, verdict_label=label, signature_valid=checked.valid,
                                   problem=problem, signed_by=checked.signer, signed_at=checked.signed_at,
                                   mismatches=list(mismatches), certificate=certificate)

    if not checked.valid:
        return answer("invalid", problem=checked.problem)
    certificate = await registered(checked.number or "")
    if certificate is None:
        return answer("unregistered", problem=f"证书编号“{checked.number or ''}”不在登记中")
    entry = register_entry(certificate)
    if entry.revoked:
        return answer("revoked", certificate=entry)
    if entry.replaced:
        return answer("replaced", certificate=entry)
    if missing := _mismatches(certificate, checked.text):
        return answer("mismatch", problem=f"证书上的{'、'.join(missing)}与登记不符", mismatches=missing,
                      certificate=entry)
    return answer("valid", certificate=entry)
