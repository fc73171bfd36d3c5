"""What the export benchmarks share: a scratch SecantusDB, a peak-RSS sampler, and writing one
section of docs/BENCHMARKS.md without touching the others."""

import os
import platform
import re
import resource
import sys
import tempfile
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import db  # noqa: E402
from app.config import Settings  # noqa: E402
from app.documents import document_models  # noqa: E402
from app.embedded import EmbeddedServer, free_port  # noqa: E402

BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
MB = 1024 * 1024


def rss(pid: int | None = None) -> int:
    with open(f"/proc/{pid or 'self'}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Samples the resident memory of this process (or of process `pid`) every 5 ms while the block runs."""

    def __init__(self, pid: int | None = None):
        self.pid = pid

    def __enter__(self):
        self.before = self.peak = rss(self.pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss(self.pid))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss(self.pid))


def max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@asynccontextmanager
async def scratch_database(name: str):
    """A SecantusDB of its own in a temporary folder, opened as the app opens its database; removed after."""
    with tempfile.TemporaryDirectory(prefix=f"zc-bench-{name}-") as folder:
        server = EmbeddedServer(Path(folder) / "secantus", free_port())
        uri = server.start()
        try:
            await db.open_database(Settings(mongodb_uri=uri, database=f"bench_{name}", env="test"),
                                   document_models())
            try:
                yield db.current()
            finally:
                await db.close_database()
        finally:
            server.stop()


@contextmanager
def timed():
    result = {}
    start = time.perf_counter()
    yield result
    result["seconds"] = time.perf_counter() - start


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}; "
            f"load average at the end {load} (the machine is shared: other sessions' tests ran meanwhile)")


def write_section(heading: str, body: str) -> None:
    """Replaces the section under `## heading` (up to the next `## `), creating the file or section if missing."""
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    BENCHMARKS.parent.mkdir(parents=True, exist_ok=True)
    BENCHMARKS.write_text(text, encoding="utf-8")
