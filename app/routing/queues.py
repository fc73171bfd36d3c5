"""Review queues (数据审核 / 数据上报): what a node holds, has passed, has turned down or has reported.

Every view is a filter on indexed fields of the dossier (current_unit_id + status, reported_by,
returned_by, committee_code), so a queue stays fast at 100,000 dossiers."""

import re
from datetime import datetime
from typing import Literal

from beanie import PydanticObjectId
from pydantic import BaseModel, Field

from app.accounts.enums import NODE_ROLES, Role
from app.accounts.models import User
from app.bounds import PageNumber, Year
from app.catalog.committees import committee_codes
from app.dossiers.enums import DossierStatus as S
from app.dossiers.models import Certificate, Declaration, Dossier
from app.errors import ValidationFailed
from app.routing import paths

View = Literal["pending", "passed", "turned_down", "reported", "committee", "all"]
SORTS = {"submitted_at": "submitted_at", "name": "applicant_name", "level": "declaration.level",
         "title": "declaration.title", "unit": "declaration.employer_unit_name", "updated_at": "updated_at"}


class DossierFilter(BaseModel):
    """The filters a review queue and an export (app.exports.selection) share, on indexed dossier fields."""
    view: View | None = Field(default=None, description="队列视图：pending/passed/turned_down/reported/committee/all")
    unit_id: PydanticObjectId | None = Field(default=None, description="以哪个单位的身份查看（身兼多单位时）")
    year: Year | None = None
    batch_id: PydanticObjectId | None = None
    level: str | None = None
    series: str | None = None
    title: str | None = None
    status: S | None = None
    employer_unit_id: PydanticObjectId | None = Field(default=None, description="用人单位")

    def narrowing(self) -> dict:
        """The Mongo clauses of the declaration filters (unit_id and status depend on the view)."""
        return {field: value for field, value in (
            ("year", self.year), ("batch_id", self.batch_id), ("declaration.level", self.level),
            ("declaration.series", self.series), ("declaration.title", self.title),
            ("declaration.employer_unit_id", self.employer_unit_id)) if value is not None}


class QueueFilter(DossierFilter):
    view: View = "pending"
    name: str | None = Field(default=None, max_length=30, description="姓名（前缀匹配）")
    id_number: str | None = Field(default=None, max_length=20)
    sort: str = "submitted_at"
    descending: bool = True
    page: PageNumber = 1
    size: int = Field(default=20, ge=1, le=200)


async def node_units(user: User) -> list[PydanticObjectId]:
    return [g.unit_id for g in user.roles if g.role in NODE_ROLES and g.unit_id]


async def build_query(user: User, f: QueueFilter) -> dict:
    """The filter of a queue view for this user; only what the user's units hold or handled."""
    units = await node_units(user)
    if f.unit_id is not None:
        if f.unit_id not in units and not user.has_role(Role.sysadmin):
            raise ValidationFailed("您不是该单位的经办人", field="unit_id", code="not_unit_handler")
        units = [f.unit_id]
    views = {
        "pending": {"current_unit_id": {"$in": units}, "status": S.submitted},
        "passed": {"current_unit_id": {"$in": units}, "status": S.passed},
        "turned_down": {"returned_by": {"$in": units}},
        "reported": {"reported_by": {"$in": units}},
        "committee": {"committee_code": {"$in": await committee_codes(user)}},
        "all": {"$or": [{"current_unit_id": {"$in": units}, "status": {"$in": [S.submitted, S.passed]}},
                        {"reported_by": {"$in": units}}, {"returned_by": {"$in": units}}]},
    }
    query: dict = {**views[f.view], **f.narrowing()}
    if f.status is not None:
        if "status" in query and query["status"] != f.status:
            query["_id"] = {"$in": []}
        query["status"] = f.status
    if f.name:
        query["applicant_name"] = {"$regex": "^" + re.escape(f.name.strip())}
    if f.id_number:
        query["id_number"] = f.id_number.strip().upper()
    return query


class QueueRow(BaseModel):
    """The fields a queue shows: lists never load sections, snapshots or trails."""
    id: PydanticObjectId = Field(alias="_id")
    applicant_name: str
    id_number: str
    year: int
    batch_id: PydanticObjectId
    declaration: Declaration
    status: S
    current_unit_id: PydanticObjectId | None = None
    committee_code: str | None = None
    submitted_at: datetime | None = None
    updated_at: datetime
    version: int
    certificate: Certificate | None = None


async def page(user: User, f: QueueFilter) -> tuple[list[QueueRow], int]:
    if f.sort not in SORTS:
        raise ValidationFailed("不支持的排序字段", field="sort", code="bad_sort")
    query = await build_query(user, f)
    order = ("-" if f.descending else "+") + SORTS[f.sort]
    total = await Dossier.find(query).count()
    items = await (Dossier.find(query).sort(order, "-_id").skip((f.page - 1) * f.size).limit(f.size)
                   .project(QueueRow).to_list())
    return items, total


async def matching_ids(user: User, f: QueueFilter, limit: int = 2000) -> list[PydanticObjectId]:
    """The ids a batch action by filter works on: the queue's selection, at most `limit` of them."""
    query = await build_query(user, f)
    return [d["_id"] for d in await Dossier.get_pymongo_collection().find(query, {"_id": 1}).limit(limit).to_list()]


async def unreportable(user: User, unit_id: PydanticObjectId | None) -> list[dict]:
    """{unit, series, level, count} of the passed dossiers (in the unit, or the user's node units) whose unit
    has no active path for their series and level: they cannot be reported."""
    units = [unit_id] if unit_id else await node_units(user)
    cursor = await Dossier.get_pymongo_collection().aggregate([
        {"$match": {"current_unit_id": {"$in": units}, "status": "passed"}},
        {"$group": {"_id": {"unit": "$current_unit_id", "series": "$declaration.series",
                            "level": "$declaration.level"}, "count": {"$sum": 1}}}])
    found = []
    for group in await cursor.to_list():
        key = group["_id"]
        if await paths.next_hop(key["unit"], key["series"], key["level"]) is None:
            found.append({**key, "count": group["count"]})
    return found
