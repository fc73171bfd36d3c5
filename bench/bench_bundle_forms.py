"""Bundle-with-forms benchmark: time to the first byte and throughput of one bundle of N dossiers (500 by
default) with their forms (申报表, 简介表, 材料目录 as PDF through the warm LibreOffice pool), in one run:

  1. baseline, the former way: every dossier's forms made before the first byte (FormMaker.make, as
     `build_bundle` did before the forms cache), then the stream;
  2. the forms cache empty: the bundle plans the attachments, starts at once and makes the forms while it
     streams (two at a time), caching them;
  3. the forms made ahead (what the warm-forms job leaves): every size known, exact Content-Length;
  4. the warm-forms job itself making forms ahead, for a while, in forms/s.

The dossiers are real ones (tests/factories.py: complete sections, photo and two proofs, submitted through
the service), written straight into a scratch SecantusDB. Each bundle is the body of GET /api/bundles.zip
(build_bundle, then Package.stream) written to a file; "headers" is when build_bundle returns (the
response's headers could go), "first byte" when the stream yields its first piece. The figures replace
the "## Bundles with forms" section of docs/BENCHMARKS.md.

    .venv/bin/python bench/bench_bundle_forms.py [--dossiers 500] [--warm-seconds 60]
"""

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from support import machine, write_section  # noqa: E402

from app import db  # noqa: E402
from app.clock import utcnow  # noqa: E402
from app.config import Settings, get_settings  # noqa: E402
from app.documents import document_models  # noqa: E402
from app.dossiers.models import Dossier  # noqa: E402
from app.embedded import EmbeddedServer  # noqa: E402
from app.exports import bundles, formcache  # noqa: E402
from app.exports.forms import FormMaker  # noqa: E402
from app.exports.zipfeed import Package  # noqa: E402
from app.render import convert  # noqa: E402

PORT = 8351
WORK = Path("/tmp/h-bundle")


async def build_world(count: int) -> None:
    from app.catalog import service as catalog
    from app.units.enums import UnitCategory
    from tests.factories import (create_batch, create_committee, create_path, create_person, create_unit,
                                 submitted_dossier)

    await catalog.load_dictionaries()
    hr, _ = await create_unit(name="济南市人力资源和社会保障局", category=UnitCategory.city_hr_bureau,
                              region_code="370100", nature="01")
    department, _ = await create_unit(name="济南市文化和旅游局", parent=hr, category=UnitCategory.city_department,
                                      region_code="370100")
    employer, _ = await create_unit(name="济南市群众艺术馆", parent=department, category=UnitCategory.city_affiliated,
                                    region_code="370100")
    committee = await create_committee(office_unit=hr)
    await create_path(unit=employer, target=department)
    await create_path(unit=department, target=hr)
    await create_path(unit=hr, committee=committee)
    batch = await create_batch()
    for n in range(count):
        await submitted_dossier(await create_person(name=f"申报人{n:03d}"), batch, employer)


async def dossiers():
    async for dossier in Dossier.find({}).sort("_id"):
        yield dossier


async def baseline_bundle() -> Package:
    """build_bundle as it was: each dossier's forms made (one after the other) while planning."""
    package, maker, folders, entries = Package(), FormMaker(True), set(), []
    async for dossier in dossiers():
        folder, n = bundles.folder_name(dossier), 1
        while folder.lower() in folders:
            n += 1
            folder = f"{bundles.folder_name(dossier)}({n})"
        folders.add(folder.lower())
        entries.append(await bundles.add_files(package, dossier, bundles.attachment_items(dossier),
                                               prefix=f"{folder}/", forms_prefix=f"{folder}/", forms=maker))
    package.finish({"format": bundles.FORMAT, "created_at": utcnow(), "dossiers": entries})
    return package


async def current_bundle() -> Package:
    package, _ = await bundles.build_bundle(dossiers(), title="附件包", created_by="bench")
    return package


async def measure(name: str, build, width: int, out: Path) -> dict:
    """One bundle streamed to a file (then opened, to count what it holds)."""
    start = time.perf_counter()
    package = await build()
    headers = time.perf_counter() - start
    first, size = None, 0
    with out.open("wb") as sink:
        async for piece in package.stream(width=width):
            if first is None:
                first = time.perf_counter() - start
            size += len(piece)
            sink.write(piece)
    total = time.perf_counter() - start
    names = zipfile.ZipFile(out).namelist()
    forms = sum(n.endswith(("申报表.pdf", "简介表.pdf", "材料目录.pdf")) for n in names)
    result = {"name": name, "headers": headers, "first": first, "total": total, "bytes": size, "forms": forms,
              "sized": package.sized, "files": len(names)}
    print(result, flush=True)
    return result


