"""Pre-counted statistics: what every stored dossier row contributes to the statistics page, kept as
counters so a figure reads a few small documents instead of every row in scope (an aggregation over a
province's 100,000 rows read them all: seconds on SecantusDB, docs/BENCHMARKS.md, Statistics).

A row counts under each of its scope keys (its read keys but the applicant's own and the meeting and
entry keys, which no statistics scope is; plus ALL, the system administrator's), four times: in that key's
document of the row's batch (`by` "batch"), of its employer unit ("unit") and of its employer's region
("region": the region code the declaration carries, `declaration.employer_region_code`). A document holds
cells, one per (batch, year, series, level, title[, unit][, region]) with the declarations `d`, passes `p`,
not passed `n` and, in the batch and unit documents, per review node how many waits fell in each bucket
`t.<node>.<bucket>` (an hour wide under three days, a day under 180 days, 30 days beyond). A unit document
also holds its declarations in all, `d`, indexed with (scope, by) so a figure by unit reads the units with
the most declarations first and stops when the rest cannot overtake them (app.exports.statistics); a
figure by region reads one document per region in scope, each the size of the dictionary cells (not of
the units in the region). And the fourth: a unit's declarations at each level, in a document of their
own (`by` "unit:<level>", with its `d`, no waits): a figure by unit narrowed to a level ranks the units by
them, exactly (a level is the filter the page uses most, and the one that keeps the smallest share of a unit).
Kind is folded from the batches when read.

Invariant: the counters are the sum of the contributions of the stored rows. Each row carries
`counted`, a fingerprint of what it contributes; app.dossiers.rows replaces a row whose fingerprint
changes only conditioned on the fingerprint it replaces and then applies the difference here (`apply`),
so each change is counted once whoever races. `rebuild` recomputes everything from the rows (the
rows' migration, the nightly reconcile, `python -m app rebuild-rows`); `expected` is the same sum for a
test to compare."""

import hashlib
from collections import Counter, defaultdict
from typing import Any

from beanie import Document
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import BulkWriteError

from app import counters

# A pass: the committee (or the 受理点 of an 初定/认定) approved it; not passed: the committee did not.
PASSED = ("approved", "publicity", "publicized", "certified")
NOT_PASSED = ("not_approved",)
ALL = "*"                                   # the key every row counts under: the system administrator's
CELL_FIELDS = ("batch", "year", "series", "level", "title", "unit", "region")
BY = ("batch", "unit", "region")       # and "unit:<level>": a unit's declarations at one level
HOUR, DAY = 3600, 86400
# What a rebuild reads of a row, and what a row store reads of the row it replaces.
READS = {"applicant_id": 1, "reader_ids": 1, "batch_id": 1, "year": 1, "status": 1, "declaration.series": 1,
         "declaration.level": 1, "declaration.title": 1, "declaration.employer_unit_id": 1,
         "declaration.employer_region_code": 1, "node_seconds": 1, "version": 1, "counted": 1}


class StatisticsCount(Document):
    """The counters of one scope key's batch (`by` "batch"), employer unit ("unit"), region ("region") or
    employer unit's declarations at one level ("unit:<level>")."""
    scope: Any
    by: str
    part: Any
    d: int = 0                      # a unit document's declarations (at its level): the order a figure by unit reads
    cells: dict[str, Any] = {}

    class Settings:
        name = "statistics_counts"
        indexes = [IndexModel([("scope", ASCENDING), ("by", ASCENDING), ("part", ASCENDING)], unique=True),
                   IndexModel([("scope", ASCENDING), ("by", ASCENDING), ("d", DESCENDING)])]


def scope_keys(row: dict) -> list:
    """The keys a row counts under: its read keys that stand for a unit, a region or a committee, and ALL."""
    own = row.get("applicant_id")
    return [ALL, *(k for k in row.get("reader_ids") or [] if k != own
                   and not (isinstance(k, str) and k.startswith(("meeting:", "entry:"))))]


def wait_bucket(seconds: int) -> int:
    """The lower bound of a wait's bucket, in seconds."""
    width = HOUR if seconds < 72 * HOUR else DAY if seconds < 180 * DAY else 30 * DAY
    return seconds // width * width


def bucket_width(lower: int) -> int:
    return HOUR if lower < 72 * HOUR else DAY if lower < 180 * DAY else 30 * DAY


def _escaped(value: Any) -> str:
    """A cell key part: field names take no '.' or leading '$', and '~' separates the parts."""
    if value is None:
        return ""
    return str(value).replace("%", "%25").replace(".", "%2E").replace("$", "%24").replace("~", "%7E")


def _unescaped(part: str) -> str | None:
    if part == "":
        return None
    return part.replace("%7E", "~").replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def cell_fields(cell: str) -> dict[str, str | None]:
    """A cell key's parts by name (batch and unit as hex strings, year as a string)."""
    return dict(zip(CELL_FIELDS, (_unescaped(p) for p in cell.split("~"))))


def _bucket(status: str | None) -> str | None:
    return "p" if status in PASSED else "n" if status in NOT_PASSED else None


