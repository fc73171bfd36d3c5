"""Counts kept by the write path: small documents of named integers, moved by `$inc` in the same trip as
the write they count, so a reader gets a total (or a histogram) in one point read instead of counting
documents (SecantusDB has no index-only count: a count reads every matching document).

A writer that knows what a document counted for before and after its change sends the difference
(`difference`), never a recount: differences commute, so writes landing in any order leave the same
counts. Used for the review queues' counts per key and hour (app.dossiers.queue_counts)."""

from collections import Counter
from typing import Any

from pymongo import UpdateOne


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


async def add(collection, changes: dict[Any, dict[str, int]]) -> None:
    """Applies `changes` ({document id: {field: change}}) in one bulk write, creating missing documents."""
    if changes:
        await collection.bulk_write([UpdateOne({"_id": doc_id}, {"$inc": fields}, upsert=True)
                                     for doc_id, fields in changes.items()], ordered=False)
