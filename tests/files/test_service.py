"""Storing uploads in GridFS on the real database: what is stored, what is refused, what is left behind."""

import asyncio
import hashlib
import io
from datetime import timedelta
from urllib.parse import unquote

import pytest
from bson import ObjectId
from fastapi import UploadFile
from gridfs.asynchronous.grid_file import AsyncGridIn
from PIL import Image
from starlette.datastructures import Headers

from app import clock, db
from app.errors import NotFound, ValidationFailed
from app.files import service
from app.files.models import FileKind, StoredFile
from tests.files import samples

MB = 1024 * 1024
SCANS = {"pdf", "jpeg", "png"}


def upload_file(data: bytes, filename: str) -> UploadFile:
    """The claimed type is always PDF: the service must not care."""
    return UploadFile(io.BytesIO(data), size=len(data), filename=filename,
                      headers=Headers({"content-type": "application/pdf"}))


async def store(data: bytes, filename: str = "营业执照.pdf", **kwargs) -> StoredFile:
    options = {"allowed": SCANS, "max_bytes": 5 * MB, "field": "licence", "metadata": {"purpose": "licence"}}
    return await service.store_upload(upload_file(data, filename), **options | kwargs)


async def counts() -> tuple[int, int]:
    database = db.current().db
    return await database["fs.files"].count_documents({}), await database["fs.chunks"].count_documents({})


async def download(file_id) -> bytes:
    return b"".join([chunk async for chunk in await service.open_download(file_id)])


