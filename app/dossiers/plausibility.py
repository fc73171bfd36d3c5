"""Whether a dossier's dates can be true (pure): a degree before the age anyone earns it, work before the
legal working age of 16, dates in the future or before birth, a title before the work or the graduation it
needs, the current title before the one it followed.

Each finding names its section, the field as a save's error names it (rows.N.field for list sections) and
the row in its Chinese message. Errors are impossibilities: the save of that section is refused with them
and completeness lists them (submission waits). Warnings are unusual but possible: they go to the reviewer
as flags on the review page. Sections are read as stored (dates as ISO strings); nothing here touches the
database."""

from dataclasses import dataclass
from datetime import date
from typing import Any

ERROR, WARNING = "error", "warning"

# The section labels the messages use (app.dossiers.sections.SECTIONS, repeated to keep this module leaf).
LABELS = {"basic": "基本信息", "education": "学历信息", "current_title": "现专业技术资格及聘任",
          "previous_titles": "改系列前专业技术资格", "qualifications": "从业资格", "admin_posts": "行政职务",
          "assessments": "年度考核", "training": "继续教育", "work_history": "工作经历", "achievements": "专业技术工作业绩",
          "papers": "论文著作", "exams": "考试成绩", "awards": "奖惩情况", "societies": "学术团体及社会兼职",
          "probation": "见习期工作情况", "original_certificate": "原专业技术资格证书"}

# (section, field, label, severity of a date after today): the dates a dossier states. A finished period's
# end, a paper's 发表时间 (录用待刊) may lie ahead; a work-history start in the future is refused by
# sections.work_history_problems already.
DATES: list[tuple[str, str, str, str | None]] = [
    ("basic", "work_start", "参加工作时间", ERROR),
    ("basic", "profession_start", "从事专业技术工作时间", ERROR),
    ("education", "start", "入学年月", ERROR),
    ("education", "end", "毕业年月", ERROR),
    ("work_history", "start", "开始年月", None),
    ("work_history", "end", "结束年月", WARNING),
    ("current_title", "obtained_on", "取得资格时间", ERROR),
    ("current_title", "hired_on", "聘任时间", ERROR),
    ("previous_titles", "obtained_on", "取得资格时间", ERROR),
    ("previous_titles", "hired_on", "聘任时间", ERROR),
    ("qualifications", "obtained_on", "取得时间", ERROR),
    ("admin_posts", "start", "任职开始年月", ERROR),
    ("admin_posts", "end", "任职结束年月", WARNING),
    ("training", "start", "开始年月", ERROR),
    ("training", "end", "结束年月", WARNING),
    ("achievements", "achieved_on", "完成时间", ERROR),
    ("papers", "published_on", "发表时间", WARNING),
    ("exams", "taken_on", "考试时间", ERROR),
    ("awards", "awarded_on", "时间", ERROR),
    ("societies", "start", "开始年月", ERROR),
    ("probation", "start", "开始年月", ERROR),
    ("probation", "end", "结束年月", WARNING),
    ("original_certificate", "issued_on", "发证日期", ERROR),
]

# education_levels code → (name, age below which graduating is impossible, age below which it is unusual).
GRADUATION_AGES: dict[str, tuple[str, int, int]] = {
    "11": ("博士研究生", 20, 25), "14": ("硕士研究生", 18, 22), "21": ("大学本科", 16, 19),
    "31": ("大学专科", 16, 18), "41": ("中等专科", 14, 16), "61": ("高中", 14, 16),
}
OTHER_GRADUATION_AGES = ("学历", 14, 14)
WORKING_AGE = 16        # 劳动法: no employment under 16
TITLE_AGE = 18          # no title is obtained younger (a 中专 graduate's 初定 comes after a year of work)
WORK_NEEDING_TITLES = ("评审", "初定")      # obtained by review or 初定: only after professional work
DEGREE_NEEDING_TITLES = ("初定",)          # 初定 is by one's degree: only after graduating


@dataclass(frozen=True)
class Finding:
    section: str
    field: str          # rows.N.field in list sections, the field in the others
    code: str
    message: str        # Chinese, naming the section and row
    severity: str       # ERROR | WARNING

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "field": self.field}


