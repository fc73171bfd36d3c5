"""Forms benchmark: the application form (申报表, the largest template) from the demo dossier.

Side by side in one run, on this machine:
  1. one form to .docx: naive docxtpl (load + render with autoescape + save) vs the cached path
     (app/render/docx.py: the cleaned XML and compiled Jinja kept between renders);
  2. one form to PDF: through the warm pool vs a cold `soffice --headless --convert-to pdf`;
  3. N forms to PDF through the pool of two workers (render + convert, end to end), in PDFs/s;
  and what the 预览版 stamp adds to a PDF.
The figures replace the "## Forms" section of docs/BENCHMARKS.md.

    .venv/bin/python bench/bench_forms.py [--forms 300]
"""

import argparse
import asyncio
import io
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docx.shared import Mm  # noqa: E402
from docxtpl import DocxTemplate, InlineImage  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.render import contexts, convert, demo, templates, watermark  # noqa: E402
from app.render import docx as docx_render  # noqa: E402

FORM = "application"


def timed(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def naive(source: bytes, context: dict) -> bytes:
    """What docxtpl's documentation does, every time."""
    template = DocxTemplate(io.BytesIO(source))
    values = {k: InlineImage(template, io.BytesIO(v.data), width=Mm(v.width_mm), height=Mm(v.height_mm))
              if isinstance(v, contexts.Picture) else v for k, v in context.items()}
    template.render(values, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def cold_soffice(docx: bytes, workdir: Path) -> float:
    source = workdir / "cold.docx"
    source.write_bytes(docx)
    env = {**os.environ, "FONTCONFIG_FILE": str(convert.FONTS_CONF)}
    start = time.perf_counter()
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{workdir}/cold-profile",
                    "--convert-to", "pdf", "--outdir", str(workdir), str(source)],
                   check=True, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    assert (workdir / "cold.pdf").stat().st_size > 0
    return elapsed


async def pool_figures(docx: bytes, compiled, context: dict, count: int, workdir: Path) -> dict:
    settings = get_settings().model_copy(update={"var_dir": workdir, "converter_workers": 2,
                                                 "converter_max_conversions": 10_000})
    pool = convert.LocalPool(settings)
    started = time.perf_counter()
    pool.start()
    assert await pool.wait_ready(180), [w.error for w in pool.workers]
    figures = {"pool_start": time.perf_counter() - started}
    one = []
    for _ in range(10):
        start = time.perf_counter()
        pdf = await pool.convert(docx)
        one.append(time.perf_counter() - start)
    figures["warm_one"] = one
    figures["pages"] = len(PdfReader(io.BytesIO(pdf)).pages)
    stamp = watermark.prepare_stamp(await pool.convert(templates.default_source("watermark")[0]))
    figures["stamp"] = timed(lambda: watermark.stamp_pdf(pdf, stamp), 10)

    in_flight = asyncio.Semaphore(2 * settings.converter_workers)

    async def one_form() -> int:
        async with in_flight:
            rendered = await docx_render.in_thread(compiled.render, context)
            return len(await pool.convert(rendered))

    start = time.perf_counter()
    sizes = await asyncio.gather(*(one_form() for _ in range(count)))
    figures["batch_seconds"] = time.perf_counter() - start
    figures["batch_count"] = len(sizes)
    await pool.stop()
    return figures


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    office = subprocess.run(["soffice", "--version"], capture_output=True, text=True).stdout.strip().split(" ")[:2]
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {' '.join(office)}, "
            f"docxtpl {__import__('docxtpl').__version__}")


def write_section(section: str) -> None:
    path = ROOT / "docs" / "BENCHMARKS.md"
    text = (path.read_text(encoding="utf-8") if path.exists()
            else "# Benchmarks\n\nFigures measured by the scripts in bench/.\n")
    section = section.rstrip("\n") + "\n\n"
    pattern = re.compile(r"^## Forms\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    text = text.rstrip("\n") + "\n"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forms", type=int, default=300)
    args = parser.parse_args()
    if shutil.which("soffice") is None:
        sys.exit("LibreOffice is not installed: run scripts/bootstrap.sh")
    load_before = os.getloadavg()[0]
    source = templates.default_source(FORM)[0]
    context = contexts.build(FORM, demo.demo_source(), demo.demo_lookups())
    naive(source, context)                                   # imports and first-use costs out of the way
    naive_times = timed(lambda: naive(source, context), 30)
    compile_times = timed(lambda: docx_render.compile_template(source), 5)
    compiled = docx_render.compile_template(source)
    compiled.render(context)
    cached_times = timed(lambda: compiled.render(context), 30)
    docx = compiled.render(context)
    workdir = Path(tempfile.mkdtemp(prefix="zc-bench-forms-"))
    try:
        cold = [cold_soffice(docx, workdir) for _ in range(3)]
        pool = asyncio.run(pool_figures(docx, compiled, context, args.forms, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rate = pool["batch_count"] / pool["batch_seconds"]
    section = f"""## Forms

`bench/bench_forms.py`, {time.strftime('%Y-%m-%d')}, on {machine()}; load average {load_before:.1f} at the start and
{os.getloadavg()[0]:.1f} at the end (the machine is shared: other test suites were running, so read the figures as
orders of magnitude). The form is the application form (申报表, {pool['pages']} pages: every section, the photo, four
opinion boxes) filled from the demo dossier (`app/render/demo.py`). Medians.

| What | Figure |
|---|---|
| .docx, naive docxtpl (load + render with autoescape + save), 30 runs | {ms(naive_times)} |
| .docx, cached path (cleaned XML and compiled Jinja reused), 30 runs | {ms(cached_times)} |
| compiling a template once (then cached by batch, form and file hash) | {ms(compile_times)} |
| PDF, cold `soffice --headless --convert-to pdf`, 3 runs | {ms(cold)} |
| PDF, warm pool worker (UNO, already running), 10 runs | {ms(pool['warm_one'])} |
| starting the pool (2 workers, new profiles, one warm-up document each) | {pool['pool_start']:.1f} s |
| {pool['batch_count']} forms rendered and converted through the pool of 2 workers | \
{pool['batch_seconds']:.1f} s = **{rate:.2f} PDFs/s** |
| stamping the 预览版 watermark on the {pool['pages']}-page PDF (pypdf) | {ms(pool['stamp'])} |

The cached .docx path is {statistics.median(naive_times) / statistics.median(cached_times):.1f}× faster than the naive
one; a warm worker is {statistics.median(cold) / statistics.median(pool['warm_one']):.1f}× faster than a cold `soffice`.
The pool's throughput is bounded by LibreOffice, one core per worker: on two cores two workers are the useful maximum.
"""
    write_section(section)
    print(section)


if __name__ == "__main__":
    main()
