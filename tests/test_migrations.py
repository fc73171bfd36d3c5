"""Run-once migrations on the real database: two processes starting together run a migration once, a
migration that stops half-way resumes from its checkpoint, a failure holds back the ones after it, and
the rows of an older SCHEMA are rebuilt step by step."""

import asyncio

from bson import ObjectId

from app import migrations
from app.accounts.enums import Role
from app.accounts.models import RoleGrant
from app.dossiers import queue_counts, rows
from app.dossiers.rows import DossierRow
from app.migrations import Migration, MigrationRecord
from tests.committee.committee_kit import place_dossier
from tests.factories import create_person
from tests.routing.conftest import world  # noqa: F401  (a fixture used below)


async def record(name: str) -> dict | None:
    return await MigrationRecord.get_pymongo_collection().find_one({"_id": name})


class TestRunPending:
    async def test_two_processes_starting_together_run_each_migration_once(self):
        calls = []

        async def slow(_):
            calls.append("slow")
            await asyncio.sleep(0.3)            # the other process asks meanwhile
            return 7

        listed = [Migration("slow-backfill", slow)]
        first, second = await asyncio.gather(migrations.run_pending(listed, holder="p1"),
                                             migrations.run_pending(listed, holder="p2"))
        assert calls == ["slow"] and sorted([first, second]) == [[], ["slow-backfill"]]
        done = await record("slow-backfill")
        assert done["done_at"] is not None and done["result"] == 7
        assert await migrations.run_pending(listed, holder="p3") == [] and calls == ["slow"]

    async def test_a_migration_stopped_half_way_resumes_from_its_checkpoint(self):
        seen, crash = [], [True]

        async def stepwise(checkpoint):
            start = 0 if checkpoint.after is None else checkpoint.after + 1
            for step in range(start, 6):
                if step == 3 and crash[0]:
                    crash[0] = False
                    raise RuntimeError("the process died here")
                seen.append(step)
                await checkpoint.save(step)
            return len(seen)

        listed = [Migration("stepwise", stepwise)]
        assert await migrations.run_pending(listed) == []
        stopped = await record("stepwise")
        assert stopped["after"] == 2 and stopped.get("done_at") is None
        assert await migrations.run_pending(listed) == ["stepwise"]
        assert seen == [0, 1, 2, 3, 4, 5]                   # nothing done twice
        assert (await record("stepwise"))["result"] == 6

    async def test_a_failed_migration_holds_back_the_ones_after_it(self):
        ran = []

        async def failing(_):
            raise ValueError("bad data")

        async def later(_):
            ran.append("later")
            return 0

        listed = [Migration("failing", failing), Migration("later", later)]
        assert await migrations.run_pending(listed) == []
        assert ran == [] and await record("later") is None
        assert (await record("failing")).get("done_at") is None

    def test_the_rows_rebuild_is_named_after_the_schema_and_runs_last_but_the_counters(self):
        assert [m.name for m in migrations.MIGRATIONS[-2:]] == [f"rows-schema-{rows.SCHEMA}",
                                                                 f"statistics-counts-{rows.SCHEMA}"]
        names = [m.name for m in migrations.MIGRATIONS]
        assert len(set(names)) == len(names)


class TestRowsOfANewSchema:
    async def test_rows_are_rebuilt_in_steps_and_recorded(self, client, world, monkeypatch):
        placed = [await place_dossier(world, name=f"申报人{n}") for n in range(4)]
        collection = DossierRow.get_pymongo_collection()
        await collection.update_many({}, {"$set": {"schema_version": rows.SCHEMA - 1, "facts": {}}})
        await collection.delete_one({"_id": placed[0].id})
        await rows.QueueEntry.get_pymongo_collection().delete_many({})       # a release before the entries
        await queue_counts.QueueCount.get_pymongo_collection().delete_many({})     # and their counts
        orphan = (await collection.insert_one({"_id": ObjectId(), "version": 1, "schema_version": rows.SCHEMA})
                  ).inserted_id
        monkeypatch.setattr(rows, "STEP", 2)
        name, recount = f"rows-schema-{rows.SCHEMA}", f"statistics-counts-{rows.SCHEMA}"
        assert await migrations.run_pending(migrations.MIGRATIONS[-2:]) == [name, recount]
        assert (await record(recount))["result"] > 0     # the counters the rebuilt rows add up to (checked after)
        assert (await record(name))["after"] is not None    # a checkpoint saved after the window it refreshed
        assert (await record(name))["result"] == 6      # 5 dossiers' rows and the orphan
        assert await collection.count_documents({"schema_version": {"$ne": rows.SCHEMA}}) == 0
        assert await collection.find_one({"_id": orphan}) is None
        assert (await collection.find_one({"_id": placed[0].id}))["facts"]["name"] == "申报人0"
        entry = await rows.QueueEntry.get_pymongo_collection().find_one({"_id": placed[0].id})
        assert entry["queue_keys"] and entry["applicant_name"] == "申报人0"     # the queues' entries come with them


