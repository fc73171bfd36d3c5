"""The run-once migration that writes each kind's rules into batches stored before kinds had them."""

from datetime import timedelta

from app.catalog import batches
from app.catalog.kinds import KIND_DEFAULTS
from app.catalog.models import Batch, BatchRules
from app.clock import utcnow


async def stored_before_kinds(kind: str, required: list[str]) -> dict:
    """A batch as the service stored it before: rules without sections, forms, committee or route end."""
    now = utcnow()
    rules = BatchRules(required_sections=required).model_dump(
        exclude={"sections", "forms", "committee_vote", "route_end", "guide_text", "text_limits"})
    raw = {"year": now.year, "name": f"旧批次{kind}", "kind": kind, "series": ["qzwh"], "levels": ["2"],
           "region_code": "370100", "opens_at": now, "closes_at": now + timedelta(days=9),
           "commitment_text": "承诺" * 10, "rules": rules, "published": True, "version": 0}
    raw["_id"] = (await Batch.get_pymongo_collection().insert_one(raw)).inserted_id
    return raw


async def test_old_batches_get_their_kinds_rules_once(app):
    initial = await stored_before_kinds("initial", ["basic", "education", "current_title", "summary"])
    review = await stored_before_kinds("review", ["basic", "summary"])
    assert await batches.store_kind_rules() == 2
    assert await batches.store_kind_rules() == 0                       # nothing left to write
    raw = await Batch.get_pymongo_collection().find_one({"_id": initial["_id"]})
    assert raw["rules"]["sections"] == KIND_DEFAULTS["initial"]["sections"]
    assert raw["rules"]["required_sections"] == KIND_DEFAULTS["initial"]["required_sections"]
    assert (raw["rules"]["committee_vote"], raw["version"]) == (False, 1)
    raw = await Batch.get_pymongo_collection().find_one({"_id": review["_id"]})
    assert raw["rules"]["required_sections"] == ["basic", "summary"]     # a 评审 batch keeps its own
    assert raw["rules"]["route_end"] == "committee" and "summary" in raw["rules"]["sections"]
