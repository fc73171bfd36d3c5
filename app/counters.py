"""Counts kept by the write path: small documents of named integers, moved by `$inc` in the same trip as
the write they count, so a reader gets a total (or a histogram) in one point read instead of counting
documents (SecantusDB has no index-only count: a count reads every matching document).

A writer that knows what a document counted for before and after its change sends the difference
(`difference`), never a recount: differences commute, so writes landing in any order leave the same
counts. Used for the review queues' counts per key and hour (app.dossiers.queue_counts) and the statistics'
counters (app.dossiers.counts)."""

from collections import Counter
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


async def add(collection, changes: dict[Any, dict[str, int]], *, key=_by_id) -> None:
    """Applies `changes` ({document id: {field: change}}) in one bulk write, creating missing documents; `key`
    turns a document id into its filter. An upsert that raced another for a new document is sent again (the
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
