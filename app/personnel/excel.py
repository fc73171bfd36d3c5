"""The personnel workbook: the template a unit downloads, the check of an uploaded one (pure: bytes in,
rows or every problem out) and the export. openpyxl, run in a threadpool by the service."""

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from app.accounts import validators
from app.personnel.enums import RECORD_STATUS_LABELS, RecordStatus

# (header, field): the template's columns in order; * marks the ones every row needs.
COLUMNS = (("姓名*", "name"), ("身份证号*", "id_number"), ("部门", "department"), ("学历", "education"),
           ("岗位", "post"), ("参加工作时间", "work_started_on"), ("进入本单位时间", "joined_on"),
           ("状态", "status"), ("职称系列", "series"), ("职称级别", "level"), ("职称名称", "title_name"),
           ("取得时间", "obtained_on"), ("发证机关", "issuing_body"), ("证书编号", "certificate_number"))
HEADERS = [h for h, _ in COLUMNS]
DATES = {"work_started_on", "joined_on", "obtained_on"}
STATUS_BY_LABEL = {label: status for status, label in RECORD_STATUS_LABELS.items()}
MAX_ROWS = 5000
SHEET = "人员信息"


@dataclass
class Problem:
    row: int              # the sheet's row number, as Excel shows it
    field: str
    message: str


@dataclass
class Parsed:
    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def template() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(HEADERS)
    sample = "37010219850315001"
    sample += validators.resident_id_check_char(sample)
    sheet.append(["张三", sample, "办公室", "大学本科", "馆员岗", "2008-07-01", "2010-03-01", "在岗",
                  "群众文化", "中级", "馆员", "2015-12-20", "济南市人社局", "2015J0001"])
    for i in range(len(HEADERS)):
        sheet.column_dimensions[chr(ord("A") + i)].width = 16
    return _bytes(book)


def export(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    return _bytes(book)


def _bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))


def parse(content: bytes, *, levels: dict[str, str], series: dict[str, str]) -> Parsed:
    """Every row checked, every problem named by row and column. levels/series: dictionary name → code."""
    result = Parsed()
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:       # openpyxl raises many kinds for a file that is not a workbook
        result.problems.append(Problem(0, "file", "文件不是有效的 Excel（.xlsx）工作簿"))
        return result
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [(_text(v) or "") for v in next(lines, ())]
    if header[:len(HEADERS)] != HEADERS:
        result.problems.append(Problem(1, "file", "表头与模板不一致，请下载模板后填写"))
        return result
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=2):
        values = {name: (line[i] if i < len(line) else None) for i, (_, name) in enumerate(COLUMNS)}
        if all(_text(v) is None for v in values.values()):
            continue
        if len(result.rows) + len(result.problems) >= MAX_ROWS:
            result.problems.append(Problem(number, "file", f"一次最多导入{MAX_ROWS}行"))
            break
        row, problems = _row(number, values, levels=levels, series=series)
        if row and (first := seen.get(row["id_number"])):
            problems.append(Problem(number, "id_number", f"身份证号与第{first}行重复"))
        if row:
            seen.setdefault(row["id_number"], number)
        result.problems += problems
        if not problems:
            result.rows.append(row)
    if not result.rows and not result.problems:
        result.problems.append(Problem(2, "file", "表中没有人员"))
    return result


def _row(number: int, values: dict, *, levels: dict[str, str], series: dict[str, str]) -> tuple[dict, list[Problem]]:
    problems: list[Problem] = []
    row: dict = {name: _text(values[name]) for _, name in COLUMNS if name not in DATES} | {"row": number}

    def bad(name: str, message: str) -> None:
        problems.append(Problem(number, name, message))

    if not row["name"]:
        bad("name", "姓名必填")
    try:
        row["id_number"] = validators.normalize_resident_id(row["id_number"] or "")
    except ValueError as exc:
        bad("id_number", str(exc) if row["id_number"] else "身份证号必填")
    for name in DATES:
        raw = values[name]
        try:
            row[name] = None if _text(raw) is None else _date(raw)
        except ValueError:
            bad(name, "日期格式不正确，应为 2020-01-31")
    status = row.pop("status")
    row["status"] = STATUS_BY_LABEL.get(status or "在岗")
    if row["status"] is None:
        bad("status", "状态应为在岗、离职或退休")
    if row["level"] or row["title_name"]:
        if row["level"] not in levels:
            bad("level", "职称级别应为员级、助理级、中级、副高级或正高级")
        else:
            row["level"] = levels[row["level"]]
        if not row["title_name"]:
            bad("title_name", "填写职称级别时须填写职称名称")
        if row["series"] and row["series"] not in series:
            bad("series", f"没有名为“{row['series']}”的职称系列")
        elif row["series"]:
            row["series"] = series[row["series"]]
    return row, problems


def status_label(status: RecordStatus) -> str:
    return RECORD_STATUS_LABELS[status]
