"""Forms made ahead: the warm-forms job caches the forms of dossiers that left their applicant, per version,
once; a transition makes new ones; the sweep drops the old version's; the job's mark is in the database."""

from datetime import timedelta

from beanie import PydanticObjectId

from app.dossiers.models import Dossier
from app.exports import formcache
from app.render import convert
from tests.routing.conftest import act


async def cached_versions() -> list[tuple[int, str]]:
    return sorted([(doc["metadata"]["version"], doc["metadata"]["form"])
                   async for doc in formcache._files().find({})])


async def test_warm_makes_each_version_once_and_the_sweep_keeps_the_current(client, world, converter_pool):
    dossier = await Dossier.get(PydanticObjectId(world["dossier_id"]))
    assert await formcache.warm() == 3
    assert await cached_versions() == [(dossier.version, f) for f in sorted(formcache.FORMS)]
    assert await formcache.warm() == 0          # the mark is past it, and nothing is missing
    assert (await formcache._files().database["form_cache_state"].find_one({"_id": formcache.MARK}))["id"] == dossier.id

    assert (await act(client, world, "as_employer", "pass", opinion="同意")).status_code == 200
    moved = await Dossier.get(dossier.id)
    assert await formcache.warm() == 3
    assert len(await cached_versions()) == 6
    assert await formcache.sweep() == 0             # within the grace period a bundle may still read them
    assert await formcache.sweep(grace=timedelta(0)) == 3
    assert await cached_versions() == [(moved.version, f) for f in sorted(formcache.FORMS)]


async def test_a_dossier_back_with_its_applicant_is_not_warmed(client, world, converter_pool):
    assert (await act(client, world, "as_employer", "return", opinion="补充材料")).status_code == 200
    assert await formcache.warm() == 0 and await cached_versions() == []


class Gone:
    async def convert(self, docx: bytes, *, timeout: float | None = None, pdfa: bool = False) -> bytes:
        raise convert.ConverterUnavailable()


async def test_without_a_converter_the_mark_stays_for_the_next_pass(world, converter_pool):
    convert.install(Gone())
    try:
        assert await formcache.warm() == 0
    finally:
        convert.install(converter_pool)
    assert await formcache._files().database["form_cache_state"].find_one({"_id": formcache.MARK}) is None
    assert await formcache.warm() == 3
