"""Queue benchmark: review queues at a province's size, against a bare indexed find of the same page.

A scratch SecantusDB gets the units of 16 cities (an HR bureau, 8 departments each, employer units
under them), 32 committees (two per city's office) and N dossiers (default 100,000) spread over every
state a queue shows, with their read keys and rows, inserted in bulk (tests/queue_world.py). Then, for
a unit handler, a department handler and a committee office, every view at pages 1 and 10:
`queues.page` (the work behind GET /api/review/queue: the view's counts per hour, then a small view's rows by
key, or a larger view's page's hours of queue entries and then the page's rows by id) and, in the same run, the bare indexed find of that page's rows alone.
Run: .venv/bin/python bench/bench_queues.py [--dossiers 100000] [--runs 15] [--data /tmp/... to keep the
world and reuse it in later runs]"""

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

from support import MB, machine, timed, write_section

from app import db
from app.config import Settings
from app.documents import document_models
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow, QueueEntry
from app.embedded import EmbeddedServer, free_port
from app.dossiers import queue_counts
from app.routing import queues
from tests import queue_world

ROLES = {"unit handler": ("unit", ("pending", "passed", "turned_down", "reported", "all")),
         "department": ("department", ("pending", "passed", "turned_down", "reported", "all")),
         "committee office": ("office", ("committee",))}


class ServerRss:
    """Samples a process's resident memory (the database's) every 0.5 s: the peak of each phase."""

    def __init__(self, pid: int):
        self.pid, self.peaks, self.phase = pid, {}, "build"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def now(self) -> int:
        with open(f"/proc/{self.pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self):
        while not self._stop.wait(0.5):
            try:
                self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), self.now())
            except OSError:
                return

    def stop(self):
        self._stop.set()
        self._thread.join()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(user, f: queues.QueueFilter, runs: int) -> tuple[list[float], list[float], list[float], int]:
    """Seconds of `runs` queue pages and of `runs` bare finds of the same page (on the queue entries and on
    the rows), interleaved; the total."""
    row_filters = await queues.build_filters(user, f)       # an office running two committees: one per key
    direction = -1 if f.descending else 1
    order = [(queues.SORTS[f.sort], direction), ("_id", direction)]
    pages, bare, bare_rows, total = [], [], [], 0

    async def bare_find(table) -> float:
        start = time.perf_counter()
        for row_filter in row_filters:
            await table.find(row_filter, {"_id": 1}, sort=order, skip=(f.page - 1) * f.size, limit=f.size).to_list()
        return time.perf_counter() - start

    for _ in range(runs + 1):                     # the first of each is a warm-up
        start = time.perf_counter()
        _, total = await queues.page(user, f)
        pages.append(time.perf_counter() - start)
        bare.append(await bare_find(QueueEntry.get_pymongo_collection()))
        bare_rows.append(await bare_find(DossierRow.get_pymongo_collection()))
    return pages[1:], bare[1:], bare_rows[1:], total


async def examined(user, f: queues.QueueFilter) -> int:
    """The documents one page reads to place itself: its profiled finds on dossier_queue and its finds by key on
    dossier_rows (a small view's whole rows), explained; not the page's rows read by id."""
    database = db.current().db
    await database["system.profile"].drop()
    await database.command("profile", 2)
    try:
        await queues.page(user, f)
    finally:
        await database.command("profile", 0)
    total = 0
    async for e in database["system.profile"].find({"ns": {"$in": [f"{database.name}.dossier_queue",
                                                                    f"{database.name}.dossier_rows"]}}):
        if "find" in e["command"] and "queue_keys" in e["command"].get("filter", {}):
            find = {k: e["command"][k] for k in ("find", "filter") if k in e["command"]}
            plan = await database.command("explain", find, verbosity="executionStats")
            total += plan["executionStats"]["totalDocsExamined"]
    return total


