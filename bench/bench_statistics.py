"""Statistics benchmark: every figure of the statistics page for a province's year from the pre-counted cells
(app.dossiers.counts), against the aggregation of the rows the figures were made by before, in the same run.

A scratch SecantusDB gets the province of tests/queue_world.py (16 cities by default, each an HR bureau with 8
departments and employer units under them) and N dossier rows (default 100,000), each with a trail whose review
nodes took random hours, so the rows carry `node_seconds` as the write path leaves them. Only the rows are
stored (statistics never read a dossier), then counted (`counts.rebuild`, as the rows' migration does; the
write path's $inc's add up to the same, tests/test_statistics_counts.py), and the rows keep only their (reader_ids, ...) indexes, the ones the aggregation uses, for a quicker
build. Then, for the province (`region:37`, every row) and one city's HR bureau (`region:3701`): the figures by
each dimension (`statistics.figures`, the work behind GET /api/statistics/figures) and the node times
(`statistics.node_times`), and interleaved with each the aggregation of the rows (`statistics.aggregated`,
`statistics.aggregated_node_times`); each pair's answers are compared.
The world can be built once and measured later (`--folder F --phase build`, then `--phase measure`: the
measure phase counts the stored rows afresh with the code it runs, so a change of the counters needs no new
build: `--phase count`, then `--phase measure`). Inserts are unordered and idempotent on a driver's retry (queue_world.insert_once); the rows' indexes
are made after the rows, not kept up while they are written.
Run: .venv/bin/python bench/bench_statistics.py [--dossiers 100000] [--runs 5] [--cache-size 6G]
     [--folder F --phase build|count|measure|all] [--port P]"""

import argparse
import asyncio
import json
import random
import statistics as stats
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from beanie import init_beanie
from bson import ObjectId
from pymongo import IndexModel
from support import machine, timed, write_section

from app import db
from app.accounts.models import User
from app.config import Settings
from app.documents import document_models
from app.dossiers import counts
from app.dossiers.rows import DossierRow
from app.embedded import EmbeddedServer, free_port
from app.exports import statistics
from app.units.models import Unit
from tests import queue_world

SKEW = 1.5             # employer sizes: unit i of N gets ~ (i/N)^(1/1.5) of the dossiers before it, a few large ones
ROLES = {"unit_handler": "unit", "dept_handler": "department", "hr_handler": "hr",
         "committee_intermediate": "committee"}


def with_trail(make):
    """queue_world.dossier, with a trail: a submit, then each reached node's step some hours after the last."""
    rng = random.Random(5)

    def dossier(*args, **kw):
        doc = make(*args, **kw)
        if doc.get("submitted_at"):
            at = doc["submitted_at"]
            trail = [{"at": at, "role": "applicant", "action": "submit"}]
            for role in list(ROLES)[:len(doc["route_unit_ids"]) + bool(doc.get("committee_code"))]:
                at = at + timedelta(hours=rng.randrange(1, 400))
                trail.append({"at": at, "role": role, "action": "pass"})
            doc["trail"] = trail
        return doc
    return dossier


class _Unstored:
    """Stands for the dossiers' collection while the world is built: only the rows are stored."""

    @staticmethod
    def get_pymongo_collection():
        return _Unstored()

    async def insert_many(self, docs, **kw):
        return None


async def hr_user(unit: Unit) -> User:
    """An HR bureau's handler (not stored: statistics read the user's units only)."""
    return queue_world._user("统计", ("hr_handler", unit.id))


async def measure(user: User, f: statistics.StatsFilter, key: str, runs: int) -> list[str]:
    lines = []
    work = [(f"figures by {by}", lambda by=by: statistics.figures(user, f, by),
             lambda by=by: statistics.aggregated(user, f, by)) for by in statistics.DIMENSIONS]
    work.append(("node times", lambda: statistics.node_times(user, f), lambda: statistics.aggregated_node_times(user, f)))
    for name, call, reference in work:
        timings, old = [], []
        await call()                                  # a warm-up of the counters' read (the rows' aggregation
        for _ in range(runs):                         # takes tens of seconds: the earlier figures warmed its rows)
            start = time.perf_counter()
            result = await call()
            timings.append(time.perf_counter() - start)
            start = time.perf_counter()
            fresh = await reference()
            old.append(time.perf_counter() - start)
        p50, worst, o50 = stats.median(timings), max(timings), stats.median(old)
        if "total" in result:
            counted, same = result["total"]["declarations"], result == fresh
        else:
            counted = sum(n["count"] for n in result["nodes"])
            same = [n["count"] for n in result["nodes"]] == [n["count"] for n in fresh["nodes"]]
        lines.append(f"| {key} | {name} | {counted:,} | {p50 * 1000:.0f} ms | {worst * 1000:.0f} ms | "
                     f"{o50 * 1000:.0f} ms | {o50 / p50:.0f}× | {'yes' if same else 'NO'} |")
        print(lines[-1], flush=True)
    return lines


