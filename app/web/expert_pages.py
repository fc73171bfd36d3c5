"""The expert library's pages for a committee office: the library (list, add, Excel import and export),
one record (edit, commitment; each opening is logged), a committee's roster, and a meeting's draw
(candidates, conflicts, the result, swaps, replay). The pages call the same services as /api; the
forms speak to /api through static/experts.js."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import Client
from app.committee import committees, drawing, meetings
from app.errors import NotFound
from app.experts import rosters, service
from app.experts.conflicts import KIND_LABELS
from app.experts.models import EXPERT_STATUS_LABELS
from app.experts.schemas import mask_id
from app.web.committee_pages import OfficeUser
from app.web.deps import page_id
from app.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/committee/experts", response_class=HTMLResponse)
async def library_page(request: Request, user: OfficeUser, q: str | None = None) -> Response:
    found = await service.listing(user, q=(q or "")[:30] or None)
    return render(request, "expert_library.html", experts=found, q=q or "", today=service.china_today(),
                  mask=mask_id,
                  status_labels=EXPERT_STATUS_LABELS, committees=await committees.listing(user))


@router.get("/committee/experts/{expert_id}", response_class=HTMLResponse)
async def record_page(request: Request, expert_id: str, user: OfficeUser, client: Client) -> Response:
    expert = await service.visible(user, page_id(expert_id, code="expert_not_found"))
    await service.viewed(actor=user, expert=expert, client=client)
    return render(request, "expert_record.html", expert=expert, today=service.china_today(),
                  signed=expert.signed_for_term(), status_labels=EXPERT_STATUS_LABELS,
                  commitment_text=service.COMMITMENT_TEXT)


@router.get("/committee/rosters/{code}", response_class=HTMLResponse)
async def roster_page(request: Request, code: str, user: OfficeUser) -> Response:
    committee = await rosters.committee_run_by(user, code)
    roster = await rosters.roster_of(committee)
    return render(request, "expert_roster.html", committee=committee, library=await service.library_of(committee.office_unit_id),
                  chosen={str(i) for i in (roster.expert_ids if roster else [])},
                  minimum=(await rosters.rules()).minimums.get(committee.tier), today=service.china_today())


@router.get("/committee/meetings/{meeting_id}/draw", response_class=HTMLResponse)
async def draw_page(request: Request, meeting_id: str, user: OfficeUser) -> Response:
    meeting, committee = await meetings.for_office(user, page_id(meeting_id, code="meeting_not_found"))
    try:
        record = await drawing.view(meeting)
    except NotFound:
        record = None
    return render(request, "expert_draw.html", meeting=meeting, committee=committee, record=record,
                  kind_labels=KIND_LABELS)
