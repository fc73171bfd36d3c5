"""Personnel records, appointments and the post structure: who may see what, the checks, the writes.

A unit's own people are read and kept by that unit alone (its handlers and administrators; its archivists
read). Supervisors — the departments above it and the HR bureau of its region — see its figures, read-only,
and set its approved posts. Everything else is a 404."""

import logging
import uuid
from datetime import date, datetime, time, timezone

from beanie import PydanticObjectId
from pydantic import BaseModel
from pymongo.errors import BulkWriteError, DuplicateKeyError
from starlette.concurrency import run_in_threadpool

from app.accounts import validators
from app.accounts.enums import NODE_ROLES, UNIT_READER_ROLES, Role
from app.accounts.models import User
from app.catalog import batches
from app.catalog import service as catalog
from app.clock import utcnow
from app.dossiers import scope as dossier_scope
from app.dossiers.writes import to_bson
from app.errors import Forbidden, Moved, NotFound, ValidationFailed
from app.personnel import excel, ratios
from app.personnel.enums import (GRADES, LEVEL_OF_TITLE, POST_LEVEL_LABELS, PUBLIC_INSTITUTION, RANK,
                                 RECORD_STATUS_LABELS, PostLevel, RecordStatus)
from app.personnel.exceptions import (AboveTitle, NoAppointment, NotInPost, OverQuota, RecordExists,
                                      RecordNotFound)
from app.personnel.models import Appointment, PersonnelRecord, PostLedger, PostQuota, RecordEdit, TitleHeld
from app.personnel.schemas import (AppointIn, EndIn, ImportPlanLine, ImportPreview, ImportResult, QuotaIn, RecordIn,
                                   RecordPatch, StatusIn)
from app.units import service as units
from app.units.models import Unit

log = logging.getLogger("app.personnel")
SUPERVISOR_ROLES = (Role.dept_handler, Role.hr_handler)
LEDGER_TRIES = 50


# ---- scope -------------------------------------------------------------------------------------------

async def own_unit(user: User, unit_id: PydanticObjectId, *, write: bool = False) -> Unit:
    """A unit whose people this user keeps: one they hold a unit role at (archivists read only)."""
    if not user.has_role(Role.sysadmin) and unit_id not in user.unit_ids_for(*UNIT_READER_ROLES):
        raise NotFound("单位不存在", field="unit_id", code="unit_not_found")
    unit = await Unit.get(unit_id)
    if unit is None:
        raise NotFound("单位不存在", field="unit_id", code="unit_not_found")
    if write and not (user.has_role(Role.sysadmin) or unit_id in user.unit_ids_for(*NODE_ROLES)):
        raise Forbidden("仅本单位经办人或管理员可维护人员信息", code="not_unit_staff")
    return unit


async def get_record(user: User, record_id: PydanticObjectId, *, write: bool = False) -> PersonnelRecord:
    record = await PersonnelRecord.get(record_id)
    if record is None:
        raise RecordNotFound(field="record_id")
    try:
        await own_unit(user, record.unit_id, write=write)
    except NotFound:
        raise RecordNotFound(field="record_id") from None
    return record


async def supervised_unit(user: User, unit_id: PydanticObjectId) -> Unit:
    """A unit whose approved posts this user sets: in their read scope and not their own (404 / 403)."""
    unit = await units.get_readable_unit(user, unit_id)
    if user.has_role(Role.sysadmin):
        return unit
    if not user.unit_ids_for(*SUPERVISOR_ROLES) or unit.id in user.unit_ids_for(*UNIT_READER_ROLES):
        raise Forbidden("岗位数由主管部门或人社部门核定", code="not_supervisor")
    return unit


async def may_set_quota(user: User, unit: Unit) -> bool:
    """Whether the ratio page offers this user the quota editor."""
    try:
        await supervised_unit(user, unit.id)
    except (Forbidden, NotFound):
        return False
    return True


# ---- records -----------------------------------------------------------------------------------------

def _title_level(titles: list[TitleHeld]) -> PostLevel | None:
    levels = [LEVEL_OF_TITLE[t.level] for t in titles if t.level in LEVEL_OF_TITLE]
    return max(levels, key=RANK.__getitem__) if levels else None


