"""Run-once migrations: data changes a new release needs (a backfill, the rows of a new SCHEMA), each run
once across every process and machine, in the background, so that start-up does a constant amount of
work whatever the number of dossiers.

Each migration has a name and is recorded in the `migrations` collection when done; a process that finds
them all recorded does nothing more (one small read). The pending ones run in list order under one lease,
so two workers starting together do not run them twice. A long migration saves a checkpoint as it goes
(`Checkpoint.save`) and resumes from it after a crash or a restart, and stops between steps when its
lease was taken over. Until a migration is done the app serves as before it: a dossier still missing a
backfilled field is missing from the reads that select on it, never shown to anyone else."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from beanie import Document
from pymongo import ReturnDocument

from app import lease
from app.clock import utcnow
from app.catalog import batches
from app.committee.committees import backfill_reported_to
from app.dossiers import counts, queue_counts, rows, scope, writes
from app.dossiers.models import Dossier
from app.errors import NotFound
from app.preconditions import VersionMoved
from app.units.models import Unit

log = logging.getLogger(__name__)


class MigrationRecord(Document):
    id: str                     # the migration's name
    started_at: datetime
    done_at: datetime | None = None
    after: Any = None           # a resumable migration's checkpoint
    result: int | None = None   # how many documents it changed

    class Settings:
        name = "migrations"


class Checkpoint:
    """Where a resumable migration stands: `after` is what it saved last (None at its start)."""

    def __init__(self, name: str, after: Any, tenure: lease.Tenure):
        self.name, self.after, self._tenure = name, after, tenure

    @property
    def lost(self) -> bool:
        """The lease was taken over: stop before the next step (the new holder resumes from `after`)."""
        return self._tenure.lost

    async def save(self, after: Any) -> None:
        self.after = after
        await MigrationRecord.get_pymongo_collection().update_one({"_id": self.name}, {"$set": {"after": after}})


@dataclass(frozen=True)
class Migration:
    name: str
    run: Callable[[Checkpoint], Awaitable[int]]


async def _reported_to(_: Checkpoint) -> int:
    return await backfill_reported_to()


async def _reader_ids(_: Checkpoint) -> int:
    return await scope.backfill()


async def _batch_kind_rules(_: Checkpoint) -> int:
    return await batches.store_kind_rules()


async def _rows(checkpoint: Checkpoint) -> int:
    """Recomputes the rows of an older SCHEMA (and any missing or stale) in one pass in _id order; the
    checkpoint is the last _id passed."""
    refreshed = await rows.reconcile(after=checkpoint.after, save=checkpoint.save, stop=lambda: checkpoint.lost)
    if checkpoint.lost:
        raise LeaseLost(checkpoint.name)
    return refreshed


async def _employer_regions(checkpoint: Checkpoint) -> int:
    """Dossiers declared before the declaration carried its employer's region code get their employer's
    current one, through the write path (the statistics by region count by it: app.dossiers.counts). One
    `rows.walk` over the dossiers in windows (a whole-collection read would hold every dossier at once on
    SecantusDB), resumable from its checkpoint; the units' codes read once."""
    regions = {u["_id"]: u.get("region_code") async for u in Unit.get_pymongo_collection().find({}, {"region_code": 1})}

    async def window(where: dict) -> tuple[int, int]:
        held = await Dossier.get_pymongo_collection().find(where, {
            "version": 1, "declaration.employer_unit_id": 1, "declaration.employer_region_code": 1}).to_list()
        done = 0
        for doc in held:
            while doc is not None and (declaration := doc.get("declaration")) \
                    and declaration.get("employer_region_code") is None:
                try:
                    await writes.write(doc["_id"], {"$set": {"declaration.employer_region_code": regions.get(
                        declaration.get("employer_unit_id"))}}, expected_version=doc["version"])
                    done += 1
                    break
                except NotFound:
                    break
                except VersionMoved:      # written meanwhile: read it again and set the region on that version
                    doc = await Dossier.get_pymongo_collection().find_one({"_id": doc["_id"]}, {
                        "version": 1, "declaration.employer_unit_id": 1, "declaration.employer_region_code": 1})
        return done, len(held)

    done = await rows.walk(window, after=checkpoint.after, save=checkpoint.save, stop=lambda: checkpoint.lost)
    if checkpoint.lost:
        raise LeaseLost(checkpoint.name)
    return done


async def _counts(_: Checkpoint) -> int:
    """The statistics' counters (app.dossiers.counts) from the rows the rebuild before it left."""
    return await counts.rebuild()


