"""Cases (异议 / 复查申请 / 投诉): lodged, handled and answered within a deadline (app.committee.case_models).

- 异议: anyone, through the public 公示名单, against a dossier while its result publicity runs; real name and a
  contact are required, a picture captcha and a per-address limit stop floods; a proof file is optional.
- 复查申请: the applicant, after a 未通过 result, within the committee's `review_request_days` of the decision;
  one per dossier.
- 投诉: anyone signed in who reads the dossier (the applicant, the units along its route), about the process.

The office of the dossier's committee handles a case (办理, any number of notes), answers it (答复: the lodger
is told — an account in its inbox, the public by SMS or mail and on the lookup page by number and contact) and
closes it (办结). Each case's step is one conditional write of the case (its version) and is then mirrored into
the dossier's trail through the dossier's one write path; the mirror is idempotent (a step is in the trail
once, by its id), so a mirror that failed is made good by the next step or by the office opening the case."""

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from app import throttle
from app.accounts import captcha
from app.accounts.audit import ClientInfo
from app.accounts.enums import TIER_ROLE, Role
from app.accounts.models import User
from app.accounts.validators import normalize_phone
from app.catalog.committees import runs_committee
from app.catalog.models import MB, Committee
from app.clock import local_text, utcnow
from app.committee import committees, results
from app.committee.calendar import china_today
from app.committee.case_models import (CASE_KIND_LABELS, CASE_KIND_PREFIX, CASE_STATUS_LABELS, CASE_STEP_LABELS,
                                       Case, CaseStep)
from app.committee.case_schemas import (AnswerIn, CaseForm, CaseListOut, CaseLookupOut, CaseOut, CaseStepOut,
                                        CloseIn, HandleIn, ObjectionForm)
from app.committee.certificates import mask_name, next_seq
from app.dossiers import service as dossiers
from app.dossiers import writes
from app.dossiers.enums import Action, DossierStatus as S
from app.dossiers.models import Dossier, TrailEntry
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.files import service as files
from app.messaging import service as messaging
from app.notifications import service as notifications

PROOF_KINDS = ("pdf", "jpeg", "png")
PROOF_MAX_BYTES = 10 * MB
OBJECTIONS_PER_HOUR = 5                 # per client address, on top of the captcha
LOOKUPS_PER_MINUTE = 20
LISTED = 500
TRAIL_ACTIONS = {"lodge": "case_lodge", "handle": "case_handle", "answer": "case_answer", "close": "case_close"}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")


class CaseNotFound(NotFound):
    def __init__(self, message: str = "没有这个案件", **kw: Any) -> None:
        super().__init__(message, code="case_not_found", **kw)


def normal_contact(value: str) -> str:
    """A phone number (mobile or landline) or an email address, as the lookup compares it."""
    value = (value or "").strip()
    if "@" in value:
        if not _EMAIL.fullmatch(value):
            raise ValidationFailed("电子邮箱格式不正确", field="contact", code="bad_contact")
        return value.lower()
    if _LANDLINE.fullmatch(value.replace(" ", "")):
        return value.replace(" ", "").replace("-", "")
    try:
        return normalize_phone(value)
    except ValueError:
        raise ValidationFailed("联系方式应为手机号码、固定电话或电子邮箱", field="contact", code="bad_contact") from None


def review_window(dossier: Dossier, committee: Committee) -> tuple[datetime, datetime]:
    """(decided at, last moment to ask for 复查): from the trail entry that made the dossier 未通过."""
    decided = next((e.at for e in reversed(dossier.trail) if e.to_status == S.not_approved
                    and e.action in (Action.decide, Action.deny_title)), dossier.updated_at)
    return decided, decided + timedelta(days=committee.review_request_days)


async def _committee(code: str | None) -> Committee:
    committee = await Committee.find_one(Committee.code == code) if code else None
    if committee is None:
        raise Conflict("该申报尚未报送评委会，没有受理的办事机构", code="no_committee")
    return committee


