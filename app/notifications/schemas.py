"""API input and output of the inbox and announcements."""

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from app.accounts.enums import ROLE_LABELS, Role
from app.accounts.schemas import Strict
from app.notifications.models import ANNOUNCEMENT_KIND_LABELS, Announcement, AnnouncementKind, InboxMessage


class InboxItemOut(BaseModel):
    id: str
    title: str
    body: str
    link: str | None
    category: str
    dossier_id: str | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def build(cls, m: InboxMessage) -> "InboxItemOut":
        return cls(id=str(m.id), title=m.title, body=m.body, link=m.link, category=m.category,
                   dossier_id=str(m.dossier_id) if m.dossier_id else None, created_at=m.created_at, read_at=m.read_at)


class InboxPage(BaseModel):
    items: list[InboxItemOut]
    total: int = Field(description="符合筛选条件的消息数")
    unread: int = Field(description="全部未读消息数")


class ReadAllOut(BaseModel):
    marked: int
    unread: int


class AnnouncementIn(Strict):
    title: str = Field(max_length=100)
    body: str = Field(max_length=20000, description="纯文本正文")
    kind: AnnouncementKind = Field(description="notice 公告通知 | policy 政策规范")
    audience: list[Role] = Field(default_factory=list, max_length=len(Role),
                                 description="可见角色；为空则所有人（含未登录）可见")
    pinned: bool = False

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value:
            raise ValueError("标题不能为空")
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        if not value:
            raise ValueError("正文不能为空")
        return value

    @field_validator("audience")
    @classmethod
    def _distinct(cls, value: list[Role]) -> list[Role]:
        return list(dict.fromkeys(value))


class AnnouncementOut(BaseModel):
    id: str
    title: str
    body: str
    kind: AnnouncementKind
    kind_label: str
    audience: list[Role]
    audience_labels: list[str]
    pinned: bool
    published_at: datetime
    updated_at: datetime | None

    @classmethod
    def build(cls, a: Announcement) -> "AnnouncementOut":
        return cls(id=str(a.id), title=a.title, body=a.body, kind=a.kind, kind_label=ANNOUNCEMENT_KIND_LABELS[a.kind],
                   audience=a.audience, audience_labels=[ROLE_LABELS[r] for r in a.audience], pinned=a.pinned,
                   published_at=a.published_at, updated_at=a.updated_at)


class AnnouncementPage(BaseModel):
    items: list[AnnouncementOut]
    total: int
