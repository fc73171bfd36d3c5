"""The public 公示名单 page: the same rows as /api/public/results, no login."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.accounts.deps import OptionalAuth, client_info
from app.committee import results
from app.errors import TooManyRequests
from app.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/results", response_class=HTMLResponse)
async def results_page(request: Request, auth: OptionalAuth, q: str = "", page: int = 1) -> HTMLResponse:
    if auth is not None:
        request.state.user = auth.user
    q, page = q.strip()[:20], max(1, min(page, 1000))
    found, error = None, None
    try:
        found = await results.listing(client=client_info(request), q=q or None, page=page)
    except TooManyRequests as exc:
        error = exc.message
    return render(request, "results.html", q=q, found=found, error=error, page=page)
