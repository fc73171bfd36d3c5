"""The applicant's pages: batches and notices, the commitment, the declaration form, the dossier and its sections.

They read through the catalog and dossier services with the current user (a dossier is the applicant's own,
anything else is a 404); every write is a call of the JSON API from the page.
"""

from typing import Any

from beanie import PydanticObjectId
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.enums import Role
from app.accounts.models import User
from app.catalog import batches
from app.catalog import service as catalog
from app.catalog.models import Batch
from app.clock import utcnow
from app.dossiers import identity, representative, rules
from app.dossiers import sections as S
from app.dossiers import service as dossiers
from app.dossiers.enums import EDITABLE, STATUS_LABELS, DossierStatus
from app.dossiers.models import Declaration, Dossier
from app.errors import NotFound
from app.personnel import service as personnel
from app.routing import machine
from app.web import choices
from app.web import section_forms as forms
from app.web.deps import PageOwnDossier, PageUser
from app.web.snapshot_view import latest_turn_down
from app.web.textdiff import is_long, word_diff
from app.web.pages import render

router = APIRouter(include_in_schema=False)

DECLARATION_LABELS = {
    "level": "申报级别", "series": "职称系列", "title": "申报职称", "specialty": "申报专业",
    "specialty_unlisted": "手工录入专业（列表中没有）", "mode": "申报方式",
    "exceptional_basis": "破格情况", "employer_unit_id": "工作单位", "employer_unit_name": "工作单位",
    "is_actual_unit": "是否实际工作单位", "actual_unit_name": "实际工作单位", "agency_unit_name": "人事代理单位",
    "entrusted_review": "委托评审", "unit_rank": "单位推荐排序", "is_civil_servant": "是否公务员（参公）",
}
CHANGE_LABELS = {"added": "新增", "removed": "删除", "changed": "修改"}


async def _names(*dictionaries: str) -> dict[str, dict[str, str]]:
    return {d: dict(await choices.options(d)) for d in dictionaries}


def batch_state(batch: Batch) -> tuple[str, str]:
    """(css state, label) of the batch's window now."""
    now = utcnow()
    if batch.opens_at > now:
        return "pending", "未开始"
    if batch.closes_at < now:
        return "registered", "已截止"
    return "approved", "申报中"


def status_view(dossier: Dossier) -> tuple[str, str, str | None]:
    """(css, what the applicant reads, the review status in detail): once submitted it is 已提交 wherever it is."""
    label = STATUS_LABELS.get(dossier.status, str(dossier.status))
    if dossier.status == DossierStatus.draft:
        return "draft", label, None
    if dossier.status in EDITABLE:
        return "returned", label, None
    if dossier.status == DossierStatus.voided:
        return "voided", label, None
    if dossier.status == DossierStatus.abandoned:
        return "abandoned", label, None
    return "submitted", "已提交", label


def _applicant(user: User) -> bool:
    return user.has_role(Role.applicant)


async def _own_by_batch(user: User) -> dict[PydanticObjectId, Dossier]:
    return {d.batch_id: d for d in await dossiers.list_own(actor=user)}


@router.get("/batches", response_class=HTMLResponse)
async def batches_page(request: Request, user: PageUser) -> Response:
    found = await batches.listing(actor=user)
    now = utcnow()
    return render(request, "batches.html", open_batches=[b for b in found if b.is_open(now)],
                  other_batches=[b for b in found if not b.is_open(now)], state=batch_state,
                  names=await _names("series", "levels", "specialties", "committees"),
                  own=await _own_by_batch(user), may_declare=_applicant(user), window_text=batches.window_text,
                  kind_labels=batches.BATCH_KINDS)


async def _batch_for_declaring(user: User, batch_id: PydanticObjectId) -> tuple[Batch, Dossier | None]:
    batch = await batches.get(batch_id, actor=user)
    return batch, (await _own_by_batch(user)).get(batch.id)


@router.get("/batches/{batch_id}/commitment", response_class=HTMLResponse)
async def commitment_page(request: Request, batch_id: PydanticObjectId, user: PageUser) -> Response:
    batch, existing = await _batch_for_declaring(user, batch_id)
    return render(request, "commitment.html", batch=batch, existing=existing, is_open=batch.is_open(utcnow()),
                  window=batches.window_text(batch), may_declare=_applicant(user))


