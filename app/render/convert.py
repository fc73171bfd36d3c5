"""DOCX → PDF through LibreOffice kept warm: a pool of workers started with the service.

A cold `soffice --convert-to pdf` costs ~1.6 s a document; a warm LibreOffice driven over UNO ~0.4 s.
Each worker is one LibreOffice with its own profile (two sharing one fail silently) driven by
uno_bridge.py under Debian's Python (the one that can `import uno`), the pair in its own process
group. One LibreOffice uses one core, so the pool has as many workers as the machine has cores to give.

Failure stays with the document that met it: a conversion past its timeout gets 504
`conversion_timeout`, a worker that dies under a document 503 `converter_unavailable`; either way that
worker's process group is killed and restarted while the other workers go on. A worker that dies while
idle is restarted before anyone sends it work, and one that has converted `max_conversions` documents
is recycled (LibreOffice grows from ~200 MB to ~550 MB over 200 conversions). With LibreOffice missing
the pool answers 503 with the reason at once instead of hanging.

With ZC_CONVERTER_URL set (docker-compose) the service instead sends the documents to the unoserver
of the converter container over XML-RPC.
"""

import asyncio
import fcntl
import itertools
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import time
import xmlrpc.client
from pathlib import Path

import anyio

from app.config import PROJECT_ROOT, Settings, get_settings
from app.errors import AppError

log = logging.getLogger("app.render.convert")

BRIDGE = Path(__file__).with_name("uno_bridge.py")
FONTS_CONF = Path(__file__).with_name("fonts.conf")
WARM_UP = PROJECT_ROOT / "templates_docx" / "watermark.docx"   # small, and Chinese: loads the CJK fonts
RETRY_SECONDS = 5.0
START_ATTEMPTS = 3


class ConverterUnavailable(AppError):
    status = 503
    code = "converter_unavailable"
    message = "PDF 转换服务暂不可用，请稍后重试"


class ConverterMissing(ConverterUnavailable):
    """LibreOffice (or the Python that drives it) is not installed: retrying cannot help."""


class ConversionTimeout(AppError):
    status = 504
    code = "conversion_timeout"
    message = "PDF 转换超时，请稍后重试"


class ConversionFailed(AppError):
    status = 500
    code = "conversion_failed"
    message = "LibreOffice 无法转换该文档，请检查表格模板"


class Worker:
    """One bridge and its LibreOffice, in a process group of their own."""

    def __init__(self, index: int, settings: Settings):
        self.index = index
        self.settings = settings
        self.dir: Path | None = None       # claimed on first start, kept for the worker's life
        self._lock: int | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.state = "down"              # down | starting | idle | busy
        self.error: str | None = None
        self.retry_at = 0.0
        self.conversions = 0
        self.soffice_pid: int | None = None

    def _programs(self) -> tuple[str, str]:
        python = shutil.which(self.settings.converter_python)
        soffice = shutil.which(self.settings.converter_soffice)
        if soffice is None:
            raise ConverterMissing(f"PDF 转换服务不可用：找不到 LibreOffice（{self.settings.converter_soffice}），"
                                   "请安装 libreoffice-writer-nogui 或设置 ZC_CONVERTER_SOFFICE")
        if python is None:
            raise ConverterMissing(
                f"PDF 转换服务不可用：找不到带 python3-uno 的 Python（{self.settings.converter_python}）")
        return python, soffice

    def _claim_dir(self) -> Path:
        """A profile directory no other LibreOffice uses: the first var/converter/worker-N whose lock
        is free. Another pool (a second uvicorn worker, a test) sharing one would make LibreOffice
        hand its work to the other instance and exit 0, so each directory is held with flock."""
        if self.dir is None:
            root = self.settings.var_dir / "converter"
            for number in itertools.count():
                candidate = root / f"worker-{number}"
                candidate.mkdir(parents=True, exist_ok=True)
                lock = os.open(candidate / "lock", os.O_CREAT | os.O_RDWR)
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(lock)
                    continue
                self.dir, self._lock = candidate, lock
                break
        return self.dir

    def release_dir(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self.dir = self._lock = None

    async def start(self) -> None:
        python, soffice = self._programs()
        self._claim_dir()
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF), "HOME": str(self.dir)}
        startup = self.settings.converter_startup_seconds
        with open(self.dir / "bridge.log", "ab") as errors:
            self.proc = await asyncio.create_subprocess_exec(
                python, str(BRIDGE), "--soffice", soffice, "--profile", str(self.dir / "profile"),
                "--pipe", f"zc-{os.getpid()}-{self.index}-{secrets.token_hex(4)}", "--startup-timeout", str(startup),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=errors, env=env,
                start_new_session=True)
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), startup + 5)
        except TimeoutError:
            raise ConverterUnavailable(f"PDF 转换服务不可用：LibreOffice 在 {startup:g} 秒内未就绪") from None
        message = json.loads(line) if line.strip() else {}
        if not message.get("ready"):
            raise ConverterUnavailable(f"PDF 转换服务不可用：{message.get('error') or 'LibreOffice 启动失败'}")
        self.soffice_pid, self.conversions = message["soffice_pid"], 0

    async def convert(self, docx: bytes, timeout: float, pdfa: bool = False) -> bytes:
        source, target = self.dir / "in.docx", self.dir / "out.pdf"
        await anyio.to_thread.run_sync(source.write_bytes, docx)
        target.unlink(missing_ok=True)
        try:
            self.proc.stdin.write(json.dumps({"in": str(source), "out": str(target), "pdfa": pdfa}).encode() + b"\n")
            await self.proc.stdin.drain()
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            raise ConversionTimeout(f"PDF 转换超过 {timeout:g} 秒未完成，已中止；请稍后重试") from None
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        if not line:
            raise ConverterUnavailable("PDF 转换进程意外退出，正在重新启动，请稍后重试")
        self.conversions += 1
        answer = json.loads(line)
        if not answer.get("ok"):
            raise ConversionFailed(detail=answer.get("error"))
        return await anyio.to_thread.run_sync(target.read_bytes)

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    async def stop(self) -> None:
        self.kill()
        if self.proc is not None:
            await self.proc.wait()


