"""Every read the personnel pages make is served by an index (explained on the real database)."""

import pytest
from beanie import PydanticObjectId

from app import db
from app.personnel.models import PersonnelRecord, PostQuota


async def winning(collection: str, filter_: dict, sort: dict | None = None) -> str:
    command = {"find": collection, "filter": filter_, **({"sort": sort} if sort else {})}
    plan = await db.current().db.command("explain", command, verbosity="queryPlanner")
    return str(plan["queryPlanner"]["winningPlan"])


@pytest.mark.parametrize("filter_, sort", [
    ({"unit_id": "U"}, {"name": 1, "_id": 1}),                                  # the people list
    ({"unit_id": "U", "status": "in_post"}, {"name": 1, "_id": 1}),             # by status; the figures
    ({"unit_id": "U", "name": {"$gte": "员工", "$lt": "员工\U0010ffff"}}, {"name": 1, "_id": 1}),      # by name
    ({"unit_id": "U", "id_number": "370102198001010011"}, None),                # a certificate's holder
    ({"unit_id": "U", "id_number": {"$in": ["1", "2"]}}, None),                  # an import's people already kept
])
async def test_record_reads_use_an_index(filter_, sort):
    await PersonnelRecord(unit_id=PydanticObjectId(), name="甲", id_number="1").insert()
    filter_ = {k: (PydanticObjectId() if v == "U" else v) for k, v in filter_.items()}
    plan = await winning(PersonnelRecord.get_collection_name(), filter_, sort)
    assert "COLLSCAN" not in plan and "IXSCAN" in plan, plan


@pytest.mark.parametrize("filter_", [{"unit_id": "U", "year": 2026}, {"reader_keys": "U", "year": 2026},
                                     {"reader_keys": "region:3701", "year": 2026},
                                     {"year": 2026}])                           # the administrator's statistics
async def test_quota_reads_use_an_index(filter_):
    await PostQuota(unit_id=PydanticObjectId(), year=2026, mode="counts", set_by=PydanticObjectId()).insert()
    filter_ = {k: (PydanticObjectId() if v == "U" else v) for k, v in filter_.items()}
    plan = await winning(PostQuota.get_collection_name(), filter_)
    assert "COLLSCAN" not in plan and "IXSCAN" in plan, plan
