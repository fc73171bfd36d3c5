"""代表作送审, the committee office's side: a round per dossier whose level the batch's rule names.

1. Start (`start`): each representative work the applicant marked is copied without its metadata and with the
   applicant's name, ID number and unit blanked in the text layer where they can be read (app.committee.anonymise);
   each copy is a new GridFS file and the round, in the dossier's `blind_reviews`, says per work what could not
   be checked. The office may upload its own redacted copy of a work instead (`replace_work`, content-checked).
2. Send (`send`): the reviewers are drawn from the library with the meeting draw's conflict rules and seeded,
   recorded lottery (app.experts.draws.record, for this dossier); each gets an assignment (models.BlindAssignment)
   and a message, and the deadline runs from now.
3. Supplement (`supplement`, 补充送审): when reviewers stepped out with no reserve left or let the deadline pass,
   as many new ones are drawn as the round lacks, leaving out everyone it has had, each with the full time.
Reviewers score and declare conflicts in app.committee.blind_reviewing. Files are stored first and referenced
through the dossier's one write path afterwards; a write that does not land takes its files with it."""

import secrets
from datetime import timedelta

import anyio
import pikepdf
from beanie import PydanticObjectId
from starlette.concurrency import run_in_threadpool

from app.accounts.enums import COMMITTEE_ROLES, Role
from app.accounts.models import User
from app.catalog import batches
from app.catalog.committees import runs_committee
from app.catalog.models import BlindReviewRule, Committee
from app.clock import local_text, utcnow
from app.committee import anonymise
from app.committee.blind_form import PUBLISHED, summary
from app.committee.exceptions import NotCommitteeOffice
from app.committee.models import BLIND_ROUND_LABELS, BLIND_STATUS_LABELS, BlindAssignment, Meeting
from app.dossiers import service as dossiers
from app.dossiers import rows, writes
from app.dossiers.enums import DossierStatus
from app.dossiers.models import BlindCriterionCopy, BlindReviews, BlindScore, BlindWork, Dossier
from app.errors import Conflict, NotFound
from app.experts import draws, lottery
from app.experts.models import ExpertDraw
from app.files import service as files
from app.files.models import StoredFile
from app.notifications import service as notifications

# Where a dossier is with the committee before its meeting decides: when a round may start and be sent.
OPEN_STATES = frozenset({DossierStatus.at_committee, DossierStatus.accepted, DossierStatus.scheduled})
MAX_COPY_BYTES = 50 * 1024 * 1024


def require_office_role(user: User) -> None:
    if not any(g.role in COMMITTEE_ROLES for g in user.roles):
        raise NotCommitteeOffice("仅评委会办事机构经办人可组织代表作送审")


async def office_dossier(user: User, dossier_id: PydanticObjectId) -> tuple[Dossier, Committee]:
    """A dossier reported to a committee this user's office runs (a role gate first: 403 for other roles)."""
    require_office_role(user)
    dossier = await dossiers.get_readable(user, dossier_id, action="read", detail="blind_review")
    committee = await Committee.find_one({"code": dossier.committee_code}) if dossier.committee_code else None
    if committee is None or not runs_committee(user, committee):
        raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
    return dossier, committee


async def rule_of(dossier: Dossier) -> BlindReviewRule:
    batch = await batches.recent(dossier.batch_id)
    return batch.rules.blind_review


def _require_open(dossier: Dossier) -> None:
    if dossier.status not in OPEN_STATES:
        raise Conflict("只有上报至评委会、尚未评审表决的申报可以送审", code="not_at_committee")


def _require_round(dossier: Dossier, *states: str) -> BlindReviews:
    blind = dossier.blind_reviews
    if blind is None:
        raise NotFound("该申报还没有代表作送审", field="dossier_id", code="blind_review_not_found")
    if states and blind.status not in states:
        raise Conflict(f"代表作送审当前{BLIND_ROUND_LABELS[blind.status]}，不能这样操作", code="blind_review_state")
    return blind


async def _bytes(data: bytes):
    yield data


async def _read(stored: StoredFile) -> bytes:
    return b"".join([chunk async for chunk in await files.open_download(stored.file_id)])


