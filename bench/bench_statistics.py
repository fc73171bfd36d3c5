"""Statistics benchmark: every figure of the statistics page for a province's year, against a bare indexed find
of the same rows in the same run.

A scratch SecantusDB gets the province of tests/queue_world.py (16 cities by default, each an HR bureau with 8
departments and employer units under them) and N dossier rows (default 100,000), each with a trail whose review
nodes took random hours, so the rows carry `node_seconds` as the write path leaves them. Only the rows are
stored (statistics never read a dossier) and the rows keep only their (reader_ids, ...) indexes, the ones these
reads use, for a quicker build. Then, for the province (`region:37`, every row) and one city's HR bureau
(`region:3701`): the figures by each dimension (`statistics.figures`, the work behind GET
/api/statistics/figures) and the node times (`statistics.node_times`), and interleaved with them the bare
indexed find of the same rows' ids (`reader_ids: key`).
Run: .venv/bin/python bench/bench_statistics.py [--dossiers 100000] [--runs 5] [--cache-size 6G]"""

import argparse
import asyncio
import random
import statistics as stats
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from support import MB, machine, timed, write_section

from app import db
from app.accounts.models import User
from app.config import Settings
from app.documents import document_models
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
    table = DossierRow.get_pymongo_collection()
    lines = []
    work = [(f"figures by {by}", lambda by=by: statistics.figures(user, f, by)) for by in statistics.DIMENSIONS]
    work.append(("node times", lambda: statistics.node_times(user, f)))
    for name, call in work:
        timings, bare = [], []
        for _ in range(runs + 1):                     # the first of each is a warm-up
            start = time.perf_counter()
            result = await call()
            timings.append(time.perf_counter() - start)
            start = time.perf_counter()
            found = await table.find({"reader_ids": key}, {"_id": 1}).to_list()
            bare.append(time.perf_counter() - start)
        p50, worst, b50 = stats.median(timings[1:]), max(timings[1:]), stats.median(bare[1:])
        counted = result["total"]["declarations"] if "total" in result else sum(n["count"] for n in result["nodes"])
        lines.append(f"| {key} | {name} | {len(found):,} | {counted:,} | {p50 * 1000:.0f} ms | {worst * 1000:.0f} ms | "
                     f"{b50 * 1000:.0f} ms | {p50 / b50:.2f} |")
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
            began = time.perf_counter()
            with timed() as setup:
                world = await queue_world.build(count, bureaus=bureaus, departments=8, employers=max(12, count // 50),
                                                committees=2 * bureaus, progress=lambda n: n % 10_000 or print(
                                                    f"{n:,} built, {time.perf_counter() - began:.0f} s", flush=True))
            print(f"built {count:,} rows in {setup['seconds']:.0f} s", flush=True)
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
inserted in bulk into a scratch SecantusDB (setup {setup['seconds']:.0f} s; only the rows, with only their
(reader_ids, ...) indexes: statistics read nothing else). Each figure of the statistics page (`statistics.figures`
by each dimension, `statistics.node_times`) for the province's key (`region:37`: every row), one city's
(`region:3701`) and the province narrowed to level 3 (a second `$match` after the indexed one), {runs} runs after a
warm-up, interleaved in the same run with the bare indexed find of the key's rows (ids only). "rows" is what the
bare find returns, "counted" what the figure counts (the node times: dossiers per node, summed).
Ratio = figure p50 / bare find p50.

| key | figure | rows | counted | p50 | slowest | bare find p50 | ratio |
|---|---|---:|---:|---:|---:|---:|---:|
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
