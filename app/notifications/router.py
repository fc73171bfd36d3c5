"""The /api endpoints of the inbox (own messages only) and announcements (read by anyone, kept by sysadmin)."""

from beanie import PydanticObjectId
from fastapi import APIRouter, Query, status

from app.accounts.deps import CurrentUser, OptionalAuth, SysAdmin
from app.notifications import service
from app.notifications.models import AnnouncementKind
from app.notifications.schemas import (AnnouncementIn, AnnouncementOut, AnnouncementPage, InboxItemOut, InboxPage,
                                       ReadAllOut)

router = APIRouter(prefix="/api", tags=["notifications"])

Page = Query(1, ge=1, le=10_000, description="页码，从 1 开始")
Size = Query(20, ge=1, le=100, description="每页条数")


@router.get("/inbox", response_model=InboxPage, summary="站内消息（最新在前）")
async def inbox(user: CurrentUser, unread: bool = Query(False, description="只看未读"), page: int = Page,
                size: int = Size) -> InboxPage:
    items, total = await service.list_inbox(user=user, unread_only=unread, page=page, size=size)
    return InboxPage(items=[InboxItemOut.build(m) for m in items], total=total,
                     unread=await service.unread_count(user=user))


@router.post("/inbox/read-all", response_model=ReadAllOut, summary="全部标为已读")
async def read_all(user: CurrentUser) -> ReadAllOut:
    marked = await service.mark_all_read(user=user)
    return ReadAllOut(marked=marked, unread=await service.unread_count(user=user))


@router.post("/inbox/{message_id}/read", response_model=InboxItemOut, summary="标为已读")
async def read_one(message_id: PydanticObjectId, user: CurrentUser) -> InboxItemOut:
    return InboxItemOut.build(await service.mark_read(user=user, message_id=message_id))


@router.get("/announcements", response_model=AnnouncementPage, summary="公告通知与政策规范（置顶在前，最新在前）")
async def announcements(auth: OptionalAuth, q: str | None = Query(None, max_length=50, description="标题关键字"),
                        kind: AnnouncementKind | None = None, page: int = Page, size: int = Size) -> AnnouncementPage:
    items, total = await service.list_announcements(user=auth.user if auth else None, q=(q or "").strip() or None,
                                                    kind=kind, page=page, size=size)
    return AnnouncementPage(items=[AnnouncementOut.build(a) for a in items], total=total)


@router.get("/announcements/{announcement_id}", response_model=AnnouncementOut, summary="公告详情")
async def announcement(announcement_id: PydanticObjectId, auth: OptionalAuth) -> AnnouncementOut:
    return AnnouncementOut.build(await service.get_announcement(user=auth.user if auth else None,
                                                                announcement_id=announcement_id))


@router.post("/announcements", status_code=status.HTTP_201_CREATED, response_model=AnnouncementOut,
             summary="发布公告（系统管理员）")
async def create(data: AnnouncementIn, admin: SysAdmin) -> AnnouncementOut:
    return AnnouncementOut.build(await service.create_announcement(actor=admin, data=data))


@router.put("/announcements/{announcement_id}", response_model=AnnouncementOut, summary="修改公告（系统管理员）")
async def update(announcement_id: PydanticObjectId, data: AnnouncementIn, admin: SysAdmin) -> AnnouncementOut:
    return AnnouncementOut.build(await service.update_announcement(actor=admin, announcement_id=announcement_id,
                                                                   data=data))


@router.delete("/announcements/{announcement_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="撤回（删除）公告（系统管理员）")
async def withdraw(announcement_id: PydanticObjectId, admin: SysAdmin) -> None:
    await service.withdraw_announcement(actor=admin, announcement_id=announcement_id)
