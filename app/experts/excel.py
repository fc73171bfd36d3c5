"""The library as a spreadsheet (the offices keep their experts in Excel): a template, an export and an
import that checks the whole file first and stores nothing unless every row passes, naming each bad row
and column. openpyxl runs off the event loop."""

import io
from datetime import date, datetime

from beanie import PydanticObjectId
from openpyxl import Workbook, load_workbook
from pydantic import ValidationError
from pymongo.errors import BulkWriteError
from starlette.concurrency import run_in_threadpool

from app.accounts.audit import ClientInfo
from app.accounts import audit
from app.accounts.enums import AuditKind
from app.accounts.models import User
from app.errors import AppError, Conflict, ValidationFailed
from app.experts import service
from app.experts.models import Expert
from app.experts.schemas import ExpertIn, mask_id

MAX_ROWS = 2000
# (column header, field, how a cell becomes the field's value in ExpertIn)
COLUMNS = [("姓名", "name"), ("身份证号", "id_number"), ("工作单位", "unit_name"), ("地区代码", "region_code"),
           ("系列", "series"), ("专业", "specialties"), ("职称", "title"), ("级别", "level"), ("联系电话", "phone"),
           ("电子邮箱", "email"), ("聘期开始", "term_start"), ("聘期结束", "term_end"),
           ("曾任单位", "former_units"), ("近亲属", "relatives"), ("合作者", "coauthors")]
HEADERS = [h for h, _ in COLUMNS]
LABELS = dict((f, h) for h, f in COLUMNS)
EXAMPLE = ["赵文华", "370102198503150012", "济南市群众艺术馆", "370100", "群众文化", "群众文化", "研究馆员", "正高级",
           "13800000000", "", "2026-01-01", "2028-12-31", "济南市文化馆|2019-01-01|2022-06-30", "赵小华|子女|",
           "钱明远；孙雅琴"]
NOTE = ("填写说明：系列、专业、级别可填字典名称或代码；多个专业、合作者用“；”分隔；曾任单位每项为“单位|开始日期|结束日期”，"
        "近亲属每项为“姓名|关系|身份证号（可空）”，多项用“；”分隔；聘期不超过3年。")


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.replace(";", "；").split("；") if p.strip()]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parts(item: str, n: int) -> list[str | None]:
    parts = [p.strip() or None for p in item.split("|")]
    return (parts + [None] * n)[:n]


def row_data(cells: dict[str, str]) -> dict:
    """A sheet row as ExpertIn's input: lists split, empty cells left out so their own defaults apply."""
    data: dict = {}
    for field, text in cells.items():
        if not text:
            continue
        if field in ("specialties", "coauthors"):
            data[field] = _split(text)
        elif field == "former_units":
            data[field] = [dict(zip(("unit_name", "start", "end"), _parts(i, 3))) for i in _split(text)]
        elif field == "relatives":
            data[field] = [dict(zip(("name", "relation", "id_number"), _parts(i, 3))) for i in _split(text)]
        else:
            data[field] = text
    return data


def _read(content: bytes) -> list[dict[str, str]]:
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except Exception:
        raise ValidationFailed("文件不是有效的 Excel（.xlsx）文件", field="file", code="bad_file") from None
    rows = sheet.iter_rows(values_only=True)
    header = [_cell(v) for v in next(rows, ())]
    if missing := [h for h in HEADERS if h not in header]:
        raise ValidationFailed(f"表头缺少：{'、'.join(missing)}（请使用下载的模板）", field="file", code="bad_header")
    at = {h: header.index(h) for h in HEADERS}
    found = []
    for values in rows:
        cells = {f: _cell(values[at[h]]) if at[h] < len(values) else "" for h, f in COLUMNS}
        if any(cells.values()) and not cells["name"].startswith("填写说明"):
            found.append(cells)
        if len(found) > MAX_ROWS:
            raise ValidationFailed(f"一次最多导入{MAX_ROWS}名专家", field="file", code="too_many_rows")
    return found


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else "row"
        message = e["msg"].removeprefix("Value error, ")
        out.append((field, message))
    return out


async def import_file(*, actor: User, content: bytes, keeper_unit_id, client: ClientInfo) -> int:
    """All rows or none: every row is checked (fields, dictionary codes, duplicates in the file and in the
    library) before the first is stored; one error lists every bad row and column."""
    keeper = service.keeper_for(actor, keeper_unit_id)
    rows = await run_in_threadpool(_read, content)
    if not rows:
        raise ValidationFailed("文件中没有专家", field="file", code="empty_file")
    maps = {d: await service.code_map(d) for d in ("series", "levels", "specialties")}
    errors: list[dict] = []
    good: list[ExpertIn] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        def bad(field: str, message: str) -> None:
            errors.append({"row": number, "field": field, "column": LABELS.get(field, field), "message": message})
        try:
            data = await service.normalise_codes(ExpertIn.model_validate(row_data(cells)), maps)
        except ValidationError as exc:
            for field, message in _problems(exc):
                bad(field, message)
            continue
        except AppError as exc:
            bad(exc.field or "row", exc.message)
            continue
        if data.id_number in seen:
            bad("id_number", f"与第{seen[data.id_number]}行身份证号重复")
            continue
        seen[data.id_number] = number
        if await Expert.find_one({"keeper_unit_id": keeper, "id_number": data.id_number}):
            bad("id_number", "专家库中已有该身份证号的专家")
            continue
        good.append(data)
    if errors:
        first = errors[0]
        raise ValidationFailed(f"共{len(errors)}处错误，未导入任何专家；第{first['row']}行{first['column']}：{first['message']}",
                               field="file", code="import_invalid", errors=errors)
    experts = [Expert(id=PydanticObjectId(), keeper_unit_id=keeper, **service.fields_of(d), user_id=await service.linked_user(d.id_number))
               for d in good]
    try:
        await Expert.insert_many(experts)
    except BulkWriteError:            # another import or edit took an ID number meanwhile: undo this one whole
        await Expert.get_pymongo_collection().delete_many({"_id": {"$in": [e.id for e in experts]}})
        raise Conflict("导入期间专家库已有相同身份证号的专家，未导入任何专家，请重试", field="file", code="expert_exists") from None
    await audit.record(AuditKind.expert_changed, client=client, actor=actor, unit_id=keeper, change="imported",
                       count=len(experts))
    return len(experts)


def _workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "专家库"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    for column, width in zip("ABCDEFGHIJKLMNO", (10, 22, 28, 10, 12, 20, 14, 8, 14, 20, 12, 12, 36, 24, 24)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def template() -> bytes:
    return await run_in_threadpool(_workbook, [EXAMPLE, [NOTE]])


def _export_row(e: Expert) -> list[str]:
    return [e.name, mask_id(e.id_number), e.unit_name, e.region_code, e.series, "；".join(e.specialties), e.title,
            e.level, e.phone, e.email or "", e.term_start.isoformat(), e.term_end.isoformat(),
            "；".join(f"{u.unit_name}|{u.start or ''}|{u.end or ''}" for u in e.former_units),
            "；".join(f"{r.name}|{r.relation or ''}|{mask_id(r.id_number) if r.id_number else ''}" for r in e.relatives),
            "；".join(e.coauthors)]


async def export(actor: User) -> bytes:
    """The actor's library, ID numbers masked (the export leaves the office; the record page shows them whole)."""
    return await run_in_threadpool(_workbook, [_export_row(e) for e in await service.listing(actor)])