def hidden_names(dossier: Dossier) -> list[str]:
    """What must not reach a reviewer: the applicant's name and ID number, the employer's and actual unit's name."""
    d = dossier.declaration
    return [n for n in (dossier.applicant_name, dossier.id_number, d.employer_unit_name, d.actual_unit_name,
                        d.agency_unit_name) if n]


async def _store_copy(data: bytes, dossier: Dossier, number: str) -> StoredFile:
    return await files.store_upload(_bytes(data), allowed=["pdf"], max_bytes=MAX_COPY_BYTES, field="file",
                                    metadata={"owner": "blind_review", "dossier_id": dossier.id},
                                    filename=f"代表作{number}.pdf")


async def _anonymised_work(dossier: Dossier, attachment_id: str, number: str) -> BlindWork:
    """One work's anonymised copy and its report; a file the anonymiser cannot open is left for the office."""
    ref = next((a for a in dossier.attachments if a.id == attachment_id), None)
    if ref is None:
        return BlindWork(id=number, attachment_id=attachment_id, note="申报人标记的附件已不存在")
    try:
        done = await run_in_threadpool(anonymise.anonymise, await _read(ref.file), hidden_names(dossier))
    except (pikepdf.PdfError, ValueError):
        return BlindWork(id=number, attachment_id=attachment_id, note="无法自动处理该文件，请上传处理后的副本")
    note = ""
    if done.unchecked_pages:
        note = ("第" + "、".join(map(str, done.unchecked_pages)) + "页的文字无法检查（扫描图像或嵌入字体），"
                "请核对后上传处理后的副本")
    return BlindWork(id=number, attachment_id=attachment_id, anonymised=await _store_copy(done.data, dossier, number),
                     replaced=done.replaced, unchecked_pages=done.unchecked_pages, note=note)


async def _discard(works: list[BlindWork]) -> None:
    with anyio.CancelScope(shield=True):
        for w in works:
            if w.anonymised is not None:
                await files.delete_file(w.anonymised.file_id)


def _loader(dossier_id: PydanticObjectId):
    async def load() -> Dossier:
        dossier = await writes.read({"_id": dossier_id})
        if dossier is None:
            raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
        return dossier
    return load


async def start(*, actor: User, dossier: Dossier) -> Dossier:
    """Makes the anonymised copies of the marked works and opens the round (准备送审)."""
    _require_open(dossier)
    if dossier.blind_reviews is not None:
        raise Conflict("该申报已送审", code="blind_review_exists")
    rule = await rule_of(dossier)
    if not rule.applies_to(dossier.declaration.level):
        raise Conflict("本批次规则未要求该级别的申报代表作送审", code="blind_review_not_required")
    if not dossier.representative_works:
        raise Conflict("申报人没有标记代表作", code="no_representative_works")
    works = [await _anonymised_work(dossier, a, str(n)) for n, a in enumerate(dossier.representative_works, 1)]
    blind = BlindReviews(code=f"MS{dossier.year}-{secrets.token_hex(3).upper()}", started_by=actor.id,
                         criteria=[BlindCriterionCopy(**c.model_dump()) for c in rule.criteria],
                         pass_mark=rule.pass_mark, opinion_required=rule.opinion_required,
                         opinion_max_chars=rule.opinion_max_chars, reviewers=rule.reviewers, works=works)

    async def plan(fresh: Dossier) -> writes.Change:
        if fresh.blind_reviews is not None:
            raise Conflict("该申报已送审", code="blind_review_exists")
        return writes.Change({"$set": {"blind_reviews": writes.to_bson(blind)}})

    try:
        return await writes.retrying(_loader(dossier.id), plan)
    except BaseException:
        await _discard(works)
        raise


