"""One clock for the whole service, so tests can move time instead of sleeping."""

from datetime import datetime, timedelta, timezone

_offset = timedelta()


def utcnow() -> datetime:
    return datetime.now(timezone.utc) + _offset


def advance(seconds: float) -> None:
    """Moves the service's clock forward (tests only)."""
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    _offset = timedelta()


CHINA = timezone(timedelta(hours=8), "CST")


def local_text(moment: datetime) -> str:
    """A moment as people in China read it: 2026-11-22 16:05."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
