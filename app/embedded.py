"""The embedded development database: a SecantusDB server run as a separate process.

SecantusDB is GPL-2.0-only and beta, so it is never imported: the app only launches its
`secantusd-py` command when MONGODB_URI is unset (development and demos).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError


class EmbeddedServerError(RuntimeError):
    pass


def _executable() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    found = str(beside_python) if beside_python.exists() else shutil.which("secantusd-py")
    if not found:
        raise EmbeddedServerError(
            "未找到 secantusd-py：请先运行 scripts/bootstrap.sh 安装开发依赖，或设置 MONGODB_URI 指向 MongoDB")
    return found


# SecantusDB decodes every document it scans into Python objects; with the default thresholds the
# cyclic garbage collector then walks the server's whole heap again and again, and a 10,000-dossier
# scan spends half its time there (docs/BENCHMARKS.md, Rosters). Its objects are acyclic short-lived
# dicts, so collecting far less often costs little memory.
_LAUNCH = ("import gc, runpy, sys; gc.set_threshold(50_000, 20, 100); sys.argv = sys.argv[1:]; "
           "runpy.run_path(sys.argv[0], run_name='__main__')")
# The server's background TTL sweep off: SecantusDB 0.7's command line reads `ttl_sweep_seconds` from its config
# file but does not hand it to the server, so the launch sets the server's default.
_NO_TTL_SWEEP = ("import functools, secantus.server as server; server.SecantusDBServer.__init__ = "
                 "functools.partialmethod(server.SecantusDBServer.__init__, ttl_sweep_seconds=0); ")


def _command(*args: str, ttl_sweep: bool = True) -> list[str]:
    """`secantusd-py ARGS`, run by its own interpreter with the collector tuned as above."""
    script = _executable()
    with open(script, "rb") as head:
        first = head.readline().decode(errors="replace").strip()
    interpreter = first[2:].strip() if first.startswith("#!") and "python" in first else None
    if not interpreter or " " in interpreter:
        return [script, *args]
    return [interpreter, "-c", ("" if ttl_sweep else _NO_TTL_SWEEP) + _LAUNCH, script, *args]


def answers(uri: str, timeout_ms: int = 500) -> bool:
    client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedServer:
    """Starts `secantusd-py` on loopback, waits until it answers, stops it on close."""

    def __init__(self, storage_path: Path, port: int, log_path: Path | None = None, cache_size: str | None = None,
                 ttl_sweep: bool = True):
        self.storage_path = Path(storage_path)
        self.cache_size = cache_size        # WiredTiger's cache ("4G"); SecantusDB's default is 1 GiB
        # False: no background removal of expired records (TTL indexes), for the tests. They move the service's
        # clock while the sweep keeps the real one, so a session made on a clock months back would be removed in
        # the middle of a test; the tests of expiry prune explicitly (secantusAdmin.pruneTtl).
        self.ttl_sweep = ttl_sweep
        self.port = port
        self.log_path = log_path or self.storage_path.parent / "secantusd.log"
        self.uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> str:
        if answers(self.uri):
            return self.uri  # one already serves this folder (e.g. `seed` while `serve` runs)
        self.storage_path.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self._process = subprocess.Popen(
            _command("--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(self.storage_path),
                     "--log-level", "WARNING", *(("--cache-size", self.cache_size) if self.cache_size else ()),
                     ttl_sweep=self.ttl_sweep),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env={**os.environ},
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedServerError(f"内嵌数据库启动失败，详见 {self.log_path}")
            if answers(self.uri, timeout_ms=300):
                return self.uri
            time.sleep(0.2)
        self.stop()
        raise EmbeddedServerError(f"内嵌数据库 {timeout:.0f} 秒内未就绪，详见 {self.log_path}")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None
