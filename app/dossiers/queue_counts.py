"""How many queue entries (app.dossiers.rows.QueueEntry) each review-queue key holds, per hour of submission,
and the pages found with them.

A queue page in its default order (submission time) reads only the entries of the hours it shows: the key's
counts document (`{_id: key, h: {"t2026120314": 3, "none": 1, ...}}`) says how many entries each hour holds,
so adding them up in order places the page, its total is their sum, and the entries read are a two-sided range
of the (queue key, submitted_at, _id) index. SecantusDB reads every document of any range it walks (it has
no limit push-down and no index-only count: docs/BENCHMARKS.md, Review queues), so without the counts a page
cost in proportion to its whole view; with them, to the hours of one page. A view hardly larger than its page
is read whole from its rows by key instead (`page_rows`): one trip after the counts rather than two, or none
before it when this process last found the view that small, which is most of what a small view's page costs.

The one write path moves the counts by the difference between the entry it writes over and the entry it
writes (app.counters), in the same trip as the entry, and keeps it only if the entry's write, conditioned on the
entry it replaces, landed (app.dossiers.rows: `_place`, `_settle`), so racing writers count each change once. A
page checks the counts of the hours it read against the entries (or, for a small view, the rows) it found there;
when they disagree (a crash between the writes, a page reading between them) it corrects them by the difference
from the entries and answers from the whole view instead."""

import asyncio
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from beanie import Document
from pydantic import Field
from pymongo.errors import BulkWriteError

from app import counters

NONE = "none"          # entries without a submission time: first ascending, last descending, as MongoDB orders null
COUNTING = "!counting"  # present while the counts are being rebuilt (`recount`): pages read the whole view then
HOUR = timedelta(hours=1)


class QueueCount(Document):
    """The entries of one queue key per hour of submission ("t" + UTC YYYYMMDDHH, or NONE)."""
    h: dict[str, int] = Field(default_factory=dict)

    class Settings:
        name = "queue_counts"


def bucket(value: datetime | None) -> str:
    if value is None:
        return NONE
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return "t" + value.strftime("%Y%m%d%H")


def _hour(label: str) -> datetime:
    return datetime.strptime(label[1:], "%Y%m%d%H").replace(tzinfo=timezone.utc)


def counts(entry: dict | None) -> dict[str, Counter]:
    """What one queue entry (or None: in no queue) counts for: one in its hour, in each of its keys."""
    if entry is None:
        return {}
    field = f"h.{bucket(entry.get('submitted_at'))}"
    return {key: Counter({field: 1}) for key in entry["queue_keys"]}


def summed(entries: Iterable[dict | None]) -> dict[str, Counter]:
    total: dict[str, Counter] = {}
    for entry in entries:
        for key, fields in counts(entry).items():
            total.setdefault(key, Counter()).update(fields)
    return total


def changes(before: Iterable[dict | None], after: Iterable[dict | None]) -> dict[str, dict[str, int]]:
    """The counts' change when the entries `before` are replaced by the entries `after`."""
    return counters.difference(summed(before), summed(after))


async def add(moved: dict[str, dict[str, int]]) -> None:
    await counters.add(QueueCount.get_pymongo_collection(), moved)


def _in_order(labels: Iterable[str], descending: bool) -> list[str]:
    return sorted(labels, key=lambda label: (label != NONE, label), reverse=descending)


async def _entries(key: str, labels: list[str]) -> list[dict]:
    """The entries of `key` in the hours `labels` (consecutive in the key's order): at most two indexed reads."""
    from app.dossiers.rows import QueueEntry

    collection = QueueEntry.get_pymongo_collection()
    hours = sorted(label for label in labels if label != NONE)
    reads = []
    if hours:
        reads.append({"queue_keys": key, "submitted_at": {"$gte": _hour(hours[0]), "$lt": _hour(hours[-1]) + HOUR}})
    if NONE in labels:
        reads.append({"queue_keys": key, "submitted_at": None})
    found = []
    for query in reads:
        found += await collection.find(query, {"submitted_at": 1}).to_list()
    return found


