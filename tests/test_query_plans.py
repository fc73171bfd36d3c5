"""Every read a queue page, a table, a bundle and a read by id make, explained on the real database:
no collection scan, and no more documents examined than the page (or the filter) needs.

The reads are the ones the code sends, caught by the database's profiler while it runs each view ×
role × sort, then explained one by one. (SecantusDB reads every entry of the index range it chose
and sorts in memory; its explain counts as examined the documents the whole filter matches. What
bounds the work there is that a view's key selects only that view's rows.)"""

import pytest

from app import db
from app.dossiers import service as dossiers
from app.dossiers.rows import DossierRow
from app.errors import NotFound
from app.exports import formcache
from app.exports.selection import COMPLETED, ExportFilter, selected, selection
from app.routing import queues
from app.routing.queues import SORTS, QueueFilter
from tests import queue_world
from tests.conftest import shared_world

DOSSIERS = 400
PAGE = 20
VIEWS = {"unit": ("pending", "sent_back", "passed", "turned_down", "reported", "all"),
         "department": ("pending", "sent_back", "passed", "turned_down", "reported", "all"),
         "hr": ("pending", "sent_back", "passed", "reported", "to_certify", "all"),
         "office": ("committee",)}
COMMITTEE_TABS = ("at_committee", "accepted", "scheduled", "approved", "publicity", "certified")
SCOPE = ("dossiers", "dossier_rows", "dossier_queue", "queue_counts", "units", "committees", "meetings",
         "statistics_counts")


@pytest.fixture(scope="module")
async def world(app):
    """One world for the module: its tests only read (the explains and the profiler write nothing of it)."""
    async with shared_world(lambda: queue_world.build(DOSSIERS)) as built:
        yield built


async def reads(work, collections=SCOPE) -> list[dict]:
    """The commands `work` sends to the dossiers, their rows and what a scope reads (or to `collections`), as
    profiled."""
    database = db.current().db
    await database["system.profile"].drop()
    await database.command("profile", 2)
    try:
        await work()
    finally:
        await database.command("profile", 0)
    names = {f"{database.name}.{c}" for c in collections}
    return [e["command"] for e in await database["system.profile"].find({}).to_list() if e.get("ns") in names]


def as_find(command: dict) -> dict:
    """A find, a count or an aggregation's leading $match as the find explain can run."""
    if "find" in command:
        return {k: v for k, v in command.items() if k in ("find", "filter", "sort", "skip", "limit")}
    if "count" in command:
        return {"find": command["count"], "filter": command.get("query") or {}}
    return {"find": command["aggregate"], "filter": command["pipeline"][0]["$match"]}


async def check(work, what: str, collections=SCOPE) -> int:
    """Runs `work`, explains each read it made (on `collections`); returns how many were checked."""
    database = db.current().db
    commands = [c for c in await reads(work, collections) if {"find", "count", "aggregate"} & c.keys()]
    assert commands, what
    for command in commands:
        find = as_find(command)
        plan = await database.command("explain", find, verbosity="executionStats")
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), (what, find)
        matching = await database[find["find"]].count_documents(find.get("filter") or {})
        examined = plan["executionStats"]["totalDocsExamined"]
        assert examined <= max(PAGE, matching) + find.get("skip", 0), (what, find, examined, matching)
    return len(commands)


async def test_every_queue_view_role_and_sort_reads_an_index(world):
    checked = 0
    for role, views in VIEWS.items():
        user = world.users[role]
        for view in views:
            for sort in SORTS:          # either direction walks the same index
                f = QueueFilter(view=view, sort=sort, size=PAGE)
                checked += await check(lambda: queues.page(user, f), f"{role} {view} {sort}")
            for narrowed in ({"descending": False}, {"page": 2}, {"batch_id": world.batches[0]}, {"name": "王"}):
                f = QueueFilter(view=view, size=PAGE, **narrowed)
                checked += await check(lambda: queues.page(user, f), f"{role} {view} {narrowed}")
            checked += await check(lambda: queues.matching_ids(user, QueueFilter(view=view)), f"batch {role} {view}")
        if role != "office":
            checked += await check(lambda: queues.unreportable(user, None), f"unreportable {role}")
    for status in COMMITTEE_TABS:
        for sort in SORTS:
            f = QueueFilter(view="committee", status=status, sort=sort, size=PAGE)
            checked += await check(lambda: queues.page(world.users["office"], f), f"office {status} {sort}")
    assert checked > 250