def _identity(id_number: str) -> dict:
    """Gender and birth date from a resident ID number; nothing from other kinds of ID."""
    try:
        return {"gender": validators.gender_from_resident_id(validators.normalize_resident_id(id_number)),
                "birth_date": validators.birth_date_from_resident_id(id_number)}
    except ValueError:
        return {}


async def _accounts(id_numbers: list[str]) -> dict[str, User]:
    """The person accounts holding these ID numbers, one indexed equality each."""
    found = {}
    for number in id_numbers:
        user = await User.find_one({"id_number": number})
        if user is not None:
            found[number] = user
    return found


def _new_record(unit: Unit, data: dict, account: User | None) -> PersonnelRecord:
    titles = [TitleHeld(**t) for t in data.get("titles", [])]
    return PersonnelRecord(unit_id=unit.id, user_id=account.id if account else None,
                           name=account.name if account else data["name"], id_number=data["id_number"],
                           department=data.get("department"), education=data.get("education"),
                           post=data.get("post"), work_started_on=data.get("work_started_on"),
                           joined_on=data.get("joined_on"), status=data.get("status") or RecordStatus.in_post,
                           titles=titles, title_level=_title_level(titles), **_identity(data["id_number"]))


async def create_record(*, actor: User, unit: Unit, data: RecordIn) -> PersonnelRecord:
    accounts = await _accounts([data.id_number])
    record = _new_record(unit, data.model_dump(), accounts.get(data.id_number))
    try:
        await record.insert()
    except DuplicateKeyError:
        raise RecordExists(field="id_number") from None
    return record


def _search(unit_id: PydanticObjectId, status: RecordStatus | None, q: str | None) -> dict:
    query: dict = {"unit_id": unit_id}
    if status is not None:
        query["status"] = status
    if q:
        prefix = q.strip()      # a prefix as a range: the (unit_id, name) index serves it, a regex it may not
        query["name"] = {"$gte": prefix, "$lt": prefix + "\U0010ffff"}
    return query


async def list_records(*, unit: Unit, status: RecordStatus | None = None, q: str | None = None,
                       skip: int = 0, limit: int = 50) -> tuple[int, list[PersonnelRecord]]:
    query = _search(unit.id, status, q)
    total = await PersonnelRecord.find(query).count()
    page = await PersonnelRecord.find(query).sort("name", "_id").skip(skip).limit(limit).to_list()
    return total, page


async def _codes(dictionary: str) -> dict[str, str]:
    return {e.name: e.code for e in await catalog.entries(dictionary)}


# The fields an edit or a re-import may change; the ID number is the record's key and stays.
EDITABLE = ("name", "department", "education", "post", "work_started_on", "joined_on", "titles")
TITLE_FIELDS = ("series", "level", "title_name", "obtained_on", "issuing_body", "certificate_number")


def _shown(value):
    """A value as the history keeps it (JSON: dates as text, titles as dicts)."""
    if isinstance(value, list):
        return [_shown(v) for v in value]
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, date):
        return value.isoformat()
    return value


def changes_of(record: PersonnelRecord, fields: dict) -> dict[str, list]:
    """{field: [old, new]} for the fields whose value would change (pure)."""
    out = {}
    for name, new in fields.items():
        old = getattr(record, name)
        if _shown(old) != _shown(new):
            out[name] = [_shown(old), _shown(new)]
    return out


async def _write_edit(record: PersonnelRecord, fields: dict, *, actor: User, source: str) -> PersonnelRecord:
    """The fields and their history entry in one write conditioned on the version read (the record's
    title level moves with its titles)."""
    if "titles" in fields:
        fields["title_level"] = _title_level(fields["titles"])
    edit = RecordEdit(by=actor.id, source=source, changes=changes_of(record, {k: v for k, v in fields.items()
                                                                            if k in EDITABLE}))
    stamped = {**fields, "updated_at": utcnow()}
    result = await PersonnelRecord.get_pymongo_collection().update_one(
        {"_id": record.id, "version": record.version},
        {"$set": {k: _raw(v) for k, v in stamped.items()}, "$push": {"edits": to_bson(edit)}, "$inc": {"version": 1}})
    if result.matched_count == 0:
        raise Moved()
    return record.model_copy(update={**stamped, "edits": [*record.edits, edit], "version": record.version + 1})