async def _stored(keys: list[str]) -> dict[str, dict] | None:
    """The keys' counts documents (one point read), or None while they are being counted again."""
    stored = {d["_id"]: d.get("h") or {} async for d in QueueCount.get_pymongo_collection().find(
        {"_id": {"$in": [*keys, COUNTING]}})}
    return None if COUNTING in stored else stored


def _placed(keys: list[str], stored: dict[str, dict], skip: int, size: int,
            descending: bool) -> tuple[list[str], int, int]:
    """The hours a page falls in (in the keys' order), where it starts in the first of them, and the total."""
    held: Counter = Counter()
    for key in keys:
        held.update({label: n for label, n in stored.get(key, {}).items() if n > 0})
    wanted, first, seen = [], 0, 0
    for label in _in_order(held, descending):
        if seen + held[label] > skip and seen < skip + size:
            first = first if wanted else skip - seen
            wanted.append(label)
        seen += held[label]
    return wanted, first, seen


def _disagreeing(keys: list[str], stored: dict[str, dict], found: list[list[dict]],
                 labels: Iterable[str]) -> dict[str, dict[str, int]]:
    """By how much the counts of `labels` (and of any hour found) differ from what was found, per key."""
    wrong: dict[str, dict[str, int]] = {}
    for key, documents in zip(keys, found):
        got = Counter(bucket(d.get("submitted_at")) for d in documents)
        for label in set(labels) | got.keys():
            if got[label] != stored.get(key, {}).get(label, 0):
                wrong.setdefault(key, {})[f"h.{label}"] = got[label] - stored.get(key, {}).get(label, 0)
    return wrong


def _ordered(found: list[list[dict]], descending: bool) -> list[dict]:
    """Documents in (submitted_at, _id) order, missing times first ascending, as rows.queue_ids orders ids."""
    documents = [d for some in found for d in some]
    return sorted(documents, key=lambda d: (d.get("submitted_at") is not None, d.get("submitted_at"), d["_id"]),
                  reverse=descending)


async def _from_entries(keys: list[str], stored: dict[str, dict], skip: int, size: int,
                        descending: bool) -> tuple[list, int] | None:
    wanted, first, seen = _placed(keys, stored, skip, size, descending)
    if not wanted:
        return [], seen
    found = await asyncio.gather(*(_entries(key, wanted) for key in keys))
    wrong = _disagreeing(keys, stored, found, wanted)
    if wrong:
        await add(wrong)
        return None
    return [e["_id"] for e in _ordered(found, descending)][first:first + size], seen


async def page_ids(keys: list[str], *, skip: int, size: int, descending: bool) -> tuple[list, int] | None:
    """The ids of entries skip..skip+size of the keys' entries in (submitted_at, _id) order, as
    app.dossiers.rows.queue_ids orders them, and their total; None when the counts cannot be trusted (being
    rebuilt, or wrong for an hour read: then corrected), for the caller to read the whole view."""
    if not keys:
        return [], 0
    stored = await _stored(keys)
    return None if stored is None else await _from_entries(keys, stored, skip, size, descending)


# A view at most this many entries larger than its page is read whole from its rows, by key: one read after the
# counts, not two (the hours' entries, then the rows by id). Measured at 100,000 dossiers (docs/BENCHMARKS.md,
# Review queues): better up to ~30 rows a view, no better at ~45, where reading whole rows costs what a trip saves.
FEW = 10

# A view at most this many larger than its page, when this process last read it, is read whole from its rows in
# one trip, without its counts: one read of ~50 rows costs less than three trips (measured at 100,000).
KNOWN_FEW = 30

# The totals this process last found per view (its keys). A view last found that small is read whole from its
# rows straight away, without the counts: the whole view is its own answer (total and order), so only which
# reads are sent depends on this, never the answer; a view found larger meanwhile goes on by its counts.
_LAST_TOTALS: dict[tuple[str, ...], int] = {}
_REMEMBERED = 20_000


