"""补证 (reissue): the holder of a lost or damaged certificate asks for a replacement; the office of the
certificate's committee approves (a new certificate with a new number, marked 补发, replaces it) or refuses.

The request lives on the dossier that holds the certificate (`reissue_requests`), so asking, answering and
the replacement are each ONE write of its one write path with their trail entry; at most one request per
certificate is pending (a second press is answered with it). While one is pending the dossier's row carries
the queue key "reissue:<committee>" (app.dossiers.rows), which the office's queue reads on the rows' index.

The replaced certificate stays in the register (`replaced_certificates`) with the number that replaced it:
its holder's old copy verifies as 已补发 (app.committee.certificates.registered), the new one as valid. The
new certificate keeps the qualification's facts (date, 发文字号, issuing body and seal); its number comes
from the committee's counter in the year of the reissue, and its PDF says 补发 with the date."""

import secrets
from typing import Any

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from app.accounts.enums import TIER_ROLE, Role
from app.accounts.models import User
from app.catalog.committees import runs_committee
from app.catalog.models import Committee
from app.clock import utcnow
from app.committee import certificates, committees
from app.committee.calendar import china_today
from app.committee.schemas import REISSUE_REASONS, ReissueAnswerIn, ReissueForm, ReissueRequestOut
from app.dossiers import rows, writes
from app.dossiers import service as dossiers
from app.dossiers.enums import DossierStatus as S
from app.dossiers.models import Certificate, Dossier, ReissueRequest, TrailEntry
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.files import service as files
from app.notifications import service as notifications

PROOF_KINDS = ("pdf", "jpeg", "png")
PROOF_MAX_BYTES = 10 << 20
REQUEST, APPROVE, REFUSE = "request_reissue", "approve_reissue", "refuse_reissue"
STATUS_LABELS = {"pending": "待审批", "approved": "已补发", "refused": "未同意"}
QUEUE_SHOWN = 500


def queue_key(committee_code: str) -> str:
    return f"reissue:{committee_code}"


def pending_request(dossier: Dossier) -> ReissueRequest | None:
    return next((r for r in dossier.reissue_requests if r.status == "pending"), None)


def _reissuable(dossier: Dossier) -> Certificate:
    """The certificate a reissue would replace: issued, and not revoked (a revoked one is no longer held)."""
    c = dossier.certificate
    if dossier.status != S.certified or c is None:
        raise Conflict("该申报尚未发证，没有可补发的证书", code="certificate_not_issued")
    if c.revoked_at is not None:
        raise Conflict(f"证书{c.number}已撤销，不能补发", code="certificate_revoked")
    return c


async def apply(*, actor: User, dossier_id: PydanticObjectId, data: ReissueForm
                ) -> tuple[ReissueRequest, Dossier, bool]:
    """The holder's 补证申请 for the certificate of their own dossier (another's is a 404). The proof is checked
    by content and stored first, then referenced with the request and its trail entry in one write. Returns the
    request, the dossier and whether the request is new: while one is pending, a second press is answered with
    it and stores nothing."""
    statement = data.statement.strip()
    if not statement:
        raise ValidationFailed("请填写情况说明", field="statement", code="statement_required")
    dossier = await dossiers.get_own(actor, dossier_id)
    _reissuable(dossier)
    if (existing := pending_request(dossier)) is not None:
        return existing, dossier, False
    stored = await files.store_upload(data.proof, allowed=PROOF_KINDS, max_bytes=PROOF_MAX_BYTES, field="proof",
                                      metadata={"owner": "dossier", "dossier_id": dossier.id, "section": "reissue"})
    made: list[ReissueRequest] = []

    async def plan(current: Dossier) -> writes.Change | None:
        certificate = _reissuable(current)
        if pending_request(current) is not None:
            return None
        request = ReissueRequest(id=secrets.token_hex(6), number=certificate.number, reason=data.reason,
                                 statement=statement, proof=stored, committee_code=certificate.committee_code,
                                 asked_by=actor.id)
        made[:] = [request]
        entry = TrailEntry(action=REQUEST, actor_id=actor.id, actor_name=actor.name, role=Role.applicant,
                           from_status=current.status, to_status=current.status, opinion=statement,
                           detail={"request_id": request.id, "certificate_number": certificate.number,
                                   "reason": REISSUE_REASONS[data.reason], "proof": stored.filename})
        return writes.Change({"$push": {"reissue_requests": writes.to_bson(request)}}, entry)

    try:
        written = await writes.retrying(lambda: dossiers.get_own(actor, dossier_id), plan)
    except BaseException:
        await files.delete_file(stored.file_id)
        raise
    mine = next((r for r in written.reissue_requests if made and r.id == made[0].id), None)
    if mine is None:                 # another press landed first: its request stands, this proof goes
        await files.delete_file(stored.file_id)
        return pending_request(written), written, False
    return mine, written, True


