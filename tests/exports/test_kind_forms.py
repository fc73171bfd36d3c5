"""Bundles, archives and the 材料目录 carry a dossier's batch's forms: an 初定 dossier's 初定表, never the
评审 申报表/简介表; the forms cache's keys name those forms."""

import pytest
from bson import ObjectId

from app.catalog.kinds import KIND_DEFAULTS
from app.dossiers.models import Dossier
from app.exports import archive_meta as meta
from app.exports import formcache
from app.exports.forms import FormMaker
from app.render import contexts
from app.render import service as render
from app.render.contexts import FormSource

from tests.committee.test_kinds import kinds_world  # noqa: F401  (a fixture: the 受理点 and its route)
from tests.factories import create_batch, submitted_dossier


@pytest.mark.parametrize("kind, forms", [
    ("review", ("application", "brief", "catalogue")), ("initial", ("initial", "catalogue")),
    ("recognition", ("recognition", "catalogue")),
])
def test_a_kinds_bundle_forms_are_its_own_with_the_catalogue_last(kind, forms):
    assert contexts.bundle_forms(KIND_DEFAULTS[kind]["forms"]) == forms
    assert contexts.bundle_forms(None) == contexts.BUNDLE_FORMS
    assert contexts.bundle_forms(["catalogue", "brief", "certificate"]) == ("brief", "catalogue")


def test_an_archive_expects_the_batchs_forms():
    assert meta.expected_forms("approved", None, ("initial", "catalogue")) == ["初定技术资格呈报表.pdf", "材料目录.pdf"]
    assert meta.expected_forms("certified", object(), ("recognition", "catalogue"))[-1] == "证书.pdf"
    assert meta.expected_forms("approved", None) == ["申报表.pdf", "简介表.pdf", "材料目录.pdf"]
    assert all(contexts.FORMS[form] == label for form, label in meta.FORMS)     # the labels are the renderer's


async def initial_dossier(world) -> Dossier:
    batch = await create_batch(kind="initial", committee=None,
                               rules={"required_sections": ["basic", "education", "current_title"],
                                      "sections": ["basic", "education", "current_title"], "guide_text": ""})
    return await Dossier.get(ObjectId(await submitted_dossier(world["applicant"], batch, world["employer"])))


async def test_the_cache_keys_and_the_catalogue_name_the_batchs_forms(client, kinds_world):
    dossier = await initial_dossier(kinds_world)
    keys = await formcache.keys(dossier)
    assert list(keys) == ["initial", "catalogue"]
    assert keys["initial"].startswith(f"{dossier.id}/{dossier.version}/initial/")
    lookup = (await render.lookups([dossier], "catalogue"))[dossier.id]
    listed = contexts.build("catalogue", FormSource.of(dossier), lookup)["forms"]
    assert [f["label"] for f in listed] == ["初定技术资格呈报表", "材料目录"]


async def test_a_bundle_makes_the_initial_form(client, kinds_world, converter_pool):
    dossier = await initial_dossier(kinds_world)
    made, note = await FormMaker().make(dossier)
    assert note is None and [name for name, _ in made] == ["初定技术资格呈报表.pdf", "材料目录.pdf"]
