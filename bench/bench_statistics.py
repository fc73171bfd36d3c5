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
Run: .venv/bin/python bench/bench_statistics.py [--dossiers 100000] [--runs 5] [--cache-size 6G]"""

import argparse
import asyncio
import random
import statistics as stats
import tempfile
import time
from datetime import timedelta
from pathlib import Path

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

    async def insert_many(self, docs):
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
        for _ in range(runs + 1):                     # the first of each is a warm-up
            start = time.perf_counter()
            result = await call()
            timings.append(time.perf_counter() - start)
            start = time.perf_counter()
            fresh = await reference()
            old.append(time.perf_counter() - start)
        p50, worst, o50 = stats.median(timings[1:]), max(timings[1:]), stats.median(old[1:])
        if "total" in result:
            counted, same = result["total"]["declarations"], result == fresh
        else:
            counted = sum(n["count"] for n in result["nodes"])
            same = [n["count"] for n in result["nodes"]] == [n["count"] for n in fresh["nodes"]]
        lines.append(f"| {key} | {name} | {counted:,} | {p50 * 1000:.0f} ms | {worst * 1000:.0f} ms | "
                     f"{o50 * 1000:.0f} ms | {o50 / p50:.0f}× | {'yes' if same else 'NO'} |")
        print(lines[-1], flush=True)
    return lines


async def main(count: int, runs: int, bureaus: int, cache_size: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="zc-bench-stats-") as folder:
        server = EmbeddedServer(Path(folder) / "secantus", free_port(), cache_size=cache_size)
        uri = server.start()
        try:
            await db.open_database(Settings(mongodb_uri=uri, database="bench_stats", env="test"), document_models())
            rows = DossierRow.get_pymongo_collection()
            for name, spec in (await rows.index_information()).items():
                if name != "_id_" and spec["key"][0][0] != "reader_ids":
                    await rows.drop_index(name)
            queue_world.dossier, queue_world.Dossier = with_trail(queue_world.dossier), _Unstored
            cells = counts.StatisticsCount.get_pymongo_collection()
            began = time.perf_counter()
            with timed() as setup:
                world = await queue_world.build(count, bureaus=bureaus, departments=8, employers=max(12, count // 50),
                                                committees=2 * bureaus, progress=lambda n: n % 10_000 or print(
                                                    f"{n:,} built, {time.perf_counter() - began:.0f} s", flush=True))
            print(f"built {count:,} rows in {setup['seconds']:.0f} s", flush=True)
            with timed() as recount:
                await counts.rebuild()
            documents = await cells.count_documents({})
            province_docs = {by: await cells.count_documents({"scope": "region:37", "by": by}) for by in ("batch", "unit")}
            province = queue_world._unit("省人力资源和社会保障厅", "province_hr_bureau", "370000", None)
            await Unit.get_pymongo_collection().insert_one(province.model_dump(by_alias=True))
            lines = []
            for unit, key in ((province, "region:37"), (world.bureaus[0], "region:3701")):
                lines += await measure(await hr_user(unit), statistics.StatsFilter(scope=key), key, runs)
            lines += await measure(await hr_user(province), statistics.StatsFilter(scope="region:37", level="3"),
                                   "region:37", runs)
            lines[-len(statistics.DIMENSIONS) - 1:] = [line.replace("| figures", "| level 3: figures").replace(
                "| node times", "| level 3: node times") for line in lines[-len(statistics.DIMENSIONS) - 1:]]
            await db.close_database()
        finally:
            server.stop()
    write_section("Statistics", f"""
`bench/bench_statistics.py --dossiers {count} --bureaus {bureaus} --runs {runs}`: {count:,} dossier rows of one
province's year ({bureaus} cities, each an HR bureau with 8 departments; {max(12, count // 50):,} employer units;
`tests/queue_world.py`, each row with a trail of random hours per review node, so it carries `node_seconds`),
inserted in bulk into a scratch SecantusDB, then counted (`counts.rebuild`, as the rows' migration does; the write
path's $inc's add up to the same); setup {setup['seconds']:.0f} s, a nightly recount with nothing to change
{recount['seconds']:.0f} s; only the rows, with only their (reader_ids, ...) indexes, and the
counters: {documents:,} documents, the province's key {province_docs['batch']} per batch and
{province_docs['unit']:,} per unit). Each figure of the statistics page (`statistics.figures` by each dimension,
`statistics.node_times`, both reading the counters: app.dossiers.counts) for the province's key (`region:37`:
every row), one city's (`region:3701`) and the province narrowed to level 3, {runs} runs after a warm-up,
interleaved in the same run with the aggregation of the rows that made the figures before
(`statistics.aggregated`, `statistics.aggregated_node_times`). "counted" is the dossiers the figure counts (node
times: dossiers per node, summed); "same" says the two answers are equal (node times: the counts per node; the
counters give the median and slowest to the hour under three days, to the day beyond).

| key | figure | counted | counters p50 | slowest | aggregation p50 | speed-up | same |
|---|---|---:|---:|---:|---:|---:|---|
{chr(10).join(lines)}

Machine: {machine()}.
""")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bureaus", type=int, default=16)
    parser.add_argument("--cache-size", default=None, help="the database's WiredTiger cache, e.g. 6G")
    args = parser.parse_args()
    asyncio.run(main(args.dossiers, args.runs, args.bureaus, args.cache_size))