class LocalPool:
    """N workers; a document takes an idle one, or waits (up to converter_queue_seconds) for one."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.workers = [Worker(i, settings) for i in range(settings.converter_workers)]
        self._idle: list[Worker] = []
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task] = set()
        self._started = False
        self.last_error = "PDF 转换服务不可用"

    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> None:
        self._started = True
        for worker in self.workers:
            self._launch(worker)

    async def wait_ready(self, timeout: float = 120) -> bool:
        """True once every worker is idle (tests, benchmarks); False if one could not start."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: all(w.state in ("idle", "down") for w in self.workers)), timeout)
        return all(w.state == "idle" for w in self.workers)

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())   # a caller that left has seen nothing
        return task

    def _launch(self, worker: Worker) -> None:
        worker.state = "starting"
        if worker in self._idle:
            self._idle.remove(worker)
        self._spawn(self._start(worker))

    async def _start(self, worker: Worker) -> None:
        """Starts (or restarts) a worker, warmed with one small document; a start that fails is tried
        again at once with a fresh profile (a machine under load sometimes loses one), then the worker
        is left down until the next document asks for it after RETRY_SECONDS."""
        for attempt in range(START_ATTEMPTS):
            await worker.stop()
            try:
                await worker.start()
                await worker.convert(WARM_UP.read_bytes(), self.settings.converter_startup_seconds)
            except AppError as exc:
                await worker.stop()
                if worker.dir is not None:
                    shutil.rmtree(worker.dir / "profile", ignore_errors=True)
                worker.error = self.last_error = exc.message
                log.warning("converter worker %s, attempt %s: %s", worker.index, attempt + 1, exc.message)
                if isinstance(exc, ConverterMissing):
                    break                      # nothing to retry without LibreOffice
            else:
                worker.state = "idle"
                self._idle.append(worker)
                self._spawn(self._watch(worker, worker.proc))
                break
        if worker.state != "idle":
            worker.state, worker.retry_at = "down", time.monotonic() + RETRY_SECONDS
        async with self._changed:
            self._changed.notify_all()

    async def _watch(self, worker: Worker, proc) -> None:
        """Restarts a worker whose LibreOffice died while it had nothing to do."""
        await proc.wait()
        if worker.proc is proc and worker.state == "idle":
            log.warning("converter worker %s exited while idle (code %s); restarting", worker.index, proc.returncode)
            self._launch(worker)

    async def _acquire(self) -> Worker:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.converter_queue_seconds
        if not self._started:
            raise ConverterUnavailable("PDF 转换服务未启动（ZC_CONVERTER_AUTOSTART 已关闭），请联系管理员")
        async with self._changed:
            while True:
                if self._idle:
                    worker = self._idle.pop()
                    worker.state = "busy"
                    return worker
                for worker in self.workers:
                    if worker.state == "down" and time.monotonic() >= worker.retry_at:
                        self._launch(worker)
                if all(w.state == "down" for w in self.workers):
                    raise ConverterUnavailable(self.last_error)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise ConverterUnavailable("PDF 转换排队等候超时，请稍后再试", code="converter_busy")
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    pass

    async def convert(self, docx: bytes, *, timeout: float | None = None, pdfa: bool = False) -> bytes:
        """The PDF of a .docx; pdfa: PDF/A-2b (archives), the same worker and the same cost."""
        worker = await self._acquire()
        # Shielded: a caller that goes away (a closed download) must not leave the worker between a
        # request and its answer, or the next document would read this one's.
        timeout = timeout or self.settings.converter_timeout_seconds
        return await asyncio.shield(self._spawn(self._run(worker, docx, timeout, pdfa)))

    async def _run(self, worker: Worker, docx: bytes, timeout: float, pdfa: bool) -> bytes:
        try:
            pdf = await worker.convert(docx, timeout, pdfa)
        except ConversionFailed:
            await self._release(worker)
            raise
        except BaseException:
            worker.kill()
            self._launch(worker)
            raise
        if worker.conversions >= self.settings.converter_max_conversions:
            self._launch(worker)
        else:
            await self._release(worker)
        return pdf

    async def _release(self, worker: Worker) -> None:
        async with self._changed:
            worker.state = "idle"
            self._idle.append(worker)
            self._changed.notify_all()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for worker in self.workers:
            await worker.stop()
            worker.release_dir()
            worker.state = "down"
        self._idle.clear()
        self._started = False


