"""The review queues' counts per key and hour (app.dossiers.queue_counts): what an entry counts for, pages placed
by them equal to pages read from the whole view, the bound on what such a page reads (explained), and the
counts correcting themselves when they disagree with the entries. That the write path keeps them equal to the
entries is checked after every test of the suite (tests/conftest.py, _assert_counts_in_step)."""

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from app import counters, db
from app.dossiers import queue_counts, rows
from app.dossiers.queue_counts import COUNTING, NONE, QueueCount, bucket
from app.routing import queues
from app.routing.queues import QueueFilter
from tests import plans, queue_world
from tests.conftest import shared_world

AT = datetime(2026, 12, 3, 14, 35, tzinfo=timezone.utc)


def entry(keys: list[str], at: datetime | None = AT) -> dict:
    return {"queue_keys": keys, "submitted_at": at}


class TestWhatAnEntryCounts:
    def test_an_hour_in_each_key_and_none_for_no_submission(self):
        assert bucket(AT) == "t2026120314" and bucket(None) == NONE
        assert bucket(datetime(2026, 12, 3, 22, 5, tzinfo=timezone(timedelta(hours=8)))) == "t2026120314"
        assert queue_counts.counts(entry(["pending:u", "all:u"])) == {
            "pending:u": Counter({"h.t2026120314": 1}), "all:u": Counter({"h.t2026120314": 1})}
        assert queue_counts.counts(None) == {}

    def test_a_move_between_keys_counts_the_difference_only(self):
        before, after = entry(["pending:u", "all:u"]), entry(["passed:u", "all:u"])
        assert queue_counts.changes([before], [after]) == {"pending:u": {"h.t2026120314": -1},
                                                            "passed:u": {"h.t2026120314": 1}}
        assert queue_counts.changes([before], [before]) == {}
        assert queue_counts.changes([None], [entry(["committee:c"], None)]) == {"committee:c": {"h.none": 1}}
        assert queue_counts.changes([before], [None]) == {"pending:u": {"h.t2026120314": -1},
                                                          "all:u": {"h.t2026120314": -1}}

    def test_differences_commute(self):
        a, b, c = entry(["k"]), entry(["k", "j"]), entry(["j"], None)
        one = counters.difference(queue_counts.summed([a]), queue_counts.summed([b]))
        two = counters.difference(queue_counts.summed([b]), queue_counts.summed([c]))
        total = Counter()
        for moved in (two, one):                 # in either order: the same as the whole move
            for key, fields in moved.items():
                total.update({(key, f): n for f, n in fields.items()})
        whole = queue_counts.changes([a], [c])
        assert {k: n for k, n in total.items() if n} == {(key, f): n for key, fs in whole.items() for f, n in fs.items()}


OFFICE_VIEWS = [QueueFilter(view="committee"), QueueFilter(view="committee", descending=False),
                QueueFilter(view="committee", status="accepted")]


async def whole_view(user, f: QueueFilter) -> tuple[list, int]:
    """The page as read from every entry of the view (the way any other order reads it)."""
    ids = await rows.queue_ids(await queues.build_filters(user, f), "submitted_at", descending=f.descending)
    return ids[(f.page - 1) * f.size:f.page * f.size], len(ids)


async def profiled_entry_reads(work) -> list[dict]:
    database = db.current().db
    await database["system.profile"].drop()
    await database.command("profile", 2)
    try:
        await work()
    finally:
        await database.command("profile", 0)
    return [e["command"] for e in await database["system.profile"].find({"ns": f"{database.name}.dossier_queue"})
            .to_list() if "find" in e["command"]]


@pytest.fixture(scope="class")
async def world(app):
    """Built once for the class that only reads it (the class after it writes its own small worlds)."""
    async with shared_world(lambda: queue_world.build(300, committees=2)) as built:
        yield built


