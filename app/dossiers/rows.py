"""One small row per dossier, kept in step with every write of it, for the Excel tables.

A dossier is one large document (sections, snapshots, trail: ~14 KB and growing); a 10,000-row roster
would otherwise read them all to show a few fields of each. The row repeats the fields selections
filter and sort on under the dossier's own paths (so the same filter runs on either collection) and
holds the facts the tables show, computed once per write. A dossier in some review queue also has a smaller
queue entry (QueueEntry: its queue keys and what a page narrows and sorts on), written beside the row.

The one write path (app.dossiers.writes) stores the row of every document it writes (but the version and
time alone of a dossier in no queue: `moved`). A row is written
only over a row of the same or an older version, so a slow store never undoes a newer one, and a row or a queue
entry only conditioned on the one it replaces (the row's counted fingerprint; the entry's version, keys and
submission time), so the statistics' counters and the queue counts move once per change whoever races; `reconcile` (run
step by step in the background when SCHEMA changes and nightly, see app/migrations.py and app/scheduler.py,
and by `python -m app rebuild-rows`) repairs rows a crash left behind or an older FACTS produced."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from beanie import Document, PydanticObjectId
from bson import ObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel, InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from app.accounts.enums import COMMITTEE_ROLES
from app.clock import CHINA, utcnow
from app.dossiers import counts, derived, queue_counts
from app.dossiers.enums import STATUS_LABELS
from app.dossiers.models import Dossier, pending_edit_request
from app.dossiers.enums import ACTION_LABELS
from app.dossiers.enums import OPINION_LABELS

log = logging.getLogger(__name__)

# Bump when what row_of writes changes: the app then recomputes every row once, in the background
# (the migration named after it in app/migrations.py).
SCHEMA = 7

# Dossier fields the rows carry unchanged: what selections filter and sort on.
COPIED = ("applicant_id", "applicant_name", "id_number", "batch_id", "year", "status", "current_unit_id",
          "committee_code", "reported_to", "route_unit_ids", "reported_by", "returned_by", "meeting_id", "version",
          "reader_ids", "submitted_at", "updated_at", "certificate")
# The order of tables and bundles (by unit, then name).
FOLDER_ORDER = [("declaration.employer_unit_name", ASCENDING), ("applicant_name", ASCENDING), ("_id", ASCENDING)]


def queue_keys(doc: dict) -> list[str]:
    """The review queues (app.routing.queues) a dossier is in, one key per view and node:
    "pending:<unit>", "passed:<unit>", "turned_down:<unit>" (every dossier the unit ever returned),
    "sent_back:<unit>" (被退回: returned to the unit from above, not yet reported again), "reported:<unit>",
    "all:<unit>", "to_certify:<unit>" (待发证 at a 受理点: granted 初定/认定, no certificate yet),
    "committee:<code>", "requests:<unit>" (an applicant's request waits for the unit) and "reissue:<code>" (a
    补证申请 waits for the committee's office, app.committee.reissue); those of views
    holding several statuses also with ":<status>" after them, so a view narrowed to a status is one
    equality too."""
    status, holder = doc.get("status"), doc.get("current_unit_id")
    if status == "abandoned":           # deleted for the year: in no queue, kept only for the record
        return []
    keys: list[str] = []
    if holder is not None and status in ("submitted", "passed"):
        keys.append(f"all:{holder}")
        if sent_back(doc):
            keys.append(f"sent_back:{holder}")
    keys += [f"turned_down:{u}" for u in doc.get("returned_by") or []]
    keys += [f"reported:{u}" for u in doc.get("reported_by") or []]
    keys += [f"all:{u}" for u in [*(doc.get("reported_by") or []), *(doc.get("returned_by") or [])]]
    if doc.get("committee_code"):
        keys.append(f"committee:{doc['committee_code']}")
    keys = list(dict.fromkeys(keys))
    keys += [f"{key}:{status}" for key in keys]
    if holder is not None and status in ("submitted", "passed"):
        keys.append(f"{'pending' if status == 'submitted' else 'passed'}:{holder}")
    if holder is not None and status == "approved" and not doc.get("committee_code"):
        keys.append(f"to_certify:{holder}")     # only a 受理点 grants without a committee (app.committee.acceptance)
    keys += [f"requests:{unit}" for unit in request_units(doc)]
    keys += [f"reissue:{r['committee_code']}" for r in doc.get("reissue_requests") or [] if r.get("status") == "pending"]
    return keys


# The trail's actions that put a dossier at the node holding it: a submission, a report, a return from above,
# a recall (修改归口部门). Every other action keeps the holder or sends the dossier to its applicant.
PLACING = ("submit", "report", "return", "recall")


def sent_back(doc: dict) -> bool:
    """被退回 (004 单位用户界面: 待上报、被退回修改人数): the dossier reached the unit holding it by a return from
    above (a higher unit or the committee sent it down: the trail entry's to_status is submitted, where a return
    to the applicant reads returned), so the unit is to correct it and report it again; it stays so while the
    unit passes it, and stops when it is reported, sent further down or to the applicant."""
    for entry in reversed(doc.get("trail") or []):
        if entry.get("action") in PLACING:
            return entry.get("action") == "return" and entry.get("to_status") == "submitted"
    return False


def request_units(doc: dict) -> list:
    """The units an applicant's request waits for: the holder of a 退回编辑申请, the employer of a 申请修改学历."""
    units = []
    if pending_edit_request(doc):        # the node holding it answers
        units.append(doc["current_unit_id"])
    units += [r["unit_id"] for r in doc.get("education_requests") or [] if r.get("status") == "pending"]
    return list(dict.fromkeys(units))


def _get(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def _path(path: str) -> Callable[[dict], Any]:
    return lambda d: _get(d, path)


def _highest_education(doc: dict) -> dict:
    rows = _get(doc, "sections.education.rows") or []
    return next((r for r in rows if r.get("highest")), None) or next((r for r in rows if r.get("qualifying")),
                                                                     None) or (rows[-1] if rows else {})


def _identity(key: str) -> Callable[[dict], Any]:
    """Gender or birth date as every reader gets them: a resident ID number's (derived.basic_as_read)."""
    return lambda d: (derived.basic_as_read(_get(d, "sections.basic"), d.get("id_number")) or {}).get(key)


def _education(key: str) -> Callable[[dict], Any]:
    return lambda d: _highest_education(d).get(key)


def _signed(entry: dict) -> str:
    signed = (entry.get("detail") or {}).get("signed_on") or entry.get("at") or ""
    return signed.astimezone(CHINA).strftime("%Y-%m-%d") if isinstance(signed, datetime) else str(signed)


def _opinions(stage: str) -> Callable[[dict], str | None]:
    """One stage's opinions from the trail, a line per entry: who, what, the opinion, signer and date."""
    def opinions(doc: dict) -> str | None:
        employer = _get(doc, "declaration.employer_unit_id")
        lines = []
        for entry in doc.get("trail") or []:
            committee = entry.get("role") in COMMITTEE_ROLES
            if entry.get("role") == "applicant" or (stage == "committee") != committee:
                continue
            if not committee and (stage == "employer") != (entry.get("unit_id") == employer):
                continue
            if not entry.get("opinion") and entry.get("action") not in ("pass", "report", "accept"):
                continue
            head = f"{entry.get('unit_name') or ''}{ACTION_LABELS.get(entry.get('action'), entry.get('action'))}"
            tail = "，".join(p for p in (entry.get("signer"), _signed(entry)) if p)
            lines.append(f"{head}：{entry.get('opinion') or '同意'}" + (f"（{tail}）" if tail else ""))
        return "\n".join(lines) or None
    return opinions


# The review node a trail entry's role acts at, for the time a dossier spent there (app.exports.statistics).
NODE_OF_ROLE = {"unit_handler": "unit", "unit_admin": "unit", "dept_handler": "department", "hr_handler": "hr",
                **{str(role): "committee" for role in COMMITTEE_ROLES}}


def node_seconds(doc: dict) -> dict[str, int]:
    """Seconds the dossier waited at each kind of review node, summed over its visits: each reviewer's entry
    counts from the trail entry before it (the dossier reaching the node, or the node's own previous step)."""
    spent: dict[str, int] = {}
    before = None
    for entry in doc.get("trail") or []:
        at, node = entry.get("at"), NODE_OF_ROLE.get(entry.get("role"))
        if node and isinstance(before, datetime) and isinstance(at, datetime):
            spent[node] = spent.get(node, 0) + max(0, int((at - before).total_seconds()))
        before = at
    return spent


def _result(doc: dict) -> str | None:
    passed = _get(doc, "votes.passed")
    return None if passed is None else ("通过" if passed else "未通过")


def _publicity(doc: dict) -> str | None:
    opinion = _get(doc, "publicity.opinion")
    if not opinion:
        return None
    text = OPINION_LABELS.get(opinion.get("opinion"), opinion.get("opinion"))
    return f"{text}：{opinion['reason']}" if opinion.get("reason") else text


# What the tables can show of a dossier, by name. Codes stay codes (dictionary names may change and
# are looked up when a table is written); everything else is as the table shows it.
FACTS: dict[str, Callable[[dict], Any]] = {
    "name": _path("applicant_name"),
    "gender": _identity("gender"),
    "birth_date": _identity("birth_date"),
    "id_number": _path("id_number"),
    "ethnicity": _path("sections.basic.ethnicity"),
    "politics": _path("sections.basic.politics"),
    "phone": _path("sections.basic.phone"),
    "work_start": _path("sections.basic.work_start"),
    "unit": _path("declaration.employer_unit_name"),
    "actual_unit": _path("declaration.actual_unit_name"),
    "education": _education("education_level"),
    "degree": _education("degree"),
    "school": _education("school"),
    "major": _education("major"),
    "graduated": _education("end"),
    "current_title": _path("sections.current_title.title_name"),
    "current_title_on": _path("sections.current_title.obtained_on"),
    "hired_on": _path("sections.current_title.hired_on"),
    "series": _path("declaration.series"),
    "level": _path("declaration.level"),
    "title": _path("declaration.title"),
    "specialty": _path("declaration.specialty"),
    "mode": _path("declaration.mode"),
    "unit_rank": _path("declaration.unit_rank"),
    "batch_id": _path("batch_id"),
    "year": _path("year"),
    "status": lambda d: STATUS_LABELS.get(d.get("status"), d.get("status")),
    "submitted_at": _path("submitted_at"),
    "meeting_id": lambda d: d.get("meeting_id") or _get(d, "votes.meeting_id"),
    "members": _path("votes.eligible"),
    "present": _path("votes.present"),
    "yes": _path("votes.yes"),
    "no": _path("votes.no"),
    "abstain": _path("votes.abstain"),
    "result": _result,
    "opinion_employer": _opinions("employer"),
    "opinion_route": _opinions("route"),
    "opinion_committee": _opinions("committee"),
    "publicity": _publicity,
    "certificate": _path("certificate.number"),
}


class DossierRow(Document):
    """The row of one dossier; its id is the dossier's."""
    applicant_id: PydanticObjectId
    applicant_name: str
    id_number: str
    batch_id: PydanticObjectId
    year: int
    status: str
    declaration: dict[str, Any]
    current_unit_id: PydanticObjectId | None = None
    committee_code: str | None = None
    reported_to: list[str] = Field(default_factory=list)
    route_unit_ids: list[PydanticObjectId] = Field(default_factory=list)
    reported_by: list[PydanticObjectId] = Field(default_factory=list)
    returned_by: list[PydanticObjectId] = Field(default_factory=list)
    meeting_id: PydanticObjectId | None = None
    reader_ids: list[PydanticObjectId | str] = Field(default_factory=list)
    queue_keys: list[str] = Field(default_factory=list)
    submitted_at: datetime | None = None
    updated_at: datetime | None = None
    certificate: dict[str, Any] | None = None
    node_seconds: dict[str, int] = Field(default_factory=dict)
    counted: str | None = None          # what it adds to the statistics' counters (app.dossiers.counts)
    version: int
    schema_version: int = SCHEMA
    facts: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "dossier_rows"
        # Every selection is one equality on a multikey key (a queue's, or a reader's) followed by the
        # sort it is read in; the batch is the one narrowing with its own index (archives, committees).
        # Queue pages read QueueEntry, not these.
        indexes = [
            IndexModel([("queue_keys", ASCENDING), *FOLDER_ORDER]),
            IndexModel([("queue_keys", ASCENDING), ("batch_id", ASCENDING)]),
            IndexModel([("reader_ids", ASCENDING), *FOLDER_ORDER]),
            IndexModel([("reader_ids", ASCENDING), ("batch_id", ASCENDING)]),
            IndexModel(FOLDER_ORDER),
            IndexModel([("batch_id", ASCENDING), ("status", ASCENDING)]),
            IndexModel([("applicant_id", ASCENDING)]),
            IndexModel([("updated_at", ASCENDING), ("_id", ASCENDING)]),     # the forms cache's warm-up mark
        ]


# What a queue page narrows on besides its key and sorts on (app.routing.queues: DossierFilter, SORTS).
ENTRY_FIELDS = ("applicant_name", "id_number", "year", "batch_id", "submitted_at", "updated_at", "version")
ENTRY_DECLARATION = ("level", "series", "title", "employer_unit_id", "employer_unit_name")


class QueueEntry(Document):
    """A dossier's place in the review queues: its queue keys and what a page narrows and sorts on, nothing
    else (~0.4 KB against the row's ~1.9 KB; only dossiers in some queue have one). A page in the default order
    reads the entries of its own hours (app.dossiers.queue_counts); any other reads every entry of its view,
    unsorted, and orders them itself: SecantusDB decodes each document it reads and sorts in Python, which at
    2,500 rows made ~90 % of a page (docs/BENCHMARKS.md, Review queues)."""
    queue_keys: list[str]
    applicant_name: str
    id_number: str
    year: int
    batch_id: PydanticObjectId
    declaration: dict[str, Any]
    submitted_at: datetime | None = None
    updated_at: datetime | None = None
    version: int

    class Settings:
        name = "dossier_queue"
        # The key, then the one narrowing read as a range (a name prefix); the batch, an equality; the key and
        # the submission time: the hours of a page in the default order (app.dossiers.queue_counts).
        indexes = [
            IndexModel([("queue_keys", ASCENDING), ("submitted_at", ASCENDING), ("_id", ASCENDING)]),
            IndexModel([("queue_keys", ASCENDING), ("applicant_name", ASCENDING), ("_id", ASCENDING)]),
            IndexModel([("queue_keys", ASCENDING), ("batch_id", ASCENDING)]),
        ]


def entry_of(row: dict) -> dict | None:
    """The queue entry of a row (row_of's output), or None when the dossier is in no queue."""
    if not row["queue_keys"]:
        return None
    declaration = row["declaration"]
    return {"queue_keys": row["queue_keys"], **{field: row[field] for field in ENTRY_FIELDS},
            "declaration": {field: declaration.get(field) for field in ENTRY_DECLARATION}}


def row_of(doc: dict) -> dict:
    """The row of a raw dossier document (without its _id)."""
    row = {field: doc.get(field) for field in COPIED}
    row["declaration"] = dict(doc.get("declaration") or {})      # whole (~300 bytes): a queue page shows it
    row["queue_keys"] = queue_keys(doc)
    row["node_seconds"] = node_seconds(doc)
    row["counted"] = counts.fingerprint(row)
    row["schema_version"] = SCHEMA
    row["facts"] = {name: fact(doc) for name, fact in FACTS.items()}
    return row


class _Ordered:
    """One sort field's value as the database orders it (missing first), in either direction."""
    __slots__ = ("value", "descending")

    def __init__(self, value: Any, descending: bool):
        self.value, self.descending = (value is not None, value), descending

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ordered) and self.value == other.value

    def __lt__(self, other: "_Ordered") -> bool:
        return other.value < self.value if self.descending else self.value < other.value


def order_key(row: dict, sort: list[tuple[str, int]]) -> tuple:
    return tuple(_Ordered(_get(row, field), direction < 0) for field, direction in sort)


async def queue_ids(filters: list[dict], field: str, *, descending: bool) -> list:
    """The ids of the queue entries matching any of `filters` (one indexed equality each), in (field, _id)
    order, missing values first as MongoDB orders them (last when descending). The database is not asked
    to sort: SecantusDB has no limit push-down and sorts in Python, far slower than sorting here the few
    thousand entries a view holds; MongoDB reads the same index range either way."""
    found: dict = {}
    for f in filters:
        async for entry in QueueEntry.get_pymongo_collection().find(f, batch_size=1000):
            found[entry["_id"]] = _get(entry, field)
    return [i for *_, i in sorted(((value is not None, value, i) for i, value in found.items()), reverse=descending)]


async def keyed_ids(*keys: str, name_prefix: str | None = None, **narrowing: Any) -> list:
    """The ids of the dossiers whose queue entries hold any of these keys, by applicant name (then _id), each
    once: one indexed equality per key on the entries' (queue_keys, applicant_name, _id) index, bounded by a
    name prefix (a range on that index), the entries then narrowed here by equalities on their fields
    (ENTRY_FIELDS, and `declaration.<field>` of ENTRY_DECLARATION: SecantusDB scans for any other field beside
    the key). The lists that read whole dossiers select their ids here."""
    found: dict = {}
    for key in keys:
        f: dict = {"queue_keys": key}
        if name_prefix:     # a prefix as a range: the (key, name) index bounds it (a $regex scans on SecantusDB)
            f["applicant_name"] = {"$gte": name_prefix, "$lt": name_prefix + "\U0010ffff"}
        async for entry in QueueEntry.get_pymongo_collection().find(f, batch_size=1000):
            if all(_get(entry, field) == value for field, value in narrowing.items()):
                found[entry["_id"]] = entry.get("applicant_name")
    return [i for *_, i in sorted((name is not None, name, i) for i, name in found.items())]


async def select(filters: list[dict], *, sort: list[tuple[str, int]], projection: dict | None = None,
                 limit: int = 0, batch_size: int = 500) -> AsyncIterator[dict]:
    """Rows matching any of `filters` (each one indexed equality, one per key a user holds), merged in
    `sort` order (which ends with _id), each row once: no `$or`/`$in` the planner would scan for."""
    fields = {field: 1 for field, _ in sort}
    wanted = None if projection is None else {**projection, **fields}
    cursors = [DossierRow.get_pymongo_collection().find(f, wanted, sort=sort, limit=limit, batch_size=batch_size)
               for f in filters]
    try:
        heads = [await anext(c, None) for c in cursors]
        last = None
        while any(h is not None for h in heads):
            i = min((i for i, h in enumerate(heads) if h is not None), key=lambda i: order_key(heads[i], sort))
            row, heads[i] = heads[i], await anext(cursors[i], None)
            if row["_id"] != last:
                last = row["_id"]
                yield row
    finally:
        for c in cursors:
            await c.close()


# What a row copies that moves with every write: alone, they do not make a row worth writing while the
# dossier is in no review queue (a draft being edited), where nobody reads them.
MOVING = ("version", "updated_at")


def moved(row: dict, after: dict) -> bool:
    """Whether a write that left a dossier as `after` changes its `row` (row_of the document it was
    written over): the row of a dossier in a review queue always (a queue shows and sorts by its version
    and time); otherwise only when more than MOVING changed (a summary save of a draft changes nothing a
    table shows). The stored row then keeps an older version, which the nightly `reconcile` brings up to
    date; until then any newer store overwrites it."""
    new = row_of(after)
    return bool(new["queue_keys"]) or any(row[field] != new[field] for field in new if field not in MOVING)


# How often a row store re-reads the row it replaces after another store changed it in between.
ATTEMPTS = 20


async def _put(dossier_id: Any, row: dict, *, believed: dict | None) -> None:
    """Writes `row` over the stored row of the same or an older version, keeping the statistics' counters
    (app.dossiers.counts) the sum of the stored rows: a row is replaced only conditioned on the fingerprint
    it replaces, and a change of fingerprint is then counted. `believed` is the row the writer thinks is
    stored (the row of the version it wrote over; None: probably no row yet): when it is, one write."""
    collection = DossierRow.get_pymongo_collection()
    newer_or_same = {"$lte": row["version"]}
    if believed is not None:
        # The believed row is almost always the stored one, so its change is counted in the same trip as the
        # write (one trip fewer for a submit) and taken back in the rare case the write misses.
        moving = believed["counted"] != row["counted"]
        counted = asyncio.ensure_future(counts.apply(believed, row)) if moving else None
        try:        # the row in the caller's own task (see `store`)
            landed = await collection.update_one(
                {"_id": dossier_id, "version": newer_or_same, "counted": believed["counted"]}, {"$set": row})
        except BaseException:
            if counted is not None:
                await _take_back(counted, lambda: counts.apply(row, believed))
            raise
        if counted is not None and not landed.matched_count:
            await _take_back(counted, lambda: counts.apply(row, believed))
        elif counted is not None:
            await counted
        if landed.matched_count:
            return
    fresh = believed is None
    for _ in range(ATTEMPTS):
        old = None if fresh else await collection.find_one({"_id": dossier_id}, counts.READS)
        fresh = False
        if old is None:
            try:
                await collection.insert_one({"_id": dossier_id, **row})
            except DuplicateKeyError:       # another store came first: read what it wrote
                continue
            await counts.apply(None, row)
            return
        if (old.get("version") or 0) > row["version"]:
            return                          # a newer version's row is there already
        landed = await collection.update_one(
            {"_id": dossier_id, "version": old.get("version"), "counted": old.get("counted")}, {"$set": row})
        if landed.matched_count:
            if old.get("counted") != row["counted"]:
                await counts.apply(old, row)
            return
    raise RuntimeError(f"the row of dossier {dossier_id} kept changing under its store")


async def _take_back(counted: asyncio.Future, undo: Callable[[], Awaitable[None]]) -> None:
    """Undoes the count of a change whose write did not land (once the count itself has landed)."""
    try:
        await asyncio.shield(counted)
    except Exception:
        return                              # not counted: nothing to take back
    await undo()


# What an entry counts for (app.dossiers.queue_counts) and which version it is of: what its writes are conditioned on.
ENTRY_READS = {"queue_keys": 1, "submitted_at": 1, "version": 1}


def _replacing(dossier_id: Any, was: dict) -> dict:
    """The filter of a write over the stored entry `was` and nothing else (_id first: a point look-up)."""
    return {"_id": dossier_id, "version": was["version"], "queue_keys": was["queue_keys"],
            "submitted_at": was.get("submitted_at")}


async def _swap(dossier_id: Any, was: dict | None, entry: dict | None) -> bool:
    """One write of `entry` (None: no entry) over the stored entry `was` (None: none), conditioned on it;
    whether it landed."""
    queue = QueueEntry.get_pymongo_collection()
    if entry is None:
        return was is None or bool((await queue.delete_one(_replacing(dossier_id, was))).deleted_count)
    if was is None:
        try:
            await queue.insert_one({"_id": dossier_id, **entry})
        except DuplicateKeyError:
            return False
        return True
    return bool((await queue.update_one(_replacing(dossier_id, was), {"$set": entry})).matched_count)


async def _settle(dossier_id: Any, entry: dict | None, version: int) -> None:
    """Writes the entry of `version` (None: the dossier is in no queue) over whatever entry is stored, unless
    it is of a newer version: read, then written conditioned on what was read, and the difference counted once
    the write has landed; read again when another write changed the entry in between."""
    queue = QueueEntry.get_pymongo_collection()
    for _ in range(ATTEMPTS):
        was = await queue.find_one({"_id": dossier_id}, ENTRY_READS)
        if was is not None and was["version"] > version:
            return                          # a newer version's entry is there, counted by its own writer
        if await _swap(dossier_id, was, entry):
            await queue_counts.add(queue_counts.changes([was], [entry]))
            return
    raise RuntimeError(f"the queue entry of dossier {dossier_id} kept changing under its store")


async def _place(dossier_id: Any, entry: dict | None, version: int, *, believed: dict | None) -> None:
    """Writes the queue entry `entry` of `version` over the entry `believed` stored, conditioned on that
    entry (its version, keys and submission time), and counts the difference in the same trip; when another
    write changed the entry in between, the count is taken back and the entry settled from what is stored."""
    if believed is not None and believed["version"] > version:
        return                              # read, not believed: a newer store counted its own change
    moving = queue_counts.changes([believed], [entry])
    counted = asyncio.ensure_future(queue_counts.add(moving)) if moving else None

    async def undo() -> None:
        await queue_counts.add(queue_counts.changes([entry], [believed]))

    try:
        landed = await _swap(dossier_id, believed, entry)
    except BaseException:
        if counted is not None:
            await _take_back(counted, undo)
        raise
    if landed:
        if counted is not None:
            await counted
        return
    if counted is not None:
        await _take_back(counted, undo)
    await _settle(dossier_id, entry, version)


UNKNOWN = object()      # `store`'s `before` when the writer holds no copy of the row it wrote over


async def store(doc: dict, *, before: dict | None | object = UNKNOWN) -> None:
    """Writes the row and the queue entry of this raw dossier document, unless a newer version's are already
    there. `before` is the row of the version this write replaced (None: a new dossier, with no row nor entry;
    UNKNOWN: the stored entry is read first). Each write is conditioned on what it replaces and only a change
    that landed stays counted: the queue counts move by the difference of the entries (`_place`), the
    statistics' counts by that of the rows' fingerprints (`_put`); the entry of a dossier that left every queue
    is deleted. When `before` is right (nearly always), the writes and their counts go out together."""
    row = row_of(doc)
    entry = entry_of(row)
    if before is UNKNOWN:
        was = await QueueEntry.get_pymongo_collection().find_one({"_id": doc["_id"]}, ENTRY_READS)
    else:
        was = entry_of(before) if before is not None else None
    sent = asyncio.ensure_future(_place(doc["_id"], entry, doc["version"], believed=was))
    try:        # the row in the caller's own task (start-up tells its background work by the task)
        await _put(doc["_id"], row, believed=row if before is UNKNOWN else before)
    finally:
        await sent


GONE = float("inf")     # the version of a deleted dossier's (absent) entry: older than none


async def refresh(*dossier_ids: PydanticObjectId) -> None:
    """Writes the rows and queue entries of these dossiers from their current documents, a bulk write each
    (each only over the same or an older version, as `store`), and moves the queue counts by what changed
    from the entries stored; both deleted with their dossier. A row whose counted fingerprint changes (or that
    is missing) is written on its own, as `store` does. Each entry write is conditioned on the entry read
    (`_entries`), so only the changes that landed are counted."""
    if not dossier_ids:
        return
    found = {d["_id"]: d async for d in Dossier.get_pymongo_collection().find({"_id": {"$in": list(dossier_ids)}})}
    held = {r["_id"]: r async for r in DossierRow.get_pymongo_collection().find(
        {"_id": {"$in": list(dossier_ids)}}, counts.READS)}
    stored = {e["_id"]: e async for e in QueueEntry.get_pymongo_collection().find(
        {"_id": {"$in": list(dossier_ids)}}, ENTRY_READS)}
    row_writes, alone, gone, placed = [], [], [], []
    for i in dossier_ids:
        if i not in found:
            placed.append((i, stored.get(i), None, GONE))
            if i in held:
                gone.append(held[i])
            continue
        same_or_older = {"_id": i, "version": {"$lte": found[i]["version"]}}
        row = row_of(found[i])
        if i in held and held[i].get("counted") == row["counted"]:
            row_writes.append(UpdateOne({**same_or_older, "counted": row["counted"]}, {"$set": row}))
        else:
            alone.append((i, row))
        placed.append((i, stored.get(i), entry_of(row), found[i]["version"]))
    if row_writes:
        await _bulk(DossierRow, row_writes)      # one after the other: a rebuild's steps are not waited for
    for i, row in alone:
        await _put(i, row, believed=held.get(i))
    for old in gone:
        if (await DossierRow.get_pymongo_collection().delete_one(
                {"_id": old["_id"], "version": old.get("version"), "counted": old.get("counted")})).deleted_count:
            await counts.apply(old, None)
    await _entries(placed)


async def _entries(placed: list[tuple[Any, dict | None, dict | None, float]]) -> None:
    """Writes each (dossier id, entry read, its entry, its version) in one bulk write, conditioned on the entry
    read, and counts what landed. A miss shows per write: the update of an entry that changed meanwhile is an
    upsert whose filter no longer matches, so it collides on _id (an entry gone meanwhile is inserted: counted
    from none), as does the insert of one that appeared; a delete, which tells no such thing in a bulk, is
    sent on its own beside it (rare in a rebuild: a dossier that left every queue). The misses are then
    settled one by one from what is stored (`_settle`)."""
    queue = QueueEntry.get_pymongo_collection()
    writes, sent, deletes = [], [], []
    for i, was, entry, version in placed:
        if (was is not None and was["version"] > version) or (was is None and entry is None):
            continue                        # a newer version's entry (counted by its writer), or none to write
        if entry is None:
            deletes.append((i, was, entry, version))
        elif was is None:
            writes.append(InsertOne({"_id": i, **entry}))
            sent.append((i, was, entry, version))
        else:
            writes.append(UpdateOne(_replacing(i, was), {"$set": entry}, upsert=True))
            sent.append((i, was, entry, version))

    async def bulk() -> tuple[set[int], set[int]]:
        """The indexes of the writes that missed and of the updates that inserted."""
        if not writes:
            return set(), set()
        try:
            result = (await queue.bulk_write(writes, ordered=False)).bulk_api_result
        except BulkWriteError as exc:
            if any(error["code"] != 11000 for error in exc.details["writeErrors"]):
                raise
            result = exc.details
        return ({error["index"] for error in result["writeErrors"]},
                {upserted["index"] for upserted in result.get("upserted") or []})

    (missed, inserted), *removed = await asyncio.gather(
        bulk(), *(queue.delete_one(_replacing(i, was)) for i, was, _, _ in deletes))
    before, after, again = [], [], []
    for n, (i, was, entry, version) in enumerate(sent):
        if n in missed:
            again.append((i, entry, version))
        else:
            before.append(None if n in inserted else was)
            after.append(entry)
    for (i, was, entry, version), landed in zip(deletes, removed):
        if landed.deleted_count:
            before.append(was)
            after.append(None)
        else:
            again.append((i, entry, version))
    await queue_counts.add(queue_counts.changes(before, after))
    for i, entry, version in again:
        await _settle(i, entry, version)


async def _bulk(model: type[Document], writes: list) -> None:
    try:
        await model.get_pymongo_collection().bulk_write(writes, ordered=False)
    except BulkWriteError as exc:   # a newer version's already there: its upsert collided on _id
        if any(error["code"] != 11000 for error in exc.details["writeErrors"]):
            raise


# Rows refreshed per bulk write.
STEP = 500

# A reconcile reads the dossiers in windows of applicant_id (indexed on the dossiers and the rows; an
# ObjectId, so ordered by registration time): a two-sided range on a secondary index is the one read whose
# cost and memory SecantusDB bounds by what it holds (an _id range, a count or a sort reads the whole
# collection: docs/BENCHMARKS.md, Start-up). A window aims at WINDOW dossiers: its span (in ObjectId values,
# 2**64 a second) doubles after a window with less than half of that, up to a week, and shrinks in
# proportion after one with more; it starts at an hour from FLOOR, before which no applicant of this
# service registered (an older id is read in one window of its own, expected empty, as is what lies past
# tomorrow).
WINDOW = 1000
_SECOND = 1 << 64
_TOP = 1 << 96
_FIRST_SPAN, _LONGEST_SPAN = 3600 * _SECOND, 7 * 86400 * _SECOND
FLOOR = int.from_bytes(ObjectId.from_datetime(datetime(2024, 1, 1)).binary, "big")


def _oid(value: int) -> ObjectId:
    return ObjectId(value.to_bytes(12, "big"))


def _windows(after: ObjectId | None) -> tuple[int, int]:
    """Where a pass starts (the applicant id after which a stopped pass left off) and the span it starts with."""
    lo = 0 if after is None else int.from_bytes(after.binary, "big")
    return lo, (FLOOR - lo if lo < FLOOR else _FIRST_SPAN)


async def _window_wrong(where: dict, everything: bool) -> tuple[list, int]:
    """The dossiers of a window whose row or queue entry is missing, stale or of an older SCHEMA (all of them
    when `everything`) and the rows in it whose dossier is gone; and how many dossiers the window holds."""
    dossiers = {d["_id"]: d["version"] async for d in Dossier.get_pymongo_collection().find(where, {"version": 1})}
    held = {r["_id"]: r async for r in DossierRow.get_pymongo_collection().find(
        where, {"version": 1, "schema_version": 1, "queue_keys": 1})}
    entries = {e["_id"]: e.get("version") async for e in QueueEntry.get_pymongo_collection().find(
        {"_id": {"$in": list(dossiers)}}, {"version": 1})} if dossiers else {}
    wrong = []
    for i, version in dossiers.items():
        row = held.pop(i, None)
        if everything or row is None or (row.get("version"), row.get("schema_version")) != (version, SCHEMA) \
                or entries.get(i) != (version if row.get("queue_keys") else None):
            wrong.append(i)
    return wrong + list(held), len(dossiers)


async def walk(visit: Callable[[dict], Awaitable[tuple[int, int]]], *, after: ObjectId | None = None,
               save: Callable[[ObjectId], Awaitable[None]] | None = None,
               stop: Callable[[], bool] | None = None) -> int:
    """Passes over the dossiers in windows of applicant_id (see WINDOW), so the app and the database hold one
    window's worth whatever the number of dossiers: `visit(where)` handles the window `where` selects and returns
    how many it changed and how many dossiers the window held (which sizes the next). After each window that
    changed something `save` gets the applicant id the next window starts at (start there again with `after`)
    and `stop` may end the pass. Returns how many were changed."""
    lo, span = _windows(after)
    horizon = int.from_bytes(ObjectId.from_datetime(utcnow() + timedelta(days=1)).binary, "big")
    done = 0
    while lo < _TOP:
        hi = min(lo + span, _TOP) if lo < horizon else _TOP        # no applicant registers tomorrow
        changed, held = await visit({"applicant_id": {"$gte": _oid(lo), **({"$lt": _oid(hi)} if hi < _TOP else {})}})
        done += changed
        if lo >= FLOOR:
            span = span * 2 if held < WINDOW // 2 else span * WINDOW // held if held > WINDOW else span
            span = max(1, min(span, _LONGEST_SPAN))
        else:
            span = _FIRST_SPAN
        lo = hi
        if changed and lo < _TOP:
            if save:
                await save(_oid(lo))
            if stop and stop():
                break
    return done


async def reconcile(everything: bool = False, *, after: ObjectId | None = None,
                    save: Callable[[ObjectId], Awaitable[None]] | None = None,
                    stop: Callable[[], bool] | None = None) -> int:
    """Refreshes the rows (and queue entries) that are missing, stale, of an older SCHEMA or orphaned (all
    of them when `everything`); returns how many. One `walk` over the dossiers (`after`, `save` and `stop` are
    its); rows without an applicant id (never written by this code) are looked up last, by that null."""
    async def window(where: dict) -> tuple[int, int]:
        wrong, held = await _window_wrong(where, everything)
        for start in range(0, len(wrong), STEP):
            await refresh(*wrong[start:start + STEP])
        return len(wrong), held

    done = await walk(window, after=after, save=save, stop=stop)
    if stop and stop():
        return done
    orphans = [r["_id"] async for r in DossierRow.get_pymongo_collection().find({"applicant_id": None}, {"_id": 1})]
    await refresh(*orphans)
    done += len(orphans)
    if done:
        log.info("refreshed %d dossier rows", done)
    return done
