"""The administrator's settings pages: each committee's rules, the least number of members a committee may have,
the security audit log and who read a person's dossiers. The forms send JSON to the API, which alone validates
(PUT /api/committees/{code} with If-Match, PUT /api/expert-rules)."""

from datetime import datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import audit
from app.accounts.enums import AUDIT_KIND_LABELS, AuditKind
from app.accounts.models import User
from app.accounts.validators import mask_id_number
from app.catalog.models import Batch
from app.committee import committees
from app.dossiers import service as dossiers
from app.dossiers.enums import status_label
from app.dossiers.models import Dossier
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
    """Newest first, AUDIT_PAGE at a time; an account is named by its login (an unknown login lists nothing)."""
    account = await User.find_one({"login": login.strip()}) if login and login.strip() else None
    events = [] if login and login.strip() and account is None else await audit.events(
        user_id=account.id if account else None, kind=kind, limit=AUDIT_PAGE + 1, before=before)
    more = len(events) > AUDIT_PAGE
    events = events[:AUDIT_PAGE]
    names = await units_service.unit_names(e.unit_id for e in events)
    return render(request, "admin_audit.html", events=events, kinds=AUDIT_KIND_LABELS, kind=kind,
                  login=(login or "").strip(), unit_names=names,
                  older=events[-1].at.isoformat() if more else None, detail_text=detail_text)


def detail_text(detail: dict) -> str:
    return "；".join(f"{key}：{value}" for key, value in detail.items() if value not in (None, "", [], {}))


@router.get("/admin/readers", response_class=HTMLResponse)
async def readers_page(request: Request, user: AdminUser, q: str | None = Query(None, max_length=40)) -> Response:
    """A person's dossiers found by full ID number or full name (each an indexed equality), with who read each."""
    query = (q or "").strip()
    found: list[tuple[dict, str, list]] = []
    if query:
        field = "id_number" if any(ch.isdigit() for ch in query) else "applicant_name"
        matches = await Dossier.get_pymongo_collection().find(
            {field: query.upper() if field == "id_number" else query},
            {"applicant_name": 1, "id_number": 1, "batch_id": 1, "year": 1, "status": 1}).limit(PEOPLE_SHOWN).to_list()
        batches = {b.id: b.name for b in await Batch.find({"_id": {"$in": list({d["batch_id"] for d in matches})}}
                                                          ).to_list()}
        found = [(d, batches.get(d["batch_id"], ""), await dossiers.readers(d["_id"])) for d in matches]
    return render(request, "admin_readers.html", q=query, found=found, mask=mask_id_number, status_label=status_label,
                  action_labels=ACCESS_ACTION_LABELS)
