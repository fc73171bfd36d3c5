"""The administrator's pages: batches (申报批次) with their notices and rules, and the dictionaries."""

from typing import Annotated, Any

from beanie import PydanticObjectId
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import Role
from app.accounts.models import User
from app.catalog import batches
from app.catalog import service as catalog
from app.catalog.models import MB, Batch, BatchRules
from app.clock import CHINA, utcnow
from app.dossiers import sections as S
from app.catalog.kinds import ROUTE_ENDS, with_kind_defaults
from app.errors import Forbidden, NotFound
from app.render import templates as form_templates
from app.render.contexts import FORMS
from app.web import choices
from app.web import section_forms as forms
from app.web.deps import PageUser
from app.web.dossier_pages import batch_state
from app.web.pages import render

router = APIRouter(include_in_schema=False)

ATTACHMENT_KINDS = [("pdf", "PDF"), ("jpeg", "JPG"), ("png", "PNG"), ("gif", "GIF")]
# The places a batch's attachment rules are set for: every section, the declaration and the commitment.
ATTACHMENT_PLACES = [(name, spec.label) for name, spec in S.SECTIONS.items()] + list(S.ATTACHMENT_PLACES.items())
LIMITED_LISTS = ("achievements", "training")
DICTIONARY_LABELS = {
    "series": "职称系列", "levels": "职称级别", "titles": "职称名称", "specialties": "专业", "committees": "评审委员会",
    "regions": "行政区划", "declaration_modes": "申报方式", "exceptional_bases": "破格情况", "education_levels": "学历",
    "degrees": "学位", "study_modes": "学习形式", "assessment_grades": "考核等次", "achievement_categories": "业绩类别",
    "achievement_levels": "业绩级别", "publication_kinds": "论文著作类别", "award_kinds": "奖惩类别",
    "language_levels": "外语水平", "computer_levels": "计算机水平", "training_kinds": "继续教育类别", "politics": "政治面貌",
    "ethnicities": "民族", "genders": "性别", "unit_natures": "单位性质", "industries": "行业", "unit_categories": "单位类别",
    "id_types": "证件类型", "calendar": "工作日历",
}


async def _admin(user: PageUser) -> User:
    if not user.has_role(Role.sysadmin):
        raise Forbidden("仅系统管理员可访问此页面")
    return user


AdminUser = Annotated[User, Depends(_admin)]


def local_input(moment) -> str:
    """A stored moment as a datetime-local value in Beijing time (the form sends it back at +08:00)."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M") if moment else ""


def megabytes(size: int) -> str:
    return f"{size / MB:.2f}".rstrip("0").rstrip(".")


@router.get("/admin/batches", response_class=HTMLResponse)
async def batches_page(request: Request, user: AdminUser) -> Response:
    return render(request, "admin_batches.html", batches=await batches.listing(actor=user), state=batch_state,
                  window_text=batches.window_text, kind_labels=batches.BATCH_KINDS,
                  names={d: dict(await choices.options(d)) for d in ("series", "levels")})


async def _form_context(batch: Batch | None, kind: str = "review") -> dict[str, Any]:
    by_series: dict[str, list[tuple[str, str]]] = {}
    for entry in await catalog.entries("specialties"):
        by_series.setdefault(entry.parent or "", []).append((entry.code, entry.name))
    kind = batch.kind if batch else kind
    rules = batch.rules if batch else BatchRules.model_validate(with_kind_defaults(kind, None))
    now = utcnow()
    return {
        "batch": batch, "rules": rules, "kinds": list(batches.BATCH_KINDS.items()), "kind": kind,
        "kind_sections": [(name, S.section_label(name)) for name in rules.sections],
        "form_labels": FORMS, "route_ends": ROUTE_ENDS,
        "series": await choices.options("series"), "levels": await choices.options("levels"),
        "specialties_by_series": by_series,
        "committees": await choices.options("committees"),
        "regions": await choices.region_levels(batch.region_code if batch else None),
        "opens_at": local_input(batch.opens_at if batch else now),
        "closes_at": local_input(batch.closes_at) if batch else "",
        "sections": [(name, S.section_label(name)) for name in rules.sections],     # the kind's own
        "places": [(name, label, rules.attachment_rule(name)) for name, label in ATTACHMENT_PLACES
                   if name not in S.SECTIONS or name in rules.sections],
        "attachment_kinds": ATTACHMENT_KINDS, "megabytes": megabytes, "limited_lists": LIMITED_LISTS,
        "list_labels": {name: S.SECTIONS[name].label for name in LIMITED_LISTS},
        "default_commitment": batches.DEFAULT_COMMITMENT, "size_text": forms.size_text,
    }


@router.get("/admin/batches/new", response_class=HTMLResponse)
async def new_batch_page(request: Request, user: AdminUser, kind: str = "review") -> Response:
    """A new batch of a kind (评审 unless ?kind= says 初定 or 认定), its rules the kind's defaults."""
    if kind not in batches.BATCH_KINDS:
        raise NotFound("没有这种申报类别", field="kind", code="kind_not_found")
    return render(request, "admin_batch.html", **await _form_context(None, kind))


@router.get("/admin/batches/{batch_id}", response_class=HTMLResponse)
async def batch_page(request: Request, batch_id: PydanticObjectId, user: AdminUser) -> Response:
    batch = await batches.get(batch_id, actor=user)
    return render(request, "admin_batch.html", **await _form_context(batch),
                  form_templates=await form_templates.listing(batch.id))


@router.get("/admin/dictionaries", response_class=HTMLResponse)
async def dictionaries_page(request: Request, user: AdminUser, name: str | None = None) -> Response:
    # Every entry, disabled ones too: the catalog's readers see enabled entries only.
    counts = {d["dictionary"]: d["count"] for d in await catalog.dictionary_names()}
    names = sorted(counts)
    current = name if name in counts else (names[0] if names else None)
    entries = await catalog.entries(current, include_disabled=True) if current else []
    return render(request, "admin_dictionaries.html", dictionaries=[(n, counts[n]) for n in names], current=current,
                  entries=entries, labels=DICTIONARY_LABELS, next_sort=max((e.sort for e in entries), default=-1) + 1)
