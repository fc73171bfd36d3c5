"""The archivist's page: every batch with its archive export (the completed dossiers, one package each)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import Role
from app.web import todo
from app.web.deps import PageUser
from app.web.pages import render, require_role

router = APIRouter(include_in_schema=False)


@router.get("/archives", response_class=HTMLResponse)
async def archives_page(request: Request, user: PageUser) -> Response:
    require_role(user, (Role.archivist,), "档案导出页面仅供档案管理员使用")
    return render(request, "archives.html", batches=await todo.archive_batches(user))
