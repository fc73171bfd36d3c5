"""Reporting paths (路径申请/路径审核): which node is above a unit for a series and level.

A unit applies for an edge to an upper unit or to a committee; the target approves it. At most one
active edge per unit, series and level; a dossier's route is the chain of active edges."""

from dataclasses import dataclass

from beanie import PydanticObjectId
from pydantic import Field

from app.accounts.enums import NODE_ROLES, Role
from app.accounts.models import User
from app.accounts.schemas import Strict
from app.catalog import service as catalog
from app.catalog.committees import committee_codes, runs_committee
from app.catalog.models import Committee
from app.clock import utcnow
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.routing.models import Path, PathStatus
from app.units import service as units_service
from app.units.enums import UnitStatus
from app.units.models import Unit

MAX_ROUTE = 12      # a path chain longer than this is a loop


class PathApplication(Strict):
    unit_id: PydanticObjectId
    series: str = Field(min_length=1, max_length=20)
    level: str = Field(min_length=1, max_length=5)
    target_unit_id: PydanticObjectId | None = None
    committee_code: str | None = Field(default=None, max_length=60)


class PathDecision(Strict):
    approve: bool
    reason: str | None = Field(default=None, max_length=500)


@dataclass(frozen=True)
class Hop:
    """The node above a unit: another unit, or a committee run by its office unit."""
    kind: str
    unit_id: PydanticObjectId
    name: str
    committee_code: str | None = None


def acts_for_unit(user: User, unit_id: PydanticObjectId) -> bool:
    return any(user.has_role(role, unit_id) for role in NODE_ROLES)


async def committee_office(code: str) -> Committee:
    committee = await Committee.find_one(Committee.code == code)
    if committee is None or committee.office_unit_id is None:
        raise ValidationFailed("该评委会尚未设置办事机构", field="committee_code", code="committee_without_office")
    return committee


async def apply(*, actor: User, data: PathApplication) -> Path:
    unit = await units_service.get_readable_unit(actor, data.unit_id)
    if not (actor.has_role(Role.sysadmin) or acts_for_unit(actor, unit.id)):
        raise Forbidden("仅本单位经办人可申请上报路径", code="not_unit_handler")
    units_service.require_approved(unit)
    await catalog.require_entry("series", data.series, field="series", label="职称系列")
    await catalog.require_entry("levels", data.level, field="level", label="职称级别")
    if (data.target_unit_id is None) == (data.committee_code is None):
        raise ValidationFailed("请选择上报单位或评委会之一", field="target_unit_id", code="target_required")
    if data.target_unit_id:
        target = await Unit.find_one({"_id": data.target_unit_id, "status": UnitStatus.approved})
        if target is None or target.id == unit.id:
            raise ValidationFailed("上报单位不存在、未开通或为本单位", field="target_unit_id", code="bad_target")
        if unit.id in target.ancestors:
            raise ValidationFailed("不能向本单位的下级单位上报", field="target_unit_id", code="bad_target")
        kind, name, code = "unit", target.name, None
    else:
        committee = await committee_office(data.committee_code)
        if data.series not in committee.series or data.level not in committee.levels:
            raise ValidationFailed("该评委会不评审所选系列和级别", field="committee_code", code="bad_target")
        kind, name, code = "committee", committee.name, committee.code
    open_ = await Path.find_one({"unit_id": unit.id, "series": data.series, "level": data.level,
                                 "status": {"$in": [PathStatus.pending, PathStatus.active]}})
    if open_:
        state = "已生效" if open_.status == PathStatus.active else "待审核"
        raise Conflict(f"本单位该系列该级别已有{state}的上报路径：{open_.target_name}", code="path_exists",
                       field="series")
    path = Path(unit_id=unit.id, unit_name=unit.name, series=data.series, level=data.level, target_kind=kind,
                target_unit_id=data.target_unit_id, committee_code=code, target_name=name, applied_by=actor.id)
    await path.insert()
    return path


