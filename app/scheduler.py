"""Background work of the running service: the pending migrations, then the periodic jobs, each run once
across every process and machine that shares the database.

Every app process runs the same small loop (started by the lifespan, off in tests unless a test is about
it). On each tick it runs the pending migrations (app.migrations; one small read when there are none) and
every job that is due: a job is due when its last run, recorded in `job_runs`, finished more than its
interval ago. A due job runs under the lease named for it, and the due check is made again once the lease
is held, so a job that another process has just run is not run twice."""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from beanie import Document

from app import lease, migrations
from app.clock import utcnow
from app.config import Settings
from app.committee import blind_reviewing
from app.dossiers import counts, rows
from app.dossiers.attachments import sweep_orphans
from app.exports import formcache

log = logging.getLogger(__name__)


class JobRun(Document):
    """The last run of one periodic job."""
    id: str                     # the job's name
    started_at: datetime
    finished_at: datetime
    seconds: float
    result: int | None = None   # what it reports doing (files swept, rows refreshed)
    error: str | None = None
    holder: str                 # the process that ran it

    class Settings:
        name = "job_runs"


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], Awaitable[int]]


# The periodic work there is. Sessions, captchas, login failures, recovery codes, throttle windows and staff
# invitations expire by their TTL indexes (MongoDB's and SecantusDB's TTL monitors), so no job removes them.
JOBS: list[Job] = [
    # uploads no dossier, unit or batch refers to any more (replaced, removed, abandoned mid-upload)
    Job("sweep-orphans", timedelta(hours=24), sweep_orphans),
    # rows a crash left between a dossier's write and its row's (each write refreshes its own row)
    Job("reconcile-rows", timedelta(hours=24), rows.reconcile),
    # the statistics' counters, recounted from the rows (a crash between a row's write and its count)
    Job("rebuild-statistics-counts", timedelta(hours=24), counts.rebuild),
    # the forms of dossiers that changed, made ahead so their bundles start with an exact length
    Job("warm-forms", timedelta(seconds=30), formcache.warm),
    # cached forms of versions that are no longer current
    Job("sweep-form-cache", timedelta(hours=6), formcache.sweep),
    # 代表作送审: reminders before the deadline, then unscored assignments past it marked overdue
    Job("blind-review-deadlines", timedelta(minutes=30), blind_reviewing.deadlines),
]

JOB_LEASE_TTL = timedelta(minutes=2)


def _due(record: dict | None, job: Job, now: datetime) -> bool:
    return record is None or record["finished_at"] + job.every <= now


async def run_due(jobs: list[Job] | None = None, *, holder: str | None = None) -> list[str]:
    """Runs each due job this process (or `holder`) gets the lease of; returns the names it ran. A job that
    fails is recorded with its error and tried again after its interval, like one that succeeded."""
    holder = holder or lease.HOLDER
    jobs = JOBS if jobs is None else jobs
    collection = JobRun.get_pymongo_collection()
    ran = []
    for job in jobs:
        if not _due(await collection.find_one({"_id": job.name}, {"finished_at": 1}), job, utcnow()):
            continue
        async with lease.held(f"job:{job.name}", ttl=JOB_LEASE_TTL, holder=holder) as tenure:
            if tenure is None or not _due(await collection.find_one({"_id": job.name}, {"finished_at": 1}),
                                          job, utcnow()):
                continue
            started, clock = utcnow(), time.perf_counter()
            result, error = None, None
            try:
                result = await job.run()
            except Exception as exc:    # noqa: BLE001 - recorded, and the other jobs still run
                log.exception("job %s failed", job.name)
                error = f"{type(exc).__name__}: {exc}"
            await collection.update_one({"_id": job.name}, {"$set": {
                "started_at": started, "finished_at": utcnow(), "seconds": round(time.perf_counter() - clock, 3),
                "result": result, "error": error, "holder": holder}}, upsert=True)
            ran.append(job.name)
    return ran


async def tick() -> None:
    await migrations.run_pending()
    await run_due()


async def _loop(every: float) -> None:
    await asyncio.sleep(random.uniform(0, 1))   # workers started together do not all ask at the same instant
    while True:
        try:
            await tick()
        except Exception:   # noqa: BLE001 - the database away for a while: the next tick tries again
            log.exception("background tick failed")
        await asyncio.sleep(every * random.uniform(0.9, 1.1))


def start(settings: Settings) -> asyncio.Task | None:
    """The loop as a task of this process, or None when background work is off (tests, by default)."""
    if not settings.runs_background_work:
        return None
    return asyncio.create_task(_loop(settings.background_tick_seconds), name="background-work")


async def stop(task: asyncio.Task | None) -> None:
    """Cancels the loop; a job it was running stops where it is (its lease expires, its work is idempotent)."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
