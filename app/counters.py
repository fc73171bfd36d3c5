"""Counts kept by the write path: small documents of named integers, moved by `$inc` in the same trip as
the write they count, so a reader gets a total (or a histogram) in one point read instead of counting
documents (SecantusDB has no index-only count: a count reads every matching document).

A writer that knows what a document counted for before and after its change sends the difference
(`difference`), never a recount: differences commute, so writes landing in any order leave the same
counts. Used for the review queues' counts per key and hour (app.dossiers.queue_counts) and the statistics'
counters (app.dossiers.counts).

Concurrent writers' differences to one collection are sent together (`add`): while one bulk write of a
collection's counters is on its way, the differences that arrive meanwhile are summed and go in the next one.
A deadline spike's submits all move the same few documents (a submit moves ~18 statistics cells and 3 queue
counts, the same for every applicant of a batch and employer), and SecantusDB commits each statement of a bulk
as a journaled transaction of its own under the collection's lock (~5 ms each): 50 submits' 1,050 statements
queued there for seconds (docs/BENCHMARKS.md, Deadline spike). Each writer still returns only once the
write holding its difference has landed, so it counts what it wrote before it answers, as before."""

import asyncio
import weakref
from collections import Counter, defaultdict
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError


def difference(before: dict[Any, Counter], after: dict[Any, Counter]) -> dict[Any, dict[str, int]]:
    """{counter document id: {field: change}} taking the counts of `before` to those of `after`, without zeros."""
    changes: dict[Any, dict[str, int]] = {}
    for doc_id in before.keys() | after.keys():
        moved = Counter(after.get(doc_id, Counter()))
        moved.subtract(before.get(doc_id, Counter()))
        fields = {field: n for field, n in moved.items() if n}
        if fields:
            changes[doc_id] = fields
    return changes


def _by_id(doc_id: Any) -> dict:
    return {"_id": doc_id}


class _Batch:
    """Differences waiting for one bulk write, and the task that sends them."""

    def __init__(self) -> None:
        self.changes: dict[Any, Counter] = defaultdict(Counter)
        self.sent: asyncio.Task | None = None


# Per event loop (tests run one per test): for each (collection, key), the batch still gathering and the lock
# that lets one bulk write of it be on its way at a time.
_loops: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = weakref.WeakKeyDictionary()


async def add(collection, changes: dict[Any, dict[str, int]], *, key=_by_id) -> None:
    """Applies `changes` ({document id: {field: change}}), creating missing documents; `key` turns a document
    id into its filter. Returns once they have landed, summed with those of other writers that arrived while
    the collection's previous bulk write was on its way (one bulk write each time, see above)."""
    if not changes:
        return
    state = _loops.setdefault(asyncio.get_running_loop(), {})
    slot = (collection.full_name, key)
    lock, batch = state.get(slot) or (asyncio.Lock(), None)
    if batch is None:
        batch = _Batch()
        batch.sent = asyncio.ensure_future(_send(collection, key, slot, lock, batch))
        state[slot] = (lock, batch)
    for doc_id, fields in changes.items():
        batch.changes[doc_id].update(fields)
    await asyncio.shield(batch.sent)        # a caller that goes away leaves the others' write to land


async def _send(collection, key, slot, lock: asyncio.Lock, batch: _Batch) -> None:
    async with lock:                        # the previous bulk write lands first; this batch gathers meanwhile
        state = _loops[asyncio.get_running_loop()]
        if state.get(slot, (None, None))[1] is batch:
            state[slot] = (lock, None)      # later differences go in the next batch
        changes = {doc_id: {f: n for f, n in fields.items() if n} for doc_id, fields in batch.changes.items()}
        await _write(collection, {doc_id: fields for doc_id, fields in changes.items() if fields}, key)


async def _write(collection, changes: dict[Any, dict[str, int]], key) -> None:
    """One bulk write of `changes`. An upsert that raced another for a new document is sent again (the
    document exists then)."""
    writes = [UpdateOne(key(doc_id), {"$inc": dict(fields)}, upsert=True) for doc_id, fields in changes.items()]
    for _ in range(3):
        if not writes:
            return
        try:
            await collection.bulk_write(writes, ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details["writeErrors"]
            if any(e["code"] != 11000 for e in errors):
                raise
            writes = [writes[e["index"]] for e in errors]
    await collection.bulk_write(writes, ordered=False)
