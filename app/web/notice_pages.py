"""站内消息 and 公告: the signed-in user's inbox (own messages only), the announcements each reader may see
(anonymous readers too, for public ones), and the administrator's page to publish, edit and withdraw them.

Lists come from the notifications service, which applies the audience; marking read and the announcement
writes are calls of /api/inbox and /api/announcements from the page.
"""

from beanie import PydanticObjectId
from bson.errors import InvalidId
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import ROLE_LABELS, Role
from app.accounts.models import User
from app.errors import NotFound
from app.notifications import service as notifications
from app.notifications.models import ANNOUNCEMENT_KIND_LABELS, AnnouncementKind
from app.web.deps import OptionalPageUser, PageUser
from app.web.pages import render, require_role

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20


def _announcement_id(value: str) -> PydanticObjectId:
    try:
        return PydanticObjectId(value)
    except (InvalidId, TypeError):
        raise NotFound("公告不存在", field="id") from None


def _pages(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


@router.get("/inbox", response_class=HTMLResponse)
async def inbox_page(request: Request, user: PageUser, unread: bool = False,
                     page: int = Query(1, ge=1, le=10_000)) -> Response:
    items, total = await notifications.list_inbox(user=user, unread_only=unread, page=page, size=PAGE_SIZE)
    return render(request, "inbox.html", items=items, total=total, unread_only=unread, page=page,
                  pages=_pages(total))


@router.get("/announcements", response_class=HTMLResponse)
async def announcements_page(request: Request, user: OptionalPageUser, q: str = Query("", max_length=50),
                             kind: AnnouncementKind | None = None,
                             page: int = Query(1, ge=1, le=10_000)) -> Response:
    items, total = await notifications.list_announcements(user=user, q=q.strip() or None, kind=kind, page=page,
                                                          size=PAGE_SIZE)
    return render(request, "announcements.html", items=items, total=total, q=q.strip(), kind=kind, page=page,
                  pages=_pages(total), kinds=ANNOUNCEMENT_KIND_LABELS)


@router.get("/announcements/{announcement_id}", response_class=HTMLResponse)
async def announcement_page(request: Request, announcement_id: str, user: OptionalPageUser) -> Response:
    found = await notifications.get_announcement(user=user, announcement_id=_announcement_id(announcement_id))
    return render(request, "announcement.html", a=found, kinds=ANNOUNCEMENT_KIND_LABELS, role_labels=ROLE_LABELS)


async def _admin_page(request: Request, user: User, edit_id: str | None) -> Response:
    require_role(user, (Role.sysadmin,), "仅系统管理员可管理公告")
    editing = await notifications.get_announcement(user=user, announcement_id=_announcement_id(edit_id)) \
        if edit_id else None
    items, total = await notifications.list_announcements(user=user, q=None, kind=None, page=1, size=100)
    return render(request, "admin_announcements.html", items=items, total=total, editing=editing,
                  kinds=ANNOUNCEMENT_KIND_LABELS, roles=[(r.value, ROLE_LABELS[r]) for r in Role])


@router.get("/admin/announcements", response_class=HTMLResponse)
async def admin_announcements_page(request: Request, user: PageUser) -> Response:
    return await _admin_page(request, user, None)


@router.get("/admin/announcements/{announcement_id}", response_class=HTMLResponse)
async def admin_announcement_page(request: Request, announcement_id: str, user: PageUser) -> Response:
    return await _admin_page(request, user, announcement_id)