async def _proof(upload) -> Any:
    if upload is None or (getattr(upload, "filename", None) == "" and getattr(upload, "size", 1) == 0):
        return None
    return await files.store_upload(upload, allowed=PROOF_KINDS, max_bytes=PROOF_MAX_BYTES, field="proof",
                                    metadata={"owner": "case"})


async def _insert(*, kind: str, dossier: Dossier, committee: Committee, lodger: User | None, name: str,
                  contact: str, facts: str, upload) -> Case:
    """Stores the proof (checked by content), then the case with its first step, then mirrors it; the proof
    goes again if the case is not stored."""
    stored = await _proof(upload)
    now = utcnow()
    try:
        seq = await next_seq(f"case:{now.year}")
        step = CaseStep(id=secrets.token_hex(6), action="lodge", at=now, by_id=lodger.id if lodger else None,
                        by_name=name)
        number = f"{CASE_KIND_PREFIX[kind]}{now.year}{seq:06d}"
        case = Case(number=number, once_key=f"review:{dossier.id}" if kind == "review" else number,
                    kind=kind, dossier_id=dossier.id,
                    committee_code=committee.code, applicant_name=dossier.applicant_name,
                    lodger_id=lodger.id if lodger else None, lodger_name=name, lodger_contact=contact,
                    facts=facts, proof=stored, lodged_at=now,
                    due_at=now + timedelta(days=committee.case_answer_days), steps=[step])
        await case.insert()
    except BaseException as exc:
        if stored is not None:
            await files.delete_file(stored.file_id)
        if isinstance(exc, DuplicateKeyError):
            raise Conflict("该申报已申请过复查，请查看办理结果", code="review_exists") from None
        raise
    await record(case)
    return case


async def objection_target(ref: str) -> tuple[dict, bool]:
    """(the listed fields of the person an objection_ref names, whether their publicity still runs); a ref that
    names nobody on the public list is a 404."""
    dossier_id = results.dossier_of_ref(ref)
    raw = await Dossier.get_pymongo_collection().find_one({"_id": dossier_id}, {f: 1 for f in results.FIELDS}) \
        if dossier_id else None
    today = china_today()
    if raw is None or not results.listed(raw, today):
        raise NotFound("公示名单中没有该人员", field="ref", code="not_listed")
    return raw, raw["status"] == S.publicity and raw["publicity"]["ends_on"].date() >= today


async def lodge_context(*, actor: User, dossier: Dossier) -> dict[str, Any]:
    """What the 复查 / 投诉 page shows: the committee, the 复查 window when one applies, the actor's cases on it."""
    committee = await Committee.find_one(Committee.code == dossier.committee_code) if dossier.committee_code else None
    reviewable = committee is not None and dossier.status == S.not_approved
    return {"committee": committee, "window": review_window(dossier, committee) if reviewable else None,
            "may_review": reviewable and dossier.applicant_id == actor.id,
            "mine": [c for c in await mine(actor=actor) if c.dossier_id == str(dossier.id)]}


async def lodge_objection(*, client: ClientInfo, user: User | None, form: ObjectionForm) -> Case:
    """异议 through the public list: the dossier must be listed and inside its publicity period."""
    await captcha.verify(form.captcha_id, form.captcha_answer, purpose="objection")
    await throttle.take(f"objection:{client.ip}", limit=OBJECTIONS_PER_HOUR, window=timedelta(hours=1),
                        doing="提交异议")
    name, facts = form.name.strip(), form.facts.strip()
    if not name:
        raise ValidationFailed("请填写异议人姓名", field="name", code="name_required")
    if len(facts) < 10:
        raise ValidationFailed("请具体说明异议的事实与理由（不少于10个字）", field="facts", code="facts_required")
    contact = normal_contact(form.contact)
    listed, running = await objection_target(form.ref)
    dossier = await Dossier.get(listed["_id"])
    p = dossier.publicity
    if not running:
        raise Conflict(f"{dossier.applicant_name}的公示期（{p.starts_on}至{p.ends_on}）已结束，不能再提出异议",
                       field="ref", code="not_in_publicity")
    committee = await _committee(dossier.committee_code)
    return await _insert(kind="objection", dossier=dossier, committee=committee, lodger=user, name=name,
                         contact=contact, facts=facts, upload=form.proof)


