"""Start-up benchmark: how long the app takes to start, and how much memory the app and the embedded
database reach meanwhile, as the number of dossiers grows.

N certified dossiers (bench_rosters' template, ~14 KB each) with their rows are inserted straight into a
SecantusDB kept under --data (built once, reused by later runs). Each scenario restarts the database, so
its peak RSS (VmHWM) is that scenario's alone, and starts the app in a fresh process (create_app's
lifespan, as uvicorn runs it; the PDF converter is not started); start-up is the wall time from launching
that process to the lifespan being ready.

- new: this code, nothing pending (migrations and jobs recorded): what every restart costs.
- new, rows of an older SCHEMA: start-up, then the background rebuild of every row (the migration
  named after SCHEMA), timed to its end.
- old: the start-up before this change (d9391f7): the reported_to backfill and the whole-collection
  reconcile, reproduced here as they were.

Run: .venv/bin/python bench/bench_startup.py --dossiers 20000,100000 [--old 20000] [--rebuild 20000]
[--data /tmp/...]"""

import argparse
import asyncio
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bson import ObjectId
from pymongo import MongoClient

from support import MB, ROOT, machine, write_section

from app.dossiers.rows import STEP
from app.embedded import EmbeddedServer, free_port

DATABASE = "bench_startup"


def vm_hwm(pid: int) -> int:
    """Peak resident memory of a live process (bytes)."""
    with open(f"/proc/{pid}/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def settings_env(uri: str, background: bool) -> dict:
    return {**os.environ, "MONGODB_URI": uri, "ZC_DATABASE": DATABASE, "ZC_ENV": "test",
            "ZC_SECRET_KEY": "bench-secret", "ZC_BACKGROUND_WORK": "true" if background else "false",
            "ZC_BACKGROUND_TICK_SECONDS": "0.5", "ZC_CONVERTER_AUTOSTART": "false",
            # a database busy in a long scan misses the driver's 3 s heartbeat, which then cancels every
            # operation in flight (the old start-up failed so at 20,000 on this machine): give it 60 s
            "ZC_DATABASE_TIMEOUT_SECONDS": "60"}


async def populate(uri: str, dossiers: int) -> None:
    """N dossiers and their rows, inserted raw in blocks of 1,000 (as bench_rosters does)."""
    from bench_rosters import template

    from app import db
    from app.catalog import service as catalog
    from app.catalog.models import Batch
    from app.clock import utcnow
    from app.config import Settings
    from app.documents import document_models
    from app.dossiers.models import Dossier
    from app.dossiers import queue_counts
    from app.dossiers.rows import DossierRow, QueueEntry, entry_of, row_of
    from tests.queue_world import insert_once

    # a database busy inserting may miss the driver's heartbeat; with the default 3 s a retried insert
    # then collides with its own first attempt
    settings = Settings(mongodb_uri=uri, database=DATABASE, env="test", database_timeout_seconds=60)
    await db.open_database(settings, document_models())
    try:
        await catalog.load_dictionaries()
        batch = Batch(year=2026, name="基准批次", series=["qzwh"], levels=["3"], region_code="370100",
                      opens_at=utcnow(), closes_at=utcnow(), commitment_text="x")
        await batch.insert()        # before its dossiers, as in the service
        base = template(batch.id)
        base["reported_to"] = [base["committee_code"]]          # stored after the backfill shipped
        collection, rows = Dossier.get_pymongo_collection(), DossierRow.get_pymongo_collection()
        # Applicants registered over the two years before now, as a service's are (their ids carry the time:
        # the rows' rebuild reads them in windows of applicant_id), each id its own.
        first, every = utcnow() - timedelta(days=730), timedelta(days=730) / max(1, dossiers)
        for start in range(0, dossiers, 1000):
            docs = []
            for n in range(start, min(start + 1000, dossiers)):
                doc = copy.deepcopy(base)
                registered = int.from_bytes(ObjectId.from_datetime(first + n * every).binary, "big") + n
                doc.update(_id=ObjectId(), applicant_id=ObjectId(registered.to_bytes(12, "big")),
                           applicant_name=f"申报人{n:06d}",
                           id_number=f"37010219860512{n % 10000:04d}")
                docs.append(doc)
            await insert_once(collection, docs)        # a retried insert skips the ids already written
            held = [{"_id": d["_id"], **row_of(d)} for d in docs]
            await insert_once(rows, held)
            entries = [{"_id": r["_id"], **entry} for r in held if (entry := entry_of(r)) is not None]
            await insert_once(QueueEntry.get_pymongo_collection(), entries)
            await queue_counts.add(queue_counts.changes([], entries))
            if start % 10_000 == 0:
                print(f"  {start + len(docs):,} dossiers", flush=True)
    finally:
        await db.close_database()


def mark_steady(database, *, rows_current: bool) -> None:
    """Records every migration and job as done just now (a running service's state); with rows_current
    false, leaves the rows of an older SCHEMA and their migration pending."""
    from app.dossiers import rows
    from app.migrations import MIGRATIONS
    from app.scheduler import JOBS
    from app.clock import utcnow

    now = utcnow()
    database.migrations.delete_many({})
    database.job_runs.delete_many({})
    database.leases.delete_many({})
    pending = set() if rows_current else {f"rows-schema-{rows.SCHEMA}"}
    database.migrations.insert_many([{"_id": m.name, "started_at": now, "done_at": now, "result": 0}
                                     for m in MIGRATIONS if m.name not in pending])
    database.job_runs.insert_many([{"_id": j.name, "started_at": now, "finished_at": now, "seconds": 0,
                                    "result": 0, "holder": "bench"} for j in JOBS])
    schema = rows.SCHEMA if rows_current else rows.SCHEMA - 1
    database.dossier_rows.update_many({"schema_version": {"$ne": schema}}, {"$set": {"schema_version": schema}})


PROBE = """
import asyncio, sys, time
start = time.perf_counter()
from asgi_lifespan import LifespanManager
from pymongo import MongoClient

mode = sys.argv[1]

async def old_startup():
    # The start-up's scans as they were at d9391f7 (app/main.py, app/dossiers/rows.py).
    from app.committee.committees import backfill_reported_to
    from app.dossiers.models import Dossier
    from app.dossiers.rows import SCHEMA, DossierRow, refresh
    await backfill_reported_to()
    held = {r["_id"]: (r.get("version"), r.get("schema_version"))
            async for r in DossierRow.get_pymongo_collection().find({}, {"version": 1, "schema_version": 1})}
    wrong = []
    async for doc in Dossier.get_pymongo_collection().find({}, {"version": 1}):
        if held.pop(doc["_id"], None) != (doc["version"], SCHEMA):
            wrong.append(doc["_id"])
    wrong.extend(held)
    for s in range(0, len(wrong), 200):
        await refresh(*wrong[s:s + 200])

async def main():
    from app.config import get_settings
    from app.main import create_app
    from app.dossiers.rows import SCHEMA
    settings = get_settings()
    async with LifespanManager(create_app(settings), startup_timeout=3600):
        if mode == "old":
            await old_startup()
        print("READY", time.perf_counter() - start, flush=True)
        if mode == "schema":
            migrations = MongoClient(settings.mongodb_uri)[settings.database].migrations
            while not (migrations.find_one({"_id": f"rows-schema-{SCHEMA}"}) or {}).get("done_at"):
                await asyncio.sleep(0.5)
            print("REBUILT", time.perf_counter() - start, flush=True)
        with open("/proc/self/status") as status:
            print("HWM", next(x for x in status if x.startswith("VmHWM:")).split()[1], flush=True)

asyncio.run(main())
"""


def scenario(server: EmbeddedServer, mode: str, guard: float) -> dict:
    """One start of the app in a fresh process against a freshly started database."""
    server.stop()
    uri = server.start()
    db_pid = server._process.pid
    launched = time.perf_counter()
    errors = tempfile.TemporaryFile("w+")
    probe = subprocess.Popen([sys.executable, "-c", PROBE, mode], cwd=ROOT, env=settings_env(uri, mode != "old"),
                             stdout=subprocess.PIPE, stderr=errors, text=True)
    result = {"mode": mode, "db_peak": 0}

    def watch() -> None:        # the old path at scale can take the database past the machine's memory
        while probe.poll() is None:
            result["db_peak"] = max(result["db_peak"], vm_hwm(db_pid))
            if result["db_peak"] > guard:
                result["killed"] = time.perf_counter() - launched
                probe.kill()
                return
            time.sleep(0.2)

    import threading
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for line in probe.stdout:
        if line.startswith("READY"):
            result["ready"] = time.perf_counter() - launched
        elif line.startswith("REBUILT"):
            result["rebuilt"] = time.perf_counter() - launched
        elif line.startswith("HWM"):
            result["app_peak"] = int(line.split()[1]) * 1024
    probe.wait()
    watcher.join()
    if "ready" not in result and "killed" not in result:
        errors.seek(0)
        result["failed"] = errors.read().strip().splitlines()[-1:] or [f"exit status {probe.returncode}"]
        print(f"{mode}: {result['failed'][0]}", flush=True)
    result["db_peak"] = max(result["db_peak"], vm_hwm(db_pid))
    return result


def build(folder: Path, port: int, dossiers: int) -> EmbeddedServer:
    server = EmbeddedServer(folder / "secantus", port, log_path=folder / "secantusd.log")
    uri = server.start()
    marker = folder / "built.json"
    if not marker.exists():
        began = time.perf_counter()
        asyncio.run(populate(uri, dossiers))
        marker.write_text(json.dumps({"dossiers": dossiers, "seconds": time.perf_counter() - began}))
    return server


def describe(r: dict) -> str:
    if "failed" in r:
        return f"failed: {r['failed'][0]}"
    if "killed" in r:
        return f"not ready after {r['killed']:.0f} s (stopped: database past {r['db_peak'] / MB / 1024:.1f} GiB)"
    return f"{r['ready']:.1f} s"


def publish(lines: list[str]) -> None:
    write_section("Start-up", f"""
`bench/bench_startup.py`: certified dossiers (~14 KB of BSON each) and their rows inserted straight into a
scratch SecantusDB; each scenario restarts the database and starts the app in a fresh process (create_app's
lifespan as uvicorn runs it, background work on, the PDF converter not started). Start-up is the wall time
from launching that process to the lifespan being ready (Python's imports included); peak RSS is VmHWM of the
app process and of the database process over that scenario.

- **new**: this code with nothing pending (migrations and jobs recorded): what every restart costs.
- **new, rows of an older SCHEMA**: the same start, then the rows' rebuild (the migration named after
  SCHEMA) running in the background under its lease, in steps of {STEP} dossiers; "rebuilt" is when it finished.
- **old (d9391f7)**: the start-up before this change, the reported_to backfill and the whole-collection
  reconcile at every start, reproduced in the benchmark as they were.

Every scenario runs with `ZC_DATABASE_TIMEOUT_SECONDS=60`: with the default 3 s, the old start-up at 20,000
failed on this machine (the database, busy in its scan, missed the driver's heartbeat, and the driver
cancelled every operation in flight). A start stopped by the guard is one whose database passed the memory
the benchmark allows it (`--guard-gib`), so as not to take the shared machine down.

| dossiers | start-up | ready | rows rebuilt | app peak RSS | database peak RSS |
|---:|---|---:|---:|---:|---:|
{chr(10).join(lines)}

Machine: {machine()}.

Aim: start-up under 5 s at 100,000 dossiers, with the memory of both processes bounded whatever the number
of dossiers.
""")


def main(sizes: list[int], old_sizes: set[int], rebuild_sizes: set[int], data: Path, guard_gib: float,
         port: int | None) -> None:
    lines = []
    for dossiers in sizes:
        folder = data / f"startup-{dossiers}"
        folder.mkdir(parents=True, exist_ok=True)
        server = build(folder, port or free_port(), dossiers)
        try:
            built = json.loads((folder / "built.json").read_text())["seconds"]
            print(f"{dossiers:,} dossiers (built in {built:.0f} s)", flush=True)
            database = MongoClient(server.uri)[DATABASE]
            runs = []
            mark_steady(database, rows_current=True)
            runs.append(("new", scenario(server, "new", guard_gib * 1024 * MB)))
            if dossiers in rebuild_sizes:
                mark_steady(database, rows_current=False)
                runs.append(("new, rows of an older SCHEMA", scenario(server, "schema", guard_gib * 1024 * MB)))
                mark_steady(database, rows_current=True)
            if dossiers in old_sizes:
                runs.append(("old (d9391f7)", scenario(server, "old", guard_gib * 1024 * MB)))
            for label, r in runs:
                rebuilt = f"{r['rebuilt']:.0f} s" if "rebuilt" in r else "—"
                app_peak = f"{r['app_peak'] / MB:.0f} MiB" if "app_peak" in r else "—"
                lines.append(f"| {dossiers:,} | {label} | {describe(r)} | {rebuilt} | {app_peak} | "
                             f"{r['db_peak'] / MB:,.0f} MiB |")
                print(lines[-1], flush=True)
        finally:
            server.stop()
        publish(lines)          # after each size, so a long run keeps what it measured
if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", default="20000,100000")
    parser.add_argument("--old", default="20000", help="sizes at which the old start-up also runs")
    parser.add_argument("--rebuild", default="20000", help="sizes at which the rows' background rebuild runs")
    parser.add_argument("--data", type=Path, default=Path("/tmp/zc-bench-startup"))
    parser.add_argument("--guard-gib", type=float, default=6.0, help="stop a start whose database passes this")
    parser.add_argument("--port", type=int, default=None, help="the database's port (default: a free one)")
    args = parser.parse_args()
    main([int(x) for x in args.dossiers.split(",")], {int(x) for x in args.old.split(",") if x},
         {int(x) for x in args.rebuild.split(",") if x}, args.data, args.guard_gib, args.port)