def _month(value: Any) -> str | None:
    """YYYY-MM of a stored month or date (ISO string or date); None when absent or unreadable."""
    text = value.isoformat() if isinstance(value, date) else value
    return text[:7] if isinstance(text, str) and len(text) >= 7 and text[4] == "-" else None


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _age_below(month: str, birth: str | None, years: int) -> bool:
    """Whether someone born in `birth` (YYYY-MM) was under `years` in `month` (whole months counted)."""
    return birth is not None and _index(month) - _index(birth) < years * 12


def _records(sections: dict[str, Any], name: str) -> list[tuple[str, str, dict]]:
    """(field prefix, how the message names it, the record) of a section: one per row, or the section."""
    value = sections.get(name)
    if not isinstance(value, dict):
        return []
    label = LABELS.get(name, name)
    if "rows" in value:
        return [(f"rows.{i}.", f"{label}第{i + 1}项", row) for i, row in enumerate(value["rows"] or [])]
    return [("", label, value)]


def birth_month(sections: dict[str, Any], derived_birth: date | None) -> str | None:
    """The birth month: the ID number's (derived) for a resident ID, else as typed in the basic section."""
    return _month(derived_birth) or _month((sections.get("basic") or {}).get("birth_date"))


def findings(sections: dict[str, Any], *, birth: str | None, today: date) -> list[Finding]:
    """Every finding of the dossier's sections as stored; birth: YYYY-MM (birth_month) or None."""
    found: list[Finding] = []
    now = f"{today.year:04d}-{today.month:02d}"
    for name, field, what, future in DATES:
        for prefix, where, record in _records(sections, name):
            month = _month(record.get(field))
            if month is None:
                continue
            if future and month > now:
                found.append(Finding(name, prefix + field, "date_in_future",
                                     f"{where}：{what} {month} 晚于当前年月 {now}", future))
            if birth and month < birth:
                found.append(Finding(name, prefix + field, "date_before_birth",
                                     f"{where}：{what} {month} 早于出生年月 {birth}", ERROR))
    found += _working_age(sections, birth)
    found += _education(sections, birth)
    found += _titles(sections, birth)
    found += _assessments(sections, today)
    return found


def for_section(name: str, sections: dict[str, Any], *, birth: str | None, today: date) -> list[Finding]:
    """The findings a save of this section answers for (the rest show at completeness)."""
    return [f for f in findings(sections, birth=birth, today=today) if f.section == name]


def _working_age(sections: dict[str, Any], birth: str | None) -> list[Finding]:
    found = []
    checks = [("basic", "work_start", "参加工作时间"), ("basic", "profession_start", "从事专业技术工作时间"),
              ("work_history", "start", "开始年月")]
    for name, field, what in checks:
        for prefix, where, record in _records(sections, name):
            month = _month(record.get(field))
            if month and month >= (birth or "") and _age_below(month, birth, WORKING_AGE):
                found.append(Finding(name, prefix + field, "work_before_16",
                                     f"{where}：{what} {month} 时申报人不满{WORKING_AGE}周岁（出生于{birth}）", ERROR))
    for name, field, what in (("achievements", "achieved_on", "完成时间"), ("papers", "published_on", "发表时间")):
        for prefix, where, record in _records(sections, name):
            month = _month(record.get(field))
            if month and month >= (birth or "") and _age_below(month, birth, WORKING_AGE):
                found.append(Finding(name, prefix + field, "young_achievement",
                                     f"{where}：{what} {month} 时申报人不满{WORKING_AGE}周岁，请核实", WARNING))
    return found


