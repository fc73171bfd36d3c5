"""What one dossier update costs SecantusDB with each set of the dossiers' secondary indexes, side by side.

SecantusDB deletes and rewrites every index entry of a document on any update, whatever fields it touches
(docs/BENCHMARKS.md, 2026-12-04 16:44–17:55), so each index of the ~14 KB dossier is paid on every save. This
drives `secantus.storage.Storage` in-process (no wire, no app), one scratch folder per index set, each holding
the same DOSSIERS dossiers (the rosters' certified template: sections, a snapshot, a trail); then changes one
dossier at a time as the write path does (filter `{_id, version}`, `$set` of a section, `$inc` of the version,
journaled) and reports the CPU time per update: the median of ROUNDS rounds of UPDATES, the sets taken in turn
in a different order each round. Run: .venv/bin/python bench/bench_dossier_update.py [--rounds 5] [--scratch DIR]"""

import argparse
import copy
import random
import statistics
import tempfile
import time

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from secantus.storage import Storage

from bench_rosters import template
from support import machine

from app.dossiers.models import Dossier

DOSSIERS = 300
UPDATES = 100

# The dossiers' indexes before issue 11's cut (2026-12-04): what an existing database still holds until the
# `drop-dossier-selection-indexes` migration has run.
BEFORE = [
    IndexModel([("applicant_id", ASCENDING), ("batch_id", ASCENDING)], unique=True),
    IndexModel([("applicant_id", ASCENDING), ("created_at", DESCENDING)]),
    IndexModel([("batch_id", ASCENDING), ("status", ASCENDING)]),
    IndexModel([("route_unit_ids", ASCENDING), ("status", ASCENDING)]),
    IndexModel([("reported_by", ASCENDING), ("batch_id", ASCENDING)]),
    IndexModel([("committee_code", ASCENDING), ("status", ASCENDING)]),
    IndexModel([("meeting_id", ASCENDING)]),
    IndexModel([("applicant_name", ASCENDING)]),
    IndexModel([("id_number", ASCENDING)]),
    IndexModel([("status", ASCENDING), ("publicity.starts_on", DESCENDING)]),
    IndexModel([("entered_by.unit_id", ASCENDING), ("created_at", DESCENDING)]),
    IndexModel([("attachments.file.file_id", ASCENDING)]),
    IndexModel([("snapshots.attachments.file.file_id", ASCENDING)]),
    IndexModel([("certificate.number", ASCENDING)], unique=True,
               partialFilterExpression={"certificate.number": {"$type": "string"}}),
    IndexModel([("replaced_certificates.number", ASCENDING)],
               partialFilterExpression={"replaced_certificates.number": {"$type": "string"}}),
]
SETS = {"_id only": [], "before (15)": BEFORE, f"now ({len(Dossier.Settings.indexes)})": Dossier.Settings.indexes}


def dossiers(count: int) -> list[dict]:
    base = template(ObjectId())
    base.pop("votes")
    base["certificate"] = None      # the unique partial index: one null is not in it, a number each would be
    base["attachments"] = [{"id": f"att{i}", "section": "education", "row_id": "edu0000001", "uploaded_at": base["created_at"],
                            "uploaded_by": ObjectId(), "file": {"file_id": ObjectId(), "filename": f"证书{i}.pdf",
                                                                  "content_type": "application/pdf", "size": 123456}}
                           for i in range(3)]
    out = []
    for n in range(count):
        doc = copy.deepcopy(base)
        doc.update(_id=ObjectId(), applicant_id=ObjectId(), applicant_name=f"申报人{n:05d}",
                   id_number=f"37010219860512{n % 10000:04d}", version=1)
        out.append(doc)
    return out


def storage_with(folder: str, indexes: list[IndexModel], docs: list[dict]) -> Storage:
    storage = Storage(folder, enable_oplog=False)
    storage.create_collection("bench", "dossiers")
    for model in indexes:
        spec = model.document
        options = {k: v for k, v in spec.items() if k not in ("key", "name")}
        storage.create_index("bench", "dossiers", spec["name"], dict(spec["key"]), options)
    storage.insert("bench", "dossiers", copy.deepcopy(docs), journal=True)
    return storage


def round_of(storage: Storage, docs: list[dict], versions: dict, picks: list[int]) -> float:
    """CPU milliseconds per update over these picks."""
    started = time.process_time()
    for n in picks:
        doc = docs[n]
        version = versions[doc["_id"]]
        result = storage.update_matching(
            "bench", "dossiers", {"_id": doc["_id"], "version": version},
            {"$set": {"sections.summary.text": f"第{version}次保存。" * 200, "updated_at": time.time()},
             "$inc": {"version": 1}}, journal=True)
        assert result.get("nModified", result.get("n_modified", 1)), result
        versions[doc["_id"]] = version + 1
    return (time.process_time() - started) * 1000 / len(picks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scratch", default=None, help="folder for the scratch databases (default: the system's temporary one)")
    args = parser.parse_args()
    print(machine())
    docs = dossiers(DOSSIERS)
    with tempfile.TemporaryDirectory(prefix="bench-dossier-update-", dir=args.scratch) as tmp:
        stores = {name: storage_with(f"{tmp}/{i}", indexes, docs) for i, (name, indexes) in enumerate(SETS.items())}
        versions = {name: {d["_id"]: 1 for d in docs} for name in SETS}
        times: dict[str, list[float]] = {name: [] for name in SETS}
        rng = random.Random(11)
        order = list(SETS)
        for r in range(args.rounds):
            picks = [rng.randrange(DOSSIERS) for _ in range(UPDATES)]
            for name in order[r % len(order):] + order[:r % len(order)]:
                times[name].append(round_of(stores[name], docs, versions[name], picks))
        for storage in stores.values():
            storage.close()
    print(f"CPU ms per update ({DOSSIERS} dossiers, {args.rounds} rounds of {UPDATES}, median [min–max]):")
    for name, each in times.items():
        print(f"  {name:<12} {statistics.median(each):6.2f}  [{min(each):.2f}–{max(each):.2f}]")


if __name__ == "__main__":
    main()