class TestUnreadIndexes:
    async def test_an_older_release_s_unread_indexes_are_dropped_and_the_others_kept(self, client):
        from app.dossiers.models import Dossier

        dossiers, held = Dossier.get_pymongo_collection(), DossierRow.get_pymongo_collection()
        before = set(await dossiers.index_information()) | set(await held.index_information())
        await dossiers.create_index([("reader_ids", 1)])
        await held.create_index([("queue_keys", 1), ("submitted_at", 1), ("_id", 1)])
        await held.create_index([("queue_keys", 1), ("applicant_name", 1), ("_id", 1)])
        assert await migrations._drop_unread_indexes(None) == 3
        assert set(await dossiers.index_information()) | set(await held.index_information()) == before
        assert await migrations._drop_unread_indexes(None) == 0


class TestSelectionIndexes:
    async def test_the_dossiers_indexes_whose_reads_moved_to_the_rows_are_dropped(self, client):
        """Issue 11: an older database's dossiers lose the indexes whose reads select on the rows or queue
        entries now (or ride the unique applicant index): seven; the others stay (tests/dossiers/test_indexes.py)."""
        from app.dossiers.models import Dossier

        dossiers = Dossier.get_pymongo_collection()
        before = set(await dossiers.index_information())
        for keys in migrations.SELECTED_ELSEWHERE[Dossier]:
            await dossiers.create_index(list(keys))
        assert await migrations._drop_selected_elsewhere(None) == 7
        assert set(await dossiers.index_information()) == before
        assert await migrations._drop_selected_elsewhere(None) == 0
        assert "drop-dossier-selection-indexes" in [m.name for m in migrations.MIGRATIONS]


class TestEmployerRegions:
    async def test_dossiers_declared_before_get_their_employer_s_region_and_are_counted_by_it(self, client, world):
        """A dossier stored before the declaration carried its employer's region code gets it through the
        write path (its row and counters follow: the conftest checks them), and the figure by region counts it
        there, not under 未知."""
        from app.dossiers.models import Dossier
        from app.exports import statistics
        from app.units.models import Unit

        placed = [await place_dossier(world, name=f"申报人{n}") for n in range(2)]
        dossiers = Dossier.get_pymongo_collection()
        await dossiers.update_many({}, {"$unset": {"declaration.employer_region_code": ""}})
        for p in placed:
            await rows.refresh(p.id)                # rows and counters as a release before it left them
        assert await migrations.run_pending([m for m in migrations.MIGRATIONS if m.name == "dossier-employer-region"]
                                            ) == ["dossier-employer-region"]
        assert (await record("dossier-employer-region"))["result"] >= 2
        for p in placed:
            doc = await dossiers.find_one({"_id": p.id})
            unit = await Unit.get_pymongo_collection().find_one({"_id": doc["declaration"]["employer_unit_id"]})
            assert doc["declaration"]["employer_region_code"] == unit["region_code"]
        admin = await create_person(login="region_admin", roles=[RoleGrant(role=Role.sysadmin)])
        regions = await statistics.figures(admin, statistics.StatsFilter(), "region")
        assert "未知" not in [r["label"] for r in regions["rows"]]
        assert regions == await statistics.aggregated(admin, statistics.StatsFilter(), "region")
