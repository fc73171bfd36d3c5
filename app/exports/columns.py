"""The columns the Excel tables may show: a key, the Chinese header, the fact it shows and how.

The facts are computed when a dossier is written (app.dossiers.rows.FACTS) and read from its small
row; here only what depends on the reader or on data that may change after that write is done:
dictionary names, batch and meeting names (ID numbers are masked per reader in exports.tables)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.clock import CHINA

# Dictionaries whose names the tables show instead of codes.
DICTIONARIES = ("series", "levels", "titles", "specialties", "declaration_modes", "education_levels", "degrees",
                "ethnicities", "politics")


@dataclass
class Context:
    """What every row needs besides its own facts, loaded once per export."""
    names: dict[str, dict[str, str]]                 # dictionary → code → name
    batches: dict[Any, str] = field(default_factory=dict)
    meetings: dict[Any, dict] = field(default_factory=dict)

    def name(self, dictionary: str, code: str | None) -> str | None:
        return self.names.get(dictionary, {}).get(code, code) if code else None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"          # text | date | month | datetime | int
    width: float = 14
    show: Callable[[Any, Context], Any] | None = None   # the fact as shown; the fact itself without it
    fact: str | None = None                               # the fact shown; the key without it

    @property
    def source(self) -> str:
        return self.fact or self.key

    def value(self, facts: dict, ctx: Context) -> Any:
        value = facts.get(self.source)
        return self.show(value, ctx) if self.show else value


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


def _named(dictionary: str) -> Callable[[Any, Context], Any]:
    return lambda code, c: c.name(dictionary, code)


def _meeting(key: str) -> Callable[[Any, Context], Any]:
    return lambda meeting_id, c: (c.meetings.get(meeting_id) or {}).get(key)


ALL: dict[str, Column] = {c.key: c for c in [
    Column("seq", "序号", "int", 6),        # the row number, set by the writer
    Column("name", "姓名", width=10),
    Column("gender", "性别", width=6),
    Column("birth_date", "出生日期", "date", 12),
    Column("id_number", "身份证号", width=21),      # masked or not per row and reader before (exports.tables)
    Column("ethnicity", "民族", width=8, show=_named("ethnicities")),
    Column("politics", "政治面貌", width=10, show=_named("politics")),
    Column("phone", "联系电话", width=13),
    Column("unit", "工作单位", width=28),
    Column("actual_unit", "实际工作单位", width=24),
    Column("work_start", "参加工作时间", "month", 12),
    Column("education", "学历", width=10, show=_named("education_levels")),
    Column("degree", "学位", width=8, show=_named("degrees")),
    Column("school", "毕业院校", width=20),
    Column("major", "所学专业", width=14),
    Column("graduated", "毕业时间", "month", 10),
    Column("current_title", "现专业技术资格", width=16),
    Column("current_title_on", "取得资格时间", "date", 12),
    Column("hired_on", "聘任时间", "date", 12),
    Column("series", "职称系列", show=_named("series")),
    Column("level", "申报级别", width=10, show=_named("levels")),
    Column("title", "申报职称", width=16, show=_named("titles")),
    Column("specialty", "专业", show=_named("specialties")),
    Column("mode", "申报方式", width=12, show=_named("declaration_modes")),
    Column("unit_rank", "单位推荐排序", width=10),
    Column("batch", "申报批次", width=24, fact="batch_id", show=lambda v, c: c.batches.get(v)),
    Column("year", "年度", "int", 8),
    Column("status", "状态", width=10),
    Column("submitted_at", "提交时间", "datetime", 17),
    Column("meeting", "评审会", width=24, fact="meeting_id", show=_meeting("name")),
    Column("held_on", "评审日期", "date", 12, fact="meeting_id", show=_meeting("held_on")),
    Column("members", "应到人数", "int", 8),
    Column("present", "实到人数", "int", 8),
    Column("yes", "同意", "int", 6),
    Column("no", "不同意", "int", 6),
    Column("abstain", "弃权", "int", 6),
    Column("result", "评审结果", width=9),
    Column("opinion_employer", "用人单位意见", width=36),
    Column("opinion_route", "各级审核意见", width=44),
    Column("opinion_committee", "评委会办事机构意见", width=36),
    Column("publicity", "公示意见", width=16),
    Column("certificate", "证书编号", width=18),
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
