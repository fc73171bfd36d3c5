"""Dossiers: the read scope, creation, sections under preconditions and changes."""

from typing import Any

from beanie import PydanticObjectId
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

from app.accounts.audit import ClientInfo
from app.accounts.enums import Role
from app.accounts.models import User
from app.accounts.validators import birth_date_from_resident_id, gender_from_resident_id
from app.catalog import batches
from app.catalog import service as catalog
from app.catalog.models import Batch
from app.clock import utcnow
from app.dossiers import access, behalf, derived, rules, scope, writes
from app.dossiers import sections as S
from app.dossiers.enums import EDITABLE, DossierStatus
from app.dossiers.models import Commitment, Declaration, Dossier, DossierAccess, Entry
from app.dossiers.schemas import Change, DeclarationIn, DossierCreate
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed, validation_body
from app.units.enums import UnitStatus
from app.units.models import Unit


async def get_readable(user: User, dossier_id: PydanticObjectId, *, client: ClientInfo | None = None,
                       action: str = "read", detail: str | None = None) -> Dossier:
    """The dossier by id if it is in the user's scope (app.dossiers.scope); anything else is not there."""
    dossier = await writes.read({"_id": dossier_id})
    if dossier is None or not scope.may_read(await scope.reader_keys(user), dossier):
        raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
    if dossier.applicant_id != user.id:     # written off the request's path, one record a reader a day
        access.record(dossier_id=dossier.id, user_id=user.id, user_name=user.name, action=action, detail=detail,
                      ip=client.ip if client else None)
    return dossier


# The most records the "who read it" view lists: a dossier's readers over its year, day by day.
READERS_SHOWN = 500


async def readers(dossier_id: PydanticObjectId) -> list[DossierAccess]:
    """Who read, downloaded or exported a dossier, newest day first (served by the records' unique index)."""
    if await Dossier.get_pymongo_collection().find_one({"_id": dossier_id}, {"_id": 1}) is None:
        raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
    return await DossierAccess.find({"dossier_id": dossier_id}).sort([("day", -1), ("user_id", 1)]
                                                                    ).limit(READERS_SHOWN).to_list()


async def person_readers(query: str, *, limit: int = 20) -> list[tuple[dict, str, list[DossierAccess]]]:
    """The administrator's audit of one person: their dossiers, found by full ID number or full name (each an
    indexed equality), with the batch's name and who read each."""
    field, value = ("id_number", query.upper()) if any(ch.isdigit() for ch in query) else ("applicant_name", query)
    found = await Dossier.get_pymongo_collection().find(
        {field: value}, {"applicant_name": 1, "id_number": 1, "batch_id": 1, "year": 1, "status": 1}).limit(limit).to_list()
    names = {b.id: b.name for b in await Batch.find({"_id": {"$in": list({d["batch_id"] for d in found})}}).to_list()}
    return [(d, names.get(d["batch_id"], ""), await readers(d["_id"])) for d in found]


async def by_ids(ids: list, *, chunk: int = 500) -> list[Dossier]:
    """These dossiers in the order of `ids` (those gone left out), read by _id a chunk at a time: the second step
    of a list whose ids were selected on the rows or the queue entries (app.dossiers.rows), so that no read of
    a whole dossier needs an index of its own (each is work on every save)."""
    out = []
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        found = {d.id: d for d in await Dossier.find({"_id": {"$in": part}}).to_list()}
        out += [found[i] for i in part if i in found]
    return out


async def readable_many(user: User, ids: list[PydanticObjectId]) -> list[Dossier]:
    """The dossiers among `ids` the user may read, in the order asked; the others are left out."""
    keys = await scope.reader_keys(user)
    found = {d.id: d for d in await Dossier.find({"_id": {"$in": list(ids)}}).to_list() if scope.may_read(keys, d)}
    return [found[i] for i in ids if i in found]


async def get_own(user: User, dossier_id: PydanticObjectId) -> Dossier:
    dossier = await writes.read({"_id": dossier_id, "applicant_id": user.id})
    if dossier is None:
        raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
    return dossier


