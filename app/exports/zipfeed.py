"""ZIP packages streamed from GridFS: zipstream-ng, sized in advance, fed from the event loop.

zipstream-ng is synchronous: it pulls each entry's bytes from an iterator. GridFS (PyMongo async) can
only be read with `await`. Rather than a thread per download, the driver here makes sure the iterator
of the next entry holds its next chunk before each step of zipstream-ng's generator. That is enough because
zipstream-ng consumes entries strictly in the order they were added and takes at most one chunk per
step, so its generator never needs I/O it does not already have; a pull out of order is a bug and
raises. Every entry is STORED (PDFs and JPEGs do not shrink, and DEFLATE would be 50× slower and
make the length unknowable), so `len()` of the stream is the exact Content-Length (unless work was
deferred to the stream, see Package).

Chunks come straight from `fs.chunks` with one cursor per file and a small batch size: measured
faster than `AsyncGridOut.readchunk` and bounded in memory (see docs/BENCHMARKS.md)."""

import asyncio
import contextlib
import hashlib
import itertools
import tempfile
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timezone
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util
from gridfs.errors import CorruptGridFile
from zipstream import ZipStream

from app import db
from app.files import service as files

CHUNKS_PER_BATCH = 16       # 16 × 255 KiB ≈ 4 MiB per getMore: flat memory, few round trips
READ_AHEAD = 16             # chunks a feed holds ahead: two feeds at most, ≤ 8 MiB
COALESCE = 64 * 1024        # headers and descriptors are tiny: send them with the next big piece
MANIFEST = "manifest.json"
CHECKSUMS = "manifest.sha256"
JSON = json_util.RELAXED_JSON_OPTIONS.with_options(tz_aware=True, tzinfo=timezone.utc)


def dumps(value: Any) -> bytes:
    """JSON as people and tools read it; ObjectIds and datetimes as Extended JSON."""
    return json_util.dumps(value, json_options=JSON, ensure_ascii=False, indent=1).encode()


def loads(data: bytes) -> Any:
    return json_util.loads(data, json_options=JSON)


async def gridfs_chunks(file_id: ObjectId, length: int, bucket: str = files.BUCKET) -> AsyncIterator[bytes]:
    """A GridFS file's bytes chunk by chunk, checked for missing or truncated chunks."""
    chunks = db.current().db[f"{bucket}.chunks"]
    cursor = chunks.find({"files_id": file_id}, {"_id": 0, "n": 1, "data": 1}, sort=[("n", 1)],
                         batch_size=CHUNKS_PER_BATCH)
    expected, seen = 0, 0
    try:
        async for doc in cursor:
            if doc["n"] != expected:
                raise CorruptGridFile(f"file {file_id}: expected chunk {expected}, found {doc['n']}")
            expected += 1
            seen += len(doc["data"])
            yield doc["data"]
    finally:
        await cursor.close()
    if seen != length:
        raise CorruptGridFile(f"file {file_id}: {seen} bytes stored, {length} expected")


class Feed:
    """The iterator zipstream-ng pulls one entry's bytes from. A task reads the file's chunks ahead into
    a small queue, so the database prepares the next batch while the ZIP checksums and sends this one
    (measured: ~20 % faster than fetching on demand); `fill` hands the next chunk over before each pull."""

    def __init__(self, file_id: ObjectId, size: int, bucket: str = files.BUCKET):
        self.file_id, self.size, self.bucket = file_id, size, bucket
        self._queue: asyncio.Queue = asyncio.Queue(READ_AHEAD)
        self._task: asyncio.Task | None = None
        self._chunk: bytes | None = None
        self.finished = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for chunk in gridfs_chunks(self.file_id, self.size, self.bucket):
                await self._queue.put(chunk)
            await self._queue.put(None)
        except Exception as exc:      # handed to the stream, which fails where the file is
            await self._queue.put(exc)

    async def fill(self) -> None:
        if self._chunk is not None or self.finished:
            return
        self.start()
        item = await self._queue.get()
        if isinstance(item, Exception):
            raise item
        if item is None:
            self.finished = True
        else:
            self._chunk = item

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._chunk is None:
            if self.finished:
                raise StopIteration
            raise RuntimeError(f"zip entry of file {self.file_id} pulled before it was fetched")
        chunk, self._chunk = self._chunk, None
        return chunk