async def declaration_context(batch: Batch, declaration: Declaration | None) -> dict[str, Any]:
    """The options of the cascading declaration form for a batch, with a declaration's choices selected."""
    names = await _names("series", "levels")
    series = declaration.series if declaration else (batch.series[0] if len(batch.series) == 1 else None)
    level = declaration.level if declaration else (batch.levels[0] if len(batch.levels) == 1 else None)
    titles: list[tuple[str, str]] = []
    specialties: list[tuple[str, str]] = []
    if series:
        if level:
            titles = [(e.code, e.name) for e in await catalog.entries("titles", parent=series)
                      if e.extra.get("level") == level]
        specialties = [(e.code, e.name) for e in await catalog.entries("specialties", parent=series)
                       if not batch.specialties or e.code in batch.specialties]
    return {
        "batch": batch, "decl": declaration, "selected_series": series, "selected_level": level,
        "series_options": [(c, names["series"].get(c, c)) for c in batch.series],
        "level_options": [(c, names["levels"].get(c, c)) for c in batch.levels],
        "title_options": titles, "specialty_options": specialties,
        "modes": await choices.options("declaration_modes"), "bases": await choices.options("exceptional_bases"),
    }


@router.get("/batches/{batch_id}/declare", response_class=HTMLResponse)
async def declare_page(request: Request, batch_id: PydanticObjectId, user: PageUser,
                       agreed: str | None = None) -> Response:
    batch, existing = await _batch_for_declaring(user, batch_id)
    if agreed != "1" and existing is None:
        return RedirectResponse(f"/batches/{batch.id}/commitment", status_code=303)
    return render(request, "declare.html", existing=existing, is_open=batch.is_open(utcnow()),
                  window=batches.window_text(batch), may_declare=_applicant(user),
                  **await declaration_context(batch, None))


@router.get("/dossiers", response_class=HTMLResponse)
async def my_dossiers_page(request: Request, user: PageUser) -> Response:
    own = await dossiers.list_own(actor=user)
    batch_names = await batches.names([d.batch_id for d in own])
    return render(request, "dossiers.html", dossiers=own, batch_names=batch_names, status_view=status_view,
                  editable_statuses=EDITABLE,
                  names=await _names("series", "levels", "titles", "specialties"), may_declare=_applicant(user))


UNLISTED_SPECIALTY = "手工录入，专业列表中没有，待核实"


