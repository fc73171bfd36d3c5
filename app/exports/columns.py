"""The columns the Excel tables may show: a key, the Chinese header, the fields it reads and how.

Values are computed from the raw MongoDB document of a projection (no model validation per row), so
a 10,000-row roster spends its time writing cells, not building objects. Fields other engineers are
still adding (votes, publicity, certificate, meeting) are read with defaults."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.accounts.enums import COMMITTEE_ROLES
from app.accounts.validators import mask_id_number
from app.clock import CHINA
from app.dossiers.enums import STATUS_LABELS
from app.routing.machine import ACTION_LABELS
from app.routing.models import OPINION_LABELS

# Dictionaries whose names the tables show instead of codes.
DICTIONARIES = ("series", "levels", "titles", "specialties", "declaration_modes", "education_levels", "degrees",
                "ethnicities", "politics")


@dataclass
class Context:
    """What every row needs besides its own document, loaded once per export."""
    names: dict[str, dict[str, str]]                 # dictionary → code → name
    batches: dict[Any, str] = field(default_factory=dict)
    meetings: dict[Any, dict] = field(default_factory=dict)
    reveal: bool = False

    def name(self, dictionary: str, code: str | None) -> str | None:
        return self.names.get(dictionary, {}).get(code, code) if code else None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    fields: tuple[str, ...]
    value: Callable[[dict, Context], Any]
    kind: str = "text"          # text | date | month | datetime | int
    width: float = 14


def _get(doc: dict, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def as_date(value: Any) -> date | datetime | None:
    """Stored dates are ISO strings in sections and BSON datetimes (UTC) elsewhere; Excel wants naive local."""
    if isinstance(value, datetime):
        return value.astimezone(CHINA).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value if len(value) > 7 else value + "-01")
        except ValueError:
            return None
    return value if isinstance(value, date) else None


def _highest_education(doc: dict) -> dict:
    rows = _get(doc, "sections.education.rows") or []
    return next((r for r in rows if r.get("highest")), None) or next((r for r in rows if r.get("qualifying")),
                                                                     None) or (rows[-1] if rows else {})


def _opinions(doc: dict, ctx: Context, stage: str) -> str | None:
    """Every stage's opinion from the trail, one line per entry: who, what, the opinion, signer and date."""
    employer = _get(doc, "declaration.employer_unit_id")
    lines = []
    for entry in doc.get("trail") or []:
        committee = entry.get("role") in COMMITTEE_ROLES
        if entry.get("role") == "applicant" or (stage == "committee") != committee:
            continue
        if not committee and (stage == "employer") != (entry.get("unit_id") == employer):
            continue
        if not entry.get("opinion") and entry.get("action") not in ("pass", "report", "accept"):
            continue
        signed = (entry.get("detail") or {}).get("signed_on") or (as_date(entry.get("at")) or "")
        signed = signed.strftime("%Y-%m-%d") if isinstance(signed, (date, datetime)) else signed
        head = f"{entry.get('unit_name') or ''}{ACTION_LABELS.get(entry.get('action'), entry.get('action'))}"
        tail = "，".join(p for p in (entry.get("signer"), signed) if p)
        lines.append(f"{head}：{entry.get('opinion') or '同意'}" + (f"（{tail}）" if tail else ""))
    return "\n".join(lines) or None


def _vote(key: str) -> Callable[[dict, Context], Any]:
    return lambda d, c: _get(d, f"votes.{key}")


def _result(doc: dict, ctx: Context) -> str | None:
    passed = _get(doc, "votes.passed")
    return None if passed is None else ("通过" if passed else "未通过")


def _publicity(doc: dict, ctx: Context) -> str | None:
    opinion = _get(doc, "publicity.opinion")
    if not opinion:
        return None
    text = OPINION_LABELS.get(opinion.get("opinion"), opinion.get("opinion"))
    return f"{text}：{opinion['reason']}" if opinion.get("reason") else text


def _meeting(key: str) -> Callable[[dict, Context], Any]:
    return lambda d, c: (c.meetings.get(d.get("meeting_id") or _get(d, "votes.meeting_id")) or {}).get(key)