def _education(sections: dict[str, Any], birth: str | None) -> list[Finding]:
    found = []
    graduated: list[tuple[int, str, str, str, str]] = []    # (order, month, where, level name, prefix) per row
    for prefix, where, record in _records(sections, "education"):
        month = _month(record.get("end"))
        if month is None:
            continue
        level, impossible, unusual = GRADUATION_AGES.get(record.get("education_level"), OTHER_GRADUATION_AGES)
        order = list(GRADUATION_AGES).index(record["education_level"]) if level != OTHER_GRADUATION_AGES[0] \
            else len(GRADUATION_AGES)
        graduated.append((order, month, where, level, prefix))
        if month < (birth or ""):
            continue        # before birth: reported as such
        if _age_below(month, birth, impossible):
            found.append(Finding("education", prefix + "end", "degree_too_young",
                                 f"{where}：{level}毕业（{month}）时申报人不满{impossible}周岁（出生于{birth}），请核对毕业年月",
                                 ERROR))
        elif _age_below(month, birth, unusual):
            found.append(Finding("education", prefix + "end", "degree_young",
                                 f"{where}：{level}毕业（{month}）时申报人不满{unusual}周岁，请核实", WARNING))
    # a higher level (smaller index) graduated before a lower one: possible (同等学力), unusual
    for higher in graduated:
        for lower in graduated:
            if higher[0] < lower[0] and higher[1] < lower[1]:
                found.append(Finding("education", higher[4] + "end", "degree_order",
                                     f"{higher[2]}：{higher[3]}毕业（{higher[1]}）早于{lower[2]}的{lower[3]}毕业（{lower[1]}），请核实",
                                     WARNING))
    return found


def _titles(sections: dict[str, Any], birth: str | None) -> list[Finding]:
    found = []
    basic = sections.get("basic") or {}
    work_start = _month(basic.get("work_start"))
    ends = [m for m in (_month(r.get("end")) for _, _, r in _records(sections, "education")) if m]
    first_graduation = min(ends) if ends else None
    for name in ("current_title", "previous_titles"):
        for prefix, where, record in _records(sections, name):
            month = _month(record.get("obtained_on"))
            if month is None or month < (birth or ""):
                continue
            field = prefix + "obtained_on"
            if _age_below(month, birth, TITLE_AGE):
                found.append(Finding(name, field, "title_too_young",
                                     f"{where}：取得资格时间 {month} 时申报人不满{TITLE_AGE}周岁（出生于{birth}）", ERROR))
            how = (record.get("obtained_by") or "").strip()
            if work_start and month < work_start:
                severity = ERROR if how in WORK_NEEDING_TITLES else WARNING
                found.append(Finding(name, field, "title_before_work",
                                     f"{where}：取得资格时间 {month} 早于参加工作时间 {work_start}"
                                     + ("（评审、初定取得的资格须有专业技术工作经历）" if severity == ERROR else "，请核实"),
                                     severity))
            if first_graduation and month < first_graduation:
                severity = ERROR if how in DEGREE_NEEDING_TITLES else WARNING
                found.append(Finding(name, field, "title_before_degree",
                                     f"{where}：取得资格时间 {month} 早于最早的毕业年月 {first_graduation}"
                                     + ("（初定以毕业后的学历为依据）" if severity == ERROR else "，请核实"), severity))
    current = _month((sections.get("current_title") or {}).get("obtained_on"))
    if current:
        for prefix, where, record in _records(sections, "previous_titles"):
            month = _month(record.get("obtained_on"))
            if month and month > current:
                found.append(Finding("previous_titles", prefix + "obtained_on", "previous_after_current",
                                     f"{where}：改系列前的资格取得于 {month}，晚于现专业技术资格的取得时间 {current}", ERROR))
    return found


def _assessments(sections: dict[str, Any], today: date) -> list[Finding]:
    found = []
    work_start = _month((sections.get("basic") or {}).get("work_start"))
    for prefix, where, record in _records(sections, "assessments"):
        year = record.get("year")
        if not isinstance(year, int):
            continue
        if year > today.year:
            found.append(Finding("assessments", prefix + "year", "date_in_future",
                                 f"{where}：考核年度 {year} 晚于当前年度 {today.year}", ERROR))
        elif work_start and year < int(work_start[:4]):
            found.append(Finding("assessments", prefix + "year", "assessment_before_work",
                                 f"{where}：考核年度 {year} 早于参加工作时间 {work_start}", ERROR))
    return found