async def _office(actor: User, request: ReissueRequest) -> Committee:
    """The committee whose office answers; anyone else who reads the dossier is refused by role."""
    committee = await Committee.find_one(Committee.code == request.committee_code)
    if committee is None or not runs_committee(actor, committee):
        raise Forbidden("仅发证的评委会办事机构经办人可以审批补证申请", code="not_issuing_office")
    return committee


async def decide(*, actor: User, dossier: Dossier, request_id: str, data: ReissueAnswerIn) -> Dossier:
    """Approved: a new certificate (new number and verification code, 补发 and its date) becomes the dossier's,
    the old one moves to `replaced_certificates` pointing at it, the request is answered and the trail says so,
    in one write. Refused: the request is answered with the reason. The applicant is told either way."""
    answer = (data.answer or "").strip() or None
    if not data.approve and answer is None:
        raise ValidationFailed("不同意补证须填写原因", field="answer", code="reason_required")
    if dossier.applicant_id == actor.id:
        raise Forbidden("不能审批本人的申请", code="own_dossier")
    drawn: list[str] = []         # one number per decision, kept across the write's retries

    async def load() -> Dossier:
        return await writes.read({"_id": dossier.id}) or dossier

    async def plan(current: Dossier) -> writes.Change:
        found = next(((i, r) for i, r in enumerate(current.reissue_requests) if r.id == request_id), None)
        if found is None:
            raise NotFound("没有这项补证申请", field="request_id", code="request_not_found")
        index, request = found
        committee = await _office(actor, request)
        if request.status != "pending":
            raise Conflict("该补证申请已处理", code="request_answered")
        now = utcnow()
        answered = request.model_copy(update={"status": "approved" if data.approve else "refused", "answer": answer,
                                              "answered_by": actor.id, "answered_name": actor.name,
                                              "answered_at": now})
        sets: dict[str, Any] = {}
        pushes: dict[str, Any] = {}
        detail: dict[str, Any] = {"request_id": request.id, "certificate_number": request.number}
        if data.approve:
            old = _reissuable(current)
            if old.number != request.number:
                raise Conflict(f"证书{request.number}已不是该申报的现行证书", code="certificate_changed")
            if not drawn:
                drawn.append(await certificates.next_number(committee, china_today().year))
            new = old.model_copy(update={
                "number": drawn[0], "verification_code": certificates.verification_code(), "issued_at": now,
                "issued_by": actor.id, "replaces": old.number, "reissued_on": china_today(),
                "revoked_at": None, "revoked_reason": None, "revoked_by": None})
            answered.new_number = new.number
            sets["certificate"] = writes.to_bson(new)
            pushes["replaced_certificates"] = writes.to_bson(
                old.model_copy(update={"replaced_by": new.number, "replaced_at": now}))
            detail["new_certificate_number"] = new.number
        sets[f"reissue_requests.{index}"] = writes.to_bson(answered)
        entry = TrailEntry(action=APPROVE if data.approve else REFUSE, actor_id=actor.id, actor_name=actor.name,
                           role=TIER_ROLE[committee.tier], unit_id=committee.office_unit_id, unit_name=committee.name,
                           from_status=current.status, to_status=current.status, opinion=answer, detail=detail)
        update: dict[str, Any] = {"$set": sets, **({"$push": pushes} if pushes else {})}
        return writes.Change(update, entry)

    try:
        written = await writes.retrying(load, plan)
    except DuplicateKeyError:
        raise Conflict(f"证书编号{drawn[0]}已被占用，请检查评委会的证书编号规则", code="number_taken") from None
    await _tell_applicant(written, written.trail[-1])
    return written


