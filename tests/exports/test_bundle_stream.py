"""A bundle's first bytes do not wait for its forms: the forms not made ahead are made while it streams
(and cached for the next bundle, which then has an exact length); a converter that is gone leaves the
CSV catalogue and a note, and the stream still ends."""

import asyncio
import io
import zipfile

from beanie import PydanticObjectId

from app.dossiers.models import Dossier
from app.exports import bundles, formcache
from app.render import convert
from tests.exports.test_bundles import check_manifest, folder_of

FORM_FILES = ("申报表.pdf", "简介表.pdf", "材料目录.pdf")


class Gated:
    """The real converter behind a gate the test opens: counts documents asked for and made."""

    def __init__(self, pool):
        self.pool, self.open, self.asked, self.made = pool, asyncio.Event(), 0, 0

    async def convert(self, docx: bytes, *, timeout: float | None = None, pdfa: bool = False) -> bytes:
        self.asked += 1
        await self.open.wait()
        pdf = await self.pool.convert(docx, timeout=timeout, pdfa=pdfa)
        self.made += 1
        return pdf


class Gone:
    async def convert(self, docx: bytes, *, timeout: float | None = None, pdfa: bool = False) -> bytes:
        raise convert.ConverterUnavailable()


async def _bundle(world):
    async def one():
        yield await Dossier.get(PydanticObjectId(world["dossier_id"]))
    return await bundles.build_bundle(one(), title="附件包", created_by="测试")


async def test_the_first_bytes_leave_before_any_form_is_made(world, converter_pool):
    gate = Gated(converter_pool)
    convert.install(gate)
    try:
        package, _ = await _bundle(world)
        assert not package.sized                    # forms still to make: no length promised
        stream = package.stream()
        first = await asyncio.wait_for(anext(stream), timeout=10)
        assert first.startswith(b"PK\x03\x04") and gate.made == 0
        gate.open.set()
        body = first + b"".join([piece async for piece in stream])
        zf = zipfile.ZipFile(io.BytesIO(body))
        for name in FORM_FILES:
            assert zf.read(f"{folder_of(world)}/{name}").startswith(b"%PDF-")
        assert check_manifest(zf)["notes"] == []

        asked = gate.asked
        again, _ = await _bundle(world)             # made ahead now: planned with every size
        assert again.sized and gate.asked == asked
        zf2 = zipfile.ZipFile(io.BytesIO(b"".join([piece async for piece in again.stream()])))
        assert len(b"".join(zf2.read(n) for n in zf2.namelist())) > 0 and len(again) > 0
        assert zf2.read(f"{folder_of(world)}/申报表.pdf") == zf.read(f"{folder_of(world)}/申报表.pdf")
    finally:
        convert.install(converter_pool)


async def test_a_converter_that_is_gone_leaves_the_csv_catalogue_and_a_note(world, converter_pool):
    convert.install(Gone())
    try:
        package, _ = await _bundle(world)
        zf = zipfile.ZipFile(io.BytesIO(b"".join([piece async for piece in package.stream()])))
    finally:
        convert.install(converter_pool)
    names = zf.namelist()
    assert f"{folder_of(world)}/材料目录.csv" in names and not any(n.endswith(FORM_FILES) for n in names)
    manifest = check_manifest(zf)
    assert "PDF 转换服务暂不可用" in manifest["notes"][0]
    assert await formcache._files().count_documents({}) == 0
