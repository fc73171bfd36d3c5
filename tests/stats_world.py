"""A small world of hand-counted dossiers for the statistics tests, written straight into the database with
their read keys and rows as the write path would leave them.

Units: an HR bureau B (region 370100), a department D under it, employers E1 and E2 under D, and a foreign
employer F under a bureau of another city (370200). Batches: one 评审 (b_review), one 初定 (b_initial).
Dossiers and the hours each review node took (from the trail):

| name | unit | level | batch   | status        | unit | department | hr | committee |
| d1   | E1   | 3     | review  | certified     | 24   | 48         | 24 | 24        |
| d2   | E1   | 3     | review  | not_approved  | 48   | 12         | 48 | 2         |
| d3   | E2   | 2     | review  | approved      | 12   | 24         |    |           |
| d4   | E2   | 2     | initial | certified     | 6    |            |    |           |
| d5   | E1   | 4     | initial | submitted     | 72   |            |    |           |
| f1   | F    | 3     | review  | certified     | 1000 |            |    |           |
d1 and d2 were reported to committee C (run by B's office)."""

from dataclasses import dataclass, field
from datetime import timedelta

from beanie import PydanticObjectId

from app.accounts.enums import Role
from app.accounts.models import RoleGrant, User
from app.catalog.models import Committee
from app.clock import utcnow
from app.dossiers import counts, queue_counts, rows, scope
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow, QueueEntry
from app.units.enums import UnitCategory
from app.units.models import Unit
from tests.factories import create_batch, create_person, create_unit

CODE = "370100-qzwh-intermediate"
ROLES = {"unit": "unit_handler", "department": "dept_handler", "hr": "hr_handler", "committee": "committee_intermediate"}
# name: (employer, level, batch, status, {node: hours}, reported to the committee)
DOSSIERS = {
    "d1": ("E1", "3", "review", "certified", {"unit": 24, "department": 48, "hr": 24, "committee": 24}, True),
    "d2": ("E1", "3", "review", "not_approved", {"unit": 48, "department": 12, "hr": 48, "committee": 2}, True),
    "d3": ("E2", "2", "review", "approved", {"unit": 12, "department": 24}, False),
    "d4": ("E2", "2", "initial", "certified", {"unit": 6}, False),
    "d5": ("E1", "4", "initial", "submitted", {"unit": 72}, False),
    "f1": ("F", "3", "review", "certified", {"unit": 1000}, False),
}


@dataclass
class StatsWorld:
    units: dict[str, Unit]
    batches: dict[str, PydanticObjectId]
    users: dict[str, User] = field(default_factory=dict)


def _trail(hours: dict[str, int], start) -> list[dict]:
    """A submit, then one entry per node in route order, each `hours` after the one before."""
    at = start
    trail = [{"at": at, "action": "submit", "actor_id": PydanticObjectId(), "actor_name": "申报人", "role": "applicant",
              "from_status": "draft", "to_status": "submitted"}]
    for node in ("unit", "department", "hr", "committee"):
        if node in hours:
            at = at + timedelta(hours=hours[node])
            trail.append({"at": at, "action": "pass", "actor_id": PydanticObjectId(), "actor_name": "经办",
                          "role": ROLES[node], "from_status": "submitted", "to_status": "submitted"})
    return trail


async def build() -> StatsWorld:
    bureau, _ = await create_unit(name="济南市人社局", category=UnitCategory.city_hr_bureau, region_code="370100")
    dept, _ = await create_unit(name="济南市文旅局", category=UnitCategory.city_department, region_code="370100",
                                parent=bureau)
    e1, _ = await create_unit(name="济南市群艺馆", category=UnitCategory.city_affiliated, region_code="370102",
                              parent=dept)
    e2, _ = await create_unit(name="济南市图书馆", category=UnitCategory.city_affiliated, region_code="370103",
                              parent=dept)
    other, _ = await create_unit(name="青岛市人社局", category=UnitCategory.city_hr_bureau, region_code="370200")
    f, _ = await create_unit(name="青岛市群艺馆", category=UnitCategory.city_affiliated, region_code="370202",
                             parent=other)
    units = {"B": bureau, "D": dept, "E1": e1, "E2": e2, "F": f}
    await Committee(code=CODE, name="济南市群众文化中级评委会", series=["qzwh"], levels=["3"], region_code="370100",
                    tier="intermediate", office_unit_id=bureau.id).insert()
    batches = {"review": (await create_batch(kind="review")).id, "initial": (await create_batch(kind="initial")).id}
    world = StatsWorld(units=units, batches=batches)
    known = {u.id: {"ancestors": u.ancestors, "region_code": u.region_code} for u in units.values()}
    start = utcnow() - timedelta(days=90)
    docs = []
    for n, (name, (employer, level, kind, status, hours, reported)) in enumerate(DOSSIERS.items()):
        unit = units[employer]
        chain = [unit, *[u for u in units.values() if u.id in unit.ancestors]]
        doc = {"_id": PydanticObjectId(), "applicant_id": PydanticObjectId(), "applicant_name": f"统计{name}",
               "id_number": f"37010219860501{n:04d}", "batch_id": batches[kind], "year": start.year,
               "declaration": {"level": level, "series": "qzwh", "title": f"qzwh-{level}", "specialty": "qzwh-s01",
                               "mode": "normal", "employer_unit_id": unit.id, "employer_unit_name": unit.name,
                               "employer_region_code": unit.region_code,
                               "is_actual_unit": True},
               "commitment": {"agreed_at": start, "text_sha256": "0" * 64},
               "sections": {}, "attachments": [], "snapshots": [], "trail": _trail(hours, start),
               "current_unit_id": unit.id if status == "submitted" else chain[-1].id,
               "route": [], "route_unit_ids": [u.id for u in chain], "committee_code": CODE if reported else None,
               "reported_to": [CODE] if reported else [], "reported_by": [], "returned_by": [], "meeting_id": None,
               "created_at": start, "updated_at": start, "submitted_at": start, "version": 1, "status": status}
        doc["reader_ids"] = scope.reader_ids(doc, known)
        docs.append(doc)
    await Dossier.get_pymongo_collection().insert_many(docs)
    built = [{"_id": d["_id"], **rows.row_of(d)} for d in docs]
    await DossierRow.get_pymongo_collection().insert_many(built)
    await counts.rebuild()
    entries = [{"_id": r["_id"], **entry} for r in built if (entry := rows.entry_of(r)) is not None]
    if entries:
        await QueueEntry.get_pymongo_collection().insert_many(entries)
        await queue_counts.add(queue_counts.changes([], entries))

    async def person(login: str, role: str, unit: Unit) -> User:
        return await create_person(login=login, roles=[RoleGrant(role=Role(role), unit_id=unit.id)])

    world.users = {"hr": await person("stats_hr", "hr_handler", bureau),
                   "department": await person("stats_dept", "dept_handler", dept),
                   "unit": await person("stats_unit", "unit_handler", e1),
                   "foreign": await person("stats_foreign", "unit_handler", f),
                   "office": await person("stats_office", "committee_intermediate", bureau),
                   "applicant": await create_person(login="stats_applicant")}
    return world
