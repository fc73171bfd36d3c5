"""What the dossier works out instead of asking for it (pure): gender and birth date from a resident ID
number, 专业工作年限 and 聘任年限 from dates, and the achievements before and after the current title."""

import re
from datetime import date

from app.accounts.validators import birth_date_from_resident_id, gender_from_resident_id
from app.dossiers import sections as S


def identity_from_id(id_number: str | None) -> tuple[str, date] | None:
    """Gender and birth date a resident ID number carries (GB 11643); None for other kinds of ID."""
    if not id_number or not re.fullmatch(r"\d{17}[\dX]", id_number):
        return None
    try:
        return gender_from_resident_id(id_number), birth_date_from_resident_id(id_number)
    except ValueError:
        return None


def identity_problems(basic: S.Basic, id_number: str | None) -> list[tuple[str, str, str]]:
    """(field, code, message): for other IDs than the resident ID both are typed and required; a resident ID
    holder's are the number's (`with_identity` puts them in place of whatever a client sent)."""
    if identity_from_id(id_number) is not None:
        return []
    return [(f, "identity_required", f"请填写{label}") for f, label in (("gender", "性别"), ("birth_date", "出生日期"))
            if getattr(basic, f) is None]


def with_identity(basic: S.Basic, id_number: str | None) -> S.Basic:
    """The section as stored: gender and birth date from a resident ID number, as typed for other IDs."""
    derived = identity_from_id(id_number)
    if derived is None:
        return basic
    return basic.model_copy(update={"gender": derived[0], "birth_date": derived[1]})


def basic_as_read(basic: dict | None, id_number: str | None) -> dict | None:
    """The stored basic section as every reader gets it: a resident ID holder's gender and birth date are the
    number's, also in dossiers saved before they were derived (typed then, perhaps wrongly)."""
    derived = identity_from_id(id_number)
    if basic is None or derived is None:
        return basic
    return {**basic, "gender": derived[0], "birth_date": derived[1].isoformat()}


def _months(start: str, end: str) -> set[int]:
    """The months of start..end inclusive, as month indexes."""
    return set(range(S.month_index(start), S.month_index(end) + 1))


def profession_years(basic: dict, work_rows: list[dict], *, year: int) -> tuple[int | None, str]:
    """专业工作年限 (002 §8): full years of professional-technical work up to the end of the declaration year,
    interruptions left out. Returns (years, how): "computed" from the work-history rows that name their
    从事专业技术工作 (only those count, so gaps fall out); else "entered", the applicant's own figure; else
    "computed" from 从事专业技术工作时间 as one unbroken stretch; (None, "") when nothing says."""
    last = f"{year:04d}-12"
    months: set[int] = set()
    for row in work_rows:
        if row.get("technical_work") and row.get("start") and row["start"] <= last:
            months |= _months(row["start"], min(row.get("end") or last, last))
    if months:
        return len(months) // 12, "computed"
    if basic.get("profession_years") is not None:
        return basic["profession_years"], "entered"
    start = basic.get("profession_start")
    if start and start <= last:
        return len(_months(start, last)) // 12, "computed"
    return None, ""


def hired_span_years(hired_on: date | str, *, year: int) -> int:
    """Full years from the month of appointment to the end of the declaration year (002 §10: 2017年12月连续
    聘任至今, declared in 2022: 5)."""
    start = str(hired_on)[:7]
    last = f"{year:04d}-12"
    return len(_months(start, last)) // 12 if start <= last else 0


def hired_years(title: dict, *, year: int) -> tuple[int | None, str]:
    """聘任年限: "entered" when the applicant gave it (an interrupted appointment, which dates cannot show),
    else "computed" from the appointment date as one unbroken stretch; (None, "") when not appointed."""
    if title.get("hired_years") is not None:
        return title["hired_years"], "entered"
    if title.get("hired", True) and title.get("hired_on"):
        return hired_span_years(title["hired_on"], year=year), "computed"
    return None, ""


def split_by_title(rows: list[dict], obtained_on: date | str | None) -> tuple[list[dict], list[dict]]:
    """任职前 / 任职后 achievements (001 §4.1.1.8–9): those finished before the month the current title was
    obtained, and those from that month on. Without a title date every row is 任职后 (任现职以来)."""
    if not obtained_on:
        return [], list(rows)
    month = str(obtained_on)[:7]
    before: list[dict] = []
    after: list[dict] = []
    for row in rows:
        (before if (row.get("achieved_on") or "") < month else after).append(row)
    return before, after