async def test_the_new_views_hold_dossiers_and_narrow_by_status_on_an_index(world):
    """被退回 (sent_back) and the 受理点's 待发证 (to_certify) are not empty in the world, so their explains walk
    entries; sent_back narrowed to a status is one equality too (its key carries the status)."""
    from app.dossiers.rows import QueueEntry

    entries = QueueEntry.get_pymongo_collection()
    assert await entries.count_documents({"queue_keys": f"sent_back:{world.employers[0].id}"}) > 0
    assert await entries.count_documents({"queue_keys": f"to_certify:{world.bureaus[0].id}"}) > 0
    for role, status in (("unit", "submitted"), ("department", "passed")):
        f = QueueFilter(view="sent_back", status=status, size=PAGE)
        assert await check(lambda: queues.page(world.users[role], f), f"sent_back {role} {status}") >= 1
    assert await queues.total(world.users["hr"], QueueFilter(view="to_certify", status="submitted")) == 0


async def test_a_page_examines_its_key_not_the_collection(world):
    """Direct evidence of the bound: the unit's pending page reads that key's rows, a small part of all (a
    view this small is read whole from its rows by key: app.dossiers.queue_counts.page_rows)."""
    database = db.current().db
    user = world.users["unit"]
    (command,) = [c for c in await reads(lambda: queues.page(user, QueueFilter(view="pending", size=PAGE)))
                  if "queue_keys" in c.get("filter", {})]
    assert command["find"] == "dossier_rows"
    plan = await database.command("explain", as_find(command), verbosity="executionStats")
    held = await database["dossier_rows"].count_documents({"queue_keys": f"pending:{world.employers[0].id}"})
    assert 0 < plan["executionStats"]["totalDocsExamined"] <= max(held, PAGE) < DOSSIERS // 10


async def test_tables_bundles_and_archives_select_on_indexes(world):
    checked = 0
    for role, user in world.users.items():
        for view in (None, *VIEWS.get(role, ())):
            for narrowed in ({}, {"batch_id": world.batches[0]}):
                f = ExportFilter(view=view, **narrowed)

                async def table():
                    chosen = await selection(user, f)
                    assert [r async for r in chosen.rows({"facts.name": 1})] is not None

                async def bundle():
                    try:
                        async for _ in await selected(await selection(user, f)):
                            pass
                    except NotFound:        # an empty selection is refused after the same reads
                        pass

                checked += await check(table, f"table {role} {view} {narrowed}")
                if view is not None or narrowed:
                    checked += await check(bundle, f"bundle {role} {view} {narrowed}")

        async def archive():
            chosen = await selection(user, ExportFilter(batch_id=world.batches[0]), statuses=tuple(COMPLETED))
            return [r async for r in chosen.rows({"_id": 1})]

        checked += await check(archive, f"archive {role}")
    assert checked > 40


async def test_reading_one_dossier_and_the_scope_read_indexes(world):
    from app.dossiers.models import Dossier

    ids = [d["_id"] for d in await Dossier.get_pymongo_collection().find({}, {"_id": 1}).limit(30).to_list()]
    for role, user in world.users.items():
        await check(lambda: dossiers.readable_many(user, ids), f"readable_many {role}")
        for dossier_id in ids[:3]:
            async def one():
                try:
                    await dossiers.get_readable(user, dossier_id)
                except NotFound:           # out of scope: the reads are what is checked
                    pass
            await check(one, f"get_readable {role}")


async def test_the_forms_cache_warm_up_reads_the_rows_on_an_index(world):
    rows = DossierRow.get_pymongo_collection()
    newest = await rows.find({}, {"updated_at": 1}).sort([("updated_at", -1), ("_id", -1)]).limit(1).to_list()
    marks = [{"at": formcache.EPOCH, "id": None}, {"at": newest[0]["updated_at"], "id": newest[0]["_id"]}]
    for mark in marks:
        assert await check(lambda: formcache.changed_since(mark), f"warm-up after {mark}") >= 1


async def test_the_acceptance_point_check_reads_the_unit_by_its_id(world):
    """初定/认定: whether the unit holding a dossier is the 受理点 where its route ends (one read by _id)."""
    from app.routing import acceptance

    for unit in world.employers[:2]:
        assert await check(lambda: acceptance.is_acceptance_point(unit.id), f"受理点 {unit.name}") == 1
async def test_a_units_entered_dossiers_read_an_index(world):
    """录入申报: the unit's list of the dossiers it entered reads the rows by its entry key, then the dossiers by _id."""
    from app.dossiers import entry

    for user in world.users.values():
        for unit_id in entry.scope.entry_units(user)[:1]:
            await check(lambda: entry.listing(actor=user, unit_id=unit_id), "entered dossiers")
            return
    raise AssertionError("the world has no unit handler")