async def main(count: int, warm_seconds: float) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-bundle-forms-", dir=WORK) as folder:
        server = EmbeddedServer(Path(folder) / "secantus", PORT)
        uri = server.start()
        settings = get_settings().model_copy(update={"var_dir": Path(folder), "converter_workers": 2})
        pool = convert.LocalPool(settings)
        try:
            await db.open_database(Settings(mongodb_uri=uri, database="bench_bundle_forms", env="test"),
                                   document_models())
            started = time.perf_counter()
            await build_world(count)
            built = time.perf_counter() - started
            print(f"built {count} dossiers in {built:.0f} s", flush=True)
            pool.start()
            assert await pool.wait_ready(180), [w.error for w in pool.workers]
            convert.install(pool)
            width = settings.converter_workers
            out = Path(folder) / "bundle.zip"
            runs = [await measure("baseline: forms made before the first byte", baseline_bundle, width, out),
                    await measure("forms cache empty: made while streaming", current_bundle, width, out),
                    await measure("forms made ahead (cache full)", current_bundle, width, out)]
            await formcache._files().database.drop_collection(f"{formcache.BUCKET}.files")
            await formcache._files().database.drop_collection(f"{formcache.BUCKET}.chunks")
            formcache._indexed = False
            start = time.perf_counter()
            made = await formcache.warm(budget=warm_seconds)
            warm = {"forms": made, "seconds": time.perf_counter() - start}
            print(warm, flush=True)
        finally:
            await pool.stop()
            await db.close_database()
            server.stop()
    report(count, built, runs, warm)


def report(count: int, built: float, runs: list[dict], warm: dict) -> None:
    office = subprocess.run(["soffice", "--version"], capture_output=True, text=True).stdout.strip().split(" ")[:2]
    rows = []
    for r in runs:
        mib = r["bytes"] / 1024 / 1024
        rows.append(f"| {r['name']} | {r['headers']:.1f} s | {r['first']:.1f} s | {r['total']:.1f} s | "
                    f"{mib:.1f} MiB, {r['forms']} forms | {mib / r['total']:.2f} MiB/s, "
                    f"{count / r['total']:.2f} dossiers/s | {'exact' if r['sized'] else 'none (chunked)'} |")
    base, cold, ahead = runs
    body = f"""
`bench/bench_bundle_forms.py`, {machine()}; {' '.join(office)}. {count} dossiers built straight into a
scratch SecantusDB with tests/factories.py ({built:.0f} s: complete sections, a photo and two proofs each,
submitted through the service, so their forms carry the 预览版 stamp), a pool of 2 LibreOffice workers.
One bundle of all of them with forms (申报表, 简介表, 材料目录: {count * 3} PDFs), the body of
`GET /api/bundles.zip` written to a file, three ways in the same run. "Headers" is when `build_bundle`
returns (the response's headers go then), "first byte" when the stream yields its first piece.

| Bundle of {count} with forms | headers | first byte | complete | size | throughput | Content-Length |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

The warm-forms job (one dossier at a time, leaving the second converter to people asking for a form):
{warm['forms']} forms in {warm['seconds']:.0f} s = **{warm['forms'] / warm['seconds']:.2f} forms/s**
(a {count}-dossier selection is made ahead in about {count * 3 / max(warm['forms'] / warm['seconds'], 1e-9) / 60:.0f} min after its dossiers change).

Time to the first byte: {base['first']:.0f} s before → {cold['first']:.1f} s with nothing cached
({base['first'] / cold['first']:.0f}× sooner) and {ahead['first']:.1f} s with the forms made ahead. The whole
bundle: {base['total']:.0f} s → {cold['total']:.0f} s with nothing cached (forms made two at a time while the
attachments stream, instead of one after the other before them) → {ahead['total']:.1f} s made ahead
({base['total'] / ahead['total']:.0f}× faster, with an exact Content-Length).
"""
    write_section("Bundles with forms", body)
    print(body)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--warm-seconds", type=float, default=60)
    args = parser.parse_args()
    asyncio.run(main(args.dossiers, args.warm_seconds))