def declaration_facts(d: Declaration, names: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    yes_no = {True: "是", False: "否"}
    facts = [("职称系列", names["series"].get(d.series, d.series)), ("申报级别", names["levels"].get(d.level, d.level)),
             ("申报职称", names["titles"].get(d.title, d.title)),
             ("申报专业", f"{d.specialty}（{UNLISTED_SPECIALTY}）" if d.specialty_unlisted
              else names["specialties"].get(d.specialty, d.specialty)),
             ("申报方式", names["declaration_modes"].get(d.mode, d.mode))]
    if d.exceptional_basis:
        facts.append(("破格情况", names["exceptional_bases"].get(d.exceptional_basis, d.exceptional_basis)))
    facts += [("工作单位", d.employer_unit_name),
              ("是否实际工作单位", yes_no[d.is_actual_unit] + (f"（实际工作单位：{d.actual_unit_name}）"
                                                            if not d.is_actual_unit and d.actual_unit_name else ""))]
    facts += [("人事代理单位", d.agency_unit_name or "—"), ("委托评审", yes_no[d.entrusted_review]),
              ("单位推荐排序", d.unit_rank or "—"), ("是否公务员（参公）", yes_no[d.is_civil_servant])]
    return facts


DECLARATION_DICTIONARIES = ("series", "levels", "titles", "specialties", "declaration_modes", "exceptional_bases")


def _value_text(part: str, field: str | None, value: Any, names: dict, options: dict) -> str:
    """One value of a change, readable: codes become names, rows become 'label：value' lists."""
    if isinstance(value, dict):
        form = forms.FORMS.get(part)
        if form is None:
            return "；".join(f"{k}：{v}" for k, v in value.items() if k not in forms.HIDDEN_ROW_FIELDS)
        return "；".join(f"{f.label}：{forms.shown(f, value.get(f.name), options.get(part, {}))}"
                        for f in form.fields if value.get(f.name) not in (None, "", False))
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if part == "declaration":
        dictionary = {"level": "levels", "series": "series", "title": "titles", "specialty": "specialties",
                      "mode": "declaration_modes", "exceptional_basis": "exceptional_bases"}.get(field or "")
        return names.get(dictionary, {}).get(str(value), str(value)) if dictionary else str(value)
    form = forms.FORMS.get(part)
    f = next((f for f in form.fields if f.name == field), None) if form else None
    return forms.shown(f, value, options.get(part, {})) if f else str(value)


async def readable_changes(dossier: Dossier) -> tuple[str, list[dict[str, str]]] | None:
    """与上次提交比较: the working copy against the last snapshot while editable, else the last two snapshots."""
    if not dossier.snapshots:
        return None
    last = dossier.snapshots[-1].number
    if dossier.status in EDITABLE:
        title, found = f"当前内容与第{last}次提交比较", dossiers.changes(dossier, before=last, after=None)
    elif len(dossier.snapshots) >= 2:
        title, found = f"第{last}次提交与第{last - 1}次提交比较", dossiers.changes(dossier, before=last - 1, after=last)
    else:
        return None
    names = await _names(*DECLARATION_DICTIONARIES)
    options = {name: await forms.option_lists(name) for name in {c.part for c in found} if name in forms.FORMS}
    positions = {name: {row["id"]: i for i, row in enumerate(dossier.sections.get(name, {}).get("rows", []), 1)}
                 for name in S.SECTIONS if S.SECTIONS[name].row}
    old_rows = _section_rows(dossier, last - 1 if dossier.status not in EDITABLE else last)
    rows = []
    for change in found:
        part = change.part
        if part == "attachments":
            where = _attachment_place(change, dossier, positions, old_rows, options)
        elif change.row_id:
            number = positions.get(part, {}).get(change.row_id)
            where = f"第{number}项" if number else "已删除的一项"
        else:
            where = ""
        if part == "declaration":
            field = DECLARATION_LABELS.get(change.field or "", change.field or "")
        else:
            form = forms.FORMS.get(part)
            field = next((f.label for f in form.fields if f.name == change.field), change.field or "") if form else ""
        if part == "attachments":
            field = "附件"
        before = _value_text(part, change.field, change.before, names, options)
        after = _value_text(part, change.field, change.after, names, options)
        rows.append({"label": change.label, "where": where, "field": field, "kind": change.change,
                     "change": CHANGE_LABELS.get(change.change, change.change), "before": before, "after": after,
                     "key": part == "summary",
                     "diff": word_diff(before, after) if change.change == "changed" and is_long(before, after)
                     else None})
    rows.sort(key=lambda row: not row["key"])       # the 工作总结 first: what a reviewer reads most closely
    return title, rows


def _section_rows(dossier: Dossier, number: int) -> dict[str, dict[str, dict]]:
    """Section → row id → row, in the snapshot numbered `number` (a removed row's attachment names it)."""
    snapshot = next((s for s in dossier.snapshots if s.number == number), None)
    sections = snapshot.sections if snapshot else {}
    return {name: {row["id"]: row for row in (sections.get(name) or {}).get("rows", [])}
            for name in S.SECTIONS if S.SECTIONS[name].row}


def row_name(part: str, row: dict, options: dict) -> str:
    """A row as a reader names it: its first field, or its first text when that is a date (the school of an
    education row, the unit of a job, the name of an achievement, the year of an assessment)."""
    form = forms.FORMS.get(part)
    filled = [f for f in (form.fields if form else ()) if row.get(f.name) not in (None, "", False, [], {})]
    if not filled:
        return ""
    chosen = filled[0] if filled[0].kind != "month" else next((f for f in filled if f.kind == "text"), filled[0])
    return forms.shown(chosen, row[chosen.name], options.get(part, {}))


def _attachment_place(change: Any, dossier: Dossier, positions: dict, old_rows: dict, options: dict) -> str:
    """Where an added or removed file belongs: the section's row by number and name, or the section itself."""
    section = change.label
    if not change.row_id:
        return section
    part = next((name for name, spec in S.SECTIONS.items() if spec.label == section), None)
    number = positions.get(part, {}).get(change.row_id)
    row = next((r for r in dossier.sections.get(part, {}).get("rows", []) if r.get("id") == change.row_id),
               None) if part else None
    row = row or (old_rows.get(part, {}).get(change.row_id) if part else None)
    name = row_name(part, row, options) if row else ""
    place = f"第{number}项" if number else ("已删除的一项" if row else "")
    return "".join((place, f"（{name}）" if name else "")) or section


def attachment_rule_context(batch: Batch, section: str) -> dict[str, Any]:
    rule = batch.rules.attachment_rule(section)
    kinds = ["jpeg", "png"] if section == "basic" else rule.kinds
    return {"accept": forms.accept(kinds), "kinds": forms.kinds_text(kinds), "max": forms.size_text(rule.max_bytes),
            "required": rule.required}


@router.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
async def dossier_page(request: Request, user: PageUser, dossier: PageOwnDossier) -> Response:
    batch = await batches.stored(dossier.batch_id)
    on_behalf = dossier.applicant_id != user.id         # 录入申报: the unit's handler, for the applicant
    report = await dossiers.completeness(dossier)
    editable = dossier.status in EDITABLE
    names = await _names(*DECLARATION_DICTIONARIES)
    context: dict[str, Any] = {"batch": batch}
    if editable:
        context = await declaration_context(batch, dossier.declaration)
    withdrawable = dossier.status == DossierStatus.submitted and not dossier.reviewer_acted and not on_behalf
    return render(
        request, "dossier.html", **context, dossier=dossier, editable=editable,
        shown_id=identity.of_dossier(user, identity.Purpose.review, dossier),
        status_info=status_view(dossier), facts=declaration_facts(dossier.declaration, names),
        report=report, missing=rules.missing_items(report), warnings=rules.warning_items(report),
        changes=await readable_changes(dossier), withdrawable=withdrawable,
        edit_requestable=dossier.status in machine.EDIT_REQUESTABLE and not withdrawable and not on_behalf,
        on_behalf=on_behalf,
        is_open=batch.is_open(utcnow()), window=batches.window_text(batch),
        declaration_files=dossier.attachments_of("declaration"), commitment_files=dossier.attachments_of("commitment"),
        declaration_rule=attachment_rule_context(batch, "declaration"),
        commitment_rule=attachment_rule_context(batch, "commitment"), size_text=forms.size_text,
        section_names=set(S.SECTIONS), turned_down=latest_turn_down(dossier),
        vacancy=await personnel.vacancy_check(dossier, batch=batch),
        blind_rule=batch.rules.blind_review if batch.rules.blind_review.applies_to(dossier.declaration.level) else None,
        work_files=[a for a in dossier.attachments if a.section in representative.WORK_SECTIONS and a.file.kind == "pdf"],
    )


@router.get("/dossiers/{dossier_id}/sections/{section}", response_class=HTMLResponse)
async def section_page(request: Request, section: str, user: PageUser, dossier: PageOwnDossier) -> Response:
    batch = await batches.stored(dossier.batch_id)
    if section not in S.SECTIONS or section not in batch.rules.sections:     # the batch's kind decides
        raise NotFound("没有这个分节", field="section", code="section_not_found")
    spec = S.SECTIONS[section]
    report = await dossiers.completeness(dossier)
    status = next(s for s in report if s.section == section)
    data = await dossiers.basic_for_editor(dossier, user) if section == "basic" else dossier.sections.get(section)
    order = list(batch.rules.sections)
    index = order.index(section)
    files_by_row: dict[str | None, list] = {}
    for ref in dossier.attachments_of(section):
        files_by_row.setdefault(ref.row_id, []).append(ref)
    limit = min(spec.max_rows, batch.rules.list_limits.get(section, spec.max_rows)) if spec.row else None
    return render(
        request, "section.html", dossier=dossier, batch=batch, section=section, spec=spec,
        form=forms.FORMS[section], options=await forms.option_lists(section), data=data or {},
        rows=(data or {}).get("rows", []) if spec.row else [], files_by_row=files_by_row,
        editable=dossier.status in EDITABLE, section_status=status,
        report=[s for s in report if s.section in S.SECTIONS],
        rule=attachment_rule_context(batch, section), row_limit=limit, defaults=forms.bool_defaults(section),
        summary_limit=batch.rules.text_limits.get(section, batch.rules.summary_max_chars),
        guide_sha256=batches.commitment_digest(batch.rules.guide_text), is_required=forms.is_required, shown=forms.shown,
        size_text=forms.size_text, previous=order[index - 1] if index else None,
        next=order[index + 1] if index + 1 < len(order) else None, labels={n: s.label for n, s in S.SECTIONS.items()},
        photo=(dossier.attachments_of("basic", "photo") or [None])[-1],
        readonly=forms.readonly_values(section, dossier.id_number),
        shown_id=identity.of_dossier(user, identity.Purpose.review, dossier),
        computed=forms.computed_notes(section, dossier.sections, year=dossier.year),
        id_cards=[(row_id, side, dossier.attachments_of("basic", row_id)) for row_id, side in S.ID_CARD_SIDES.items()],
        id_card_rule=attachment_rule_context(batch, "basic") | {
            "accept": forms.accept(["jpeg", "png", "pdf"]), "kinds": forms.kinds_text(["jpeg", "png", "pdf"])},
    )
