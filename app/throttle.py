"""Attempts (or failed attempts) counted per key (e.g. a client address) in fixed windows, in the database so that
every app process sees the same count; expired windows are removed by a TTL index."""

import math
from datetime import datetime, timedelta

from beanie import Document
from pymongo import ASCENDING, IndexModel, ReturnDocument

from app.clock import utcnow
from app.errors import TooManyRequests


class FailureWindow(Document):
    id: str                         # "{key}@{window number}"
    failures: int = 0
    expires_at: datetime

    class Settings:
        name = "failure_windows"
        indexes = [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)]


def _window(key: str, window: timedelta) -> tuple[str, datetime]:
    seconds = window.total_seconds()
    number = math.floor(utcnow().timestamp() / seconds)
    return f"{key}@{number}", datetime.fromtimestamp((number + 1) * seconds, tz=utcnow().tzinfo)


async def refuse_when_exhausted(key: str, *, limit: int, window: timedelta, doing: str) -> None:
    """429 once `limit` failures were noted in the current window, naming the wait."""
    window_id, ends = _window(key, window)
    held = await FailureWindow.get_pymongo_collection().find_one({"_id": window_id}, {"failures": 1})
    if held and held["failures"] >= limit:
        wait = max(1, math.ceil((ends - utcnow()).total_seconds() / 60))
        raise TooManyRequests(f"{doing}失败次数过多，请{wait}分钟后再试", code="rate_limited", retry_after=wait * 60)


async def note_failure(key: str, *, window: timedelta) -> None:
    window_id, ends = _window(key, window)
    await FailureWindow.get_pymongo_collection().update_one(
        {"_id": window_id}, {"$inc": {"failures": 1}, "$setOnInsert": {"expires_at": ends}}, upsert=True)


async def take(key: str, *, limit: int, window: timedelta, doing: str) -> None:
    """Counts one attempt (successful or not) and refuses with 429 past `limit` in the current window.
    One atomic increment: parallel attempts cannot all slip in under the limit."""
    window_id, ends = _window(key, window)
    held = await FailureWindow.get_pymongo_collection().find_one_and_update(
        {"_id": window_id}, {"$inc": {"failures": 1}, "$setOnInsert": {"expires_at": ends}}, upsert=True,
        return_document=ReturnDocument.AFTER)
    if held["failures"] > limit:
        wait = max(1, math.ceil((ends - utcnow()).total_seconds() / 60))
        raise TooManyRequests(f"{doing}过于频繁，请{wait}分钟后再试", code="rate_limited", retry_after=wait * 60)