class _Transport(xmlrpc.client.Transport):
    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class RemoteConverter:
    """The unoservers of docker-compose's converter containers (XML-RPC, documents sent as bytes). Each
    unoserver converts one document at a time, so ZC_CONVERTER_URL may name several, comma-separated:
    documents take them in turn, and one that cannot be reached hands its document to the next."""

    def __init__(self, settings: Settings):
        self.urls = [url.strip() for url in settings.converter_url.split(",") if url.strip()]
        self.timeout = settings.converter_timeout_seconds
        self._turns = itertools.count()

    def start(self) -> None:
        """The containers run on their own; nothing to start here."""

    async def stop(self) -> None:
        """Nothing of ours to stop."""

    async def convert(self, docx: bytes, *, timeout: float | None = None, pdfa: bool = False) -> bytes:
        return await anyio.to_thread.run_sync(self._call, docx, timeout or self.timeout, pdfa)

    def _call(self, docx: bytes, timeout: float, pdfa: bool) -> bytes:
        first = next(self._turns)
        for step in range(len(self.urls)):
            try:
                return self._call_one(self.urls[(first + step) % len(self.urls)], docx, timeout, pdfa)
            except ConverterUnavailable as exc:
                unreachable = exc
        raise unreachable

    @staticmethod
    def _call_one(url: str, docx: bytes, timeout: float, pdfa: bool) -> bytes:
        proxy = xmlrpc.client.ServerProxy(url, allow_none=True, transport=_Transport(timeout))
        options = ["SelectPdfVersion=2"] if pdfa else []      # unoserver passes these as the export's FilterData
        try:
            result = proxy.convert(None, xmlrpc.client.Binary(docx), None, "pdf", None, options, False, None)
        except (TimeoutError, socket.timeout):
            raise ConversionTimeout(f"PDF 转换超过 {timeout:g} 秒未完成") from None
        except xmlrpc.client.Fault as fault:
            raise ConversionFailed(detail=fault.faultString[:500]) from None
        except OSError as exc:
            raise ConverterUnavailable(f"PDF 转换服务不可用：无法连接 {url}（{exc.strerror or exc}）") from None
        return result.data


_converter: LocalPool | RemoteConverter | None = None


def make(settings: Settings) -> LocalPool | RemoteConverter:
    return RemoteConverter(settings) if settings.converter_url else LocalPool(settings)


def install(converter: LocalPool | RemoteConverter | None) -> None:
    """Makes `converter` the one the service uses (start-up, and tests that bring their own)."""
    global _converter
    _converter = converter


def _autostart(settings: Settings) -> bool:
    return settings.converter_autostart if settings.converter_autostart is not None else settings.env != "test"


def current() -> LocalPool | RemoteConverter:
    """The service's converter. Outside the service (a command-line export) it is made here, and
    started unless the settings say not to; a local pool that was not started answers 503."""
    if _converter is None:
        settings = get_settings()
        install(make(settings))
        if _autostart(settings):
            _converter.start()
    return _converter


async def start(settings: Settings) -> None:
    """At service start-up: the workers warm up in the background while the service starts serving.
    In tests they are not started (ZC_ENV=test); the tests that need PDFs start one pool per session."""
    install(make(settings))
    if _autostart(settings):
        _converter.start()


async def stop() -> None:
    if _converter is not None:
        await _converter.stop()
    install(None)
