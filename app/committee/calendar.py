"""Working days for publicity periods: Monday to Friday, except the holidays and make-up workdays the
State Council announces each year, kept as data in the "calendar" dictionary (code = YYYY-MM-DD,
extra.workday = false for a day off, true for a weekend worked)."""

from datetime import date, timedelta

from app.catalog.models import DictionaryEntry
from app.clock import CHINA, utcnow

LOOKAHEAD = timedelta(days=200)     # 30 working days never span more, even across Spring Festival


def china_today() -> date:
    return utcnow().astimezone(CHINA).date()


async def exceptions(start: date, end: date) -> dict[date, bool]:
    """The calendar's days between start and end (inclusive): date → is it a working day."""
    found = await DictionaryEntry.find({"dictionary": "calendar", "enabled": True,
                                        "code": {"$gte": start.isoformat(), "$lte": end.isoformat()}}).to_list()
    return {date.fromisoformat(e.code): bool(e.extra.get("workday")) for e in found}


def is_workday(day: date, known: dict[date, bool]) -> bool:
    return known.get(day, day.weekday() < 5)


async def working_period(start: date, days: int) -> tuple[date, date]:
    """(first working day on or after start, the days-th working day counting that one)."""
    known = await exceptions(start, start + LOOKAHEAD)
    day, first, counted = start, None, 0
    while True:
        if is_workday(day, known):
            first = first or day
            counted += 1
            if counted == days:
                return first, day
        day += timedelta(days=1)
