"""Beanie documents of notifications: inbox messages and announcements."""

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.accounts.enums import Role
from app.clock import utcnow


class InboxMessage(Document):
    """One message in one person's in-app inbox (站内消息)."""
    user_id: PydanticObjectId
    title: str
    body: str
    link: str | None = None                    # in-app URL, e.g. /dossiers/{id}/track
    category: str = "dossier"                  # dossier | account | system
    dossier_id: PydanticObjectId | None = None
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None

    class Settings:
        name = "inbox"
        indexes = [
            # The unread list and count; the second serves the full list, newest first.
            IndexModel([("user_id", ASCENDING), ("read_at", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)]),
        ]


class AnnouncementKind(StrEnum):
    notice = "notice"      # 公告通知
    policy = "policy"      # 政策规范


ANNOUNCEMENT_KIND_LABELS = {AnnouncementKind.notice: "公告通知", AnnouncementKind.policy: "政策规范"}


class Announcement(Document):
    """A notice or policy text for the roles in `audience`; an empty audience means everyone, even anonymous."""
    title: str
    body: str                                  # plain text
    kind: AnnouncementKind
    audience: list[Role] = Field(default_factory=list)
    pinned: bool = False
    published_at: datetime = Field(default_factory=utcnow)
    created_by: PydanticObjectId
    updated_at: datetime | None = None
    updated_by: PydanticObjectId | None = None

    class Settings:
        name = "announcements"
        indexes = [IndexModel([("pinned", DESCENDING), ("published_at", DESCENDING)]),
                   IndexModel([("audience", ASCENDING)]),
                   IndexModel([("kind", ASCENDING), ("pinned", DESCENDING), ("published_at", DESCENDING)])]
