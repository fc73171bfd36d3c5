"""Pages of cases (app.committee.cases): the public objection form reached from the 公示名单 and the lookup by
case number and contact; the applicant's 复查 / 投诉 form; the office's case list and case page. Forms post to
the API, which alone validates."""

from beanie import PydanticObjectId
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import OptionalAuth, client_info
from app.committee import cases, committees
from app.committee.case_models import CASE_KIND_LABELS, CASE_STATUS_LABELS, Case
from app.errors import AppError, NotFound
from app.web.committee_pages import OfficeUser
from app.web.deps import PageReadableDossier, PageUser
from app.web.pages import render

router = APIRouter(include_in_schema=False)


def _id(value: str) -> PydanticObjectId:
    try:
        return PydanticObjectId(value)
    except Exception:
        raise NotFound("没有这个页面", code="not_found") from None


@router.get("/results/{ref}/objection", response_class=HTMLResponse)
async def objection_page(request: Request, ref: str, auth: OptionalAuth) -> Response:
    """The objection form for one person on the public list, while their publicity runs."""
    if auth is not None:
        request.state.user = auth.user
    person, running = await cases.objection_target(ref)
    return render(request, "objection.html", ref=ref, person=person, open=running,
                  max_mb=cases.PROOF_MAX_BYTES >> 20)


@router.get("/cases/lookup", response_class=HTMLResponse)
async def lookup_page(request: Request, auth: OptionalAuth, number: str = "", contact: str = "") -> Response:
    if auth is not None:
        request.state.user = auth.user
    found, error = None, None
    if number and contact:
        try:
            found = await cases.lookup(client=client_info(request), number=number[:20], contact=contact[:80])
        except AppError as exc:
            error = exc.message
    return render(request, "case_lookup.html", number=number[:20], contact=contact[:80], found=found, error=error)


@router.get("/dossiers/{dossier_id}/cases", response_class=HTMLResponse)
async def lodge_page(request: Request, dossier: PageReadableDossier, user: PageUser) -> Response:
    """申请复查 (the applicant, after 未通过) or 投诉, with the cases the user lodged about this dossier."""
    return render(request, "case_lodge.html", dossier=dossier, max_mb=cases.PROOF_MAX_BYTES >> 20,
                  **await cases.lodge_context(actor=user, dossier=dossier))


@router.get("/committee/cases", response_class=HTMLResponse)
async def office_list_page(request: Request, user: OfficeUser, committee_code: str = "", kind: str = "",
                           status: str = "", overdue: str = "") -> Response:
    kind = kind if kind in CASE_KIND_LABELS else ""
    status = status if status in CASE_STATUS_LABELS else ""
    found = await cases.listing(actor=user, committee_code=committee_code or None, kind=kind or None,
                                status=status or None, overdue_only=overdue == "1")
    return render(request, "cases.html", found=found, committees=await committees.listing(user),
                  committee_code=committee_code, kind=kind, state=status, overdue=overdue == "1",
                  kinds=CASE_KIND_LABELS, statuses=CASE_STATUS_LABELS)


@router.get("/committee/cases/{case_id}", response_class=HTMLResponse)
async def office_case_page(request: Request, case_id: str, user: OfficeUser) -> Response:
    case = await cases.for_office(user, _id(case_id))
    await cases.record(case)
    return render(request, "case.html", case=cases.out(case, office=True), office=True)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def lodger_case_page(request: Request, case_id: str, user: PageUser) -> Response:
    case: Case
    case, office = await cases.visible(user, _id(case_id))
    return render(request, "case.html", case=cases.out(case, office=office), office=office)
