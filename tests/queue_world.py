"""A province in miniature, written straight into the database: an HR bureau with departments and
their employer units, two committees run by one office, a meeting with its expert, and dossiers spread
over every state a queue shows, with their read keys and rows as the write path would leave them.
Built by tests/test_query_plans.py (a few hundred dossiers) and bench/bench_queues.py (100,000)."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from beanie import PydanticObjectId
from pymongo.errors import BulkWriteError

import app.committee  # noqa: F401  (registers the meeting's experts as readers, as the app does)
from app.accounts.enums import AccountKind
from app.accounts.models import RoleGrant, User
from app.catalog.models import Committee
from app.clock import utcnow
from app.committee.models import Meeting
from app.dossiers import counts, queue_counts, rows, scope
from app.dossiers.models import Dossier
from app.dossiers.queue_counts import QueueCount
from app.dossiers.rows import DossierRow, QueueEntry
from app.units.models import Unit

SERIES, LEVELS, TITLES = ("qzwh", "gc"), ("2", "3", "4"), ("qzwh-3", "qzwh-4", "gc-3")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
INSERT_BATCH = 200
PUBLICITY_FROM = datetime(2026, 6, 1, tzinfo=timezone.utc)     # a date as the database keeps one


@dataclass
class QueueWorld:
    bureaus: list[Unit]
    departments: list[Unit]
    employers: list[Unit]
    committees: dict[str, Unit]           # code → the bureau whose dossiers it reviews (and whose office runs it)
    meeting_id: PydanticObjectId
    batches: list[PydanticObjectId]
    users: dict[str, User] = field(default_factory=dict)
    dossiers: int = 0
    skew: float = 0.0                     # 0: dossiers spread evenly over the employers; 1.5: a few large ones


async def insert_once(collection, documents: list[dict]) -> None:
    """Inserts documents with ids of their own, so that a driver's retry after a lost reply (the database
    busy past the heartbeat) finds the ones already written as duplicate keys and only adds the rest."""
    if not documents:
        return
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        if any(e.get("code") != 11000 or "_id" not in (e.get("keyPattern") or {"_id": 1})
               for e in error.details.get("writeErrors", [])) or error.details.get("writeConcernErrors"):
            raise


def grants(world: "QueueWorld") -> dict[str, list[tuple[str, str]]]:
    """The measured users' roles, to rebuild them on a world kept from an earlier run (users_of)."""
    return {key: [(g.role, str(g.unit_id)) for g in user.roles] for key, user in world.users.items()}


def users_of(granted: dict[str, list[tuple[str, str]]]) -> dict[str, User]:
    return {key: _user(key, *[(role, PydanticObjectId(unit)) for role, unit in roles]) for key, roles in granted.items()}


def _user(name: str, *grants: tuple[str, PydanticObjectId | None]) -> User:
    """A user held in memory: the queues and scopes read its roles, never its account."""
    return User(id=PydanticObjectId(), login=name, login_key=name, kind=AccountKind.person, name=name,
                password_hash="-", roles=[RoleGrant(role=role, unit_id=unit) for role, unit in grants])


def _unit(name: str, category: str, region: str, parent: Unit | None) -> Unit:
    return Unit(id=PydanticObjectId(), name=name, credit_code=f"91{random.randrange(10**15):016d}", category=category,
                nature="01", region_code=region, parent_id=parent.id if parent else None,
                ancestors=(parent.ancestors + [parent.id]) if parent else [], status="approved")