async def edit_record(*, actor: User, record: PersonnelRecord, data: RecordPatch) -> PersonnelRecord:
    """An edit of the form: refused when the record moved since the form was read (409) or when it would
    rename a person whose name is their account's; a no-op edit writes nothing."""
    if data.version != record.version:
        raise Moved()
    fields = {k: getattr(data, k) for k in data.model_fields_set if k in EDITABLE}
    if "titles" in fields:
        fields["titles"] = [TitleHeld(**t.model_dump()) for t in fields["titles"] or []]
    if fields.get("name") is None:
        fields.pop("name", None)
    elif record.user_id is not None and fields["name"] != record.name:
        raise ValidationFailed("该人员有本系统账号，姓名以账号为准", field="name", code="name_from_account")
    if not changes_of(record, fields):
        return record
    return await _write_edit(record, fields, actor=actor, source="edit")


def _import_fields(row: dict, record: PersonnelRecord) -> dict:
    """What a re-imported row changes of a record: the cells it fills (a blank one leaves the field as it is)
    and its title, added when the record does not hold that title at that level yet."""
    fields = {k: row[k] for k in ("department", "education", "post", "work_started_on", "joined_on")
              if row.get(k) is not None}
    if record.user_id is None and row.get("name"):
        fields["name"] = row["name"]
    if row.get("level") and not any((t.level, t.title_name) == (row["level"], row["title_name"])
                                    for t in record.titles):
        fields["titles"] = [*record.titles, TitleHeld(**{k: row.get(k) for k in TITLE_FIELDS})]
    return fields


async def _import_plan(unit: Unit, content: bytes) -> tuple[list[dict], dict[str, PersonnelRecord], list[ImportPlanLine]]:
    """The parsed rows, the unit's records they name (by ID number) and what importing would do to each; a
    file with any bad row is refused whole, each bad row and field named."""
    levels, series = await _codes("levels"), await _codes("series")
    parsed = await run_in_threadpool(excel.parse, content, levels=levels, series=series)
    if parsed.problems:
        raise ValidationFailed(f"导入文件有{len(parsed.problems)}处错误，未导入任何人员，请修改后重新导入",
                               field="file", code="import_invalid",
                               problems=[{"row": p.row, "field": p.field, "message": p.message}
                                         for p in parsed.problems])
    held = {r.id_number: r for r in await PersonnelRecord.find(
        {"unit_id": unit.id, "id_number": {"$in": [r["id_number"] for r in parsed.rows]}}).to_list()}
    lines = []
    for row in parsed.rows:
        record = held.get(row["id_number"])
        if record is None:
            lines.append(ImportPlanLine(row=row["row"], name=row["name"], action="create"))
            continue
        changed = changes_of(record, _import_fields(row, record))
        lines.append(ImportPlanLine(row=row["row"], name=record.name, action="update" if changed else "unchanged",
                                    changes=changed))
    return parsed.rows, held, lines


def _tally(lines: list[ImportPlanLine]) -> dict[str, int]:
    return {f"{a}d" if a != "unchanged" else a: sum(1 for line in lines if line.action == a)
            for a in ("create", "update", "unchanged")}


async def preview_import(*, unit: Unit, content: bytes) -> ImportPreview:
    """What an import of this file would create and update, field by field; stores nothing."""
    _, _, lines = await _import_plan(unit, content)
    return ImportPreview(**_tally(lines), lines=lines)


