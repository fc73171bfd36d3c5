"""Periodic jobs on the real database: due jobs run once across processes ticking together, each run is
recorded (with its error when it fails) and the job waits its interval before the next; and the service's
start-up reads no dossier or row, leaving migrations to the background loop it starts."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from bson import ObjectId
from pymongo import MongoClient

from app import clock, scheduler
from app.dossiers import rows
from app.scheduler import Job, JobRun

ROOT = Path(__file__).resolve().parent.parent


async def last_run(name: str) -> dict | None:
    return await JobRun.get_pymongo_collection().find_one({"_id": name})


class TestRunDue:
    async def test_processes_ticking_together_run_a_due_job_once_then_wait_its_interval(self):
        calls = []

        async def sweep():
            calls.append(1)
            await asyncio.sleep(0.3)
            return 4

        jobs = [Job("sweep", timedelta(hours=1), sweep)]
        ran = await asyncio.gather(*(scheduler.run_due(jobs, holder=f"p{n}") for n in range(3)))
        assert len(calls) == 1 and sorted(ran) == [[], [], ["sweep"]]
        run = await last_run("sweep")
        assert run["result"] == 4 and run["error"] is None and run["holder"] == f"p{ran.index(['sweep'])}"
        assert await scheduler.run_due(jobs, holder="p0") == [] and len(calls) == 1     # not due yet
        clock.advance(3601)
        assert await scheduler.run_due(jobs, holder="p1") == ["sweep"] and len(calls) == 2

    async def test_a_failing_job_is_recorded_and_does_not_stop_the_others(self):
        async def broken():
            raise RuntimeError("disk full")

        async def fine():
            return 1

        jobs = [Job("broken", timedelta(minutes=10), broken), Job("fine", timedelta(minutes=10), fine)]
        assert await scheduler.run_due(jobs) == ["broken", "fine"]
        assert (await last_run("broken"))["error"] == "RuntimeError: disk full"
        assert await scheduler.run_due(jobs) == []          # retried after its interval, not in a hot loop

    async def test_the_service_jobs_run_on_real_data(self, app):
        assert await scheduler.run_due() == [job.name for job in scheduler.JOBS]
        assert (await last_run("sweep-orphans"))["error"] is None
        assert (await last_run("reconcile-rows"))["result"] == 0


STARTUP = """
import asyncio, json, sys, time
from pymongo import MongoClient, monitoring

outside = []
DATA = ("find", "getMore", "aggregate", "count", "distinct", "insert", "update", "delete", "findAndModify")

class Reads(monitoring.CommandListener):
    def started(self, event):
        target = event.command.get(event.command_name)
        task = asyncio.current_task() if asyncio._get_running_loop() else None
        if target in ("dossiers", "dossier_rows") and event.command_name in DATA \\
                and (task is None or task.get_name() != "background-work"):
            outside.append(event.command_name)
    def succeeded(self, event): pass
    def failed(self, event): pass

monitoring.register(Reads())
from asgi_lifespan import LifespanManager
from app.config import get_settings
from app.main import create_app

async def main():
    settings = get_settings()
    database = MongoClient(settings.mongodb_uri)[settings.database]
    async with LifespanManager(create_app(settings), startup_timeout=60):
        deadline = time.monotonic() + 60
        while (database.migrations.count_documents({"done_at": {"$ne": None}}) < int(sys.argv[1])
               or database.job_runs.count_documents({}) < int(sys.argv[2])):
            assert time.monotonic() < deadline, "background work not done within 60 s"
            await asyncio.sleep(0.1)
    print(json.dumps({"outside": outside}))

asyncio.run(main())
"""


def test_start_up_reads_no_dossier_and_the_background_loop_rebuilds_old_rows():
    from app.migrations import MIGRATIONS

    name = f"zc_startup_{uuid.uuid4().hex[:8]}"
    database = MongoClient(os.environ["MONGODB_URI"])[name]
    try:
        ids = [ObjectId() for _ in range(3)]
        database.dossiers.insert_many([{"_id": i, "applicant_id": ObjectId(), "batch_id": ObjectId(), "version": 2,
                                        "applicant_name": f"旧档{n}", "status": "submitted"}
                                       for n, i in enumerate(ids)])
        database.dossier_rows.insert_many([{"_id": i, "version": 2, "schema_version": rows.SCHEMA - 1}
                                           for i in ids[:2]])
        env = {**os.environ, "ZC_DATABASE": name, "ZC_BACKGROUND_WORK": "true",
               "ZC_BACKGROUND_TICK_SECONDS": "0.2"}
        done = subprocess.run([sys.executable, "-c", STARTUP, str(len(MIGRATIONS)), str(len(scheduler.JOBS))],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.strip().splitlines()[-1]) == {"outside": []}
        assert {m["_id"] for m in database.migrations.find()} == {m.name for m in MIGRATIONS}
        assert [r["facts"]["name"] for r in database.dossier_rows.find({"schema_version": rows.SCHEMA},
                                                                        sort=[("_id", 1)])] == ["旧档0", "旧档1", "旧档2"]
        assert database.job_runs.count_documents({}) == len(scheduler.JOBS)
    finally:
        MongoClient(os.environ["MONGODB_URI"]).drop_database(name)
