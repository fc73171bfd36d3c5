"""app.counters: concurrent writers' differences to one collection go out summed, a bulk write at a time, and
each writer returns once its own difference has landed."""

import asyncio

from pymongo import monitoring

from app import counters, db


class _Updates(monitoring.CommandListener):
    def __init__(self):
        self.seen = []

    def started(self, event):
        if event.command_name == "update" and event.command.get("update") == "zc_counters_test":
            self.seen.append(len(event.command["updates"]))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


UPDATES = _Updates()
monitoring.register(UPDATES)


async def test_concurrent_differences_are_summed_into_few_bulk_writes(app):
    collection = db.current().db["zc_counters_test"]
    UPDATES.seen = []
    # 30 writers at once, each moving the same three documents (as a deadline spike's submits do)
    await asyncio.gather(*(counters.add(collection, {"a": {"n": 1}, "b": {"n": 2, "m": -1}, f"own{i}": {"n": 1}})
                           for i in range(30)))
    stored = {d["_id"]: d async for d in collection.find({})}
    assert stored["a"]["n"] == 30 and stored["b"]["n"] == 60 and stored["b"]["m"] == -30
    assert all(stored[f"own{i}"]["n"] == 1 for i in range(30))
    # the first writer's difference goes out alone at once; the 29 that arrived meanwhile go in the next write
    assert len(UPDATES.seen) <= 3 and sum(UPDATES.seen) < 30 * 3, UPDATES.seen
    await collection.drop()


async def test_a_writer_returns_after_its_own_difference_landed(app):
    collection = db.current().db["zc_counters_test"]
    first = asyncio.ensure_future(counters.add(collection, {"x": {"n": 1}}))
    await asyncio.sleep(0)
    await counters.add(collection, {"x": {"n": 5}, "y": {"n": 0}})     # zeros are not written
    assert (await collection.find_one({"_id": "x"}))["n"] == 6
    assert await collection.find_one({"_id": "y"}) is None
    await first
    await collection.drop()
