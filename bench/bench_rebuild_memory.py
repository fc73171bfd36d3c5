"""How the embedded database's memory grows while the rows are rebuilt, with the server's tuned garbage collector
(app/embedded.py) or Python's default one: a suspect for the 3.1 GiB peak of the rebuild at 100,000 dossiers.

Runs `rows.reconcile(everything=True)` for --seconds against a SecantusDB started on a world that
bench/bench_startup.py built and kept (its --data folder), sampling the server's resident memory every 10 s.

Run: .venv/bin/python bench/bench_rebuild_memory.py --collector tuned|default [--seconds 150]
     [--data /tmp/zc-bench-startup/startup-100000/secantus]"""

import argparse
import asyncio
import os
import subprocess
import time
from pathlib import Path

import support  # noqa: F401  (puts the project on the path)

from app.embedded import _command, answers, free_port


def memory_mib(pid: int) -> tuple[int, int]:
    """(resident, peak resident) of a process, MiB."""
    with open(f"/proc/{pid}/status") as status:
        fields = {line.split(":")[0]: line.split()[1] for line in status if len(line.split()) > 1}
    return int(fields["VmRSS"]) // 1024, int(fields["VmHWM"]) // 1024


async def main(data: Path, collector: str, seconds: float) -> None:
    from app import db
    from app.config import get_settings
    from app.documents import document_models
    from app.dossiers import rows

    port = free_port()
    command = _command("--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data), "--log-level",
                       "WARNING")
    if collector == "default":
        command = [command[0], *command[3:]]        # the server's script itself: Python's default collector
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    try:
        while not answers(uri):
            time.sleep(0.3)
        os.environ.update(ZC_MONGODB_URI=uri, ZC_DATABASE="bench_startup")
        get_settings.cache_clear()
        await db.open_database(get_settings(), document_models())
        print(f"{collector} collector: database at start, resident / peak MiB {memory_mib(server.pid)}", flush=True)
        start = time.monotonic()

        async def sample() -> None:
            while True:
                await asyncio.sleep(10)
                print(f"  {time.monotonic() - start:4.0f} s: {memory_mib(server.pid)}", flush=True)

        sampler = asyncio.ensure_future(sample())
        done = await rows.reconcile(True, stop=lambda: time.monotonic() - start > seconds)
        sampler.cancel()
        print(f"{done:,} rows refreshed in {time.monotonic() - start:.0f} s; database resident / peak MiB "
              f"{memory_mib(server.pid)}", flush=True)
        await db.close_database()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--collector", choices=("tuned", "default"), default="tuned")
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--data", type=Path, default=Path("/tmp/zc-bench-startup/startup-100000/secantus"))
    args = parser.parse_args()
    asyncio.run(main(args.data, args.collector, args.seconds))