async def replace_work(*, dossier: Dossier, work_id: str, upload) -> Dossier:
    """The office's own redacted copy of a work (a PDF, checked by content), while the round is being prepared."""
    blind = _require_round(dossier, "preparing")
    if not any(w.id == work_id for w in blind.works):
        raise NotFound("代表作不存在", field="work_id", code="work_not_found")
    stored = await _store_copy_upload(upload, dossier, work_id)
    old: list[BlindWork] = []

    async def plan(fresh: Dossier) -> writes.Change:
        current = _require_round(fresh, "preparing")
        index = next(i for i, w in enumerate(current.works) if w.id == work_id)
        old[:] = [current.works[index]]
        work = BlindWork(id=work_id, attachment_id=old[0].attachment_id, anonymised=stored, source="office")
        return writes.Change({"$set": {f"blind_reviews.works.{index}": writes.to_bson(work)}})

    try:
        written = await writes.retrying(_loader(dossier.id), plan)
    except BaseException:
        await _discard([BlindWork(id=work_id, attachment_id="", anonymised=stored)])
        raise
    await _discard(old)
    return written


async def _store_copy_upload(upload, dossier: Dossier, number: str) -> StoredFile:
    return await files.store_upload(upload, allowed=["pdf"], max_bytes=MAX_COPY_BYTES, field="file",
                                    metadata={"owner": "blind_review", "dossier_id": dossier.id},
                                    filename=f"代表作{number}.pdf")


def draw_rules(dossier: Dossier, reviewers: int, reserves: int, *, specialties: list[str],
               levels: list[str]) -> lottery.Rules:
    return lottery.Rules(series=dossier.declaration.series, specialties=tuple(specialties), levels=tuple(levels),
                         members=reviewers, reserves=reserves)


def review_of(assignment: BlindAssignment) -> BlindScore:
    return BlindScore(assignment_id=str(assignment.id), label=assignment.label, expert_id=assignment.expert_id,
                      user_id=assignment.user_id)


def new_assignment(dossier: Dossier, blind: BlindReviews, expert, number: int, rule: BlindReviewRule,
                   ) -> BlindAssignment:
    due = blind.due_at
    remind = due - timedelta(days=rule.remind_days_before) if rule.remind_days_before else None
    return BlindAssignment(id=PydanticObjectId(), dossier_id=dossier.id, committee_code=dossier.committee_code,
                           code=blind.code, label=f"评审专家{number}", user_id=expert.user_id, expert_id=expert.id,
                           due_at=due, remind_at=remind)


async def tell_reviewer(assignment: BlindAssignment) -> None:
    await notifications.notify(user_id=assignment.user_id, title="代表作送审评审任务",
                               body=f"您有一份代表作送审（{assignment.code}）待评分，请于{local_text(assignment.due_at)}前完成。",
                               link=f"/expert/blind-reviews/{assignment.id}")


async def send(*, actor: User, dossier: Dossier, committee: Committee, seed: int | None, specialties: list[str],
               levels: list[str]) -> Dossier:
    """Draws the reviewers (conflicts excluded, the seed recorded), gives each an assignment and starts the clock."""
    blind = _require_round(dossier, "preparing")
    _require_open(dossier)
    if missing := [w.id for w in blind.works if w.anonymised is None]:
        raise Conflict(f"代表作{'、'.join(missing)}还没有可送审的副本，请先上传处理后的副本", code="work_not_ready")
    rule = await rule_of(dossier)
    record = await draws.record(actor=actor, committee=committee, dossiers=[dossier], seed=seed,
                                rules=draw_rules(dossier, blind.reviewers, rule.reserves, specialties=specialties,
                                                 levels=levels), dossier_id=dossier.id)
    experts = await draws.experts_by_id(record.members)
    now = utcnow()
    sent = blind.model_copy(update={"status": "sent", "sent_at": now, "due_at": now + timedelta(days=rule.deadline_days),
                                    "draw_id": record.id})
    assignments = [new_assignment(dossier, sent, experts[i], n, rule) for n, i in enumerate(record.members, 1)]
    sent.reviews = [review_of(a) for a in assignments]

    async def plan(fresh: Dossier) -> writes.Change:
        if fresh.blind_reviews is None or fresh.blind_reviews.code != blind.code:
            raise NotFound("该申报还没有代表作送审", field="dossier_id", code="blind_review_not_found")
        _require_round(fresh, "preparing")
        return writes.Change({"$set": {"blind_reviews": writes.to_bson(sent)}})

    return await _send_round(dossier.id, plan, assignments)


def shortfall(blind: BlindReviews) -> int:
    """Pure: how many reviewers the round lacks — those who stepped out with no reserve left, or let the deadline
    pass — counting the ones who scored and the ones still within their time."""
    return max(0, blind.reviewers - sum(r.status in ("submitted", "pending") for r in blind.reviews))


