"""修改归口部门: a unit moves under another supervising department.

Its place in the tree changes (and its subordinates' ancestry with it), its paths to the old
department are revoked, and every dossier it reported that the node above has not yet finished
with comes back to it as passed, not reported — each recorded in the dossier's trail."""

from beanie import PydanticObjectId
from pydantic import BaseModel

from app.accounts import audit
from app.accounts.audit import ClientInfo
from app.accounts.enums import AuditKind, Role
from app.accounts.models import User
from app.clock import utcnow
from app.dossiers import rows, writes
from app.dossiers import service as dossiers
from app.dossiers.enums import DossierStatus as S
from app.dossiers.models import TrailEntry
from app.errors import Conflict, Forbidden, Moved, ValidationFailed
from app.routing import machine
from app.routing.models import Path, PathStatus
from app.units import service as units_service
from app.units.enums import UnitStatus
from app.units.models import Unit

RECALLABLE = (S.submitted, S.passed, S.at_committee)


class SupervisorChange(BaseModel):
    parent_id: PydanticObjectId
    reason: str | None = None


async def _may_change(actor: User, unit: Unit) -> bool:
    if actor.has_role(Role.sysadmin) or actor.has_role(Role.unit_admin, unit.id):
        return True
    return any(g.role == Role.hr_handler for g in actor.roles)   # an HR bureau whose scope includes the unit


async def change_supervisor(*, actor: User, unit_id: PydanticObjectId, data: SupervisorChange,
                            client: ClientInfo) -> tuple[Unit, int]:
    unit = await units_service.get_readable_unit(actor, unit_id)
    if not await _may_change(actor, unit):
        raise Forbidden("仅本单位管理员或人社部门可修改归口部门", code="not_unit_admin")
    parent = await Unit.find_one({"_id": data.parent_id, "status": UnitStatus.approved})
    if parent is None or parent.id == unit.id or unit.id in parent.ancestors:
        raise ValidationFailed("新的归口部门不存在、未开通，或是本单位及其下级", field="parent_id", code="bad_parent")
    if parent.id == unit.parent_id:
        raise Conflict("新的归口部门与现在相同", field="parent_id", code="same_parent")
    old_parent_id, old_ancestors = unit.parent_id, unit.ancestors
    new_ancestors = parent.ancestors + [parent.id]
    moved = await Unit.get_pymongo_collection().update_one(
        {"_id": unit.id, "version": unit.version},
        {"$set": {"parent_id": parent.id, "ancestors": new_ancestors}, "$inc": {"version": 1}})
    if moved.matched_count != 1:
        raise Moved("单位信息已被他人修改，请刷新后重试")
    moved_units = [unit.id]
    async for child in Unit.find({"ancestors": unit.id}):      # subordinates keep their branch below the unit
        below = child.ancestors[child.ancestors.index(unit.id):]
        await Unit.get_pymongo_collection().update_one({"_id": child.id},
                                                       {"$set": {"ancestors": new_ancestors + below}})
        moved_units.append(child.id)
    await units_service.units_moved(moved_units)       # the units above now read their dossiers, the old ones not
    if old_parent_id is not None:
        await Path.get_pymongo_collection().update_many(
            {"unit_id": unit.id, "target_unit_id": old_parent_id, "status": {"$in": [PathStatus.active,
                                                                                    PathStatus.pending]}},
            {"$set": {"status": PathStatus.revoked, "decided_at": utcnow(), "reason": "单位修改归口部门"}})
    recalled = await recall_reported(actor=actor, unit=unit)
    await audit.record(AuditKind.unit_updated, client=client, actor=actor, unit_id=unit.id,
                       supervisor_from=str(old_parent_id), supervisor_to=str(parent.id), recalled=recalled,
                       old_ancestors=[str(a) for a in old_ancestors])
    return await Unit.get(unit.id), recalled


async def recallable_ids(unit: Unit) -> list:
    """The dossiers the unit reported that may be recalled: the ids of its `reported:<unit>:<status>` queue keys,
    one indexed equality per recallable status on the queue entries (the dossiers carry no reported_by index);
    each is checked again on the dossier read (`recallable`)."""
    return await rows.keyed_ids(*(f"reported:{unit.id}:{status}" for status in RECALLABLE))


def recallable(dossier, unit: Unit) -> bool:
    """Reported by the unit, on its route, unfinished and held above it."""
    return (unit.id in dossier.reported_by and dossier.status in RECALLABLE and dossier.current_unit_id != unit.id
            and any(n.unit_id == unit.id for n in dossier.route))


async def recall_reported(*, actor: User, unit: Unit) -> int:
    """Dossiers the unit reported and the nodes above still hold unfinished come back to it."""
    count = 0
    ids = await recallable_ids(unit)
    for start in range(0, len(ids), 100):      # a hundred dossiers at a time (each ~14 KB)
        for dossier in await dossiers.by_ids(ids[start:start + 100]):
            if not recallable(dossier, unit):
                continue
            rule = machine.decide(dossier.status, machine.Action.recall, machine.Actor.system)
            position = next(i for i, node in enumerate(dossier.route) if node.unit_id == unit.id)
            entry = TrailEntry(action=machine.Action.recall, actor_id=actor.id, actor_name=actor.name, role="system",
                               unit_id=unit.id, unit_name=unit.name, from_status=dossier.status, to_status=rule.to,
                               opinion="单位修改归口部门，已上报未受理的申报退回本单位“通过未上报”")
            try:
                await writes.write(dossier.id, {
                    "$set": {"status": rule.to, "current_unit_id": unit.id, "committee_code": None,
                             "route": [n.model_dump() for n in dossier.route[:position + 1]]},
                    "$pull": {"reported_by": unit.id}}, expected_version=dossier.version, trail_entry=entry)
            except writes.VersionMoved:     # a node above acted meanwhile: that dossier is no longer recalled
                continue
            count += 1
    return count