async def build(folder: Path, port: int, count: int, bureaus: int, employers: int, cache_size: str | None) -> None:
    """The world's units and rows into the database kept in `folder`; world.json says what was built."""
    server = EmbeddedServer(folder / "secantus", port, cache_size=cache_size)
    uri = server.start()
    try:
        await db.open_database(Settings(mongodb_uri=uri, database="bench_stats", env="test", database_timeout_seconds=60), document_models())
        rows = DossierRow.get_pymongo_collection()
        made = [IndexModel(spec["key"], name=name) for name, spec in (await rows.index_information()).items()
                if spec["key"][0][0] == "reader_ids"]
        for name in (await rows.index_information()):
            if name != "_id_":
                await rows.drop_index(name)
        queue_world.dossier, queue_world.Dossier = with_trail(queue_world.dossier), _Unstored
        began = time.perf_counter()
        with timed() as setup:
            world = await queue_world.build(
                count, bureaus=bureaus, departments=8, employers=employers, committees=2 * bureaus, batch=1000,
                entries=False, recount=False, skew=SKEW, progress=lambda n: n % 10_000 or print(
                    f"{n:,} built, {time.perf_counter() - began:.0f} s", flush=True))
        print(f"built {count:,} rows in {setup['seconds']:.0f} s", flush=True)
        with timed() as indexing:
            await rows.create_indexes(made)
        print(f"indexed in {indexing['seconds']:.0f} s", flush=True)
        (folder / "world.json").write_text(json.dumps({
            "count": count, "bureaus": bureaus, "employers": employers, "city": str(world.bureaus[0].id),
            "setup": round(setup["seconds"]), "indexing": round(indexing["seconds"])}))
        await db.close_database()
    finally:
        server.stop()


async def _opened(uri: str) -> None:
    """The app's models over the world's database, without making the indexes the world left out; a long
    timeout (the driver's monitor gives the database up after it, cancelling what runs, and a busy shared
    machine's database can take seconds to answer a recount's read of every counter)."""
    await db.open_database(Settings(mongodb_uri=uri, database="bench_stats", env="test", database_timeout_seconds=60), [])
    await init_beanie(database=db.current().db, document_models=document_models(), skip_indexes=True)


async def count_world(folder: Path, port: int, cache_size: str | None) -> None:
    """The counters of the stored rows, from nothing, with this code's counters (world.json says how long)."""
    server = EmbeddedServer(folder / "secantus", port, cache_size=cache_size)
    uri = server.start()
    try:
        await _opened(uri)
        cells = counts.StatisticsCount.get_pymongo_collection()
        await cells.drop()              # the counters of an older shape, if an earlier run left them
        await cells.create_indexes(counts.StatisticsCount.Settings.indexes)
        with timed() as counting:
            await counts.rebuild()
        print(f"counted in {counting['seconds']:.0f} s", flush=True)
        world = json.loads((folder / "world.json").read_text())
        (folder / "world.json").write_text(json.dumps({**world, "counting": round(counting["seconds"])}))
        await db.close_database()
    finally:
        server.stop()