def contributions(row: dict | None) -> dict[tuple, dict[str, int]]:
    """What a row adds: {(scope key, by, part): {counter path: 1}}; nothing for a row without a batch."""
    if not row or row.get("batch_id") is None:
        return {}
    declaration = row.get("declaration") or {}
    unit, region = declaration.get("employer_unit_id"), declaration.get("employer_region_code")
    base = [row["batch_id"], row.get("year"), declaration.get("series"), declaration.get("level"),
            declaration.get("title")]
    out: dict[tuple, dict[str, int]] = {}
    level = declaration.get("level")
    for by, part, key_parts in (("batch", row["batch_id"], [*base, None, None]),
                                ("unit", unit, [*base, unit, region]), ("region", region, [*base, None, region]),
                                *(((f"unit:{level}", unit, [*base, unit, region]),) if level is not None else ())):
        cell = "cells." + "~".join(_escaped(p) for p in key_parts)
        made = {f"{cell}.d": 1}
        if passed := _bucket(row.get("status")):
            made[f"{cell}.{passed}"] = 1
        if by in ("batch", "unit"):          # node times read the batch documents, or one unit's
            for node, seconds in (row.get("node_seconds") or {}).items():
                made[f"{cell}.t.{node}.{wait_bucket(int(seconds))}"] = 1
        if by.startswith("unit"):
            made["d"] = 1
        for key in scope_keys(row):
            out[(key, by, part)] = made
    return out


def fingerprint(row: dict) -> str:
    """Stands for what a row contributes: equal fingerprints, equal contributions."""
    declaration = row.get("declaration") or {}
    counted = (sorted(map(str, scope_keys(row))), str(row.get("batch_id")), row.get("year"),
               *(str(declaration.get(f)) for f in ("series", "level", "title", "employer_unit_id",
                                                    "employer_region_code")),
               _bucket(row.get("status")), sorted((n, wait_bucket(int(s))) for n, s in
                                                  (row.get("node_seconds") or {}).items()))
    return hashlib.blake2b(repr(counted).encode(), digest_size=8).hexdigest()


def difference(before: dict | None, after: dict | None) -> dict[tuple, dict[str, int]]:
    """The counter changes that turn `before`'s contributions into `after`'s (zeros left out)."""
    return counters.difference(contributions(before), contributions(after))


def _key(doc: tuple) -> dict:
    scope, by, part = doc
    return {"scope": scope, "by": by, "part": part}


async def apply(before: dict | None, after: dict | None) -> None:
    """Counts a stored row changing from `before` to `after` (None: absent): one bulk write."""
    await counters.add(StatisticsCount.get_pymongo_collection(), difference(before, after), key=_key)


async def expected() -> dict[tuple, dict]:
    """The counters the stored rows add up to, as {(scope, by, part): {path: n}} without zeros."""
    from app.dossiers.rows import DossierRow

    total: dict[tuple, Counter] = defaultdict(Counter)
    async for row in DossierRow.get_pymongo_collection().find({}, READS, batch_size=1000):
        for doc, made in contributions(row).items():
            total[doc].update(made)
    return {doc: dict(c) for doc, c in total.items()}


def flattened(cells: dict, prefix: str = "cells") -> dict[str, int]:
    """A stored document's cells as {counter path: n}, zeros left out."""
    out: dict[str, int] = {}
    for name, value in cells.items():
        if isinstance(value, dict):
            out.update(flattened(value, f"{prefix}.{name}"))
        elif value:
            out[f"{prefix}.{name}"] = value
    return out


def _counted(doc: dict) -> dict[str, int]:
    """A stored document's counters as {counter path: n}, zeros left out."""
    return {**({"d": doc["d"]} if doc.get("d") else {}), **flattened(doc.get("cells") or {})}


async def stored() -> dict[tuple, dict]:
    return {(d["scope"], d["by"], d["part"]): c async for d in StatisticsCount.get_pymongo_collection().find({})
            if (c := _counted(d))}


def nested(paths: dict[str, int]) -> dict:
    """Counter paths ("cells.<cell>.d", "d") as the document they make."""
    out: dict = {}
    for path, n in paths.items():
        *parents, last = path.split(".")
        held = out
        for part in parents:
            held = held.setdefault(part, {})
        held[last] = n
    return out


async def rebuild() -> int:
    """Recomputes every counter from the rows, a document at a time (readers never see a half-empty set);
    returns how many documents changed. A write landing between its read of the rows and its write of a
    document may be lost to it: it runs with the rows' migration and nightly, when few do."""
    total = await expected()
    held = await stored()
    collection = StatisticsCount.get_pymongo_collection()
    changed = 0
    for doc in held.keys() - total.keys():
        await collection.delete_one({"scope": doc[0], "by": doc[1], "part": doc[2]})
        changed += 1
    new = [{"scope": key, "by": by, "part": part, **nested(made)}
           for (key, by, part), made in total.items() if (key, by, part) not in held]
    for start in range(0, len(new), 1000):      # the database charges per command: new ones in bulk
        chunk = new[start:start + 1000]
        try:
            await collection.insert_many(chunk, ordered=False)
        except BulkWriteError as exc:           # a driver's retry of an insert that landed, or a writer's upsert
            if any(e["code"] != 11000 for e in exc.details["writeErrors"]):     # meanwhile: made what was counted
                raise
            for e in exc.details["writeErrors"]:
                doc = {k: v for k, v in chunk[e["index"]].items() if k != "_id"}
                await collection.replace_one({"scope": doc["scope"], "by": doc["by"], "part": doc["part"]}, doc)
    changed += len(new)
    for (key, by, part), made in total.items():
        if (key, by, part) in held and held[(key, by, part)] != made:
            await collection.replace_one({"scope": key, "by": by, "part": part},
                                         {"scope": key, "by": by, "part": part, **nested(made)})
            changed += 1
    return changed