async def lodge(*, actor: User, dossier_id: PydanticObjectId, form: CaseForm) -> Case:
    """复查申请 by the applicant (another's dossier is a 404) or 投诉 by a reader of the dossier."""
    facts = form.facts.strip()
    if len(facts) < 10:
        raise ValidationFailed("请具体说明理由或事实（不少于10个字）", field="facts", code="facts_required")
    contact = normal_contact(form.contact) if form.contact and form.contact.strip() else (actor.phone or actor.email)
    if not contact:
        raise ValidationFailed("请填写联系方式", field="contact", code="contact_required")
    if form.kind == "review":
        dossier = await dossiers.get_own(actor, dossier_id)
        if dossier.status != S.not_approved:
            raise Conflict("只有评审未通过的申报可以申请复查", code="not_reviewable")
        committee = await _committee(dossier.committee_code)
        decided, ends = review_window(dossier, committee)
        if utcnow() > ends:
            raise Conflict(f"评审结果于{local_text(decided)}作出，复查申请须在{committee.review_request_days}日内"
                           f"（{local_text(ends)}前）提出，已超过期限", code="review_window_closed")
        if await Case.find_one({"dossier_id": dossier.id, "kind": "review"}):
            raise Conflict("该申报已申请过复查，请查看办理结果", code="review_exists")
    else:
        dossier = await dossiers.get_readable(actor, dossier_id, detail="complaint")
        committee = await _committee(dossier.committee_code)
    return await _insert(kind=form.kind, dossier=dossier, committee=committee, lodger=actor, name=actor.name,
                         contact=contact, facts=facts, upload=form.proof)


def _entry(case: Case, step: CaseStep, dossier: Dossier, committee: Committee | None) -> TrailEntry:
    """The dossier's trail entry of a case step: the kind, number and step, never the lodger's text or the
    answer (the applicant reads the trail; the objector's words and contact stay with the office)."""
    kind = CASE_KIND_LABELS[case.kind]
    if step.action == "lodge":
        public = case.lodger_id is None
        who = f"社会公众（{mask_name(case.lodger_name)}）" if public else case.lodger_name
        return TrailEntry(at=step.at, action=TRAIL_ACTIONS["lodge"], actor_id=step.by_id or case.id,
                          actor_name=who, role="public" if public else "lodger",
                          from_status=dossier.status, to_status=dossier.status,
                          opinion=f"收到{kind}（{case.number}），答复期限{local_text(case.due_at)}",
                          detail={"case_id": str(case.id), "case_number": case.number, "case_step": step.id,
                                  "kind": case.kind, "role_label": "社会公众" if public else "提出人"})
    return TrailEntry(at=step.at, action=TRAIL_ACTIONS[step.action], actor_id=step.by_id, actor_name=step.by_name,
                      role=TIER_ROLE[committee.tier] if committee else "committee",
                      unit_id=committee.office_unit_id if committee else None,
                      unit_name=committee.name if committee else None,
                      from_status=dossier.status, to_status=dossier.status,
                      opinion=f"{kind}（{case.number}）{CASE_STEP_LABELS[step.action]}",
                      detail={"case_id": str(case.id), "case_number": case.number, "case_step": step.id,
                              "kind": case.kind})


async def record(case: Case) -> None:
    """Mirrors the case's steps the dossier's trail lacks, one write of the dossier's write path each."""
    committee = await Committee.find_one(Committee.code == case.committee_code)
    pushed = [True]

    async def load() -> Dossier:
        found = await writes.read({"_id": case.dossier_id})
        if found is None:
            raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
        return found

    async def plan(dossier: Dossier) -> writes.Change | None:
        there = {e.detail.get("case_step") for e in dossier.trail if e.action in TRAIL_ACTIONS.values()}
        step = next((s for s in case.steps if s.id not in there), None)
        pushed[0] = step is not None
        return None if step is None else writes.Change({}, _entry(case, step, dossier, committee))

    while pushed[0]:
        await writes.retrying(load, plan)