class TestPagesPlacedByTheCounts:
    async def test_every_page_equals_the_page_of_the_whole_view(self, world):
        for role, views in (("office", OFFICE_VIEWS), ("unit", [QueueFilter(view="all"), QueueFilter(view="pending")]),
                            ("department", [QueueFilter(view="reported"), QueueFilter(view="all", size=7)])):
            user = world.users[role]
            for f in views:
                total = (await whole_view(user, f))[1]
                assert total, (role, f)
                for page in range(1, total // f.size + 3):      # and one past the end
                    paged = f.model_copy(update={"page": page})
                    placed = await queue_counts.page_ids(
                        [flt["queue_keys"] for flt in await queues.build_filters(user, paged)],
                        skip=(page - 1) * f.size, size=f.size, descending=f.descending)
                    assert placed == await whole_view(user, paged), (role, f, page)

    async def test_every_page_of_rows_equals_the_page_of_the_whole_view(self, world):
        """queues.page: small views read whole from their rows by key (after the counts the first time, without
        them once known small), larger ones placed in the entries."""
        queue_counts._LAST_TOTALS.clear()
        for role, views in (("office", [*OFFICE_VIEWS, QueueFilter(view="committee", size=100)]),
                            ("unit", [QueueFilter(view="all"), QueueFilter(view="pending", descending=False)]),
                            ("department", [QueueFilter(view="reported"), QueueFilter(view="all", size=7)])):
            user = world.users[role]
            for f in views:
                total = (await whole_view(user, f))[1]
                for page in range(1, total // f.size + 3):      # and one past the end
                    paged = f.model_copy(update={"page": page})
                    for _ in range(2):
                        found, counted = await queues.page(user, paged)
                        assert ([r.id for r in found], counted) == await whole_view(user, paged), (role, f, page)

    async def test_a_small_view_is_read_from_its_rows_in_two_trips_then_one(self, world):
        user = world.users["unit"]
        f = QueueFilter(view="all", size=20)
        total = (await whole_view(user, f))[1]
        assert 0 < total <= f.size + queue_counts.FEW
        queue_counts._LAST_TOTALS.clear()
        collections = ("dossier_queue", "dossier_rows", "queue_counts")
        commands = await plans.profiled(lambda: queues.page(user, f), collections)
        assert [(c["find"], set(c["filter"])) for c in commands] == [("queue_counts", {"_id"}),
                                                                     ("dossier_rows", {"queue_keys"})]
        commands = await plans.profiled(lambda: queues.page(user, f), collections)
        assert [(c["find"], set(c["filter"])) for c in commands] == [("dossier_rows", {"queue_keys"})]

    async def test_a_view_grown_past_what_was_remembered_goes_by_its_counts(self, world):
        user = world.users["office"]
        f = QueueFilter(view="committee", size=5)
        keys = [flt["queue_keys"] for flt in await queues.build_filters(user, f)]
        expected = await whole_view(user, f)
        assert expected[1] > f.size + queue_counts.FEW
        queue_counts._LAST_TOTALS[tuple(keys)] = 3
        found, total = await queues.page(user, f)
        assert ([r.id for r in found], total) == expected
        assert queue_counts._LAST_TOTALS[tuple(keys)] == expected[1]

    async def test_a_default_page_examines_about_its_own_entries(self, world):
        """The office's committee view holds ~120 entries; a page of 20 reads its hours' entries alone."""
        database = db.current().db
        user = world.users["office"]
        held = (await whole_view(user, QueueFilter(view="committee")))[1]
        assert held > 80
        for page in (1, 3):
            f = QueueFilter(view="committee", page=page, size=20)
            commands = await profiled_entry_reads(lambda: queues.page(user, f))
            assert len(commands) == 2           # the office runs two committees: one range of the same hours each
            read = 0
            for command in commands:
                assert set(command["filter"]["submitted_at"]) == {"$gte", "$lt"}
                find = {k: command[k] for k in ("find", "filter")}
                plan = await database.command("explain", find, verbosity="executionStats")
                assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"])
                read += plan["executionStats"]["totalDocsExamined"]
            assert 20 <= read <= 26 < held, read

    async def test_other_orders_and_narrowed_views_read_the_whole_view(self, world):
        user = world.users["office"]
        for f in (QueueFilter(view="committee", sort="name"), QueueFilter(view="committee", name="王")):
            commands = await profiled_entry_reads(lambda: queues.page(user, f))
            assert len(commands) == 2 and not any("submitted_at" in c["filter"] for c in commands)


class TestCountsThatDisagree:
    @pytest.fixture
    async def small(self, app):
        queue_counts._LAST_TOTALS.clear()      # what earlier worlds' views held (the same committee codes)
        return await queue_world.build(60, committees=1)

    async def test_a_wrong_hour_is_corrected_and_the_page_read_whole(self, small):
        user = small.users["office"]
        f = QueueFilter(view="committee", size=5)
        key = (await queues.build_filters(user, f))[0]["queue_keys"]
        expected = await whole_view(user, f)
        counts = QueueCount.get_pymongo_collection()
        stored = (await counts.find_one({"_id": key}))["h"]
        newest = max(label for label, n in stored.items() if n and label != NONE)
        await counts.update_one({"_id": key}, {"$inc": {f"h.{newest}": 3}})
        rows_, total = await queues.page(user, f)
        assert ([r.id for r in rows_], total) == expected
        assert (await counts.find_one({"_id": key}))["h"][newest] == stored[newest]     # the hour read: corrected
        assert await queue_counts.page_ids([key], skip=0, size=5, descending=True) == expected

    async def test_a_small_view_wrong_in_an_hour_it_does_not_show_is_corrected_from_its_entries(self, small):
        user = small.users["office"]
        f = QueueFilter(view="committee", size=15)
        key = (await queues.build_filters(user, f))[0]["queue_keys"]
        expected = await whole_view(user, f)
        assert f.size < expected[1] < f.size + queue_counts.FEW      # read whole from the rows, wrong or not
        counts = QueueCount.get_pymongo_collection()
        stored = (await counts.find_one({"_id": key}))["h"]
        oldest = min(label for label, n in stored.items() if n and label != NONE)
        await counts.update_one({"_id": key}, {"$inc": {f"h.{oldest}": -1, "h.t2020010100": 2}})
        found, total = await queues.page(user, f)            # the newest 15: neither hour is on the page
        assert ([r.id for r in found], total) == expected
        after = (await counts.find_one({"_id": key}))["h"]
        assert after[oldest] == stored[oldest] and not after.get("t2020010100")        # every hour corrected
        found, total = await queues.page(user, f)
        assert ([r.id for r in found], total) == expected

    async def test_while_counting_again_pages_read_whole_views(self, small):
        user = small.users["office"]
        f = QueueFilter(view="committee", size=5, page=2)
        key = (await queues.build_filters(user, f))[0]["queue_keys"]
        counts = QueueCount.get_pymongo_collection()
        await counts.insert_one({"_id": COUNTING, "h": {}})
        await counts.delete_many({"_id": key})
        assert await queue_counts.page_ids([key], skip=5, size=5, descending=True) is None
        rows_, total = await queues.page(user, f)
        assert ([r.id for r in rows_], total) == await whole_view(user, f) and total > 5
        assert await queue_counts.recount() == await rows.QueueEntry.get_pymongo_collection().count_documents({})
        assert await counts.find_one({"_id": COUNTING}) is None
        assert (await queue_counts.page_ids([key], skip=5, size=5, descending=True)) == await whole_view(user, f)

    async def test_a_store_without_the_previous_entry_reads_it(self, small):
        """A writer holding no copy of the version it wrote over (rows.UNKNOWN) counts from the stored entry."""
        from app.dossiers.models import Dossier

        doc = await Dossier.get_pymongo_collection().find_one({"status": "accepted"})
        await Dossier.get_pymongo_collection().update_one({"_id": doc["_id"]}, {"$set": {"status": "scheduled"},
                                                                               "$inc": {"version": 1}})
        key = f"committee:{doc['committee_code']}"
        counts = QueueCount.get_pymongo_collection()
        before = {k: ((await counts.find_one({"_id": k})) or {}).get("h", {}) for k in (f"{key}:accepted", f"{key}:scheduled")}
        await rows.store(await Dossier.get_pymongo_collection().find_one({"_id": doc["_id"]}))
        hour = bucket(doc["submitted_at"])
        after = {k: (await counts.find_one({"_id": k}))["h"] for k in before}
        assert after[f"{key}:accepted"][hour] == before[f"{key}:accepted"][hour] - 1
        assert after[f"{key}:scheduled"].get(hour, 0) == before[f"{key}:scheduled"].get(hour, 0) + 1