async def may_decide(actor: User, path: Path) -> bool:
    if actor.has_role(Role.sysadmin):
        return True
    if path.target_kind == "unit":
        return acts_for_unit(actor, path.target_unit_id)
    committee = await Committee.find_one(Committee.code == path.committee_code)
    return committee is not None and runs_committee(actor, committee)


async def decide(*, actor: User, path_id: PydanticObjectId, data: PathDecision) -> Path:
    path = await Path.get(path_id)
    if path is None or not await may_decide(actor, path):
        raise NotFound("路径申请不存在", code="path_not_found")
    if not data.approve and not (data.reason or "").strip():
        raise ValidationFailed("审核不通过须填写原因", field="reason", code="reason_required")
    status = PathStatus.active if data.approve else PathStatus.rejected
    if data.approve and await Path.find_one({"unit_id": path.unit_id, "series": path.series, "level": path.level,
                                             "status": PathStatus.active}):
        raise Conflict("该单位该系列该级别已有生效的上报路径", code="path_exists")
    result = await Path.get_pymongo_collection().update_one(
        {"_id": path.id, "status": PathStatus.pending},
        {"$set": {"status": status, "decided_by": actor.id, "decided_at": utcnow(),
                  "reason": (data.reason or "").strip() or None}})
    if result.matched_count != 1:
        raise Conflict("该路径申请已审核", code="already_decided")
    return await Path.get(path.id)


async def listing(*, actor: User, unit_id: PydanticObjectId | None, incoming: bool, status: str | None) -> list[Path]:
    """A unit's own applications, or the applications addressed to the user's units and committees."""
    query: dict = {}
    if incoming:
        if not actor.has_role(Role.sysadmin):
            units = [g.unit_id for g in actor.roles if g.role in NODE_ROLES and g.unit_id]
            query["$or"] = [{"target_unit_id": {"$in": units}},
                            {"committee_code": {"$in": await committee_codes(actor)}}]
    else:
        if unit_id is None:
            raise ValidationFailed("请指定单位", field="unit_id", code="unit_required")
        await units_service.get_readable_unit(actor, unit_id)
        query["unit_id"] = unit_id
    if status:
        query["status"] = status
    return await Path.find(query).sort("-applied_at").limit(500).to_list()


async def next_hop(unit_id: PydanticObjectId, series: str, level: str) -> Hop | None:
    path = await Path.find_one({"unit_id": unit_id, "series": series, "level": level, "status": PathStatus.active})
    if path is None:
        return None
    if path.target_kind == "unit":
        return Hop(kind="unit", unit_id=path.target_unit_id, name=path.target_name)
    committee = await committee_office(path.committee_code)
    return Hop(kind="committee", unit_id=committee.office_unit_id, name=committee.name,
               committee_code=committee.code)


async def route_from(hops: list[Hop], series: str, level: str) -> tuple[list[Hop], bool]:
    """The chain of active edges upward from the last of `hops` (a dossier's recorded route, or its
    employer), added to them; the flag says whether it reaches a committee. Only the paths are read, so a
    route whose units are gone (a dossier restored from an archive) still draws."""
    hops = list(hops)
    while len(hops) < MAX_ROUTE:
        hop = await next_hop(hops[-1].unit_id, series, level)
        if hop is None:
            return hops, False
        hops.append(hop)
        if hop.kind == "committee":
            return hops, True
    return hops, False


async def graph(*, series: str, level: str) -> dict:
    """Every active edge for a series and level, as nodes and edges a page can draw."""
    paths = await Path.find({"series": series, "level": level, "status": PathStatus.active}).to_list()
    nodes: dict[str, dict] = {}
    edges = []
    for path in paths:
        source = str(path.unit_id)
        target = path.committee_code if path.target_kind == "committee" else str(path.target_unit_id)
        nodes.setdefault(source, {"id": source, "name": path.unit_name, "kind": "unit"})
        nodes.setdefault(target, {"id": target, "name": path.target_name, "kind": path.target_kind})
        edges.append({"from": source, "to": target, "path_id": str(path.id)})
    return {"series": series, "level": level, "nodes": list(nodes.values()), "edges": edges}