async def _tell_applicant(dossier: Dossier, entry: TrailEntry) -> None:
    if entry.action == APPROVE:
        title = "补证申请已同意"
        body = (f"{dossier.applicant_name}：{entry.unit_name}同意了您的补证申请，已补发新证书，新证书编号"
                f"{entry.detail['new_certificate_number']}，原证书{entry.detail['certificate_number']}作废。")
    else:
        title = "补证申请未同意"
        body = f"{dossier.applicant_name}：{entry.unit_name}未同意您的补证申请。原因：{entry.opinion.rstrip('。.')}。"
    await notifications.notify(user_id=dossier.applicant_id, title=title, body=body, link="/certificates",
                               dossier_id=dossier.id)


def request_out(dossier: Dossier, request: ReissueRequest) -> ReissueRequestOut:
    held = [dossier.certificate, *dossier.replaced_certificates]
    certificate = next((c for c in held if c and c.number == request.number), None)
    return ReissueRequestOut(
        id=request.id, dossier_id=str(dossier.id), holder_name=dossier.applicant_name, number=request.number,
        title_name=certificate.title_name if certificate else "", reason=request.reason,
        reason_label=REISSUE_REASONS[request.reason], statement=request.statement,
        proof_url=f"/api/dossiers/{dossier.id}/reissue-requests/{request.id}/proof", proof_name=request.proof.filename,
        asked_at=request.asked_at, status=request.status, status_label=STATUS_LABELS[request.status],
        answer=request.answer, answered_name=request.answered_name, answered_at=request.answered_at,
        new_number=request.new_number)


def find_request(dossier: Dossier, request_id: str) -> ReissueRequest:
    request = next((r for r in dossier.reissue_requests if r.id == request_id), None)
    if request is None:
        raise NotFound("没有这项补证申请", field="request_id", code="request_not_found")
    return request


async def queue(*, actor: User) -> list[ReissueRequestOut]:
    """The pending requests of the committees the actor's office runs, oldest first: one indexed equality per
    committee on the rows' queue keys, then the few dossiers by _id."""
    codes = [c.code for c in await committees.listing(actor)]
    if not codes:
        return []
    ids = [row["_id"] async for row in rows.select([{"queue_keys": queue_key(code)} for code in codes],
                                                    sort=[("updated_at", 1), ("_id", 1)], projection={"_id": 1},
                                                    limit=QUEUE_SHOWN)]
    found = {d.id: d for d in await Dossier.find({"_id": {"$in": ids}}).to_list()} if ids else {}
    out = []
    for dossier_id in ids:
        dossier = found.get(dossier_id)
        request = pending_request(dossier) if dossier else None
        if request is not None and request.committee_code in codes:
            out.append(request_out(dossier, request))
    return sorted(out, key=lambda r: r.asked_at)


async def holdings(*, actor: User) -> list[dict[str, Any]]:
    """The actor's own issued certificates, the current and the replaced, for the 我的证书 page: their dossiers
    read on the unique (applicant, batch) index's prefix and sorted here, newest first (a person has a dossier or two
    a year; the status is not in the filter, which would turn the plan into a scan on SecantusDB)."""
    found = await Dossier.get_pymongo_collection().find(
        {"applicant_id": actor.id},
        {"status": 1, "certificate": 1, "replaced_certificates": 1, "reissue_requests": 1, "created_at": 1}).to_list()
    found.sort(key=lambda d: (d["created_at"], d["_id"]), reverse=True)
    out = []
    for doc in found:
        if doc.get("status") != S.certified:
            continue
        current = Certificate.model_validate(doc["certificate"]) if doc.get("certificate") else None
        requests = [ReissueRequest.model_validate(r) for r in doc.get("reissue_requests") or []]
        out.append({"dossier_id": str(doc["_id"]), "certificate": current,
                    "replaced": [Certificate.model_validate(c) for c in doc.get("replaced_certificates") or []],
                    "pending": next((r for r in requests if r.status == "pending"), None),
                    "latest": requests[-1] if requests else None})
    return out


async def proof(*, dossier: Dossier, request_id: str):
    return await files.download_response(find_request(dossier, request_id).proof, inline=True)

