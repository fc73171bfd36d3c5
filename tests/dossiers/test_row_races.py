"""A row refresh (a rebuild, a repair) racing a writer's row store of the same dossier, or another refresh,
really interleaved: one side is held at a chosen point while the other runs to its end. Whatever the order,
each queue entry's change is counted once in the queue counts (app.dossiers.queue_counts), as the statistics'
counters count each row's once (their write is conditioned on the fingerprint it replaces, and so is the
entry's)."""

import asyncio

import pytest
from bson import ObjectId

from app.dossiers import rows, writes
from app.dossiers.models import Dossier
from app.dossiers.rows import QueueEntry
from tests.conftest import _assert_counts_in_step
from tests.routing.conftest import act, world  # noqa: F401  (world is a fixture used below)


class HeldRead:
    """Holds the first refresh's read of the stored queue entries (the `find` of several ids), once it has read
    them, until the test releases it: the refresh then writes over entries it read before the other side wrote."""

    def __init__(self, monkeypatch):
        self.read, self.released = asyncio.Event(), asyncio.Event()
        collection = QueueEntry.get_pymongo_collection()
        gate = self

        class Cursor:
            def __init__(self, cursor, held: bool):
                self.cursor, self.held = cursor, held

            def __aiter__(self):
                return self

            async def __anext__(self):
                try:
                    return await anext(self.cursor)
                except StopAsyncIteration:
                    if self.held:
                        self.held = False
                        gate.read.set()
                        await gate.released.wait()
                    raise

        class Collection:
            def __getattr__(self, name):
                return getattr(collection, name)

            def find(self, query=None, *args, **kwargs):
                held = not gate.read.is_set() and isinstance((query or {}).get("_id"), dict)
                return Cursor(collection.find(query, *args, **kwargs), held)

        monkeypatch.setattr(QueueEntry, "get_pymongo_collection", classmethod(lambda cls: Collection()))

    async def run(self, held, meanwhile):
        """Starts `held` (a refresh), lets `meanwhile` run to its end once the refresh has read the entries,
        then lets the refresh go on."""
        task = asyncio.ensure_future(held)
        await asyncio.wait_for(self.read.wait(), 30)
        try:
            await meanwhile
        finally:
            self.released.set()
        await task


async def entry(dossier_id) -> dict | None:
    return await QueueEntry.get_pymongo_collection().find_one({"_id": ObjectId(dossier_id)})


class TestARefreshBesideAStore:
    async def test_a_refresh_landing_between_a_write_and_its_store_is_counted_once(self, client, world, monkeypatch):
        """The refresh reads the written dossier and the entry of the version before, and writes first; the
        writer's store then believes that older entry is still there."""
        real = rows.store

        async def store(doc, **kwargs):
            await rows.refresh(doc["_id"])
            await real(doc, **kwargs)

        monkeypatch.setattr(rows, "store", store)
        before = await entry(world["dossier_id"])
        assert (await act(client, world, "as_employer", "pass")).status_code == 200
        after = await entry(world["dossier_id"])
        assert after["version"] == before["version"] + 1 and after["queue_keys"] != before["queue_keys"]
        await _assert_counts_in_step()

    async def test_a_store_landing_while_a_refresh_holds_the_entry_it_read_is_counted_once(
            self, client, world, monkeypatch):
        """The refresh reads the written dossier and the entry of the version before; the writer's store lands
        meanwhile; the refresh then writes over the entry it read."""
        held = HeldRead(monkeypatch)
        real, stored = rows.store, asyncio.Event()
        refreshing = []

        async def store(doc, **kwargs):
            refreshing.append(held.run(rows.refresh(doc["_id"]), real(doc, **kwargs)))
            stored.set()

        monkeypatch.setattr(rows, "store", store)
        assert (await act(client, world, "as_employer", "pass")).status_code == 200
        await asyncio.wait_for(stored.wait(), 30)
        await refreshing[0]
        await _assert_counts_in_step()


class TestTwoRefreshes:
    @pytest.mark.parametrize("change", ["keys", "gone"])
    async def test_two_refreshes_of_one_change_count_it_once(self, client, world, monkeypatch, change):
        """A repair (a change written beside the write path, or a dossier deleted) refreshed twice at once:
        both read the entry before either writes."""
        dossier_id = ObjectId(world["dossier_id"])
        collection = Dossier.get_pymongo_collection()
        if change == "keys":
            await collection.update_one({"_id": dossier_id}, {"$set": {"status": "passed"}, "$inc": {"version": 1}})
        else:
            await collection.delete_one({"_id": dossier_id})
        await HeldRead(monkeypatch).run(rows.refresh(dossier_id), rows.refresh(dossier_id))
        found = await entry(dossier_id)
        if change == "keys":
            assert "passed:" + str(world["employer"].id) in found["queue_keys"]
        else:
            assert found is None
        await _assert_counts_in_step()


async def test_many_rounds_of_writes_and_refreshes_keep_the_counts(client, world):
    """Not held: each write of the dossier (moving it between queues) races two refreshes of it, on the real
    database, round after round."""
    dossier_id = ObjectId(world["dossier_id"])
    for status in ["passed", "submitted"] * 10:
        version = (await Dossier.get_pymongo_collection().find_one({"_id": dossier_id}, {"version": 1}))["version"]
        await asyncio.gather(rows.refresh(dossier_id),
                             writes.write(dossier_id, {"$set": {"status": status}}, expected_version=version),
                             rows.refresh(dossier_id))
        await _assert_counts_in_step()