def _remember(view: tuple[str, ...], total: int) -> None:
    if len(_LAST_TOTALS) >= _REMEMBERED and view not in _LAST_TOTALS:
        _LAST_TOTALS.clear()
    _LAST_TOTALS[view] = total


async def page_rows(keys: list[str], *, skip: int, size: int, descending: bool,
                    projection: dict) -> tuple[list[dict], int] | None:
    """The rows (with `projection`) of the page `page_ids` places, in its order, and the view's total; None as
    for `page_ids`. A view of at most its page and KNOWN_FEW more when this process last read it: read whole
    from its rows by key in one trip (each key's read limited to that many: a complete read is the whole view).
    Else one of at most its page and FEW more: read so after its counts, and checked against the counts of
    every hour (when they differ, the counts are corrected from the view's entries alone and None returned).
    A larger view: the counts, the page's hours of entries, the page's rows by id."""
    from app.dossiers.rows import DossierRow, QueueEntry

    if not keys:
        return [], 0
    rows, view, most, known = DossierRow.get_pymongo_collection(), tuple(keys), size + FEW, size + KNOWN_FEW

    def whole_rows(limit: int = 0):
        return asyncio.gather(*(rows.find({"queue_keys": key}, {**projection, "submitted_at": 1}, limit=limit)
                                .to_list() for key in keys))

    last = _LAST_TOTALS.get(view)
    if last is not None and skip < last <= known:
        found = await whole_rows(limit=known + 1)
        if all(len(some) <= known for some in found):
            total = sum(len(some) for some in found)
            _remember(view, total)
            return _ordered(found, descending)[skip:skip + size], total
    stored = await _stored(keys)
    if stored is None:
        return None
    wanted, _, total = _placed(keys, stored, skip, size, descending)
    _remember(view, total)
    if wanted and total <= most:
        every = {label for key in keys for label in stored.get(key, {})}
        found = await whole_rows()
        if not _disagreeing(keys, stored, found, every):
            return _ordered(found, descending)[skip:skip + size], total
        # The counts are checked against the entries, never the rows: the view's (few) entries, every hour.
        entries = await asyncio.gather(*(QueueEntry.get_pymongo_collection().find(
            {"queue_keys": key}, {"submitted_at": 1}).to_list() for key in keys))
        wrong = _disagreeing(keys, stored, entries, every)
        if wrong:
            await add(wrong)
        return None
    placed = await _from_entries(keys, stored, skip, size, descending)
    if placed is None or not placed[0]:
        return placed
    ids, total = placed
    held = {r["_id"]: r async for r in rows.find({"_id": {"$in": ids}}, projection)}
    return [held[i] for i in ids if i in held], total


async def recount() -> int:
    """Counts every queue entry again from nothing (a release that adds the counts, a repair); pages read
    whole views meanwhile. One read of the entries (projected): returns how many were counted."""
    from app.dossiers.rows import QueueEntry

    collection = QueueCount.get_pymongo_collection()
    await collection.replace_one({"_id": COUNTING}, {"h": {}}, upsert=True)
    await collection.delete_many({"_id": {"$ne": COUNTING}})
    entries = [e async for e in QueueEntry.get_pymongo_collection().find(
        {}, {"queue_keys": 1, "submitted_at": 1}, batch_size=1000)]
    documents = [{"_id": key, "h": {field.removeprefix("h."): n for field, n in fields.items()}}
                 for key, fields in summed(entries).items()]
    for start in range(0, len(documents), 500):
        try:    # inserts, not $inc: a batch the driver sends again after a timeout collides instead of adding twice
            await collection.insert_many(documents[start:start + 500], ordered=False)
        except BulkWriteError as exc:
            if any(error["code"] != 11000 for error in exc.details["writeErrors"]):
                raise
    await collection.delete_one({"_id": COUNTING})
    return len(entries)