async def get_editable(user: User, dossier_id: PydanticObjectId) -> Dossier:
    """The dossier whose content this user writes: their own, or one their unit entered for its staff member
    (scope.may_edit); any other is not there, as for a read."""
    dossier = await writes.read({"_id": dossier_id})
    if dossier is None or not scope.may_edit(user, dossier):
        raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
    return dossier


def require_editable(dossier: Dossier) -> None:
    if dossier.status not in EDITABLE:
        raise Conflict("申报材料已提交，不能修改；如需修改请先撤回或等待退回", code="not_editable")


async def _check_declaration(data: DeclarationIn, batch: Batch) -> tuple[Unit, dict[str, str]]:
    """The cascading choices limited by the batch, the mode and its basis, the employer unit."""
    if data.series not in batch.series:
        raise ValidationFailed("本批次不受理该职称系列", field="series", code="not_in_batch")
    if data.level not in batch.levels:
        raise ValidationFailed("本批次不受理该职称级别", field="level", code="not_in_batch")
    title = await catalog.require_entry("titles", data.title, field="title", label="申报职称")
    if title.parent != data.series or title.extra.get("level") != data.level:
        raise ValidationFailed("申报职称与所选系列、级别不符", field="title", code="title_mismatch")
    specialty_name = await _check_specialty(data, batch)
    mode = await catalog.require_entry("declaration_modes", data.mode, field="mode", label="申报方式")
    if data.mode == "exceptional":
        if not data.exceptional_basis:
            raise ValidationFailed("破格申报须选择破格情况", field="exceptional_basis", code="basis_required")
        await catalog.require_entry("exceptional_bases", data.exceptional_basis, field="exceptional_basis",
                                    label="破格情况")
    elif data.exceptional_basis:
        raise ValidationFailed("只有破格申报才填写破格情况", field="exceptional_basis", code="basis_not_allowed")
    if not data.is_actual_unit and not (data.actual_unit_name or "").strip():
        raise ValidationFailed("请填写实际工作单位", field="actual_unit_name", code="actual_unit_required")
    unit = await Unit.find_one({"_id": data.employer_unit_id, "status": UnitStatus.approved})
    if unit is None:
        raise ValidationFailed("所选工作单位不存在或尚未开通职称申报权限", field="employer_unit_id",
                               code="unit_not_approved")
    return unit, {"title": title.name, "specialty": specialty_name, "mode": mode.name}


async def _check_specialty(data: DeclarationIn, batch: Batch) -> str:
    """A specialty of the series chosen from the dictionary, or one typed by hand when the dictionary lacks it
    (001 §4.1.1.2), which reviewers see flagged; a batch that lists its specialties takes only those."""
    if data.specialty and data.specialty_typed:
        raise ValidationFailed("申报专业请从列表中选择，列表中没有时才手工录入，二者只填其一", field="specialty_typed",
                               code="specialty_choice")
    if data.specialty_typed:
        if batch.specialties:
            raise ValidationFailed("本批次只受理所列专业，不能手工录入", field="specialty_typed", code="not_in_batch")
        listed = {e.name for e in await catalog.entries("specialties", parent=data.series)}
        if data.specialty_typed in listed:
            raise ValidationFailed("该专业已在列表中，请从列表中选择", field="specialty_typed", code="specialty_listed")
        return data.specialty_typed
    if not data.specialty:
        raise ValidationFailed("请选择申报专业，列表中没有时可手工录入", field="specialty", code="specialty_required")
    specialty = await catalog.require_entry("specialties", data.specialty, field="specialty", label="专业")
    if specialty.parent != data.series or (batch.specialties and data.specialty not in batch.specialties):
        raise ValidationFailed("本批次不受理该专业", field="specialty", code="not_in_batch")
    return specialty.name