def _state(rng: random.Random, world: QueueWorld, employer: Unit) -> dict:
    """Where one dossier is on its way up: holder, route, status and who reported or returned it."""
    department = next(d for d in world.departments if d.id == employer.parent_id)
    bureau = next(b for b in world.bureaus if b.id == department.parent_id)
    chain = [employer, department, bureau]
    roll = rng.random()
    if roll < 0.05:
        return {"status": "draft", "current_unit_id": None, "route": []}
    if roll < 0.10:                                        # returned by the employer to the applicant
        return {"status": "returned", "current_unit_id": None, "route": [], "reached": chain[:1],
                "returned_by": [employer.id]}
    if roll < 0.60:                                        # somewhere along the units
        depth = rng.choice((1, 1, 2, 3))
        status = rng.choice(("submitted", "submitted", "passed"))
        returned = [chain[depth].id] if depth < 3 and rng.random() < 0.3 else []
        state = {"status": status, "current_unit_id": chain[depth - 1].id, "route": chain[:depth],
                 "reached": chain[:depth], "reported_by": [u.id for u in chain[:depth - 1]], "returned_by": returned}
        if returned:        # the unit above sent it back down (被退回): the last placing step is that return
            state["trail"] = [_entry("report", chain[depth - 1], "passed", "submitted"),
                              _entry("return", chain[depth], "submitted", "submitted")]
        return state
    if roll < 0.64:                                        # 初定/认定 granted at the bureau, its 受理点: 待发证
        return {"status": "approved", "current_unit_id": bureau.id, "route": chain, "reached": chain,
                "reported_by": [u.id for u in chain[:2]],
                "trail": [_entry("report", chain[1], "passed", "submitted"),
                          _entry("grant_title", bureau, "submitted", "approved")]}
    code = rng.choice([c for c, b in world.committees.items() if b.id == bureau.id])
    status = rng.choice(("at_committee", "accepted", "accepted", "scheduled", "approved", "publicity", "certified"))
    state = {"status": status, "current_unit_id": bureau.id, "route": chain, "reached": chain,
             "reported_by": [u.id for u in chain], "committee_code": code, "reported_to": [code]}
    if status == "scheduled" and code == next(iter(world.committees)):
        state["meeting_id"] = world.meeting_id
    if status == "publicity":                              # published, the employer's opinion still to give
        state["publicity"] = {"starts_on": PUBLICITY_FROM, "ends_on": PUBLICITY_FROM + timedelta(days=7),
                              "working_days": 5, "published_at": PUBLICITY_FROM, "stage": 0}
    return state


def _entry(action: str, unit: Unit, from_status: str, to_status: str) -> dict:
    """A trail entry as the write path pushes one (the fields the rows read of it, and what the model requires)."""
    return {"at": utcnow(), "action": action, "actor_id": PydanticObjectId(), "actor_name": "经办人",
            "role": "unit_handler", "unit_id": unit.id, "unit_name": unit.name, "from_status": from_status,
            "to_status": to_status, "opinion": None, "signer": None, "detail": {}}


def dossier(rng: random.Random, world: QueueWorld, n: int, units: dict, padding: str = "") -> dict:
    employer = world.employers[int(len(world.employers) * rng.random() ** world.skew) if world.skew
                               else n % len(world.employers)]
    state = _state(rng, world, employer)
    now = utcnow() - timedelta(minutes=rng.randrange(500_000))
    route = state.pop("route")
    reached = state.pop("reached", [])
    doc = {"_id": PydanticObjectId(), "applicant_id": PydanticObjectId(),
           "applicant_name": f"{SURNAMES[n % len(SURNAMES)]}{n:06d}", "id_number": f"370102198605{n:06d}",
           "batch_id": world.batches[n % len(world.batches)], "year": 2026,
           "declaration": {"level": rng.choice(LEVELS), "series": rng.choice(SERIES), "title": rng.choice(TITLES),
                           "specialty": "qzwh-s01", "mode": "normal", "employer_unit_id": employer.id,
                           "employer_unit_name": employer.name, "employer_region_code": employer.region_code,
                           "is_actual_unit": True},
           "commitment": {"agreed_at": now, "text_sha256": "0" * 64},
           "sections": {"summary": {"text": padding}} if padding else {}, "attachments": [],
           "current_unit_id": None, "reviewer_acted": False,
           "route": [{"unit_id": u.id, "unit_name": u.name, "entered_at": now} for u in route],
           "route_unit_ids": [u.id for u in reached], "committee_code": None, "reported_to": [], "reported_by": [],
           "returned_by": [], "meeting_id": None, "snapshots": [], "trail": [], "created_at": now,
           "updated_at": now + timedelta(minutes=rng.randrange(10_000)),
           "submitted_at": None if state["status"] == "draft" else now, "version": 1}
    doc.update(state)
    doc["reader_ids"] = scope.reader_ids(doc, units)
    return doc


