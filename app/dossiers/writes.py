"""The one write path of a dossier.

Every change of a dossier (sections, declaration, attachments, submit, withdraw, every transition,
publicity, recall, an archive import) is ONE update filtered on the version the writer read, which
bumps that version, stamps `updated_at` and pushes the trail entry in the same write; the
dossier's row is then written from the document after that write (unless the write changed nothing of it
but its version and time while it is in no queue: app.dossiers.rows.moved). Because every change moves the
version, a writer that checked its rules against the copy it read knows, when its write lands, that
nothing changed in between: the version stands for the whole document.

A user editing with an ETag gets 412 when the version moved (`write`). Server-side writers that hold no
version of the user's (an upload, a submit without If-Match, a withdrawal, publicity steps) use
`retrying`: re-read, re-check, write again, a bounded number of times, so limits and states hold under
concurrency without asking the user to retry.

Round trips are what the database charges for under load, so the path makes as few as it can: the
document after a write is computed from the copy the writer read at the version the write was
conditioned on (app.dossiers.updates), not read back; and this process remembers the last copy of each
dossier it read or wrote (`remembered`), so a writer whose version matches may check its rules against
that copy and write at once (`from_memory`). A remembered copy that is out of date costs one missed
write and a fresh read, never a wrong write: the write is conditioned on its version, and on the
owner and status the rules were checked against. That holds because every stored change of a dossier
moves its version, its read keys (app.dossiers.scope) included: a write that changes what they derive from
sets them in the same update, worked out from the document it leaves."""

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

import bson
from beanie import PydanticObjectId
from pydantic import BaseModel

from app.clock import utcnow
from app.dossiers import rows, scope, updates
from app.dossiers.models import Dossier, TrailEntry
from app.errors import AppError, NotFound
from app.preconditions import VersionMoved

# How often a server-side writer re-reads and tries again; each miss means another write landed, so
# this bounds the writers racing for one dossier at once, far above what one applicant's page makes.
ATTEMPTS = 20

# How many dossiers this process remembers (their stored BSON, ~14 KB each: about 14 MB), the most
# recently used kept: enough for the applicants of a deadline spike saving one after the other.
REMEMBERED = 1000
_remembered: "OrderedDict[Any, bytes]" = OrderedDict()


@dataclass
class Change:
    """What a writer wants written: update operators and, for a step of the workflow, its trail entry."""
    update: dict[str, Any]
    trail_entry: TrailEntry | None = None
    units: list[Any] = field(default_factory=list)    # route units the writer read: the read keys need no read


def _collection():
    return Dossier.get_pymongo_collection()


def remember(doc: dict) -> None:
    """Keeps the stored document of a dossier (as bytes: nobody can change it in place)."""
    options = _collection().codec_options
    _remembered[doc["_id"]] = bson.encode(doc, codec_options=options)
    _remembered.move_to_end(doc["_id"])
    while len(_remembered) > REMEMBERED:
        _remembered.popitem(last=False)


def forget(dossier_id: Any = None) -> None:
    """Drops the remembered copy of a dossier (of every dossier without an id): for a change made outside
    this path that did not move the version (a test's set-up, a restore)."""
    if dossier_id is None:
        _remembered.clear()
    else:
        _remembered.pop(dossier_id, None)


def _stored(dossier_id: Any, version: int | None) -> dict | None:
    raw = _remembered.get(dossier_id)
    if raw is None:
        return None
    doc = bson.decode(raw, codec_options=_collection().codec_options)
    return doc if version is None or doc.get("version") == version else None


def remembered(dossier_id: Any, version: int | None = None) -> Dossier | None:
    """The copy this process last read or wrote of a dossier (at `version`, when given), or None."""
    doc = _stored(dossier_id, version)
    return None if doc is None else Dossier.model_validate(doc)


async def read(query: dict[str, Any]) -> Dossier | None:
    """The one dossier `query` finds, read from the database and remembered."""
    doc = await _collection().find_one(query)
    if doc is None:
        return None
    remember(doc)
    return Dossier.model_validate(doc)


async def attempt(dossier_id: PydanticObjectId, update: dict[str, Any], *, expected_version: int,
                  trail_entry: TrailEntry | None, where: dict[str, Any] | None, units: list[Any] = ()
                  ) -> Dossier | None:
    """The write itself, which every change of a dossier passes: the dossier after it, or None when
    nothing matched (another write came first, the dossier is gone or no longer what `where` says)."""
    update = {operator: dict(fields) for operator, fields in update.items()}
    update.setdefault("$set", {}).setdefault("updated_at", utcnow())
    update.setdefault("$inc", {})["version"] = 1
    if trail_entry is not None:
        update.setdefault("$push", {})["trail"] = trail_entry.model_dump()
    before = _stored(dossier_id, expected_version)
    row = None if before is None else rows.row_of(before)        # before the update changes `before` in place
    after = _applied(before, update)
    if after is not None and _readers_may_move(update, after):
        # The read keys go in the same write, worked out from the document the write leaves.
        readers = await scope.readers_of(after, known=units)
        if readers != after.get("reader_ids"):
            update["$set"]["reader_ids"] = after["reader_ids"] = readers
    # _id first: SecantusDB plans a many-field filter clause by clause in order, and _id is its point look-up
    landed = await _collection().update_one({"_id": dossier_id, "version": expected_version, **(where or {})},
                                            update)
    if not landed.matched_count:
        _remembered.pop(dossier_id, None)
        return None
    own_version = expected_version + 1
    if after is None:
        # Read back rather than find_one_and_update: SecantusDB serves findAndModify by scanning the whole
        # collection (bench/bench_write_path.py), an update and a read by _id through the _id index.
        after = await _collection().find_one({"_id": dossier_id})
        if after is None:
            raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
        if _readers_may_move(update, after) and await _keep_readers(after) and after["version"] == own_version + 1:
            own_version += 1
    remember(after)
    if row is None or rows.moved(row, after):
        await rows.store(after, before=rows.UNKNOWN if row is None else row)
    # A write that landed in between a write and its read back is in `after`; the version answered stays this
    # write's own, so the writer's next conditional write (its ETag) still meets that other change with a 412.
    return Dossier.model_validate({**after, "version": own_version})


