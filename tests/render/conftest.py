"""The forms' fixtures: the routing tests' `world` (a dossier submitted to the first of three nodes),
and a dossier moved along the nodes with opinions and signatures (the warm converter pool is the
session's, in tests/conftest.py)."""

import pytest
from bson import ObjectId

from app.dossiers.models import Dossier
from tests.routing.conftest import act, world  # noqa: F401 - the fixture is shared with the routing tests

OPINIONS = {"as_employer": ("经审核，材料真实，同意推荐。", "张馆长"), "as_department": ("同意上报。", "李处长"),
            "as_hr": ("符合申报条件，同意。", "王科长")}


async def move_along(client, world, *, accept: bool) -> Dossier:
    """employer → department → HR bureau, each passing with an opinion and a signature and reporting
    up; then, if asked, the committee office's qualification check (受理)."""
    for who, (opinion, signer) in OPINIONS.items():
        r = await act(client, world, who, "pass", opinion=opinion, signer=signer, signed_on="2026-11-03")
        assert r.status_code == 200, r.text
        assert (await act(client, world, who, "report")).status_code == 200
    if accept:
        r = await act(client, world, "as_office", "accept", opinion="资格审查通过。", signer="赵主任")
        assert r.json()["status"] == "accepted", r.text
    return await Dossier.get(ObjectId(world["dossier_id"]))


@pytest.fixture
async def reviewed(client, world):
    """The world's dossier at the committee office, checked and accepted: official forms."""
    await move_along(client, world, accept=True)
    return world