def _declaration(data: DeclarationIn, unit: Unit) -> Declaration:
    fields = data.model_dump(include=set(Declaration.model_fields) - {"employer_unit_name", "employer_region_code"})
    if data.specialty_typed:
        fields.update(specialty=data.specialty_typed, specialty_unlisted=True)
    if data.is_actual_unit:
        fields["actual_unit_name"] = None
    return Declaration(**fields, employer_unit_name=unit.name, employer_region_code=unit.region_code)


async def _carried_education(applicant_id: PydanticObjectId) -> tuple[list[dict], list]:
    """Education rows of the latest dossier that was ever submitted, with their proofs, read-only."""
    previous = next((d for d in await _applicants(applicant_id)
                     if d.snapshots and d.status != DossierStatus.abandoned), None)
    if previous is None:
        return [], []
    carried = [dict(row, carried=True) for row in previous.sections.get("education", {}).get("rows", [])]
    ids = {row["id"] for row in carried}
    refs = [ref.model_copy(update={"carried": True}) for ref in previous.attachments
            if ref.section == "education" and ref.row_id in ids]
    return carried, refs


def _prefilled_basic(applicant: User) -> dict[str, Any]:
    """What the account already knows; the applicant completes the rest."""
    basic: dict[str, Any] = {"phone": applicant.phone, "email": applicant.email}
    if applicant.id_type == "resident" and applicant.id_number:
        basic["gender"] = gender_from_resident_id(applicant.id_number)
        basic["birth_date"] = birth_date_from_resident_id(applicant.id_number).isoformat()
    return {k: v for k, v in basic.items() if v}


async def check_new(*, actor: User, data: DossierCreate) -> None:
    """What a new dossier is checked against before anything is stored: an open batch that accepts the
    declaration (录入申报 checks it before it makes an account)."""
    batch = await batches.get(data.batch_id, actor=actor)
    batches.require_open(batch, doing="新建申报")
    await _check_declaration(data, batch)


async def create(*, actor: User, data: DossierCreate, applicant: User | None = None,
                 entered_by: Entry | None = None) -> Dossier:
    """A new dossier of `applicant` (the actor themselves, or a staff member their unit enters it for with
    `entered_by`: app.dossiers.entry)."""
    applicant = applicant or actor
    if not applicant.has_role(Role.applicant):
        raise Forbidden("仅申报人账号可以申报，单位账号请使用个人账号申报", code="not_applicant")
    batch = await batches.get(data.batch_id, actor=actor)
    batches.require_open(batch, doing="新建申报")
    existing = await Dossier.find_one({"applicant_id": applicant.id, "batch_id": batch.id})
    if existing:
        raise _existing_error(existing)
    unit, _ = await _check_declaration(data, batch)
    education, carried_refs = await _carried_education(applicant.id)
    dossier = Dossier(applicant_id=applicant.id, applicant_name=applicant.name, id_number=applicant.id_number or "",
                      batch_id=batch.id, year=batch.year, declaration=_declaration(data, unit),
                      commitment=Commitment(agreed_at=utcnow(),
                                            text_sha256=batches.commitment_digest(batch.commitment_text)),
                      attachments=carried_refs, entered_by=entered_by)
    if education:
        dossier.sections["education"] = {"rows": education}
    if created := behalf.entered(actor, dossier, "新建申报", batch_name=batch.name):
        dossier.trail.append(created)
    try:
        await writes.insert(dossier)
    except DuplicateKeyError:
        raise _existing_error(await Dossier.find_one({"applicant_id": applicant.id, "batch_id": batch.id})) from None
    return dossier


def _existing_error(existing: Dossier | None) -> Conflict:
    if existing is not None and existing.status == DossierStatus.voided:
        return Conflict("您在本批次的申报已作废，不能再次申报", code="dossier_voided", field="batch_id")
    if existing is not None and existing.status == DossierStatus.abandoned:
        return Conflict("您已删除本批次的申报（当年不再申报），不能再次申报", code="dossier_abandoned", field="batch_id")
    return Conflict("您在本批次已有申报，请在“我的申报”中继续填写", code="dossier_exists", field="batch_id",
                    dossier_id=str(existing.id) if existing else None)


