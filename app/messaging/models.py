from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.clock import utcnow


class OutboxMessage(Document):
    channel: str            # sms | email
    to: str
    subject: str
    body: str
    user_id: PydanticObjectId | None = None
    created_at: datetime = Field(default_factory=utcnow)
    delivered: bool = False

    class Settings:
        name = "outbox"
        indexes = [IndexModel([("to", ASCENDING), ("created_at", DESCENDING)])]