ALL: dict[str, Column] = {c.key: c for c in [
    Column("seq", "序号", (), lambda d, c: d.get("_seq"), "int", 6),    # the row number, set by the writer
    Column("name", "姓名", ("applicant_name",), lambda d, c: d.get("applicant_name"), width=10),
    Column("gender", "性别", ("sections.basic",), lambda d, c: _get(d, "sections.basic.gender"), width=6),
    Column("birth_date", "出生日期", ("sections.basic",), lambda d, c: _get(d, "sections.basic.birth_date"), "date",
           12),
    Column("id_number", "身份证号", ("id_number",),
           lambda d, c: d.get("id_number") if c.reveal else mask_id_number(d.get("id_number")), width=21),
    Column("ethnicity", "民族", ("sections.basic",),
           lambda d, c: c.name("ethnicities", _get(d, "sections.basic.ethnicity")), width=8),
    Column("politics", "政治面貌", ("sections.basic",),
           lambda d, c: c.name("politics", _get(d, "sections.basic.politics")), width=10),
    Column("phone", "联系电话", ("sections.basic",), lambda d, c: _get(d, "sections.basic.phone"), width=13),
    Column("unit", "工作单位", ("declaration.employer_unit_name",),
           lambda d, c: _get(d, "declaration.employer_unit_name"), width=28),
    Column("actual_unit", "实际工作单位", ("declaration.actual_unit_name",),
           lambda d, c: _get(d, "declaration.actual_unit_name"), width=24),
    Column("work_start", "参加工作时间", ("sections.basic",), lambda d, c: _get(d, "sections.basic.work_start"),
           "month", 12),
    Column("education", "学历", ("sections.education",),
           lambda d, c: c.name("education_levels", _highest_education(d).get("education_level")), width=10),
    Column("degree", "学位", ("sections.education",),
           lambda d, c: c.name("degrees", _highest_education(d).get("degree")), width=8),
    Column("school", "毕业院校", ("sections.education",), lambda d, c: _highest_education(d).get("school"), width=20),
    Column("major", "所学专业", ("sections.education",), lambda d, c: _highest_education(d).get("major"), width=14),
    Column("graduated", "毕业时间", ("sections.education",), lambda d, c: _highest_education(d).get("end"), "month",
           10),
    Column("current_title", "现专业技术资格", ("sections.current_title",),
           lambda d, c: _get(d, "sections.current_title.title_name"), width=16),
    Column("current_title_on", "取得资格时间", ("sections.current_title",),
           lambda d, c: _get(d, "sections.current_title.obtained_on"), "date", 12),
    Column("hired_on", "聘任时间", ("sections.current_title",),
           lambda d, c: _get(d, "sections.current_title.hired_on"), "date", 12),
    Column("series", "职称系列", ("declaration.series",), lambda d, c: c.name("series", _get(d, "declaration.series"))),
    Column("level", "申报级别", ("declaration.level",), lambda d, c: c.name("levels", _get(d, "declaration.level")),
           width=10),
    Column("title", "申报职称", ("declaration.title",), lambda d, c: c.name("titles", _get(d, "declaration.title")),
           width=16),
    Column("specialty", "专业", ("declaration.specialty",),
           lambda d, c: c.name("specialties", _get(d, "declaration.specialty"))),
    Column("mode", "申报方式", ("declaration.mode",),
           lambda d, c: c.name("declaration_modes", _get(d, "declaration.mode")), width=12),
    Column("unit_rank", "单位推荐排序", ("declaration.unit_rank",), lambda d, c: _get(d, "declaration.unit_rank"),
           width=10),
    Column("batch", "申报批次", ("batch_id",), lambda d, c: c.batches.get(d.get("batch_id")), width=24),
    Column("year", "年度", ("year",), lambda d, c: d.get("year"), "int", 8),
    Column("status", "状态", ("status",), lambda d, c: STATUS_LABELS.get(d.get("status"), d.get("status")), width=10),
    Column("submitted_at", "提交时间", ("submitted_at",), lambda d, c: d.get("submitted_at"), "datetime", 17),
    Column("meeting", "评审会", ("meeting_id", "votes.meeting_id"), _meeting("name"), width=24),
    Column("held_on", "评审日期", ("meeting_id", "votes.meeting_id"), _meeting("held_on"), "date", 12),
    Column("members", "应到人数", ("votes.eligible",), _vote("eligible"), "int", 8),
    Column("present", "实到人数", ("votes.present",), _vote("present"), "int", 8),
    Column("yes", "同意", ("votes.yes",), _vote("yes"), "int", 6),
    Column("no", "不同意", ("votes.no",), _vote("no"), "int", 6),
    Column("abstain", "弃权", ("votes.abstain",), _vote("abstain"), "int", 6),
    Column("result", "评审结果", ("votes.passed",), _result, width=9),
    Column("opinion_employer", "用人单位意见", ("trail", "declaration.employer_unit_id"),
           lambda d, c: _opinions(d, c, "employer"), width=36),
    Column("opinion_route", "各级审核意见", ("trail", "declaration.employer_unit_id"),
           lambda d, c: _opinions(d, c, "route"), width=44),
    Column("opinion_committee", "评委会办事机构意见", ("trail",), lambda d, c: _opinions(d, c, "committee"), width=36),
    Column("publicity", "公示意见", ("publicity.opinion",), _publicity, width=16),
    Column("certificate", "证书编号", ("certificate.number",), lambda d, c: _get(d, "certificate.number"), width=18),
]}

_PERSON = ["seq", "name", "gender", "birth_date", "id_number", "ethnicity", "politics", "phone", "unit",
           "actual_unit", "work_start", "education", "degree", "school", "major", "graduated", "current_title",
           "current_title_on", "hired_on", "series", "level", "title", "specialty", "mode", "unit_rank", "batch",
           "year", "status", "submitted_at"]
_RESULTS = ["meeting", "held_on", "members", "present", "yes", "no", "abstain", "result", "opinion_employer",
            "opinion_route", "opinion_committee", "publicity", "certificate"]


@dataclass(frozen=True)
class Table:
    title: str
    allowed: list[str]
    default: list[str]


TABLES = {
    "overview": Table("一览表", _PERSON, ["seq", "name", "gender", "birth_date", "id_number", "unit", "education",
                                         "school", "major", "current_title", "current_title_on", "series", "level",
                                         "title", "specialty", "mode", "status", "submitted_at"]),
    "roster": Table("花名册", _PERSON + ["certificate"], ["seq", "name", "gender", "birth_date", "id_number", "unit",
                                                         "title", "specialty", "level", "status"]),
    "results": Table("评审结果花名册", _PERSON + _RESULTS,
                     ["seq", "name", "gender", "id_number", "unit", "title", "specialty", "meeting", "held_on",
                      "members", "present", "yes", "no", "abstain", "result", "opinion_employer", "opinion_route",
                      "opinion_committee", "publicity", "certificate"]),
}