def prefill(dossier: Dossier, applicant: User) -> dict[str, Any]:
    """The basic section as stored, or what the account knows when it has not been saved yet."""
    return dossier.sections.get("basic") or _prefilled_basic(applicant)


async def basic_for_editor(dossier: Dossier, editor: User) -> dict[str, Any] | None:
    """The basic section as its editor sees it: prefilled from the applicant's account, also when the unit's
    handler edits it for them (录入申报), never from the handler's own."""
    applicant = editor if dossier.applicant_id == editor.id else await User.get(dossier.applicant_id)
    return prefill(dossier, applicant) if applicant else dossier.sections.get("basic")


def require_version(dossier: Dossier, expected_version: int) -> None:
    """The user's If-Match against the copy just read: the rules are checked against that copy only."""
    if dossier.version != expected_version:
        raise writes.VersionMoved(current_version=dossier.version)


async def save_section(*, actor: User, dossier_id: PydanticObjectId, name: str, payload: Any,
                       expected_version: int) -> tuple[Dossier, list]:
    """Validates and stores one section; rows that disappear take their attachments with them.
    Returns the dossier and the attachment references that were dropped (their files are deleted by
    the caller once the write has succeeded).

    The copy at the user's If-Match that this process remembers is checked and written at once (the
    write's filter says the version, owner and status the rules were checked against); without one, or
    when it is refused or missed, the dossier is read and the answer is the fresh copy's."""
    if name not in S.SECTIONS:
        raise NotFound("没有这个分节", field="section", code="section_not_found")
    dropped: list = []

    async def plan(dossier: Dossier) -> writes.Change:
        nonlocal dropped
        require_editable(dossier)
        require_version(dossier, expected_version)
        batch = await batches.recent_for(dossier.batch_id, actor=actor)
        rules.require_in_batch(name, dossier=dossier, batch=batch)
        try:
            parsed = S.parse_section(name, payload)
        except ValidationError as exc:   # reported exactly like a request body's errors
            body = validation_body(exc.errors())
            raise ValidationFailed(body["message"], field=body["field"], errors=body["errors"]) from None
        await rules.check_section(name, parsed, dossier=dossier, batch=batch, today=utcnow().date())
        if name == "basic":      # gender and birth date are the ID number's, not typed
            parsed = derived.with_identity(parsed, dossier.id_number)
        stored = parsed.model_dump(mode="json")
        update: dict = {"$set": {f"sections.{name}": stored}}
        dropped = []
        if S.SECTIONS[name].row:
            kept = {row["id"] for row in stored["rows"]}
            dropped = [a for a in dossier.attachments_of(name) if a.row_id not in kept]
            if dropped:
                update["$pull"] = {"attachments": {"id": {"$in": [a.id for a in dropped]}}}
        return writes.Change(update, behalf.entered(actor, dossier, f"填写“{S.section_label(name)}”", section=name))

    written = await writes.from_memory(writes.remembered(dossier_id, expected_version), plan, applicant_id=actor.id)
    if written is not None:
        return written, dropped
    dossier = await get_editable(actor, dossier_id)
    change = await plan(dossier)
    return await writes.write(dossier.id, change.update, expected_version=expected_version,
                              trail_entry=change.trail_entry), dropped


async def update_declaration(*, actor: User, dossier_id: PydanticObjectId, data: DeclarationIn,
                             expected_version: int) -> Dossier:
    dossier = await get_editable(actor, dossier_id)
    require_editable(dossier)
    require_version(dossier, expected_version)
    batch = await batches.get(dossier.batch_id, actor=actor)
    if behalf.for_applicant(actor, dossier) and data.employer_unit_id != dossier.entered_by.unit_id:
        raise ValidationFailed("单位代为录入的申报，工作单位须为本单位", field="employer_unit_id", code="not_entry_unit")
    unit, _ = await _check_declaration(data, batch)
    return await writes.write(dossier.id, {"$set": {"declaration": _declaration(data, unit).model_dump()}},
                              expected_version=expected_version,
                              trail_entry=behalf.entered(actor, dossier, "修改申报信息"))