class Package:
    """One ZIP being planned: entries with sizes and SHA-256, generated files spooled to disk (so a
    selection's forms never sit in memory), GridFS entries as feeds, and at the end the manifest.

    Work that is slow to plan (forms not made yet) can be deferred (`later`): it runs, a few jobs at a
    time, while the planned entries stream, and adds its files as each job ends; the manifest is then
    written after the last of them. Such a package has no length known in advance (`sized` is False), but
    its first bytes leave at once."""

    def __init__(self, spool: Path | None = None):
        self.zip = ZipStream(sized=True)
        self.feeds: list[Feed] = []
        self.files: list[dict[str, Any]] = []
        self._paths: set[str] = set()
        self._tmp = None if spool else tempfile.TemporaryDirectory(prefix="zc-zip-")
        self.spool = spool or Path(self._tmp.name)
        self._later: list[Callable[[], Awaitable[None]]] = []
        self._manifest: Callable[[], dict[str, Any]] | None = None

    def unique(self, path: str) -> str:
        """The path, or the path with (2), (3) … before its extension when taken."""
        stem, dot, ext = path.rpartition(".") if "." in path.rsplit("/", 1)[-1] else (path, "", "")
        candidate, n = path, 1
        while candidate.lower() in self._paths:
            n += 1
            candidate = f"{stem}({n}){dot}{ext}"
        self._paths.add(candidate.lower())
        return candidate

    def add_bytes(self, path: str, data: bytes, **info: Any) -> str:
        path = self.unique(path)
        spooled = self.spool / uuid.uuid4().hex
        spooled.write_bytes(data)
        self.zip.add_path(str(spooled), path)
        self.files.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), **info})
        return path

    def add_gridfs(self, path: str, file_id: ObjectId, size: int, sha256: str, *, bucket: str = files.BUCKET,
                   **info: Any) -> str:
        path = self.unique(path)
        feed = Feed(file_id, size, bucket)
        self.zip.add(feed, path, size=size)
        self.feeds.append(feed)
        self.files.append({"path": path, "size": size, "sha256": sha256, "file_id": str(file_id), **info})
        return path

    def add_package(self, path: str, inner: "Package") -> str:
        """A finished package as one entry (an archive of archives): its feeds run inside ours, in order."""
        if not inner.sized:
            raise ValueError("a package with deferred work cannot be nested")
        path = self.unique(path)
        self.zip.add(inner.zip, path, size=len(inner))
        self.feeds.extend(inner.feeds)
        self.files.append({"path": path, "size": len(inner)})
        return path

    def later(self, job: Callable[[], Awaitable[None]]) -> None:
        """Work run while the stream goes, which may only add_bytes (a feed must be planned before it starts)."""
        self._later.append(job)

    @property
    def sized(self) -> bool:
        return not self._later

    def finish(self, manifest: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        """Adds manifest.json (every file with size and SHA-256) and manifest.sha256 (`sha256sum -c`): now,
        or after the deferred work when there is some (a callable is then read at that moment)."""
        self._manifest = manifest if callable(manifest) else (lambda: manifest)
        if self.sized:
            self._write_manifest()

    def _write_manifest(self) -> None:
        body = dumps({**self._manifest(), "files": self.files})
        lines = [f"{f['sha256']}  {f['path']}" for f in self.files if "sha256" in f]
        lines.append(f"{hashlib.sha256(body).hexdigest()}  {MANIFEST}")
        for path, data in ((MANIFEST, body), (CHECKSUMS, ("\n".join(lines) + "\n").encode())):
            spooled = self.spool / uuid.uuid4().hex
            spooled.write_bytes(data)
            self.zip.add_path(str(spooled), path)

    def __len__(self) -> int:
        if not self.sized:
            raise TypeError("the length of a package with deferred work is not known in advance")
        return len(self.zip)

    def _start_later(self, width: int) -> list[asyncio.Task]:
        gate = asyncio.Semaphore(width)

        async def run(job: Callable[[], Awaitable[None]]) -> None:
            async with gate:
                await job()

        return [asyncio.ensure_future(run(job)) for job in self._later]

    async def stream(self, *, width: int = 2) -> AsyncIterator[bytes]:
        """The ZIP's bytes; before each step of zipstream-ng the first unfinished feed holds its next chunk.
        Deferred jobs run `width` at a time meanwhile; when the planned entries are out, the stream waits
        for the next job to end and sends what it added, and the manifest and directory come last."""
        pending = deque(self.feeds)
        jobs = self._start_later(width)
        waiting = set(jobs)
        out = self.zip.all_files()
        closing = False
        small: list[bytes] = []
        small_size = 0
        try:
            while True:
                while pending and pending[0].finished:
                    pending.popleft()
                if pending:
                    await pending[0].fill()
                    if len(pending) > 1:        # the next file's first batch is on its way meanwhile
                        pending[1].start()
                piece = next(out, None)
                if piece is None:
                    if waiting:
                        if small:           # what is ready goes out while the next job works
                            yield b"".join(small)
                            small, small_size = [], 0
                        done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                        for task in done:
                            task.result()       # a job's failure fails the stream here
                        out = self.zip.all_files()
                        continue
                    if closing:
                        break
                    if not self.sized and self._manifest is not None:
                        self._write_manifest()
                    out, closing = itertools.chain(self.zip.all_files(), self.zip.footer()), True
                    continue
                if len(piece) < COALESCE:
                    small.append(piece)
                    small_size += len(piece)
                    if small_size < COALESCE:
                        continue
                    piece = b"".join(small)
                elif small:
                    yield b"".join(small)
                small, small_size = [], 0
                yield piece
            if small:
                yield b"".join(small)
        finally:
            for task in jobs:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.gather(*jobs, return_exceptions=True)
            for feed in self.feeds:
                await feed.aclose()
            if self._tmp is not None:
                self._tmp.cleanup()