async def measure_world(folder: Path, port: int, runs: int, cache_size: str | None) -> None:
    """Recounts the stored rows (nothing to change), then times every figure against the aggregation."""
    world = json.loads((folder / "world.json").read_text())
    count, bureaus, employers = world["count"], world["bureaus"], world["employers"]
    server = EmbeddedServer(folder / "secantus", port, cache_size=cache_size)
    uri = server.start()
    try:
        await _opened(uri)
        cells = counts.StatisticsCount.get_pymongo_collection()
        await cells.create_indexes(counts.StatisticsCount.Settings.indexes)
        with timed() as recount:
            await counts.rebuild()
        documents = await cells.count_documents({})
        province_docs = {by: await cells.count_documents({"scope": "region:37", "by": by})
                         for by in (*counts.BY, "unit:3")}
        province = queue_world._unit("省人力资源和社会保障厅", "province_hr_bureau", "370000", None)
        await Unit.get_pymongo_collection().delete_many({"category": "province_hr_bureau"})
        await Unit.get_pymongo_collection().insert_one(province.model_dump(by_alias=True))
        city = Unit.model_validate(await Unit.get_pymongo_collection().find_one({"_id": ObjectId(world["city"])}))
        lines = []
        for unit, key in ((province, "region:37"), (city, "region:3701")):
            lines += await measure(await hr_user(unit), statistics.StatsFilter(scope=key), key, runs)
        lines += await measure(await hr_user(province), statistics.StatsFilter(scope="region:37", level="3"),
                               "region:37", runs)
        lines[-len(statistics.DIMENSIONS) - 1:] = [line.replace("| figures", "| level 3: figures").replace(
            "| node times", "| level 3: node times") for line in lines[-len(statistics.DIMENSIONS) - 1:]]
        await db.close_database()
    finally:
        server.stop()
    shape = ", ".join(f"{n:,} per {by}" for by, n in province_docs.items())
    write_section("Statistics", f"""
`bench/bench_statistics.py --dossiers {count} --bureaus {bureaus} --employers {employers} --runs {runs}`: {count:,}
dossier rows of one province's year ({bureaus} cities, each an HR bureau with 8 departments; {employers:,} employer
units in {bureaus * 20} districts; `tests/queue_world.py`, each row with a trail of random hours per review node, so it
carries `node_seconds`), inserted in bulk (1,000 a command, unordered, idempotent on a retry) into a scratch
SecantusDB with the rows' (reader_ids, ...) indexes made after them: {world['setup']:,} s, indexing
{world['indexing']:,} s. Then counted from the rows (`counts.rebuild`, as the counters' migration does; the write
path's $inc's add up to the same): {world['counting']:,} s from nothing, {recount['seconds']:.0f} s for a nightly
recount with nothing to change; {documents:,} counter documents, the province's key {shape}. Each figure of the
statistics page (`statistics.figures` by each dimension, `statistics.node_times`, reading the counters:
app.dossiers.counts) for the province's key (`region:37`: every row), one city's (`region:3701`) and the province
narrowed to level 3, {runs} run(s) after a warm-up, interleaved in the same run with the aggregation of the rows
that made the figures before (`statistics.aggregated`, `statistics.aggregated_node_times`, the baseline; not
warmed up alone: each takes tens of seconds, and the figures before it read the same rows). "counted" is
the dossiers the figure counts (node times: dossiers per node, summed); "same" says the two answers are equal
(figures by unit: the top {statistics.TOP_UNITS} units and the rest summed, as the page shows them; node times: the
counts per node; the counters give the median and slowest to the hour under three days, to the day beyond).

| key | figure | counted | counters p50 | slowest | aggregation p50 | speed-up | same |
|---|---|---:|---:|---:|---:|---:|---|
{chr(10).join(lines)}

Machine: {machine()}.
""")


async def main(count: int, runs: int, bureaus: int, employers: int, cache_size: str | None, folder: str | None,
               phase: str, port: int | None) -> None:
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="zc-bench-stats-") as scratch:
        where = Path(folder) if folder else Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        if phase in ("build", "all"):
            await build(where, port, count, bureaus, employers, cache_size)
        if phase in ("count", "all"):
            await count_world(where, port, cache_size)
        if phase in ("measure", "all"):
            await measure_world(where, port, runs, cache_size)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bureaus", type=int, default=16)
    parser.add_argument("--employers", type=int, default=None, help="employer units (default: one per 40 dossiers)")
    parser.add_argument("--cache-size", default=None, help="the database's WiredTiger cache, e.g. 6G")
    parser.add_argument("--folder", default=None, help="keep the world here (default: a temporary folder)")
    parser.add_argument("--phase", choices=("build", "count", "measure", "all"), default="all")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    asyncio.run(main(args.dossiers, args.runs, args.bureaus, args.employers or max(12, args.dossiers // 40),
                     args.cache_size, args.folder, args.phase, args.port))