async def build(count: int, *, bureaus: int = 1, departments: int = 3, employers: int = 12, committees: int = 2,
                seed: int = 11, padding: str = "", progress=None, batch: int = INSERT_BATCH,
                entries: bool = True, recount: bool = True, skew: float = 0.0) -> QueueWorld:
    """`bureaus` city HR bureaus with `departments` departments each, `employers` units spread over the
    departments, `committees` committees spread over the bureaus (each run by its bureau's office), a
    meeting of the first committee with its expert, and `count` dossiers with their rows, in bulk (`batch`
    at a time); without `entries` no queue entries nor counts (a statistics world), without `recount` no
    statistics counters; `skew` > 0 gives the employers uneven sizes (the first ones the largest)."""
    rng = random.Random(seed)
    random.seed(seed)
    hrs = [_unit(f"第{b}市人力资源和社会保障局", "city_hr_bureau", f"37{b + 1:02d}00", None) for b in range(bureaus)]
    depts = [_unit(f"第{b}市第{i}局", "city_department", hr.region_code, hr)
             for b, hr in enumerate(hrs) for i in range(departments)]
    emps = [_unit(f"第{i}馆", "city_affiliated", depts[i % len(depts)].region_code[:4] + f"{i % 20 + 1:02d}",
                  depts[i % len(depts)]) for i in range(employers)]
    await Unit.get_pymongo_collection().insert_many([u.model_dump(by_alias=True) for u in [*hrs, *depts, *emps]])
    codes = {f"{hrs[c % bureaus].region_code}-c{c}-intermediate": hrs[c % bureaus] for c in range(committees)}
    await Committee.get_pymongo_collection().insert_many([
        Committee(code=code, name=code, series=["qzwh"], levels=["3"], region_code=bureau.region_code,
                  tier="intermediate", office_unit_id=bureau.id).model_dump(exclude={"id", "revision_id"})
        for code, bureau in codes.items()])
    expert = _user("专家", ("expert", hrs[0].id))
    meeting = Meeting(id=PydanticObjectId(), committee_code=next(iter(codes)), name="评审会", held_on=utcnow().date(),
                      location="三楼", member_ids=[expert.id], status="voting", created_by=PydanticObjectId())
    await meeting.insert()
    world = QueueWorld(bureaus=hrs, departments=depts, employers=emps, committees=codes, meeting_id=meeting.id,
                       batches=[PydanticObjectId(), PydanticObjectId()], skew=skew)
    world.users = {"unit": _user("单位经办", ("unit_handler", emps[0].id)),
                   "department": _user("主管部门经办", ("dept_handler", depts[0].id)),
                   "hr": _user("人社局经办", ("hr_handler", hrs[0].id)),
                   "office": _user("评办经办", ("committee_intermediate", hrs[0].id)),
                   "expert": expert}
    units = {u.id: {"ancestors": u.ancestors, "region_code": u.region_code} for u in [*hrs, *depts, *emps]}
    docs: list[dict] = []
    counted: list[dict] = []        # the queue counts, written once at the end
    for n in range(count):
        docs.append(dossier(rng, world, n, units, padding))
        if len(docs) == batch or n == count - 1:
            await insert_once(Dossier.get_pymongo_collection(), docs)
            held = [{"_id": d["_id"], **rows.row_of(d)} for d in docs]
            await insert_once(DossierRow.get_pymongo_collection(), held)
            if entries:
                made = [{"_id": r["_id"], **entry} for r in held if (entry := rows.entry_of(r)) is not None]
                await insert_once(QueueEntry.get_pymongo_collection(), made)
                counted.extend({"queue_keys": e["queue_keys"], "submitted_at": e["submitted_at"]} for e in made)
            docs = []
            if progress:
                progress(n + 1)
    if counted:         # a new world: one insert, not an upsert per key
        summed = queue_counts.summed(counted)
        await insert_once(QueueCount.get_pymongo_collection(),
            [{"_id": key, "h": {field.removeprefix("h."): n for field, n in fields.items()}} for key, fields in summed.items()])
    if recount:
        await counts.rebuild()
    world.dossiers = count
    return world
