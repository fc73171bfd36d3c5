"""A lease in the database: at most one holder at a time across every process and machine that shares it,
for work that must run once (migrations, the rows' rebuild, periodic jobs).

A lease is one small document whose `_id` is its name. Taking it is one conditional upsert: the filter
matches it only when it is free (expired) or already ours; when it is held by another, the upsert tries to
insert the same `_id` and the unique index refuses, so two takers racing for a free lease end in one
holder. A holder renews before expiry; a holder that dies stops renewing and anyone may take it over
once it expires. Leases use the database's clock only through the times they store, so the machines'
clocks must agree to well within a lease's duration (NTP does)."""

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from beanie import Document
from pymongo.errors import DuplicateKeyError

from app.clock import utcnow

log = logging.getLogger(__name__)

# Who this process is, in every lease it holds: host, pid and a random part (pids repeat across
# containers and restarts).
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Lease(Document):
    id: str                     # the lease's name
    holder: str
    expires_at: datetime

    class Settings:
        name = "leases"


async def acquire(name: str, *, ttl: timedelta, holder: str = HOLDER) -> bool:
    """Takes the lease (or renews it when already ours) until now + ttl; False when another holds it."""
    now = utcnow()
    collection = Lease.get_pymongo_collection()
    free_or_ours = {"_id": name, "$or": [{"holder": holder}, {"expires_at": {"$lte": now}}]}
    try:
        await collection.update_one(free_or_ours, {"$set": {"holder": holder, "expires_at": now + ttl}}, upsert=True)
    except DuplicateKeyError:
        return False            # held by another: our insert of the same name collided
    return True


async def renew(name: str, *, ttl: timedelta, holder: str = HOLDER) -> bool:
    """Extends a lease we still hold; False when it expired and someone else took it (or it is gone)."""
    result = await Lease.get_pymongo_collection().update_one(
        {"_id": name, "holder": holder}, {"$set": {"expires_at": utcnow() + ttl}})
    return result.matched_count == 1


async def release(name: str, *, holder: str = HOLDER) -> bool:
    """Gives the lease up at once (only ours: a lease taken over meanwhile stays with its new holder)."""
    result = await Lease.get_pymongo_collection().delete_one({"_id": name, "holder": holder})
    return result.deleted_count == 1


class Tenure:
    """A lease being held: `lost` turns true when a renewal finds it taken over, so long work stops at
    its next step instead of running beside the new holder."""

    def __init__(self, name: str):
        self.name = name
        self.lost = False


@asynccontextmanager
async def held(name: str, *, ttl: timedelta = timedelta(minutes=2),
               holder: str | None = None) -> AsyncIterator[Tenure | None]:
    """Yields a Tenure while this process (or `holder`) holds the lease, renewed every third of its ttl and
    released at the end; yields None (and runs nothing on its behalf) when another holds it."""
    holder = holder or HOLDER
    if not await acquire(name, ttl=ttl, holder=holder):
        yield None
        return
    tenure = Tenure(name)

    async def keep() -> None:
        while True:
            await asyncio.sleep(ttl.total_seconds() / 3)
            try:
                if not await renew(name, ttl=ttl, holder=holder):
                    tenure.lost = True
                    log.warning("lease %s was taken over by another holder", name)
                    return
            except Exception:   # noqa: BLE001 - the database away for a moment: try again next time
                log.exception("renewing lease %s failed", name)

    keeper = asyncio.create_task(keep())
    try:
        yield tenure
    finally:
        keeper.cancel()
        if not tenure.lost:
            try:
                await release(name, holder=holder)
            except Exception:   # noqa: BLE001 - it expires by itself
                log.exception("releasing lease %s failed", name)