async def import_records(*, actor: User, unit: Unit, content: bytes) -> ImportResult:
    """All rows or none: new people are created, people the unit keeps already (the same ID number) are
    updated from the cells the file fills, each update with its history entry. Should another writer change
    one of these records or add one of these people meanwhile, what this import wrote is taken back and it
    is refused whole (409)."""
    rows, held, lines = await _import_plan(unit, content)
    accounts = await _accounts([r["id_number"] for r in rows if r["id_number"] not in held])
    records = []
    for row in rows:
        if row["id_number"] in held:
            continue
        titles = [{k: row[k] for k in TITLE_FIELDS}] if row.get("level") else []
        records.append(_new_record(unit, {**row, "titles": titles}, accounts.get(row["id_number"])))
    written: list[PersonnelRecord] = []
    try:
        if records:
            await PersonnelRecord.insert_many(records)
        for row in rows:
            record = held.get(row["id_number"])
            if record is not None and changes_of(record, fields := _import_fields(row, record)):
                written.append(record)
                await _write_edit(record, fields, actor=actor, source="import")
    except (BulkWriteError, DuplicateKeyError, Moved):
        await _take_back(records, written)
        raise RecordExists("导入期间有人员被他人录入或修改，未导入任何人员，请重新导入", field="file") from None
    tally = _tally(lines)
    return ImportResult(imported=tally["created"] + tally["updated"], **tally)


async def _take_back(created: list[PersonnelRecord], updated: list[PersonnelRecord]) -> None:
    """Undoes an import that could not finish: deletes what it created, writes back what it updated (each
    over the version this import left, with its history entry removed)."""
    await PersonnelRecord.find({"_id": {"$in": [r.id for r in created if r.id]}}).delete()
    for record in updated:
        before = {k: _raw(getattr(record, k)) for k in (*EDITABLE, "title_level", "updated_at")}
        await PersonnelRecord.get_pymongo_collection().update_one(
            {"_id": record.id, "version": record.version + 1},
            {"$set": before, "$pop": {"edits": 1}, "$inc": {"version": 1}})


async def template() -> bytes:
    return await run_in_threadpool(excel.template)


async def export(*, unit: Unit) -> bytes:
    level_names = {code: name for name, code in (await _codes("levels")).items()}
    series_names = {code: name for name, code in (await _codes("series")).items()}
    rows = []
    async for r in PersonnelRecord.find({"unit_id": unit.id}).sort("name", "_id"):
        t = r.titles[-1] if r.titles else None
        rows.append([r.name, validators.mask_id_number(r.id_number), r.department, r.education, r.post,
                     r.work_started_on, r.joined_on, RECORD_STATUS_LABELS[r.status],
                     series_names.get(t.series, t.series) if t else None,
                     level_names.get(t.level, t.level) if t else None, t.title_name if t else None,
                     t.obtained_on if t else None, t.issuing_body if t else None,
                     t.certificate_number if t else None])
    return await run_in_threadpool(excel.export, rows)


def _raw(value):
    """A value as a raw update writes it (BSON has no bare date)."""
    if isinstance(value, list):
        return [_raw(v) for v in value]
    if isinstance(value, BaseModel):
        return to_bson(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=timezone.utc)
    return value


async def _write_record(record: PersonnelRecord, fields: dict) -> PersonnelRecord:
    """One conditional write on the version the caller read."""
    fields = {**fields, "updated_at": utcnow()}
    raw = {k: _raw(val) for k, val in fields.items()}
    result = await PersonnelRecord.get_pymongo_collection().update_one(
        {"_id": record.id, "version": record.version}, {"$set": raw, "$inc": {"version": 1}})
    if result.matched_count == 0:
        raise Moved()
    return record.model_copy(update={**fields, "version": record.version + 1})


# ---- the ledger of occupied posts -------------------------------------------------------------------

async def quota(unit_id: PydanticObjectId, year: int) -> ratios.Quota | None:
    stored = await PostQuota.find_one({"unit_id": unit_id, "year": year})
    return _as_quota(stored) if stored else None


def _as_quota(stored: PostQuota) -> ratios.Quota:
    if stored.mode == "ratio":
        return ratios.Quota(ratio=tuple(stored.ratio), total=stored.total)
    return ratios.Quota(counts=dict(stored.counts))


async def _write_ledger(filter_: dict, update: dict) -> bool:
    """The one write of a ledger (its own function so a race test can hold it)."""
    result = await PostLedger.get_pymongo_collection().update_one(filter_, update)
    return result.matched_count == 1


