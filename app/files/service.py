"""Uploads into GridFS and back out: streamed under a size cap, checked by content, nothing left behind on failure.

GridFS is never inside a transaction, so a file is stored first and referenced afterwards; orphan_sweep
removes files whose reference was never saved, once they are older than a grace period.
"""

import hashlib
import logging
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Collection
from datetime import timedelta
from io import BytesIO
from typing import Any, BinaryIO

import anyio
from bson import ObjectId
from fastapi.responses import StreamingResponse
from gridfs import NoFile
from gridfs.asynchronous.grid_file import AsyncGridOut
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile  # FastAPI's UploadFile is a subclass

from app import clock, db
from app.errors import NotFound, ValidationFailed
from app.files.inspect import inspect_upload
from app.files.models import StoredFile
from app.files.names import download_headers, safe_filename

log = logging.getLogger("app.files")

CHUNK_SIZE = 256 * 1024
SPOOL_IN_MEMORY = 1024 * 1024   # bigger uploads roll over to a temporary file on disk
BUCKET = "fs"                   # the default bucket db.current().bucket writes to

Upload = UploadFile | AsyncIterable[bytes]


async def store_upload(upload: Upload, *, allowed: Collection[str], max_bytes: int, field: str,
                       metadata: dict[str, Any], photo: bool = False, filename: str | None = None) -> StoredFile:
    """Checks an upload and stores it (images re-encoded, photos as 大一寸 JPEGs); refuses with ValidationFailed.

    filename: the display name when upload is a bare byte iterator (an UploadFile brings its own).
    The claimed content type is ignored: the kind comes from the content.
    """
    name = filename if filename is not None else getattr(upload, "filename", None)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        upload_size, upload_sha256 = await _spool(upload, spool, max_bytes=max_bytes, field=field)
        found = await run_in_threadpool(inspect_upload, spool, allowed=allowed, field=field, photo=photo)
        if found.data is None:
            source, sha256, size = spool, upload_sha256, upload_size
        else:
            source, sha256, size = BytesIO(found.data), hashlib.sha256(found.data).hexdigest(), len(found.data)
        stored = StoredFile(file_id=ObjectId(), filename=safe_filename(name, found.kind),
                            content_type=found.kind.content_type, size=size, sha256=sha256, kind=found.kind,
                            pages=found.pages)
        await _upload(stored, source, {
            **metadata, "sha256": sha256, "upload_sha256": upload_sha256, "original_name": name,
            "kind": found.kind.value, "content_type": stored.content_type, "pages": found.pages,
            "uploaded_at": clock.utcnow(),
        })
    return stored


async def _chunks(upload: Upload) -> AsyncIterator[bytes]:
    if isinstance(upload, UploadFile):
        while chunk := await upload.read(CHUNK_SIZE):
            yield chunk
    else:
        async for chunk in upload:
            yield chunk


async def _spool(upload: Upload, spool: BinaryIO, *, max_bytes: int, field: str) -> tuple[int, str]:
    """Copies the upload into spool chunk by chunk, hashing as it goes; stops at the first byte over the cap."""
    digest = hashlib.sha256()
    size = 0

    def take(chunk: bytes) -> None:  # hashing and a disk write: off the event loop
        digest.update(chunk)
        spool.write(chunk)

    async for chunk in _chunks(upload):
        size += len(chunk)
        if size > max_bytes:
            raise ValidationFailed(f"文件不能超过 {_human_size(max_bytes)}", code="file_too_large", field=field)
        await run_in_threadpool(take, chunk)
    if size == 0:
        raise ValidationFailed("文件为空，请重新选择", code="file_empty", field=field)
    return size, digest.hexdigest()


def _human_size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{round(n / scale, 1):g} {unit}"
    return f"{n} 字节"


async def _upload(stored: StoredFile, source: BinaryIO, metadata: dict[str, Any]) -> None:
    """Writes source to GridFS under stored.file_id; on any failure, cancellation included, removes what was written."""
    stream = db.current().bucket.open_upload_stream_with_id(stored.file_id, stored.filename, metadata=metadata)
    try:
        source.seek(0)
        while chunk := await run_in_threadpool(source.read, CHUNK_SIZE):
            await stream.write(chunk)
        await stream.close()
    except BaseException:
        with anyio.CancelScope(shield=True):
            try:
                await stream.abort()
            except Exception:  # the database is gone too: orphan_sweep will collect the chunks later
                log.exception("could not remove the partial upload %s", stored.file_id)
        raise


async def delete_file(file_id: ObjectId) -> bool:
    """Removes a file and its chunks; False when there was no such file (deleting twice is harmless)."""
    try:
        await db.current().bucket.delete(file_id)
    except NoFile:
        return False
    return True


async def _open(file_id: ObjectId) -> AsyncGridOut:
    try:
        return await db.current().bucket.open_download_stream(file_id)
    except NoFile:
        raise NotFound("文件不存在或已被删除", code="file_not_found") from None


async def _read(grid_out: AsyncGridOut) -> AsyncIterator[bytes]:
    try:
        while chunk := await grid_out.readchunk():
            yield chunk
    finally:
        await grid_out.close()


async def open_download(file_id: ObjectId) -> AsyncIterator[bytes]:
    """The file's bytes chunk by chunk; NotFound is raised here, before anything is sent."""
    return _read(await _open(file_id))


async def download_response(stored: StoredFile, *, inline: bool) -> StreamingResponse:
    """Streams the file with its type, exact length (from GridFS), a Chinese-safe Content-Disposition and a sandbox."""
    grid_out = await _open(stored.file_id)
    headers = {"Content-Length": str(grid_out.length), **download_headers(stored.filename, inline=inline)}
    return StreamingResponse(_read(grid_out), media_type=stored.content_type, headers=headers)


async def orphan_sweep(referenced_ids: set[ObjectId], older_than: timedelta) -> int:
    """Removes files no document references, once older than the grace period; returns how many.

    The grace period must exceed the time between storing a file and saving its reference, so that an
    upload in flight is never swept. Chunks left by an upload whose clean-up failed are removed too.
    """
    cutoff = clock.utcnow() - older_than
    database = db.current().db
    files, chunks = database[f"{BUCKET}.files"], database[f"{BUCKET}.chunks"]
    old = {"$or": [{"metadata.uploaded_at": {"$lt": cutoff}},
                   {"metadata.uploaded_at": {"$exists": False}, "uploadDate": {"$lt": cutoff}}]}
    removed = 0
    async for doc in files.find(old, {"_id": 1}):
        if doc["_id"] not in referenced_ids and await delete_file(doc["_id"]):
            removed += 1
    # An unfinished upload has chunks but no files document; its id was made when it started.
    for file_id in await chunks.distinct("files_id", {"files_id": {"$lt": ObjectId.from_datetime(cutoff)}}):
        if file_id not in referenced_ids and await files.find_one({"_id": file_id}, {"_id": 1}) is None:
            await chunks.delete_many({"files_id": file_id})
            removed += 1
    return removed
