"""修改归口部门: reported-but-unaccepted dossiers come back to the unit as passed, not reported."""

from bson import ObjectId

from app.dossiers.models import Dossier
from app.routing.models import Path
from app.units.enums import UnitCategory
from app.units.models import Unit
from app.units import service as units_service
from tests.factories import create_hr_bureau, create_unit, login
from tests.routing.conftest import act


async def test_change_recalls_reported_dossiers(client, world):
    await act(client, world, "as_employer", "pass")
    await act(client, world, "as_employer", "report")
    other_department, _ = await create_unit(name="济南市卫生健康委员会", parent=world["hr"],
                                            category=UnitCategory.city_department, region_code="370100")
    child, _ = await create_unit(name="艺术馆分馆", parent=world["employer"], category=UnitCategory.city_affiliated,
                                 region_code="370100")
    url = f"/api/units/{world['employer'].id}/supervisor"
    r = await client.put(url, json={"parent_id": str(other_department.id)}, headers=world["as_employer"])
    assert r.status_code == 200, r.text
    assert r.json()["recalled"] == 1
    dossier = await Dossier.get(ObjectId(world["dossier_id"]))
    assert dossier.status == "passed" and dossier.current_unit_id == world["employer"].id
    assert [n.unit_id for n in dossier.route] == [world["employer"].id]
    assert dossier.trail[-1].action == "recall" and "归口部门" in dossier.trail[-1].opinion
    moved = await Unit.get(world["employer"].id)
    assert moved.parent_id == other_department.id and moved.ancestors == [world["hr"].id, other_department.id]
    assert (await Unit.get(child.id)).ancestors == [world["hr"].id, other_department.id, world["employer"].id]
    old_path = await Path.find_one({"unit_id": world["employer"].id, "target_unit_id": world["department"].id})
    assert old_path.status == "revoked"
    r = await act(client, world, "as_employer", "report")
    assert r.status_code == 409 and r.json()["code"] == "no_active_path"


async def test_accepted_dossiers_stay(client, world):
    for node in ("as_employer", "as_department", "as_hr"):
        await act(client, world, node, "pass")
        await act(client, world, node, "report")
    await act(client, world, "as_office", "accept")
    other_department, _ = await create_unit(parent=world["hr"], category=UnitCategory.city_department,
                                            region_code="370100")
    r = await client.put(f"/api/units/{world['employer'].id}/supervisor", json={"parent_id": str(other_department.id)},
                         headers=world["as_employer"])
    assert r.json()["recalled"] == 0
    assert (await Dossier.get(ObjectId(world["dossier_id"]))).status == "accepted"


async def test_bad_changes(client, world):
    url = f"/api/units/{world['department'].id}/supervisor"
    r = await client.put(url, json={"parent_id": str(world["employer"].id)}, headers=world["as_department"])
    assert r.status_code == 422 and r.json()["code"] == "bad_parent"        # its own subordinate
    r = await client.put(url, json={"parent_id": str(world["hr"].id)}, headers=world["as_department"])
    assert r.status_code == 409 and r.json()["code"] == "same_parent"
    _, stranger = await create_unit(region_code="370202")
    r = await client.put(url, json={"parent_id": str(world["hr"].id)}, headers=await login(client, stranger))
    assert r.status_code == 404


async def test_the_read_keys_follow_the_new_place_in_the_tree(client, world):
    """An unreported dossier is not recalled, but who reads it above its unit changes with the tree."""
    dossier_url = f"/api/dossiers/{world['dossier_id']}"
    assert (await client.get(dossier_url, headers=world["as_department"])).status_code == 200
    other_department, other_account = await create_unit(name="济南市卫生健康委员会", parent=world["hr"],
                                                         category=UnitCategory.city_department, region_code="370100")
    r = await client.put(f"/api/units/{world['employer'].id}/supervisor", json={"parent_id": str(other_department.id)},
                         headers=world["as_employer"])
    assert r.status_code == 200 and r.json()["recalled"] == 0
    assert (await client.get(dossier_url, headers=world["as_department"])).status_code == 404
    assert (await client.get(dossier_url, headers=await login(client, other_account))).status_code == 200
    assert (await client.get(dossier_url, headers=world["as_hr"])).status_code == 200
    keys = (await Dossier.get(ObjectId(world["dossier_id"]))).reader_ids
    assert other_department.id in keys and world["department"].id not in keys


async def test_the_read_keys_follow_a_new_region(client, world):
    bureau, bureau_account = await create_hr_bureau(region_code="370200")
    dossier_url = f"/api/dossiers/{world['dossier_id']}"
    as_bureau = await login(client, bureau_account)
    assert (await client.get(dossier_url, headers=as_bureau)).status_code == 404
    await Unit.get_pymongo_collection().update_one({"_id": world["employer"].id}, {"$set": {"region_code": "370202"}})
    await units_service.units_moved([world["employer"].id])
    assert (await client.get(dossier_url, headers=as_bureau)).status_code == 200
