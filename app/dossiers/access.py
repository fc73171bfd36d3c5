"""Who read a dossier, recorded off the request's path.

Every read of a dossier by someone other than its applicant (and every download and export of it) is
recorded as ONE record per reader, dossier and day: an upsert that keeps the first and last time, the
count, each distinct action and the last address. The request only notes the read here; the notes are
gathered for at most FLUSH_SECONDS and written together in one bulk write, so a reviewer's page pays no
round trip for its own audit and a hundred reads cost one write. A write that fails is kept and tried
again (and logged); stopping the app writes what is left (app.main's lifespan)."""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from beanie import PydanticObjectId
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError, PyMongoError

from app.clock import CHINA, utcnow
from app.dossiers.models import DossierAccess

log = logging.getLogger(__name__)

# The longest a read waits before its record is written; reads meanwhile share the write.
FLUSH_SECONDS = 0.5
# Held records beyond this while the database refuses them are dropped, loudly.
MAX_PENDING = 50_000


@dataclass
class _Pending:
    user_name: str
    first_at: datetime
    last_at: datetime
    times: int = 0
    actions: list[dict] = field(default_factory=list)
    ip: str | None = None


_pending: dict[tuple, _Pending] = {}
_flusher: asyncio.Task | None = None


def day_of(moment: datetime) -> str:
    """The calendar day in China a moment falls on: the day an access record counts."""
    return moment.astimezone(CHINA).date().isoformat()


def record(*, dossier_id: PydanticObjectId, user_id: PydanticObjectId, user_name: str, action: str,
           detail: str | None = None, ip: str | None = None, counted: bool = True) -> None:
    """Notes one access; its record is written within FLUSH_SECONDS (or by `flush`). `counted=False` notes what a
    read showed (a full ID number) without counting it as a read of its own."""
    global _flusher
    now = utcnow()
    key = (dossier_id, user_id, day_of(now))
    pending = _pending.get(key)
    if pending is None:
        if len(_pending) >= MAX_PENDING:
            log.error("access records: %d held and the database refuses them; dropping one for dossier %s",
                      len(_pending), dossier_id)
            return
        pending = _pending[key] = _Pending(user_name=user_name, first_at=now, last_at=now)
    pending.last_at, pending.times, pending.user_name = now, pending.times + counted, user_name
    pending.ip = ip or pending.ip
    what = {"action": action, "detail": detail}
    if what not in pending.actions:
        pending.actions.append(what)
    if _flusher is None or _flusher.done():
        _flusher = asyncio.get_running_loop().create_task(_flush_later())


def waiting() -> int:
    """How many noted records wait to be written: a long export (app.exports.tables) writes them before reading on."""
    return len(_pending)


async def _flush_later() -> None:
    delay = FLUSH_SECONDS
    while _pending:
        await asyncio.sleep(delay)
        try:
            await flush()
            delay = FLUSH_SECONDS
        except PyMongoError:
            log.exception("access records: %d not written yet, trying again", len(_pending))
            delay = min(delay * 2, 30.0)


def _upsert(key: tuple, pending: _Pending) -> UpdateOne:
    dossier_id, user_id, day = key
    return UpdateOne({"dossier_id": dossier_id, "user_id": user_id, "day": day},
                     {"$min": {"first_at": pending.first_at}, "$max": {"last_at": pending.last_at},
                      "$inc": {"times": pending.times},
                      "$set": {"user_name": pending.user_name, **({"ip": pending.ip} if pending.ip else {})},
                      "$addToSet": {"actions": {"$each": pending.actions}}}, upsert=True)


async def _write(keys: list[tuple], taken: dict[tuple, _Pending]) -> list[tuple]:
    """One bulk write of these records; returns the keys it could not write."""
    try:
        await DossierAccess.get_pymongo_collection().bulk_write([_upsert(key, taken[key]) for key in keys],
                                                                ordered=False)
        return []
    except BulkWriteError as error:
        return [keys[e["index"]] for e in error.details.get("writeErrors", [])]


async def flush() -> int:
    """Writes every noted access now; returns how many records were written. What fails stays noted
    (merged with what comes meanwhile) and PyMongoError is raised."""
    if not _pending:
        return 0
    taken = dict(_pending)
    _pending.clear()
    failed = list(taken)
    try:
        failed = await _write(failed, taken)
        if failed:      # two processes inserting one day's record at once: tried again, it finds the other's
            failed = await _write(failed, taken)
    finally:            # also when cancelled mid-write: nothing is dropped, at worst written twice
        for key in failed:
            _merge(key, taken[key])
    if failed:
        raise PyMongoError(f"{len(failed)} access records refused")
    return len(taken)


def _merge(key: tuple, earlier: _Pending) -> None:
    later = _pending.get(key)
    if later is None:
        _pending[key] = earlier
        return
    later.first_at, later.times = earlier.first_at, later.times + earlier.times
    later.actions = earlier.actions + [a for a in later.actions if a not in earlier.actions]
    later.ip = later.ip or earlier.ip


async def stop() -> None:
    """Writes what is left (at shutdown), in place of the waiting flusher."""
    global _flusher
    if _flusher is not None and not _flusher.done():
        _flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _flusher
    _flusher = None
    try:
        await flush()
    except PyMongoError:
        log.exception("access records: %d could not be written at shutdown", len(_pending))