async def _ledger(unit_id: PydanticObjectId) -> dict:
    collection = PostLedger.get_pymongo_collection()
    found = await collection.find_one({"_id": unit_id})
    if found is None:
        try:
            await collection.update_one({"_id": unit_id}, {"$setOnInsert": {"occupied": {}, "version": 0}},
                                        upsert=True)
        except DuplicateKeyError:
            pass
        found = await collection.find_one({"_id": unit_id})
    return found


async def move_posts(unit_id: PydanticObjectId, *, take: PostLevel | None, release: PostLevel | None,
                     year: int, checked: bool = True) -> None:
    """Occupies a post at `take` and frees one at `release`, checked against the year's approved posts in
    the same conditional write; a write that lost the race reads again and checks again. checked=False
    undoes a move of our own whose record write then missed (it gives back, never takes a new post)."""
    approved = await quota(unit_id, year) if take and checked else None
    for _ in range(LEDGER_TRIES):
        ledger = await _ledger(unit_id)
        occupied = {PostLevel(k): v for k, v in (ledger.get("occupied") or {}).items()}
        if release is not None:
            occupied[release] = max(occupied.get(release, 0) - 1, 0)
        if take is not None:
            if over := ratios.over_quota(approved, occupied, take):
                label, posts, taken = over
                raise OverQuota(f"{year}年{label}岗位已满：核定{posts}个，已聘{taken - 1}个，空缺0个，不能再聘任",
                                field="level", approved=posts, appointed=taken - 1, vacant=0)
            occupied[take] = occupied.get(take, 0) + 1
        if await _write_ledger({"_id": unit_id, "version": ledger["version"]},
                               {"$set": {"occupied": {k.value: v for k, v in occupied.items()}},
                                "$inc": {"version": 1}}):
            return
    raise Moved()


# ---- appointments ------------------------------------------------------------------------------------

async def appoint(*, actor: User, record: PersonnelRecord, data: AppointIn) -> PersonnelRecord:
    """Appoints (or changes the appointment, ending the current one the day the new one starts)."""
    if record.status != RecordStatus.in_post:
        raise NotInPost(field="record_id")
    if data.grade is not None and data.grade not in GRADES[data.level]:
        grades = GRADES[data.level]
        raise ValidationFailed(f"{POST_LEVEL_LABELS[data.level]}岗位的等级应为{grades[0]}至{grades[-1]}级",
                               field="grade", code="grade_out_of_level")
    held = record.title_level
    if RANK[data.level] > (RANK[held] if held else 0):
        if not data.exceptional:
            holds = f"所持职称为{POST_LEVEL_LABELS[held]}" if held else "未登记职称"
            raise AboveTitle(f"聘任岗位（{POST_LEVEL_LABELS[data.level]}）高于{holds}；如属本单位规定的特殊情形，"
                             "请标明并填写理由", field="level")
        if not (data.reason or "").strip():
            raise ValidationFailed("高于所持职称聘任须填写理由", field="reason", code="reason_required")
    current = record.current
    if current is not None:
        if data.starts_on <= current.starts_on:
            raise ValidationFailed(f"新聘任的起始日期须晚于现聘任的起始日期（{current.starts_on.isoformat()}）",
                                   field="starts_on", code="starts_too_early")
        if (current.level, current.grade) == (data.level, data.grade):
            raise ValidationFailed("与现聘任的岗位相同", field="level", code="same_appointment")
    await move_posts(record.unit_id, take=data.level, release=current.level if current else None,
                     year=data.starts_on.year)
    appointments = [a.model_copy(update={"ends_on": data.starts_on, "end_document_number": data.document_number,
                                         "ended_by": actor.id}) if a is current else a
                    for a in record.appointments]
    appointments.append(Appointment(id=uuid.uuid4().hex[:12], level=data.level, grade=data.grade,
                                    starts_on=data.starts_on, document_number=data.document_number.strip(),
                                    exceptional=data.exceptional and RANK[data.level] > (RANK[held] if held else 0),
                                    reason=(data.reason or "").strip() or None, created_by=actor.id))
    try:
        return await _write_record(record, {"appointments": appointments, "appointed_level": data.level})
    except Moved:
        await move_posts(record.unit_id, take=current.level if current else None, release=data.level,
                         year=data.starts_on.year, checked=False)
        raise