async def main(count: int, runs: int, scratch: str | None, port: int | None, bureaus: int,
               cache_size: str | None, write: bool, data: Path | None) -> None:
    with contextlib.ExitStack() as stack:
        folder = data or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zc-bench-queues-", dir=scratch)))
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / "built.json"
        kept = json.loads(marker.read_text()) if marker.exists() else None
        if kept and (kept["dossiers"], kept["bureaus"]) != (count, bureaus):
            raise SystemExit(f"{folder} holds {kept['dossiers']:,} dossiers in {kept['bureaus']} cities, not "
                             f"{count:,} in {bureaus}: give another --data")
        server = EmbeddedServer(folder / "secantus", port or free_port(), cache_size=cache_size,
                                log_path=folder / "secantusd.log")
        uri = server.start()
        memory = ServerRss(server._process.pid)
        try:
            # a database busy inserting may miss the driver's 3 s heartbeat; a write retried after it then
            # collides with its first attempt (the builder's inserts skip ids already written): give it 60 s
            await db.open_database(Settings(mongodb_uri=uri, database="bench_queues", env="test",
                                            database_timeout_seconds=60), document_models())
            reused = kept is not None
            if kept:
                users = queue_world.users_of(kept["grants"])
                print(f"reusing {count:,} dossiers built in {kept['seconds']:.0f} s in {folder}", flush=True)
            else:
                await Dossier.get_pymongo_collection().drop_indexes()     # never read here: a quicker build
                began = time.perf_counter()
                with timed() as setup:
                    world = await queue_world.build(
                        count, bureaus=bureaus, departments=8, employers=max(12, count // 50), committees=2 * bureaus,
                        progress=lambda n: n % 5_000 or print(
                            f"{n:,} built, {time.perf_counter() - began:.0f} s, database "
                            f"{memory.now() / MB:,.0f} MiB, load {os.getloadavg()[0]:.1f}", flush=True))
                users = world.users
                kept = {"dossiers": count, "bureaus": bureaus, "seconds": setup["seconds"],
                        "build_peak": memory.peaks.get("build", 0), "grants": queue_world.grants(world),
                        "built_at": time.strftime("%Y-%m-%d %H:%M")}
                if data:
                    marker.write_text(json.dumps(kept))
            print(f"{count:,} dossiers built in {kept['seconds']:.0f} s; database peak while building "
                  f"{kept['build_peak'] / MB:,.0f} MiB, now {memory.now() / MB:,.0f} MiB", flush=True)
            memory.phase = "queues"
            started_load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            lines = []
            for label, (role, views) in ROLES.items():
                for view in views:
                    for page in (1, 10):
                        f = queues.QueueFilter(view=view, page=page, size=20)
                        pages, bare, bare_rows, total = await measure(users[role], f, runs)
                        p50, p95, b50 = statistics.median(pages), percentile(pages, 0.95), statistics.median(bare)
                        r50 = statistics.median(bare_rows)
                        read = await examined(users[role], f)
                        lines.append(f"| {label} | {view} | {page} | {total:,} | {read:,} | {p50 * 1000:.0f} ms | "
                                     f"{p95 * 1000:.0f} ms | {b50 * 1000:.0f} ms | {p50 / b50:.2f} | "
                                     f"{r50 * 1000:.0f} ms |")
                        print(lines[-1], flush=True)
            await db.close_database()
        finally:
            memory.stop()
            server.stop()
    setup = {"seconds": kept["seconds"]}
    app_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    body = f"""
`bench/bench_queues.py --dossiers {count} --bureaus {bureaus} --runs {runs}{f" --cache-size {cache_size}" if cache_size else ""}`:
{count:,} dossiers ({bureaus} cities, each an HR bureau with 8 departments; {max(12, count // 50):,} employer units; {2 * bureaus}
committees, two per city's office; no sections: a queue page never reads the dossiers) with their read keys, rows,
queue entries and queue counts inserted in bulk, {queue_world.INSERT_BATCH} per insert, into a scratch SecantusDB (setup
{setup['seconds']:.0f} s; `tests/queue_world.py`, submissions spread over ~350 days; the database's resident memory peaked
at {kept['build_peak'] / MB:,.0f} MiB while it was built ({kept['built_at']}) and at {memory.peaks.get('queues', 0) / MB:,.0f} MiB
over the pages below; this process, which ran the pages, peaked at {app_peak / MB:,.0f} MiB
{'(it reused the built world: the pages alone)' if reused else '(the build included)'}). For each role, view and page (20 rows, newest submission first, the
default):
`queues.page`, the work behind `GET /api/review/queue` (the counts, then a view of at most its page and
{queue_counts.FEW} more read whole from its rows by key, a larger one's hours of entries then its rows by id), {runs} runs after a warm-up, and in the same run,
interleaved, the bare indexed find of that page (the key, the sort, skip and limit; ids only; one per key, so two
for an office running two committees) on the queue entries and on the rows. Ratio = page p50 / bare find p50 on
the entries. "rows" is the view's total; "read" the documents the page's reads by key examined (explain's
totalDocsExamined, summed): the hours' entries of `dossier_queue`, or a small view's rows of `dossier_rows`.

| role | view | page | rows | read | p50 | p95 | bare find p50 (entries) | ratio | bare find p50 (rows) |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(lines)}

Machine: {machine()}; load average when the pages began {started_load}.
"""
    print(body)
    if write:
        write_section("Review queues", body)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--scratch", default=None, help="folder for the scratch database (default: the system's)")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--bureaus", type=int, default=16,
                        help="cities; fewer with fewer dossiers keeps each view as large as at 100,000 in 16 cities")
    parser.add_argument("--cache-size", default=None, help="the database's WiredTiger cache, e.g. 4G")
    parser.add_argument("--data", type=Path, default=None,
                        help="folder that keeps the built world: built there once, reused by later runs")
    parser.add_argument("--write", action="store_true", help="replace the Review queues section of docs/BENCHMARKS.md")
    args = parser.parse_args()
    asyncio.run(main(args.dossiers, args.runs, args.scratch, args.port, args.bureaus, args.cache_size, args.write, args.data))