async def visible(actor: User, case_id: PydanticObjectId) -> tuple[Case, bool]:
    """(case, handled by the actor's office): the office of its committee and the administrator handle it; its
    lodger reads it; anyone else gets a 404."""
    case = await Case.get(case_id)
    if case is None:
        raise CaseNotFound(field="case_id")
    committee = await Committee.find_one(Committee.code == case.committee_code)
    office = committee is not None and (runs_committee(actor, committee) or actor.has_role(Role.sysadmin))
    if not office and (case.lodger_id is None or case.lodger_id != actor.id):
        raise CaseNotFound(field="case_id")
    return case, office


async def for_office(actor: User, case_id: PydanticObjectId) -> Case:
    case, office = await visible(actor, case_id)
    if not office:
        raise Forbidden("仅评委会办事机构可以办理", code="not_committee_office")
    return case


async def _step(actor: User, case: Case, action: str, *, allowed: tuple[str, ...], sets: dict,
                note: str | None) -> Case:
    if case.status not in allowed:
        raise Conflict(f"该案件{CASE_STATUS_LABELS[case.status]}，不能{CASE_STEP_LABELS[action]}", code="case_state")
    step = CaseStep(id=secrets.token_hex(6), action=action, by_id=actor.id, by_name=actor.name, note=note)
    written = await Case.get_pymongo_collection().update_one(
        {"_id": case.id, "version": case.version, "status": {"$in": list(allowed)}},
        {"$set": sets, "$push": {"steps": step.model_dump()}, "$inc": {"version": 1}})
    if written.matched_count != 1:
        raise Conflict("该案件已被他人办理，请刷新后重试", code="conflict")
    fresh = await Case.get(case.id)
    await record(fresh)
    return fresh


async def handle(*, actor: User, case: Case, data: HandleIn) -> Case:
    """办理: a note of what was checked; the case is then 办理中."""
    return await _step(actor, case, "handle", allowed=("received", "handling"), sets={"status": "handling"},
                       note=data.note.strip())


async def answer(*, actor: User, case: Case, data: AnswerIn) -> Case:
    """答复: the answer is stored and the lodger told (inbox, or SMS / mail for the public)."""
    text = data.answer.strip()
    if not text:
        raise ValidationFailed("请填写答复意见", field="answer", code="answer_required")
    written = await _step(actor, case, "answer", allowed=("received", "handling"), note=text, sets={
        "status": "answered", "done": True, "answer": text, "answered_at": utcnow(), "answered_by_name": actor.name})
    await _tell(written)
    return written


async def close(*, actor: User, case: Case, data: CloseIn) -> Case:
    """办结: after the answer, or without one (withdrawn, not admissible) with a note saying why."""
    note = (data.note or "").strip() or None
    if case.status != "answered" and note is None:
        raise ValidationFailed("未答复即办结须填写办结说明", field="note", code="note_required")
    return await _step(actor, case, "close", allowed=("received", "handling", "answered"),
                       sets={"status": "closed", "done": True}, note=note)


async def _tell(case: Case) -> None:
    kind = CASE_KIND_LABELS[case.kind]
    title = f"{kind}已答复（{case.number}）"
    body = f"您提出的{kind}（{case.number}，涉及{case.applicant_name}）已答复：{case.answer}"
    if case.lodger_id is not None:
        await notifications.notify(user_id=case.lodger_id, title=title, body=body, link=f"/cases/{case.id}",
                                   dossier_id=None, category="case")
        return
    channel = "email" if "@" in case.lodger_contact else "sms"
    try:
        await messaging.send(channel=channel, to=case.lodger_contact, subject=f"职称评审：{title}",
                             body=f"{body}（可凭案件编号和联系方式在“公示名单—异议办理查询”查看）")
    except Exception:       # the answer stands and is on the lookup page; the nudge is best effort
        pass


