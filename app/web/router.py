from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")