async def _end(*, actor: User, record: PersonnelRecord, ends_on: date, document_number: str | None,
               extra: dict | None = None) -> PersonnelRecord:
    current = record.current
    if current is None:
        raise NoAppointment(field="record_id")
    if ends_on < current.starts_on:
        raise ValidationFailed(f"解聘日期不能早于聘任起始日期（{current.starts_on.isoformat()}）",
                               field="ends_on", code="ends_too_early")
    await move_posts(record.unit_id, take=None, release=current.level, year=ends_on.year)
    appointments = [a.model_copy(update={"ends_on": ends_on, "end_document_number": document_number,
                                         "ended_by": actor.id}) if a is current else a
                    for a in record.appointments]
    try:
        return await _write_record(record, {"appointments": appointments, "appointed_level": None, **(extra or {})})
    except Moved:
        await move_posts(record.unit_id, take=current.level, release=None, year=ends_on.year, checked=False)
        raise


async def end_appointment(*, actor: User, record: PersonnelRecord, data: EndIn) -> PersonnelRecord:
    return await _end(actor=actor, record=record, ends_on=data.ends_on, document_number=data.document_number)


async def set_status(*, actor: User, record: PersonnelRecord, data: StatusIn) -> PersonnelRecord:
    """Leaving or retiring ends the current appointment that day, freeing its post."""
    if data.status == record.status:
        raise ValidationFailed("状态未改变", field="status", code="same_status")
    fields = {"status": data.status, "status_on": data.on}
    if data.status != RecordStatus.in_post and record.current is not None:
        return await _end(actor=actor, record=record, ends_on=data.on, document_number=None, extra=fields)
    return await _write_record(record, fields)


# ---- quotas and figures ------------------------------------------------------------------------------

async def set_quota(*, actor: User, unit: Unit, year: int, data: QuotaIn) -> PostQuota:
    if not 2000 <= year <= 2100:
        raise ValidationFailed("年度不正确", field="year", code="bad_year")
    keys = _quota_keys(unit)
    fields = {"mode": "ratio" if data.ratio else "counts",
              "counts": {k.value: v for k, v in (data.counts or {}).items()}, "ratio": data.ratio or [],
              "total": data.total if data.ratio else sum((data.counts or {}).values()),
              "reader_keys": keys, "set_by": actor.id, "set_at": utcnow()}
    collection = PostQuota.get_pymongo_collection()
    try:
        await collection.update_one({"unit_id": unit.id, "year": year},
                                    {"$set": fields, "$inc": {"version": 1}}, upsert=True)
    except DuplicateKeyError:      # two first settings at once: the other's upsert made it; set over it
        await collection.update_one({"unit_id": unit.id, "year": year}, {"$set": fields, "$inc": {"version": 1}})
    return await PostQuota.find_one({"unit_id": unit.id, "year": year})


def _quota_keys(unit: Unit) -> list:
    return [unit.id, *unit.ancestors, *dossier_scope.region_keys(unit.region_code)]


async def refresh_quota_keys(unit_ids: list[PydanticObjectId]) -> None:
    """A unit's new region or place in the tree moves who reads its approved posts."""
    for unit_id in unit_ids:
        unit = await Unit.get(unit_id)
        if unit is not None:
            await PostQuota.get_pymongo_collection().update_many({"unit_id": unit_id},
                                                                {"$set": {"reader_keys": _quota_keys(unit)}})


units.on_units_moved(refresh_quota_keys)


def quota_text(stored: PostQuota | None) -> str | None:
    if stored is None:
        return None
    if stored.mode == "ratio":
        return f"高:中:初 = {':'.join(map(str, stored.ratio))}，岗位总数{stored.total}"
    return "，".join(f"{POST_LEVEL_LABELS[PostLevel(k)]}{v}" for k, v in stored.counts.items())


async def unit_figures(unit_id: PydanticObjectId, year: int) -> list[ratios.Figure]:
    """A unit's approved, appointed, vacant and titled-but-not-appointed posts for a year: the call the
    statistics read (no scope check: the caller has done it)."""
    people = [(PostLevel(p["title_level"]) if p.get("title_level") else None,
               PostLevel(p["appointed_level"]) if p.get("appointed_level") else None)
              async for p in PersonnelRecord.get_pymongo_collection().find(
                  {"unit_id": unit_id, "status": RecordStatus.in_post.value},
                  {"title_level": 1, "appointed_level": 1})]
    return ratios.figures(await quota(unit_id, year), people)