async def listing(*, actor: User, committee_code: str | None = None, kind: str | None = None,
                  status: str | None = None, overdue_only: bool = False) -> CaseListOut:
    """The office's cases: per committee it runs, the open ones by deadline (so the overdue come first), then
    the done ones, latest deadline first. Each read is the (committee, done, due) index alone: SecantusDB plans
    a filter on fields beyond it as a collection scan, so kind, state and overdue are checked after the read
    (a page may then hold fewer rows; none is skipped within the first LISTED of each committee)."""
    codes = [c.code for c in await committees.listing(actor)]
    if committee_code:
        codes = [c for c in codes if c == committee_code]
    now = utcnow()
    states = [False] if overdue_only or status in ("received", "handling") else \
        [True] if status in ("answered", "closed") else [False, True]
    found: list[Case] = []
    for done in states:
        for code in codes:
            found += await Case.find({"committee_code": code, "done": done}).sort(
                [("due_at", 1 if not done else -1)]).limit(LISTED).to_list()
    found = [c for c in found if (not kind or c.kind == kind) and (not status or c.status == status)
             and (not overdue_only or c.overdue(now))]
    open_ = sorted((c for c in found if not c.done), key=lambda c: c.due_at)
    closed = sorted((c for c in found if c.done), key=lambda c: c.due_at, reverse=True)
    items = [out(c, office=True, now=now, masked=True) for c in (open_ + closed)[:LISTED]]
    return CaseListOut(items=items, overdue=sum(i.overdue for i in items))


async def mine(*, actor: User) -> list[CaseOut]:
    now = utcnow()
    return [out(c, office=False, now=now)
            for c in await Case.find({"lodger_id": actor.id}).sort([("lodged_at", -1)]).limit(LISTED).to_list()]


async def lookup(*, client: ClientInfo, number: str, contact: str) -> CaseLookupOut:
    """办理查询 by the case number and the contact given when lodging; either wrong is the same 404."""
    await throttle.take(f"case-lookup:{client.ip}", limit=LOOKUPS_PER_MINUTE, window=timedelta(minutes=1),
                        doing="查询办理结果")
    try:
        given = normal_contact(contact)
    except ValidationFailed:
        given = None
    case = await Case.find_one({"number": number.strip().upper()})
    if case is None or given is None or case.lodger_contact != given:
        raise NotFound("案件编号或联系方式不正确", field="number", code="lookup_failed")
    return CaseLookupOut(number=case.number, kind_label=CASE_KIND_LABELS[case.kind], applicant_name=case.applicant_name,
                         status=case.status, status_label=CASE_STATUS_LABELS[case.status], lodged_at=case.lodged_at,
                         due_at=case.due_at, answer=case.answer, answered_at=case.answered_at)


def out(case: Case, *, office: bool, now: datetime | None = None, masked: bool = False) -> CaseOut:
    """The case for its office (everything) or its lodger (without the office's handling notes); `masked`
    (the office's list) shows a public lodger's name masked and no contact."""
    public = case.lodger_id is None
    hide = masked and public
    steps = [CaseStepOut(action=s.action, action_label=CASE_STEP_LABELS[s.action], at=s.at,
                         by_name=s.by_name,
                         note=s.note if office or s.action == "answer" else None) for s in case.steps]
    return CaseOut(id=str(case.id), number=case.number, kind=case.kind, kind_label=CASE_KIND_LABELS[case.kind],
                   dossier_id=str(case.dossier_id), applicant_name=case.applicant_name,
                   lodger_name=mask_name(case.lodger_name) if hide else case.lodger_name,
                   lodger_contact=None if hide else case.lodger_contact, public=public,
                   facts=case.facts, proof_url=f"/api/cases/{case.id}/proof" if case.proof else None,
                   status=case.status, status_label=CASE_STATUS_LABELS[case.status], lodged_at=case.lodged_at,
                   due_at=case.due_at, overdue=case.overdue(now or utcnow()), answer=case.answer,
                   answered_at=case.answered_at, answered_by_name=case.answered_by_name, steps=steps)


async def proof(case: Case):
    if case.proof is None:
        raise NotFound("该案件没有证明材料", field="case_id", code="proof_not_found")
    return await files.download_response(case.proof, inline=True)