class TestStored:
    async def test_pdf_is_stored_as_uploaded_with_its_facts(self):
        data = samples.pdf(3)
        stored = await store(data, filename="../职称/营业执照 副本.exe")
        assert stored.kind is FileKind.pdf and stored.pages == 3
        assert stored.filename == "营业执照 副本.pdf"
        assert (stored.content_type, stored.size) == ("application/pdf", len(data))
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert await download(stored.file_id) == data
        doc = await db.current().db["fs.files"].find_one({"_id": stored.file_id})
        meta = doc["metadata"]
        assert meta["purpose"] == "licence" and meta["original_name"] == "../职称/营业执照 副本.exe"
        assert (meta["kind"], meta["pages"], meta["sha256"]) == ("pdf", 3, stored.sha256)
        assert meta["upload_sha256"] == stored.sha256 and meta["uploaded_at"] <= clock.utcnow()

    async def test_big_pdf_rolls_over_to_disk_and_arrives_whole(self):
        data = samples.pdf(1, padding=3 * MB)
        stored = await store(data)
        assert await download(stored.file_id) == data and stored.size == len(data)
        assert await counts() == (1, -(-len(data) // (255 * 1024)))

    async def test_image_is_stored_re_encoded_and_hashed_as_stored(self):
        original = samples.jpeg(orientation=6, gps=True)
        stored = await store(original, filename="扫描件.png")
        data = await download(stored.file_id)
        assert (stored.kind, stored.filename, stored.content_type) == (FileKind.jpeg, "扫描件.jpg", "image/jpeg")
        assert stored.sha256 == hashlib.sha256(data).hexdigest() != hashlib.sha256(original).hexdigest()
        assert stored.size == len(data)
        with Image.open(io.BytesIO(data)) as im:
            assert im.size == (300, 400) and not im.getexif()
        doc = await db.current().db["fs.files"].find_one({"_id": stored.file_id})
        assert doc["metadata"]["upload_sha256"] == hashlib.sha256(original).hexdigest()

    async def test_photo_is_stored_at_the_exact_id_photo_size(self):
        stored = await store(samples.jpeg((3000, 2000), orientation=8), filename="证件照.jpeg",
                             allowed={"jpeg", "png"}, photo=True, field="photo")
        with Image.open(io.BytesIO(await download(stored.file_id))) as im:
            assert im.size == (390, 567) and im.format == "JPEG"
        assert stored.filename == "证件照.jpeg"

    async def test_a_byte_iterator_works_like_an_upload_file(self):
        data = samples.pdf(2)

        async def body():
            for start in range(0, len(data), 100):
                yield data[start:start + 100]

        stored = await service.store_upload(body(), allowed={"pdf"}, max_bytes=MB, field="attachment",
                                            metadata={}, filename="论文.pdf")
        assert (stored.filename, stored.pages, stored.sha256) == ("论文.pdf", 2, hashlib.sha256(data).hexdigest())


class TestRefused:
    @pytest.mark.parametrize("data, code", [
        (samples.exe(), "file_type_not_allowed"), (samples.html(), "file_type_not_allowed"),
        (samples.zip_archive(), "file_type_not_allowed"), (b"", "file_empty"),
        (samples.pdf(3)[:300], "pdf_broken"), (samples.encrypted_pdf(), "pdf_encrypted"),
        (samples.bomb_png(20000, 20000), "image_too_large"), (samples.jpeg(noise=True)[:5000], "image_broken"),
    ], ids=["exe", "html", "zip", "empty", "truncated-pdf", "encrypted-pdf", "bomb-png", "corrupt-jpeg"])
    async def test_nothing_is_stored(self, data, code):
        with pytest.raises(ValidationFailed) as caught:
            await store(data, filename="材料.pdf")
        assert (caught.value.code, caught.value.field, caught.value.status) == (code, "licence", 422)
        assert await counts() == (0, 0)

    async def test_oversize_stream_is_cut_off_at_the_limit(self):
        sent = 0

        async def endless_pdf():
            nonlocal sent
            yield b"%PDF-1.7\n"
            while sent < 50 * MB:
                sent += 64 * 1024
                yield b"0" * (64 * 1024)

        with pytest.raises(ValidationFailed) as caught:
            await service.store_upload(endless_pdf(), allowed={"pdf"}, max_bytes=1 * MB, field="attachment",
                                       metadata={}, filename="大文件.pdf")
        assert (caught.value.code, caught.value.message) == ("file_too_large", "文件不能超过 1 MB")
        assert sent <= 1 * MB + 64 * 1024      # stopped at the first chunk over the limit
        assert await counts() == (0, 0)

    async def test_oversize_upload_file(self):
        with pytest.raises(ValidationFailed) as caught:
            await store(samples.pdf(1, padding=MB), max_bytes=512 * 1024)
        assert caught.value.message == "文件不能超过 512 KB"
        assert await counts() == (0, 0)


class TestGridFsFailure:
    @pytest.fixture(autouse=True)
    def flush_every_chunk(self, monkeypatch):
        """The driver batches chunks up to 48 MB before inserting; here each one reaches the database at once."""
        monkeypatch.setattr("gridfs.asynchronous.grid_file._UPLOAD_BUFFER_CHUNKS", 1)

    async def test_failure_midway_leaves_no_file(self, monkeypatch):
        real_write, seen = AsyncGridIn.write, []

        async def failing_write(self, data):
            seen.append(await counts())
            if len(seen) == 4:
                raise ConnectionError("simulated loss of the database mid-upload")
            await real_write(self, data)

        monkeypatch.setattr(AsyncGridIn, "write", failing_write)
        with pytest.raises(ConnectionError):
            await store(samples.pdf(1, padding=2 * MB))
        assert seen[-1][1] >= 2                 # chunks had reached the database before the failure
        assert await counts() == (0, 0)

    async def test_cancelled_upload_leaves_no_file(self, monkeypatch):
        real_write, stalled = AsyncGridIn.write, asyncio.Event()

        async def stalling_write(self, data):
            await real_write(self, data)
            if (await counts())[1] >= 2:
                stalled.set()
                await asyncio.Event().wait()

        monkeypatch.setattr(AsyncGridIn, "write", stalling_write)
        task = asyncio.create_task(store(samples.pdf(1, padding=2 * MB)))
        await asyncio.wait_for(stalled.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await counts() == (0, 0)


class TestDownload:
    async def test_response_headers_and_body(self):
        data = samples.pdf(2)
        stored = await store(data, filename="营业执照 2024.pdf")
        response = await service.download_response(stored, inline=False)
        body = b"".join([chunk async for chunk in response.body_iterator])
        assert body == data
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-length"] == str(len(data))
        assert response.headers["x-content-type-options"] == "nosniff"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="2024.pdf"; filename*=UTF-8\'\'')
        assert unquote(disposition.split("UTF-8''")[1]) == "营业执照 2024.pdf"

    async def test_inline(self):
        stored = await store(samples.png(), filename="公章.png")
        response = await service.download_response(stored, inline=True)
        assert response.headers["content-disposition"].startswith('inline; filename="file.png"')
        assert response.headers["content-type"] == "image/png"

    async def test_missing_file(self):
        with pytest.raises(NotFound) as caught:
            await service.open_download(ObjectId())
        assert caught.value.code == "file_not_found"

    async def test_delete(self):
        stored = await store(samples.pdf(1, padding=MB))
        assert await service.delete_file(stored.file_id) is True
        assert await counts() == (0, 0)
        assert await service.delete_file(stored.file_id) is False


class TestOrphanSweep:
    async def test_removes_only_old_unreferenced_files(self):
        referenced = await store(samples.pdf(1))
        orphan = await store(samples.pdf(1))
        crashed = ObjectId.from_datetime(clock.utcnow() - timedelta(hours=3))   # chunks without a files entry
        await db.current().db["fs.chunks"].insert_one({"files_id": crashed, "n": 0, "data": b"%PDF-"})
        clock.advance(2 * 3600)
        recent = await store(samples.pdf(1))

        removed = await service.orphan_sweep({referenced.file_id}, older_than=timedelta(hours=1))

        assert removed == 2
        left = {doc["_id"] async for doc in db.current().db["fs.files"].find({}, {"_id": 1})}
        assert left == {referenced.file_id, recent.file_id}
        assert await db.current().db["fs.chunks"].count_documents({"files_id": {"$in": [orphan.file_id, crashed]}}) == 0
        assert await counts() == (2, 2)

    async def test_nothing_within_the_grace_period(self):
        await store(samples.pdf(1))
        assert await service.orphan_sweep(set(), older_than=timedelta(hours=1)) == 0
        assert await counts() == (1, 1)