async def ratio_view(*, unit: Unit, year: int) -> dict:
    stored = await PostQuota.find_one({"unit_id": unit.id, "year": year})
    return {"unit": unit, "year": year, "quota": stored, "quota_text": quota_text(stored),
            "figures": await unit_figures(unit.id, year)}


async def overview(*, actor: User, year: int) -> list[dict]:
    """The units with approved posts for the year within what the user reads, each with its figures."""
    keys = await dossier_scope.reader_keys(actor)
    found: dict[PydanticObjectId, PostQuota] = {}
    if keys is None:
        async for q in PostQuota.find({"year": year}):
            found[q.unit_id] = q
    else:
        for key in keys:
            async for q in PostQuota.find({"reader_keys": key, "year": year}):
                found.setdefault(q.unit_id, q)
    names = await units.unit_names(found)
    return [{"unit_id": unit_id, "unit_name": names.get(unit_id, ""), "quota_text": quota_text(q),
             "figures": await unit_figures(unit_id, year)} for unit_id, q in
            sorted(found.items(), key=lambda item: names.get(item[0], ""))]


# ---- what other domains call --------------------------------------------------------------------------

async def vacancy_check(dossier, *, batch=None) -> dict | None:
    """Where the batch asks for it and the employer is a 事业单位: whether the unit has a vacant post at
    the level declared, with the figures. None where the rule does not apply (no read when the caller
    passes the batch it holds and the rule is off)."""
    batch = batch or await batches.recent(dossier.batch_id)
    if batch is None or not batch.rules.vacant_post_required:
        return None
    unit = await Unit.get(dossier.declaration.employer_unit_id)
    level = LEVEL_OF_TITLE.get(dossier.declaration.level)
    if unit is None or unit.nature != PUBLIC_INSTITUTION or level is None:
        return None
    line = next(f for f in await unit_figures(unit.id, dossier.year) if level in f.levels)
    if line.approved is None:
        text = f"{unit.name}{dossier.year}年度未核定岗位数，无法核对{line.label}空缺岗位"
    else:
        text = f"{unit.name}{dossier.year}年度{line.label}岗位核定{line.approved}个，已聘{line.appointed}个，空缺{line.vacant}个"
    return {"label": line.label, "approved": line.approved, "appointed": line.appointed, "vacant": line.vacant,
            "ok": bool(line.vacant), "text": text}


async def title_certified(dossier, certificate) -> None:
    """A certificate this service issued, into the holder's record at the declaring unit (made when the
    unit had none). Called after the certify transition; the certificate stands whatever happens here."""
    try:
        await _record_title(dossier, certificate)
    except Exception:       # noqa: BLE001 — the certificate is issued; the unit can still enter the title
        log.exception("personnel record not updated for certificate %s", certificate.number)


async def _record_title(dossier, certificate) -> None:
    unit_id = dossier.declaration.employer_unit_id
    title = TitleHeld(series=dossier.declaration.series, level=dossier.declaration.level,
                      title_name=certificate.title_name, obtained_on=certificate.issued_on,
                      issuing_body=certificate.issuing_body, certificate_number=certificate.number, from_service=True)
    for _ in range(5):
        record = await PersonnelRecord.find_one({"unit_id": unit_id, "id_number": dossier.id_number})
        if record is None:
            record = PersonnelRecord(unit_id=unit_id, user_id=dossier.applicant_id, name=dossier.applicant_name,
                                     id_number=dossier.id_number, titles=[title], title_level=_title_level([title]),
                                     **_identity(dossier.id_number))
            try:
                await record.insert()
                return
            except DuplicateKeyError:
                continue
        if any(t.certificate_number == certificate.number for t in record.titles):
            return
        titles = [*record.titles, title]
        try:
            await _write_record(record, {"titles": titles, "title_level": _title_level(titles),
                                         "user_id": record.user_id or dossier.applicant_id})
            return
        except Moved:
            continue
