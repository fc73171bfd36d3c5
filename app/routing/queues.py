"""Review queues (数据审核 / 数据上报): what a node holds, has passed, has turned down or has reported.

Every view is one equality on the rows' multikey `queue_keys` (app.dossiers.rows.queue_keys: "pending:<unit>",
"all:<unit>", "committee:<code>", ...; the all-views tab is a key of its own, not an `$or`) on the small
queue entries (app.dossiers.rows.QueueEntry): in the default order only the hours of the page, placed by the
key's counts (app.dossiers.queue_counts), else all of the view's, ordered here; only the page's rows are then
read, by id."""

from datetime import datetime
from typing import Literal

from beanie import PydanticObjectId
from pydantic import BaseModel, Field

from app.accounts.enums import NODE_ROLES, Role
from app.accounts.models import User
from app.bounds import PageNumber, Year
from app.catalog.committees import committee_codes
from app.dossiers.enums import DossierStatus as S
from app.dossiers import queue_counts, rows
from app.dossiers.models import Certificate, Declaration
from app.dossiers.rows import DossierRow
from app.errors import ValidationFailed
from app.routing import paths

View = Literal["pending", "passed", "turned_down", "sent_back", "reported", "to_certify", "committee", "all",
               "requests"]
VIEW_STATUS = {"pending": S.submitted, "passed": S.passed, "to_certify": S.approved}
SORTS = {"submitted_at": "submitted_at", "name": "applicant_name", "level": "declaration.level",
         "title": "declaration.title", "unit": "declaration.employer_unit_name", "updated_at": "updated_at"}


class DossierFilter(BaseModel):
    """The filters a review queue and an export (app.exports.selection) share, on indexed dossier fields."""
    view: View | None = Field(default=None, description="队列视图：pending（待审核）/passed（通过未上报）/turned_down（本单位退回过的）/"
                              "sent_back（被退回：上级退回本单位、尚未重新上报）/reported/to_certify（受理点待发证）/"
                              "committee/all/requests（待处理的申请）")
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


async def view_keys(user: User, f: DossierFilter) -> list[str]:
    """The queue keys (app.dossiers.rows.queue_keys) a view reads for this user: at one node unit at a
    time (the one asked for, else the user's first; the page switches between them), or at each
    committee the user runs (a dossier sits at one committee at a time, so these never overlap)."""
    units = await node_units(user)
    if f.unit_id is not None:
        if f.unit_id not in units and not user.has_role(Role.sysadmin):
            raise ValidationFailed("您不是该单位的经办人", field="unit_id", code="not_unit_handler")
        units = [f.unit_id]
    if f.view == "committee":
        keys = [f"committee:{code}" for code in await committee_codes(user)]
    else:
        keys = [f"{f.view}:{units[0]}"] if units else []
    if f.status is None:
        return keys
    if f.view in VIEW_STATUS:
        return keys if f.status == VIEW_STATUS[f.view] else []
    return [f"{key}:{f.status}" for key in keys]


async def build_filters(user: User, f: QueueFilter) -> list[dict]:
    """The row filters of a queue view, one per key: the key's equality, then the filter bar's fields."""
    narrowing = f.narrowing()
    if f.name:
        prefix = f.name.strip()         # a prefix as a range: the (key, name) index bounds it
        narrowing["applicant_name"] = {"$gte": prefix, "$lt": prefix + "\U0010ffff"}
    if f.id_number:
        narrowing["id_number"] = f.id_number.strip().upper()
    return [{"queue_keys": key, **narrowing} for key in await view_keys(user, f)]


class QueueRow(BaseModel):
    """The fields a queue shows: lists never load sections, snapshots or trails."""
    id: PydanticObjectId = Field(alias="_id")
    applicant_id: PydanticObjectId
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


PAGE_FIELDS = {name: 1 for name in QueueRow.model_fields if name != "id"}


def _counted(f: QueueFilter, filters: list[dict]) -> bool:
    """Whether a view's counts per hour place its page: the default order, nothing narrowed but the status."""
    return f.sort == "submitted_at" and all(flt.keys() == {"queue_keys"} for flt in filters)


async def placed(user: User, f: QueueFilter) -> tuple[list, int]:
    """The ids of a view's page and the view's total. In the default order (submission time) with nothing
    narrowed but the status, the view's counts per hour place the page and only its hours' entries are read
    (app.dossiers.queue_counts); otherwise, or when those counts are being rebuilt or found wrong, the view's
    ids in order from all its queue entries (one indexed equality per key; their number is the total)."""
    if f.sort not in SORTS:
        raise ValidationFailed("不支持的排序字段", field="sort", code="bad_sort")
    filters = await build_filters(user, f)
    skip = (f.page - 1) * f.size
    if _counted(f, filters):
        counted = await queue_counts.page_ids([flt["queue_keys"] for flt in filters], skip=skip, size=f.size,
                                              descending=f.descending)
        if counted is not None:
            return counted
    return await _whole(filters, f)


async def _whole(filters: list[dict], f: QueueFilter) -> tuple[list, int]:
    ids = await rows.queue_ids(filters, SORTS[f.sort], descending=f.descending)
    skip = (f.page - 1) * f.size
    return ids[skip:skip + f.size], len(ids)


async def total(user: User, f: QueueFilter) -> int:
    """How many a view holds: the total its page shows, read the same way (the home page's to-do counts)."""
    return (await placed(user, f))[1]


async def page(user: User, f: QueueFilter) -> tuple[list[QueueRow], int]:
    """One page of a view and its total: placed by the counts (a small view's rows read by key, a larger one's
    hours of entries then its rows by id: app.dossiers.queue_counts.page_rows), else `placed` from the whole
    view, then the page's rows by id."""
    if f.sort not in SORTS:
        raise ValidationFailed("不支持的排序字段", field="sort", code="bad_sort")
    filters = await build_filters(user, f)
    if _counted(f, filters):
        counted = await queue_counts.page_rows([flt["queue_keys"] for flt in filters], skip=(f.page - 1) * f.size,
                                               size=f.size, descending=f.descending, projection=PAGE_FIELDS)
        if counted is not None:
            found, total = counted
            return [QueueRow.model_validate(r) for r in found], total
    wanted, total = await _whole(filters, f)
    if not wanted:
        return [], total
    found = {r["_id"]: r async for r in DossierRow.get_pymongo_collection().find({"_id": {"$in": wanted}}, PAGE_FIELDS)}
    return [QueueRow.model_validate(found[i]) for i in wanted if i in found], total


async def matching_ids(user: User, f: QueueFilter, limit: int = 2000) -> list[PydanticObjectId]:
    """The ids a batch action by filter works on: the queue's selection, at most `limit` of them."""
    return [r["_id"] async for r in rows.select(await build_filters(user, f), sort=[("_id", 1)],
                                                projection={"_id": 1}, limit=limit)][:limit]


async def unreportable(user: User, unit_id: PydanticObjectId | None) -> list[dict]:
    """{unit, series, level, count} of the passed dossiers (in the unit, or the user's node units) whose unit
    has no active path for their series and level: they cannot be reported."""
    found = []
    for unit in [unit_id] if unit_id else await node_units(user):
        cursor = await DossierRow.get_pymongo_collection().aggregate([
            {"$match": {"queue_keys": f"passed:{unit}"}},
            {"$group": {"_id": {"series": "$declaration.series", "level": "$declaration.level"}, "count": {"$sum": 1}}}])
        for group in await cursor.to_list():
            key = {"unit": unit, **group["_id"]}
            if await paths.next_hop(unit, key["series"], key["level"]) is None:
                found.append({**key, "count": group["count"]})
    return found