def _applied(before: dict | None, update: dict[str, Any]) -> dict | None:
    """The document `update` leaves when applied to `before`; None when there is no copy or the update is
    one app.dossiers.updates does not compute."""
    if before is None:
        return None
    try:
        return updates.apply(before, updates.normalised(update, _collection().codec_options))
    except updates.Unknown:
        return None


def _readers_may_move(update: dict[str, Any], doc: dict) -> bool:
    touched = {path.split(".")[0] for operator in update.values() for path in operator}
    return "reader_ids" not in doc or not scope.kept_by(touched, doc)


async def _keep_readers(doc: dict) -> bool:
    """Writes the dossier's read keys (app.dossiers.scope) if what it now is changed them, as a change of its
    own: conditioned on the version read and moving it, so no copy of that version (this process's or
    another's) outlives it. When another write landed since, that write keeps them. Returns whether they
    were written; `doc` then holds the new keys and version."""
    readers = await scope.readers_of(doc)
    if readers == doc.get("reader_ids"):
        return False
    landed = await _collection().update_one({"_id": doc["_id"], "version": doc["version"]},
                                            {"$set": {"reader_ids": readers}, "$inc": {"version": 1}})
    if not landed.matched_count:
        return False
    doc["reader_ids"], doc["version"] = readers, doc["version"] + 1
    return True


async def refresh(*dossier_ids: PydanticObjectId) -> int:
    """Recomputes what derives from these dossiers' stored documents, their read keys and rows, after
    something they derive from changed outside them (a unit's place or region, a backfill) or a direct
    write (a repair). New keys move the version (see _keep_readers). Returns how many got new keys."""
    changed, seen = 0, set()
    async for doc in _collection().find({"_id": {"$in": list(dossier_ids)}}):
        seen.add(doc["_id"])
        changed += await _keep_readers(doc)
        remember(doc)
        await rows.store(doc)
    if missing := set(dossier_ids) - seen:
        await rows.refresh(*missing)
    return changed


async def write(dossier_id: PydanticObjectId, update: dict[str, Any], *, expected_version: int,
                trail_entry: TrailEntry | None = None, units: list[Any] = ()) -> Dossier:
    """Writes `update` if the dossier is still at `expected_version`; returns the dossier after it.
    Raises VersionMoved (412) when another write came first, NotFound when the dossier is gone."""
    written = await attempt(dossier_id, update, expected_version=expected_version, trail_entry=trail_entry,
                            where=None, units=units)
    if written is None:
        current = await _collection().find_one({"_id": dossier_id}, {"version": 1})
        if current is None:
            raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
        raise VersionMoved(current_version=current["version"])
    return written


async def from_memory(copy: Dossier | None, plan: Callable[[Dossier], Awaitable[Change | None]], *,
                      applicant_id: PydanticObjectId) -> Dossier | None:
    """Tries a writer's `plan` on a remembered copy of the applicant's dossier and writes it conditioned on
    that copy's version, owner and status, with no read. None when there is no such copy, the plan refused
    it (the copy may be out of date: the refusal is the fresh read's to give) or the write missed: the
    caller then reads and decides as it always did, so every answer but a success is unchanged."""
    if copy is None or copy.applicant_id != applicant_id:
        return None
    try:
        change = await plan(copy)
    except AppError:
        return None
    if change is None:
        return None
    return await attempt(copy.id, change.update, expected_version=copy.version, trail_entry=change.trail_entry,
                         where={"applicant_id": applicant_id, "status": copy.status}, units=change.units)


async def retrying(load: Callable[[], Awaitable[Dossier]], plan: Callable[[Dossier], Awaitable[Change | None]],
                   *, attempts: int = ATTEMPTS) -> Dossier:
    """Reads the dossier with `load`, lets `plan` check its rules against that copy and say what to
    write (None: nothing to do, the copy is answered), writes it conditioned on the copy's version, and
    on a miss starts again from a fresh read. After `attempts` misses the last VersionMoved is raised."""
    for tried in range(attempts):
        dossier = await load()
        change = await plan(dossier)
        if change is None:
            return dossier
        if tried == attempts - 1:     # the last try says why it missed (412 or 404)
            return await write(dossier.id, change.update, expected_version=dossier.version,
                               trail_entry=change.trail_entry, units=change.units)
        written = await attempt(dossier.id, change.update, expected_version=dossier.version,
                                trail_entry=change.trail_entry, where=None, units=change.units)
        if written is not None:
            return written
    raise AssertionError("unreachable")


async def insert(document: Dossier | dict[str, Any]) -> None:
    """Stores a new dossier (a Dossier, or a raw document restored from an archive) and its row."""
    if isinstance(document, Dossier):
        document.reader_ids = await scope.readers_of(document.model_dump())
        await document.insert()
        raw = await _collection().find_one({"_id": document.id})
    else:
        document["reader_ids"] = await scope.readers_of(document)     # an archive's keys are of its old home
        await _collection().insert_one(document)
        raw = document
    remember(raw)
    await rows.store(raw, before=None)      # a new dossier has no row nor queue entry


def to_bson(model: BaseModel) -> dict[str, Any]:
    """An embedded model as a raw update writes it: BSON has no bare date, so dates become midnight UTC."""
    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time.min, tzinfo=timezone.utc)
        return value
    return convert(model.model_dump())
