"""The one write path of a dossier.

Every change of a dossier (sections, declaration, attachments, submit, withdraw, every transition,
publicity, recall, an archive import) is ONE update filtered on the version the writer read, which
bumps that version, stamps `updated_at` and pushes the trail entry in the same write; the
dossier's row is then written from the document that write returned. Because every change moves the
version, a writer that checked its rules against the copy it read knows, when its write lands, that
nothing changed in between: the version stands for the whole document.

A user editing with an ETag gets 412 when the version moved (`write`). Server-side writers that hold no
version of the user's (an upload, a submit without If-Match, a withdrawal, publicity steps) use
`retrying`: re-read, re-check, write again, a bounded number of times, so limits and states hold under
concurrency without asking the user to retry."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

from beanie import PydanticObjectId
from pydantic import BaseModel

from app.clock import utcnow
from app.dossiers import rows, scope
from app.dossiers.models import Dossier, TrailEntry
from app.errors import NotFound
from app.preconditions import VersionMoved

# How often a server-side writer re-reads and tries again; each miss means another write landed, so
# this bounds the writers racing for one dossier at once, far above what one applicant's page makes.
ATTEMPTS = 20


@dataclass
class Change:
    """What a writer wants written: update operators and, for a step of the workflow, its trail entry."""
    update: dict[str, Any]
    trail_entry: TrailEntry | None = None


def _collection():
    return Dossier.get_pymongo_collection()


async def write(dossier_id: PydanticObjectId, update: dict[str, Any], *, expected_version: int,
                trail_entry: TrailEntry | None = None) -> Dossier:
    """Writes `update` if the dossier is still at `expected_version`; returns the dossier after it.
    Raises VersionMoved (412) when another write came first, NotFound when the dossier is gone."""
    update = {operator: dict(fields) for operator, fields in update.items()}
    update.setdefault("$set", {}).setdefault("updated_at", utcnow())
    update.setdefault("$inc", {})["version"] = 1
    if trail_entry is not None:
        update.setdefault("$push", {})["trail"] = trail_entry.model_dump()
    landed = await _collection().update_one({"_id": dossier_id, "version": expected_version}, update)
    if not landed.matched_count:
        current = await _collection().find_one({"_id": dossier_id}, {"version": 1})
        if current is None:
            raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
        raise VersionMoved(current_version=current["version"])
    # Read back rather than find_one_and_update: SecantusDB serves findAndModify by scanning the whole
    # collection (bench/bench_write_path.py), an update and a read by _id through the _id index.
    doc = await _collection().find_one({"_id": dossier_id})
    if doc is None:
        raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
    if "reader_ids" not in doc or not scope.kept_by(_touched(update), doc):
        await _keep_readers(doc)
    await rows.store(doc)
    # A write that landed in between is in `doc`; the version answered stays this write's own, so the
    # writer's next conditional write (its ETag) still meets that other change with a 412.
    return Dossier.model_validate({**doc, "version": expected_version + 1})


def _touched(update: dict[str, Any]) -> set[str]:
    return {path.split(".")[0] for operator in update.values() for path in operator}


async def _keep_readers(doc: dict) -> bool:
    """Writes the dossier's read keys (app.dossiers.scope) if what it now is changed them. Conditioned on
    the version read: when another write landed since, that write's own call keeps them. Returns
    whether they changed; `doc` then holds the new keys."""
    readers = await scope.readers_of(doc)
    if readers == doc.get("reader_ids"):
        return False
    await _collection().update_one({"_id": doc["_id"], "version": doc["version"]}, {"$set": {"reader_ids": readers}})
    doc["reader_ids"] = readers
    return True


async def refresh(*dossier_ids: PydanticObjectId) -> int:
    """Recomputes what derives from these dossiers' stored documents, their read keys and rows, after
    something they derive from changed outside them (a unit's place or region) or a direct write (a
    repair, a test's set-up). Derived data like the row: the version stays. Returns how many got new keys."""
    changed, seen = 0, set()
    async for doc in _collection().find({"_id": {"$in": list(dossier_ids)}}):
        seen.add(doc["_id"])
        changed += await _keep_readers(doc)
        await rows.store(doc)
    if missing := set(dossier_ids) - seen:
        await rows.refresh(*missing)
    return changed


async def retrying(load: Callable[[], Awaitable[Dossier]], plan: Callable[[Dossier], Awaitable[Change | None]],
                   *, attempts: int = ATTEMPTS) -> Dossier:
    """Reads the dossier with `load`, lets `plan` check its rules against that copy and say what to
    write (None: nothing to do, the copy is answered), writes it conditioned on the copy's version, and
    on a miss starts again from a fresh read. After `attempts` misses the last VersionMoved is raised."""
    for attempt in range(attempts):
        dossier = await load()
        change = await plan(dossier)
        if change is None:
            return dossier
        try:
            return await write(dossier.id, change.update, expected_version=dossier.version,
                               trail_entry=change.trail_entry)
        except VersionMoved:
            if attempt == attempts - 1:
                raise
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
    await rows.store(raw)


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
