"""The one write path keeps the row's node_seconds (what the statistics' node times read) in step with the trail."""

from bson import ObjectId

from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow
from tests.routing.conftest import act


async def test_each_review_step_adds_its_wait_to_its_node(client, world):
    await act(client, world, "as_employer", "pass")
    await act(client, world, "as_employer", "report")
    await act(client, world, "as_department", "pass")
    dossier = await Dossier.get(ObjectId(world["dossier_id"]))
    row = await DossierRow.get_pymongo_collection().find_one({"_id": dossier.id})
    trail = dossier.trail
    assert set(row["node_seconds"]) == {"unit", "department"}
    gap = lambda a, b: int((trail[b].at - trail[a].at).total_seconds())  # noqa: E731
    assert row["node_seconds"] == {"unit": gap(0, 1) + gap(1, 2), "department": gap(2, 3)}
