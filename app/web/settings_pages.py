"""The administrator's settings pages: each committee's rules, the least number of members a committee may have,
the security audit log and who read a person's dossiers. The forms send JSON to the API, which alone validates
(PUT /api/committees/{code} with If-Match, PUT /api/expert-rules)."""

from datetime import datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import audit
from app.accounts.enums import AUDIT_KIND_LABELS, AuditKind
from app.accounts.validators import mask_id_number
from app.committee import committees
from app.dossiers import service as dossiers
from app.dossiers.enums import status_label
from app.experts import rosters
from app.experts.rosters import TIER_LABELS
from app.units import service as units_service
from app.web.admin_pages import AdminUser
from app.web.pages import render

router = APIRouter(include_in_schema=False)

AUDIT_PAGE = 50
PEOPLE_SHOWN = 20       # dossiers listed for one name or ID number
ACCESS_ACTION_LABELS = {"read": "查阅", "download": "下载", "export": "导出", "id_number": "查看完整身份证号"}


@router.get("/admin/committees", response_class=HTMLResponse)
async def committees_page(request: Request, user: AdminUser) -> Response:
    return render(request, "admin_committees.html", committees=await committees.out(await committees.listing(user)),
                  tiers=TIER_LABELS)


@router.get("/admin/committees/{code}", response_class=HTMLResponse)
async def committee_page(request: Request, code: str, user: AdminUser) -> Response:
    committee = await committees.one(code)
    shown = (await committees.out([committee]))[0]
    issuing_unit = await committees.issuing_unit(committee) if committee.issuing_unit_id else None
    return render(request, "admin_committee.html", committee=shown, version=committee.version, tiers=TIER_LABELS,
                  issuing_unit_name=issuing_unit.name if issuing_unit else None)


@router.get("/admin/expert-rules", response_class=HTMLResponse)
async def expert_rules_page(request: Request, user: AdminUser) -> Response:
    return render(request, "admin_expert_rules.html", minimums=(await rosters.rules()).minimums, tiers=TIER_LABELS)


@router.get("/admin/audit", response_class=HTMLResponse)
async def audit_page(request: Request, user: AdminUser, kind: AuditKind | None = None,
                     login: str | None = Query(None, max_length=60), before: datetime | None = None) -> Response:
    """Newest first, AUDIT_PAGE at a time."""
    login = (login or "").strip()
    events, more = await audit.page(login=login or None, kind=kind, before=before, size=AUDIT_PAGE)
    names = await units_service.unit_names(e.unit_id for e in events)
    return render(request, "admin_audit.html", events=events, kinds=AUDIT_KIND_LABELS, kind=kind,
                  login=login, unit_names=names,
                  older=events[-1].at.isoformat() if more else None, detail_text=detail_text)


def detail_text(detail: dict) -> str:
    return "；".join(f"{key}：{value}" for key, value in detail.items() if value not in (None, "", [], {}))


@router.get("/admin/readers", response_class=HTMLResponse)
async def readers_page(request: Request, user: AdminUser, q: str | None = Query(None, max_length=40)) -> Response:
    """A person's dossiers found by full ID number or full name (each an indexed equality), with who read each."""
    query = (q or "").strip()
    found = await dossiers.person_readers(query, limit=PEOPLE_SHOWN) if query else []
    return render(request, "admin_readers.html", q=query, found=found, mask=mask_id_number, status_label=status_label,
                  action_labels=ACCESS_ACTION_LABELS)
