"""补证 pages: the holder's 我的证书 (current and replaced certificates, each with its 补证 state) and the
application page for one of them; the office's queue of pending requests and the decision page. The forms
post to the API (app.committee.reissue), which alone validates."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import Role
from app.committee import reissue
from app.committee.schemas import REISSUE_REASONS
from app.web.committee_pages import OfficeUser
from app.web.deps import PageOwnDossier, PageReadableDossier, PageUser
from app.web.pages import render, require_role

router = APIRouter(include_in_schema=False)


@router.get("/certificates", response_class=HTMLResponse)
async def my_certificates_page(request: Request, user: PageUser) -> Response:
    require_role(user, (Role.applicant,), "此页面供持证的申报人使用")
    return render(request, "certificates.html", holdings=await reissue.holdings(actor=user))


@router.get("/certificates/{dossier_id}/reissue", response_class=HTMLResponse)
async def apply_page(request: Request, dossier: PageOwnDossier) -> Response:
    requests = [reissue.request_out(dossier, r) for r in reversed(dossier.reissue_requests)]
    return render(request, "reissue_apply.html", dossier=dossier, certificate=dossier.certificate,
                  pending=reissue.pending_request(dossier), requests=requests, reasons=REISSUE_REASONS,
                  max_mb=reissue.PROOF_MAX_BYTES >> 20)


@router.get("/committee/reissue", response_class=HTMLResponse)
async def queue_page(request: Request, user: OfficeUser) -> Response:
    return render(request, "reissue_queue.html", requests=await reissue.queue(actor=user))


@router.get("/committee/reissue/{dossier_id}", response_class=HTMLResponse)
async def decision_page(request: Request, user: OfficeUser, dossier: PageReadableDossier) -> Response:
    requests = [reissue.request_out(dossier, r) for r in reversed(dossier.reissue_requests)]
    pending = reissue.pending_request(dossier)
    return render(request, "reissue_decision.html", dossier=dossier, certificate=dossier.certificate,
                  pending=reissue.request_out(dossier, pending) if pending else None, requests=requests)