async def completeness(dossier: Dossier) -> list[rules.SectionStatus]:
    batch = await Batch.get(dossier.batch_id)
    return rules.completeness(dossier, batch, today=utcnow().date())


async def _applicants(applicant_id: PydanticObjectId) -> list[Dossier]:
    """An applicant's dossiers, newest first: one equality on the unique (applicant_id, batch_id) index's prefix,
    sorted here (a person has a dossier or two a year; an index of its own would be work on every save)."""
    found = await Dossier.find({"applicant_id": applicant_id}).to_list()
    return sorted(found, key=lambda d: (d.created_at, d.id), reverse=True)


async def list_own(*, actor: User) -> list[Dossier]:
    """The applicant's dossiers, less those deleted for the year (kept only for the record), newest first; the
    deleted few are left out here (SecantusDB scans the collection for a filter naming a field outside the index)."""
    return [d for d in await _applicants(actor.id) if d.status != DossierStatus.abandoned]


def _state(dossier: Dossier, number: int | None) -> tuple[Any, dict, list]:
    """A snapshot by number, or the working copy when number is None."""
    if number is None:
        return dossier.declaration, dossier.sections, dossier.attachments
    for snapshot in dossier.snapshots:
        if snapshot.number == number:
            return snapshot.declaration, snapshot.sections, snapshot.attachments
    raise NotFound(f"没有第{number}次提交的快照", field="from", code="snapshot_not_found")


def changes(dossier: Dossier, *, before: int | None, after: int | None) -> list[Change]:
    """What changed between two snapshots (or a snapshot and the working copy), row by row."""
    old_decl, old_sections, old_refs = _state(dossier, before)
    new_decl, new_sections, new_refs = _state(dossier, after)
    found: list[Change] = []
    old_d, new_d = old_decl.model_dump(mode="json"), new_decl.model_dump(mode="json")
    found += [Change(part="declaration", label="申报信息", change="changed", field=k, before=old_d[k],
                     after=new_d[k]) for k in old_d if old_d[k] != new_d[k]
                     and k not in ("employer_unit_id", "employer_region_code")]
    for name, spec in S.SECTIONS.items():
        old, new = old_sections.get(name), new_sections.get(name)
        if old == new:
            continue
        if spec.row:
            old_rows = {r["id"]: r for r in (old or {}).get("rows", [])}
            new_rows = {r["id"]: r for r in (new or {}).get("rows", [])}
            for row_id in old_rows.keys() - new_rows.keys():
                found.append(Change(part=name, label=spec.label, change="removed", row_id=row_id,
                                    before=old_rows[row_id]))
            for row_id in new_rows.keys() - old_rows.keys():
                found.append(Change(part=name, label=spec.label, change="added", row_id=row_id,
                                    after=new_rows[row_id]))
            for row_id in old_rows.keys() & new_rows.keys():
                found += _field_changes(name, spec.label, old_rows[row_id], new_rows[row_id], row_id)
        else:
            found += _field_changes(name, spec.label, old or {}, new or {}, None)
    old_ids = {r.id: r for r in old_refs}
    new_ids = {r.id: r for r in new_refs}
    for ref_id in old_ids.keys() - new_ids.keys():
        found.append(Change(part="attachments", label=S.section_label(old_ids[ref_id].section), change="removed",
                            row_id=old_ids[ref_id].row_id, before=old_ids[ref_id].file.filename))
    for ref_id in new_ids.keys() - old_ids.keys():
        found.append(Change(part="attachments", label=S.section_label(new_ids[ref_id].section), change="added",
                            row_id=new_ids[ref_id].row_id, after=new_ids[ref_id].file.filename))
    return found


def _field_changes(part: str, label: str, old: dict, new: dict, row_id: str | None) -> list[Change]:
    return [Change(part=part, label=label, change="changed", row_id=row_id, field=key, before=old.get(key),
                   after=new.get(key))
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
