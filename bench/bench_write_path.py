"""Write-path benchmark: one dossier change through app.dossiers.writes.write at 1,000 and 10,000
dossiers, beside the same conditional change as one find_one_and_update (what the write path did first).

SecantusDB answers findAndModify by scanning the collection, so its cost grows with the number of
dossiers; an update and a read by _id do not. Each measurement is the median of WRITES changes of
dossiers picked at random. Run: .venv/bin/python bench/bench_write_path.py [--rows 10000]"""

import argparse
import asyncio
import copy
import random
import statistics
import time

from bson import ObjectId
from pymongo import ReturnDocument

from bench_rosters import template
from support import machine, scratch_database, write_section

from app.dossiers import writes
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow, row_of

WRITES = 40


async def grow_to(rows: int, held: int) -> None:
    base = template(ObjectId())
    collection, row_collection = Dossier.get_pymongo_collection(), DossierRow.get_pymongo_collection()
    while held < rows:
        docs = []
        for n in range(held, min(rows, held + 1000)):
            doc = copy.deepcopy(base)
            doc.update(applicant_id=ObjectId(), applicant_name=f"申报人{n:05d}", id_number=f"37010219860512{n % 10000:04d}")
            doc.pop("votes")       # the roster template's tally lacks the rule a Dossier carries
            docs.append(doc)
        await collection.insert_many(docs)
        await row_collection.insert_many([{"_id": d["_id"], **row_of(d)} for d in docs])
        held += len(docs)


async def median_ms(change, ids: list[ObjectId]) -> float:
    times = []
    for dossier_id in random.sample(ids, WRITES):
        version = (await Dossier.get_pymongo_collection().find_one({"_id": dossier_id}, {"version": 1}))["version"]
        start = time.perf_counter()
        await change(dossier_id, version)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def through_write_path(dossier_id, version):
    await writes.write(dossier_id, {"$set": {"sections.summary.text": "改"}}, expected_version=version)


async def find_and_modify(dossier_id, version):
    await Dossier.get_pymongo_collection().find_one_and_update(
        {"_id": dossier_id, "version": version},
        {"$set": {"sections.summary.text": "改"}, "$inc": {"version": 1}}, return_document=ReturnDocument.AFTER)


async def main(largest: int) -> None:
    lines, held = [], 0
    async with scratch_database("writes"):
        for rows in (largest // 10, largest):
            await grow_to(rows, held)
            held = rows
            ids = [d["_id"] async for d in Dossier.get_pymongo_collection().find({}, {"_id": 1})]
            ours, baseline = await median_ms(through_write_path, ids), await median_ms(find_and_modify, ids)
            lines.append(f"| {rows:,} | {ours:.1f} ms | {baseline:.1f} ms |")
            print(lines[-1], flush=True)
    write_section("Write path", f"""
`bench/bench_write_path.py`: certified dossiers (~14 KB each, with rows) in a scratch SecantusDB; the median
of {WRITES} changes of random dossiers through `writes.write` (a conditional `update_one`, a read by `_id`,
the row's upsert: three round trips) beside the same change as one `find_one_and_update`, which the write
path used first and which SecantusDB serves by scanning the collection. Measured side by side in one run.

| Dossiers | `writes.write` (whole write path) | `find_one_and_update` alone (baseline) |
|---|---|---|
{chr(10).join(lines)}

Machine: {machine()}.""")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().rows))