async def test_statistics_read_the_scope_keys_counters_on_an_index(world):
    """Every statistics figure reads the counters (app.dossiers.counts) of one scope key on an index led by
    (scope, by), examining that key's documents alone, and never the rows; the figure by unit reads the unit
    documents on their (scope, by, d) index in ranges (no sort: SecantusDB would fetch them all), the figure
    by region the region documents."""
    from app.exports import statistics

    database = db.current().db
    checked = 0
    for role in ("unit", "department", "hr", "office"):
        user = world.users[role]
        for narrowed in ({}, {"batch_id": world.batches[0]}, {"level": "3"},
                         {"employer_unit_id": world.employers[0].id}):
            f = statistics.StatsFilter(**narrowed)
            for by in statistics.DIMENSIONS:
                checked += await check(lambda: statistics.figures(user, f, by), f"statistics {role} {by} {narrowed}")
            checked += await check(lambda: statistics.node_times(user, f), f"node times {role} {narrowed}")
        commands = await reads(lambda: statistics.figures(user, statistics.StatsFilter(), "unit"))
        assert not [c for c in commands if c.get("find") == "dossier_rows" or "aggregate" in c], role
        batch, *ranges = [c for c in commands if c.get("find") == "statistics_counts"]
        plan = await database.command("explain", as_find(batch), verbosity="executionStats")
        assert "'indexName': 'scope_1_by_1_" in str(plan["queryPlanner"]["winningPlan"]), role      # either
        for counted in ranges:      # the unit documents in ranges of their declarations, most first
            assert counted["filter"]["by"].startswith("unit") and "sort" not in counted, role
            plan = await database.command("explain", as_find(counted), verbosity="executionStats")
            assert "scope_1_by_1_d_-1" in str(plan["queryPlanner"]["winningPlan"]), role
        regions = await reads(lambda: statistics.figures(user, statistics.StatsFilter(), "region"))
        assert [c["filter"]["by"] for c in regions if c.get("find") == "statistics_counts"] == ["region"], role
    assert checked > 80


# The collections the lists that left the dossiers' own indexes read (the units a handler's unit is read from
# are another question: app.units.service).
MOVED = ("dossiers", "dossier_rows", "dossier_queue")


async def test_the_reads_that_left_the_dossiers_own_indexes_read_rows_entries_and_ids(world):
    """Issue 11: the lists that read whole dossiers on an index of their own (archives, publicity, supervision's
    recall, a unit's move, a committee's accepted and blind-review lists, a meeting's dossiers, an applicant's own)
    select the ids on the rows or the queue entries, or ride the unique (applicant, batch) index, and read the
    dossiers by _id: each read indexed, examining about what it returns."""
    from types import SimpleNamespace

    from app.catalog.models import Committee
    from app.committee import blind, meetings, publicity, reissue
    from app.committee.models import Meeting
    from app.committee.schemas import PublicityFilter
    from app.dossiers import scope
    from app.dossiers.models import Dossier
    from app.exports import archives
    from app.routing import supervision

    checked = 0
    units = {"unit": world.employers[0], "department": world.departments[0], "hr": world.bureaus[0]}
    for role, unit in units.items():
        async def recall():
            await dossiers.by_ids(await supervision.recallable_ids(unit))
        checked += await check(recall, f"recallable {role}")
        checked += await check(lambda: publicity.waiting_for(unit.id), f"publicity waiting {role}")
        checked += await check(lambda: scope.read_by_unit(unit.id), f"read by unit {role}")
        for f in (None, PublicityFilter(name="王"), PublicityFilter(level="3", title="qzwh-3", opinion="none")):
            checked += await check(lambda: publicity.listing(actor=world.users[role], unit_id=unit.id,
                                                             committee_code=None, f=f), f"publicity {role} {f}", MOVED)
    office = world.users["office"]
    for code in world.committees:
        committee = await Committee.find_one({"code": code})
        checked += await check(lambda: publicity.listing(actor=office, unit_id=None, committee_code=code,
                                                         f=PublicityFilter(id_number="370102198605000001")),
                               f"publicity {code}")
        checked += await check(lambda: publicity.listing(actor=office, unit_id=None, committee_code=code),
                               f"publicity {code}")
        checked += await check(lambda: meetings.schedulable(committee), f"schedulable {code}")
    checked += await check(lambda: blind.office_list(office), "blind-review list")
    meeting = await Meeting.get(world.meeting_id)
    meeting.dossier_ids = [d["_id"] async for d in Dossier.get_pymongo_collection().find(
        {"meeting_id": world.meeting_id}, {"_id": 1})]
    assert meeting.dossier_ids
    checked += await check(lambda: meetings.on_meeting(meeting), "on the meeting")
    for batch_id in world.batches:
        async def completed():
            await dossiers.by_ids(await archives.completed_ids(batch_id))
        checked += await check(completed, "a batch's completed dossiers")
    some = await Dossier.get_pymongo_collection().find({}, {"applicant_id": 1}).limit(3).to_list()
    for doc in some:
        applicant = SimpleNamespace(id=doc["applicant_id"])
        checked += await check(lambda: dossiers.list_own(actor=applicant), "own dossiers")
        checked += await check(lambda: reissue.holdings(actor=applicant), "own certificates")
    assert checked > 40
