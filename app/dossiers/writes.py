"""The one write path of a dossier.

Every change of a dossier (sections, declaration, attachments, submit, withdraw, every transition,
publicity, recall, an archive import) is ONE `find_one_and_update` filtered on the version the writer
read, which bumps that version, stamps `updated_at` and pushes the trail entry in the same write; the
dossier's row is then written from the document that write returned. Because every change moves the
version, a writer that checked its rules against the copy it read knows, when its write lands, that
nothing changed in between: the version stands for the whole document.

A user editing with an ETag gets 412 when the version moved (`write`). Server-side writers that hold no
version of the user's (an upload, a submit without If-Match, a withdrawal, publicity steps) use
`retrying`: re-read, re-check, write again, a bounded number of times, so limits and states hold under
concurrency without asking the user to retry."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument

from app.clock import utcnow
from app.dossiers import rows
from app.dossiers.models import Dossier, TrailEntry
from app.errors import NotFound, StaleVersion

# How often a server-side writer re-reads and tries again; each miss means another write landed, so
# this bounds the writers racing for one dossier at once, far above what one applicant's page makes.
ATTEMPTS = 20


class VersionMoved(StaleVersion):
    message = "申报材料已在别处修改，请刷新后再保存"


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
    doc = await _collection().find_one_and_update({"_id": dossier_id, "version": expected_version}, update,
                                                  return_document=ReturnDocument.AFTER)
    if doc is None:
        current = await _collection().find_one({"_id": dossier_id}, {"version": 1})
        if current is None:
            raise NotFound("申报材料不存在", field="dossier_id", code="dossier_not_found")
        raise VersionMoved(current_version=current["version"])
    await rows.store(doc)
    return Dossier.model_validate(doc)


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
        await document.insert()
        raw = await _collection().find_one({"_id": document.id})
    else:
        await _collection().insert_one(document)
        raw = document
    await rows.store(raw)