# Indexes an older release made that no read uses any more; each was rewritten on every write of its
# collection. The dossiers' reader_ids (lists read the rows by it) and the rows' (queue key, sort, _id)
# indexes (queue pages read app.dossiers.rows.QueueEntry).
UNREAD_INDEXES = {
    Dossier: [(("reader_ids", 1),)],
    rows.DossierRow: [(("queue_keys", 1), (field, 1), ("_id", 1)) for field in (
        "submitted_at", "applicant_name", "declaration.level", "declaration.title",
        "declaration.employer_unit_name", "updated_at")],
}


# The dossiers' indexes whose reads select their ids on the rows or the queue entries since issue 11 (archives,
# publicity, supervision's recall, meetings, a committee's blind-review list, a unit's 录入申报) or ride the unique (applicant_id,
# batch_id) index (an applicant's own list, sorted in memory): on SecantusDB each was rewritten on every update
# of a dossier, whatever it touched (docs/BENCHMARKS.md, Deadline spike, 2026-12-04 19:03–19:38).
SELECTED_ELSEWHERE = {
    Dossier: [(("applicant_id", 1), ("created_at", -1)), (("batch_id", 1), ("status", 1)),
              (("route_unit_ids", 1), ("status", 1)), (("reported_by", 1), ("batch_id", 1)),
              (("committee_code", 1), ("status", 1)), (("meeting_id", 1),), (("entered_by.unit_id", 1), ("created_at", -1))],
}


async def _drop_unread_indexes(_: Checkpoint) -> int:
    return await _drop(UNREAD_INDEXES)


async def _drop_selected_elsewhere(_: Checkpoint) -> int:
    return await _drop(SELECTED_ELSEWHERE)


async def _drop(indexes: dict) -> int:
    """Drops these indexes (by key pattern, whatever their names) where they exist; returns how many."""
    dropped = 0
    for model, unread in indexes.items():
        collection = model.get_pymongo_collection()
        for name, index in (await collection.index_information()).items():
            if tuple((field, int(direction)) for field, direction in index["key"]) in unread:
                await collection.drop_index(name)
                dropped += 1
    return dropped


async def _queue_counts(_: Checkpoint) -> int:
    return await queue_counts.recount()


class LeaseLost(Exception):
    """A migration stopped because another process took its lease over; it is not recorded as done."""


# In order. Append new ones; never rename one that shipped (it would run again). The rows' rebuild is named
# after SCHEMA, so bumping SCHEMA schedules it (and the statistics' counters after it), and comes last: backfills that write dossiers refresh the
# rows of what they write, and the rebuild then finds those already current.
MIGRATIONS: list[Migration] = [
    Migration("committee-reported-to", _reported_to),
    Migration("dossier-reader-ids", _reader_ids),
    Migration("batch-kind-rules", _batch_kind_rules),
    Migration("drop-unread-indexes", _drop_unread_indexes),
    Migration("queue-counts", _queue_counts),
    Migration("dossier-employer-region", _employer_regions),
    Migration("drop-dossier-selection-indexes", _drop_selected_elsewhere),
    Migration(f"rows-schema-{rows.SCHEMA}", _rows),
    Migration(f"statistics-counts-{rows.SCHEMA}", _counts),
]

LEASE = "migrations"
LEASE_TTL = timedelta(minutes=2)


async def pending(migrations: list[Migration]) -> list[Migration]:
    done = {r["_id"] async for r in MigrationRecord.get_pymongo_collection().find(
        {"_id": {"$in": [m.name for m in migrations]}, "done_at": {"$ne": None}}, {"_id": 1})}
    return [m for m in migrations if m.name not in done]


async def run_pending(migrations: list[Migration] | None = None, *, holder: str | None = None) -> list[str]:
    """Runs the migrations not yet recorded as done, if this process (or `holder`) gets the lease; returns
    the names it completed. A migration that fails stops the ones after it (they may build on it) until
    the next try."""
    migrations = MIGRATIONS if migrations is None else migrations
    if not await pending(migrations):
        return []
    collection = MigrationRecord.get_pymongo_collection()
    completed = []
    async with lease.held(LEASE, ttl=LEASE_TTL, holder=holder) as tenure:
        if tenure is None:
            return []           # another process runs them
        for migration in await pending(migrations):     # again: one may have finished before we got the lease
            record = await collection.find_one_and_update(
                {"_id": migration.name}, {"$setOnInsert": {"started_at": utcnow(), "after": None}},
                upsert=True, return_document=ReturnDocument.AFTER)
            log.info("migration %s: starting%s", migration.name,
                     f" from {record['after']}" if record.get("after") is not None else "")
            try:
                result = await migration.run(Checkpoint(migration.name, record.get("after"), tenure))
            except LeaseLost:
                return completed
            except Exception:
                log.exception("migration %s failed; it will be tried again", migration.name)
                return completed
            await collection.update_one({"_id": migration.name}, {"$set": {"done_at": utcnow(), "result": result}})
            log.info("migration %s: done (%d)", migration.name, result)
            completed.append(migration.name)
    return completed
