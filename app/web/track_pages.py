"""The applicant's 状态跟踪 page (where the dossier is, who did what, why it came back, the certificate) and the
public certificate verification page that the QR code on a certificate points to.

Tracking reads the applicant's own dossier only (another person's is a 404); verification needs no login and
answers a wrong code exactly like an unknown number, as the API does.
"""

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import OptionalAuth, client_info
from app.catalog import batches
from app.dossiers.enums import EDITABLE, DossierStatus, status_label
from app.errors import NotFound, TooManyRequests, ValidationFailed
from app.committee import certificates
from app.committee.tally import vote_line
from app.routing import service as routing
from app.dossiers.enums import ACTION_LABELS
from app.dossiers.enums import OPINION_LABELS
from app.web import snapshot_view as sv
from app.web.deps import PageOwnDossier
from app.web.dossier_pages import status_view
from app.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/dossiers/{dossier_id}/track", response_class=HTMLResponse)
async def track_page(request: Request, dossier: PageOwnDossier) -> Response:
    batch = await batches.stored(dossier.batch_id)
    turned_down = sv.latest_turn_down(dossier)
    publicity = dossier.publicity
    return render(
        request, "track.html", dossier=dossier, batch=batch, status_info=status_view(dossier),
        status_label=status_label(dossier.status, batch.kind if batch else None), trail=sv.trail_rows(dossier.trail, batch.kind if batch else None),
        flow=await routing.flow(dossier=dossier) if dossier.status != DossierStatus.draft else None,
        turned_down=turned_down, turned_down_label=ACTION_LABELS.get(turned_down.action) if turned_down else None,
        back_with_applicant=dossier.status in EDITABLE, editable=dossier.status in EDITABLE,
        certificate=dossier.certificate if dossier.status == DossierStatus.certified else None,
        publicity=publicity, opinion_label=OPINION_LABELS.get(publicity.opinion.opinion)
        if publicity and publicity.opinion else None, votes=dossier.votes, vote_line=vote_line(dossier.votes),
    )


@router.get("/verify", response_class=HTMLResponse)
async def verify_page(request: Request, auth: OptionalAuth, number: str = "", code: str = "") -> HTMLResponse:
    if auth is not None:
        request.state.user = auth.user
    number, code = number.strip()[:60], code.strip()[:20]
    result, error = None, None
    if number or code:
        if not (number and code):
            error = "请同时填写证书编号和验证码"
        else:
            try:
                result = await certificates.verify(number=number, code=code, client=client_info(request))
            except (NotFound, TooManyRequests) as exc:
                error = exc.message
    return render(request, "verify.html", number=number, code=code, result=result, error=error)


@router.post("/verify", response_class=HTMLResponse)
async def verify_file_page(request: Request, file: UploadFile | None = None) -> HTMLResponse:
    """The uploaded certificate PDF checked as the API checks it; a refused file is said on the page."""
    checked, error = None, None
    if file is None or not file.filename:
        error = "请选择要查验的电子证书 PDF 文件"
    else:
        try:
            checked = await certificates.verify_file(upload=file, client=client_info(request))
        except (ValidationFailed, TooManyRequests) as exc:
            error = exc.message
    return render(request, "verify.html", status=422 if error else 200, number="", code="", checked=checked,
                  file_error=error)
