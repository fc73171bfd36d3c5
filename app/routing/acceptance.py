"""The route of a batch without a committee (初定, 认定: the batch's rules.route_end): the dossier climbs its
unit's paths as any other and stops at the first HR bureau it reaches, the 受理点, which decides
(app.committee.acceptance) instead of reporting it to a committee."""

from beanie import PydanticObjectId

from app.catalog import batches
from app.catalog.models import Batch
from app.dossiers.models import Dossier
from app.errors import Conflict
from app.units.enums import HR_BUREAU_CATEGORIES
from app.units.models import Unit


async def without_committee(dossier: Dossier) -> Batch | None:
    """The dossier's batch when its route ends at a 受理点, else None."""
    batch = await batches.recent(dossier.batch_id)
    return batch if batch is not None and batch.rules.route_end == "acceptance_point" else None


async def is_acceptance_point(unit_id: PydanticObjectId | None) -> bool:
    """An HR bureau (人社部门) is where such a route ends; read by _id."""
    if unit_id is None:
        return False
    unit = await Unit.get_pymongo_collection().find_one({"_id": unit_id}, {"category": 1})
    return unit is not None and unit.get("category") in HR_BUREAU_CATEGORIES


async def ending_at_acceptance_point(chain: list) -> tuple[list, bool]:
    """A route drawn for such a batch: up to its first HR bureau (the 受理点), never to a committee; the flag
    says whether it reaches one."""
    for index, hop in enumerate(chain):
        if hop.kind == "committee":
            return chain[:index], False
        if await is_acceptance_point(hop.unit_id):
            return chain[:index + 1], True
    return chain, False


async def check_report(dossier: Dossier, *, to_committee: bool | None = None) -> None:
    """Refuses 上报 at the 受理点 (it decides) and any hop to a committee, for a batch without one."""
    batch = await without_committee(dossier)
    if batch is None:
        return
    kind = batches.BATCH_KINDS.get(batch.kind, batch.kind)
    if to_committee is None and await is_acceptance_point(dossier.current_unit_id):
        raise Conflict(f"本单位是{kind}的受理点，请直接作出审核决定，无需上报", code="acceptance_point_decides",
                       field="action")
    if to_committee:
        raise Conflict(f"{kind}不经评审委员会：上报路径须止于人社部门受理点，请先调整本单位的上报路径",
                       code="no_committee", field="action")