async def supplement(*, actor: User, dossier: Dossier, committee: Committee, seed: int | None,
                     specialties: list[str], levels: list[str]) -> Dossier:
    """补充送审: as many reviewers as the round lacks, drawn afresh (with the conflict rules, everyone the round has
    had left out, the seed recorded), each with the rule's full time from now; the round is open again."""
    blind = _require_round(dossier, "sent", "complete")
    _require_open(dossier)
    wanted = shortfall(blind)
    if not wanted:
        raise Conflict("送审专家人数已足（已评分和评审期内的专家），无需补充送审", code="no_shortfall")
    rule = await rule_of(dossier)
    record = await draws.record(actor=actor, committee=committee, dossiers=[dossier], seed=seed,
                                rules=draw_rules(dossier, wanted, rule.reserves, specialties=specialties,
                                                 levels=levels), dossier_id=dossier.id,
                                taken={str(r.expert_id): "本轮已送审" for r in blind.reviews})
    experts = await draws.experts_by_id(record.members)
    reopened = blind.model_copy(update={"status": "sent", "due_at": utcnow() + timedelta(days=rule.deadline_days),
                                        "short_of_reviewers": False, "supplements": [*blind.supplements, record.id]})
    assignments = [new_assignment(dossier, reopened, experts[i], len(blind.reviews) + n, rule)
                   for n, i in enumerate(record.members, 1)]
    reopened.reviews = [*blind.reviews, *(review_of(a).model_copy(update={"draw_id": record.id}) for a in assignments)]

    async def plan(fresh: Dossier) -> writes.Change:
        current = fresh.blind_reviews
        if current is None or current.code != blind.code or len(current.reviews) != len(blind.reviews) \
                or shortfall(current) != wanted:
            raise Conflict("送审情况已有变化，请刷新后再补充送审", code="blind_review_moved")
        return writes.Change({"$set": {"blind_reviews": writes.to_bson(reopened)}})

    return await _send_round(dossier.id, plan, assignments)


async def _send_round(dossier_id: PydanticObjectId, plan, assignments: list[BlindAssignment]) -> Dossier:
    """The round written through the write path first, then the reviewers' assignments and their messages: a
    write that does not land leaves no assignment behind."""
    written = await writes.retrying(_loader(dossier_id), plan)
    for a in assignments:
        await a.insert()
        await tell_reviewer(a)
    return written


async def may_see(user: User, dossier: Dossier, *, office: bool) -> bool:
    """Who reads a round besides its office: the administrator, the experts of the dossier's meeting, and after
    the result is published the applicant and the units that read the dossier."""
    if office or user.has_role(Role.sysadmin) or dossier.status in PUBLISHED:
        return True
    return dossier.meeting_id is not None and await Meeting.get_pymongo_collection().find_one(
        {"_id": dossier.meeting_id, "member_ids": user.id}, {"_id": 1}) is not None


async def readable_round(user: User, dossier_id: PydanticObjectId) -> tuple[Dossier, bool]:
    """(dossier, runs its office) for a reader of its round; a 404 for anyone else, the applicant before publication
    included. The meeting expert holds the dossier's meeting key (the dossier read checks it)."""
    dossier = await dossiers.get_readable(user, dossier_id, action="read", detail="blind_review")
    committee = await Committee.find_one({"code": dossier.committee_code}) if dossier.committee_code else None
    office = committee is not None and runs_committee(user, committee)
    if dossier.blind_reviews is None or not await may_see(user, dossier, office=office):
        raise NotFound("该申报还没有代表作送审", field="dossier_id", code="blind_review_not_found")
    return dossier, office


async def view_for(user: User, dossier: Dossier) -> dict | None:
    """The round as this reader of the dossier may see it (the review page), or None."""
    if dossier.blind_reviews is None or dossier.blind_reviews.status == "preparing":
        return None
    committee = await Committee.find_one({"code": dossier.committee_code}) if dossier.committee_code else None
    office = committee is not None and runs_committee(user, committee)
    return await view(dossier, office=office) if await may_see(user, dossier, office=office) else None


