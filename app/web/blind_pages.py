"""代表作送审 pages: the office's list of dossiers to send and one round (start, the anonymisation report, its own
redacted copies, the draw and send, progress and scores), and the reviewer's assignments and score form. The pages
call the same services as /api; their forms speak to /api through static/blind.js."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import Role
from app.clock import local_text
from app.committee import blind, blind_reviewing
from app.web.committee_pages import OfficeUser
from app.web.deps import PageUser, page_id
from app.web.pages import render, require_role

router = APIRouter(include_in_schema=False)


@router.get("/committee/blind-reviews", response_class=HTMLResponse)
async def office_list_page(request: Request, user: OfficeUser) -> Response:
    return render(request, "blind_reviews.html", rows=await blind.office_list(user), when=local_text)


@router.get("/committee/blind-reviews/{dossier_id}", response_class=HTMLResponse)
async def round_page(request: Request, dossier_id: str, user: OfficeUser) -> Response:
    dossier, _ = await blind.office_dossier(user, page_id(dossier_id, code="dossier_not_found"))
    view = await blind.view(dossier, office=True) if dossier.blind_reviews else None
    rule = await blind.rule_of(dossier)
    return render(request, "blind_round.html", dossier=dossier, view=view, rule=rule, when=local_text,
                  required=rule.applies_to(dossier.declaration.level), open=dossier.status in blind.OPEN_STATES)


@router.get("/expert/blind-reviews", response_class=HTMLResponse)
async def reviewer_list_page(request: Request, user: PageUser) -> Response:
    require_role(user, (Role.expert,), "代表作评审仅供评审专家使用")
    rows = [blind_reviewing.listed(a) for a in await blind_reviewing.mine(user)]
    return render(request, "blind_assignments.html", rows=rows, when=local_text)


@router.get("/expert/blind-reviews/{assignment_id}", response_class=HTMLResponse)
async def score_page(request: Request, assignment_id: str, user: PageUser) -> Response:
    found = await blind_reviewing.assignment_of(user, page_id(assignment_id, code="blind_assignment_not_found"))
    return render(request, "blind_score.html", task=await blind_reviewing.view(found), when=local_text)