async def view(dossier: Dossier, *, office: bool) -> dict:
    """The round as its readers see it: reviewers by label; the office also gets their names and the draw."""
    blind = dossier.blind_reviews
    names = {}
    if office:
        names = {i: e.name for i, e in (await draws.experts_by_id([r.expert_id for r in blind.reviews])).items()}
    reviews = []
    for r in blind.reviews:
        row = {"label": r.label, "status": r.status, "status_label": BLIND_STATUS_LABELS[r.status],
               "points": r.points, "total": r.total, "passed": r.passed, "opinion": r.opinion,
               "submitted_at": r.submitted_at}
        if office:
            row |= {"assignment_id": r.assignment_id, "expert_name": names.get(r.expert_id, "（已删除）"),
                    "declined_reason": r.declined_reason}
        reviews.append(row)
    out = {"code": blind.code, "status": blind.status, "status_label": BLIND_ROUND_LABELS[blind.status],
           "criteria": [c.model_dump() for c in blind.criteria], "pass_mark": blind.pass_mark,
           "reviewers": blind.reviewers, "sent_at": blind.sent_at, "due_at": blind.due_at, "reviews": reviews,
           "summary": summary(blind), "short_of_reviewers": blind.short_of_reviewers, "shortfall": shortfall(blind),
           "supplements": len(blind.supplements)}
    if office:
        out["works"] = [{"id": w.id, "ready": w.anonymised is not None, "source": w.source, "replaced": w.replaced,
                         "unchecked_pages": w.unchecked_pages, "note": w.note,
                         "pages": w.anonymised.pages if w.anonymised else None} for w in blind.works]
        out["draw_id"] = str(blind.draw_id) if blind.draw_id else None
        if blind.draw_id is not None and (record := await ExpertDraw.get(blind.draw_id)) is not None:
            out["seed"] = str(record.seed)
    return out


def work_file(dossier: Dossier, work_id: str) -> StoredFile:
    blind = _require_round(dossier)
    work = next((w for w in blind.works if w.id == work_id and w.anonymised is not None), None)
    if work is None:
        raise NotFound("代表作不存在", field="work_id", code="work_not_found")
    return work.anonymised


async def office_list(user: User) -> list[dict]:
    """The office's dossiers with the committee before its vote whose level the batch's rule sends to blind review,
    with their round's state: per committee and state, the ids on the queue entries' `committee:<code>:<status>` key
    (one indexed equality, by name), then the dossiers' few fields by _id (the dossiers carry no committee index)."""
    from app.committee import committees as committee_service

    found = []
    projection = {"applicant_name": 1, "declaration": 1, "batch_id": 1, "status": 1, "representative_works": 1,
                  "blind_reviews": 1, "year": 1, "committee_code": 1}
    for committee in await committee_service.listing(user):
        for status in (DossierStatus.at_committee, DossierStatus.accepted, DossierStatus.scheduled):
            ids = await rows.keyed_ids(f"committee:{committee.code}:{status}")
            held = {d["_id"]: d for start in range(0, len(ids), 500) for d in await Dossier.get_pymongo_collection(
                ).find({"_id": {"$in": ids[start:start + 500]}}, projection).to_list()}
            for doc in (held[i] for i in ids if i in held):
                if doc.get("committee_code") != committee.code or doc.get("status") != status:
                    continue        # moved on since its entry was written
                batch = await batches.recent(doc["batch_id"])
                if batch is None or not batch.rules.blind_review.applies_to(doc["declaration"]["level"]):
                    continue
                blind = BlindReviews.model_validate(doc["blind_reviews"]) if doc.get("blind_reviews") else None
                found.append({"id": str(doc["_id"]), "applicant_name": doc["applicant_name"],
                              "employer_unit_name": doc["declaration"]["employer_unit_name"],
                              "level": doc["declaration"]["level"], "series": doc["declaration"]["series"],
                              "works": len(doc.get("representative_works") or []), "committee_code": committee.code,
                              "round": blind.status if blind else None,
                              "round_label": BLIND_ROUND_LABELS[blind.status] if blind else "未送审",
                              "code": blind.code if blind else None, "summary": summary(blind),
                              "due_at": blind.due_at if blind else None})
    return found
