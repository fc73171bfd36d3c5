"""The statistics' counters (app.dossiers.counts) against a fresh aggregation of the rows: after a random
sequence of writes through the one write path (status, level, series, employer, committee, trail steps,
abandoning), some of them racing a refresh of the same dossier's row, and with the process's copies
forgotten now and then (the store then guesses and reads what it replaces), every figure by every
dimension and the node times equal the aggregation's, for every role's scope. Plus the pure parts."""

import asyncio
import random
from datetime import timedelta

import pytest
from beanie import PydanticObjectId

from app.accounts.enums import Role
from app.accounts.models import RoleGrant
from app.dossiers import counts, rows, writes
from app.dossiers.models import Dossier, TrailEntry
from app.exports import statistics
from tests import stats_world
from tests.factories import create_person

HOUR = 3600
STATUSES = ("submitted", "passed", "at_committee", "approved", "not_approved", "publicity", "certified")


@pytest.fixture
async def world(clean_database):
    return await stats_world.build()


async def step(rng: random.Random, world, dossier_id) -> None:
    """One random write of one dossier through app.dossiers.writes."""
    current = await writes.read({"_id": dossier_id})
    if rng.random() < 0.3:
        writes.forget(dossier_id)               # another process's copy: the row store guesses, then reads
    choice = rng.randrange(7)
    entry = None
    if choice == 0:
        update = {"$set": {"status": rng.choice(STATUSES)}}
    elif choice == 1:
        update = {"$set": {"declaration.level": rng.choice(("2", "3", "4"))}}
    elif choice == 2:
        update = {"$set": {"declaration.series": rng.choice(("qzwh", "gc")), "declaration.title": "gc-3"}}
    elif choice == 3:
        employer = world.units[rng.choice(("E1", "E2"))]
        update = {"$set": {"declaration.employer_unit_id": employer.id, "declaration.employer_unit_name": employer.name,
                           "declaration.employer_region_code": employer.region_code}}
    elif choice == 4:
        update = {"$set": {"committee_code": stats_world.CODE, "reported_to": [stats_world.CODE]}}
    elif choice == 5:
        last = current.trail[-1].at if current.trail else current.created_at
        role = rng.choice(list(stats_world.ROLES.values()))
        entry = TrailEntry(at=last + timedelta(hours=rng.randrange(1, 60)), action="pass", actor_id=PydanticObjectId(),
                           actor_name="经办", role=role, from_status=current.status, to_status=current.status)
        update = {}
    else:
        update = {"$set": {"status": "abandoned" if rng.random() < 0.3 else "submitted"}}
    write = writes.write(dossier_id, update, expected_version=current.version, trail_entry=entry)
    if rng.random() < 0.3:                      # a refresh of the same row racing the write's own store
        await asyncio.gather(write, rows.refresh(dossier_id))
    else:
        await write


async def test_counters_equal_a_fresh_aggregation_after_random_writes(client, world):
    admin = await create_person(login="stats_admin", roles=[RoleGrant(role=Role.sysadmin)])
    users = [admin, *(world.users[k] for k in ("hr", "department", "unit", "office", "foreign"))]
    ids = [d["_id"] async for d in Dossier.get_pymongo_collection().find({}, {"_id": 1})]
    rng = random.Random(20261203)
    for _ in range(60):
        await step(rng, world, rng.choice(ids))
    assert await counts.stored() == await counts.expected()
    compared = 0
    for user in users:
        for scope in await statistics.scopes(user):
            for extra in ({}, {"level": "3"}, {"kind": "initial"}, {"employer_unit_id": world.units["E1"].id},
                          {"batch_id": world.batches["review"]}):
                f = statistics.StatsFilter(scope=None if scope.key is None else str(scope.key), **extra)
                for by in statistics.DIMENSIONS:
                    assert await statistics.figures(user, f, by) == await statistics.aggregated(user, f, by), \
                        (user.login, scope.key, extra, by)
                    compared += 1
                # waits are counted to the hour under three days, to the day beyond: never above, within a day
                fresh = (await statistics.aggregated_node_times(user, f))["nodes"]
                got = (await statistics.node_times(user, f))["nodes"]
                assert [n["count"] for n in got] == [n["count"] for n in fresh]
                for mine, exact in zip(got, fresh):
                    for field in ("median_seconds", "slowest_seconds"):
                        assert exact[field] - 86400 < mine[field] <= exact[field], (user.login, extra, mine, exact)
    assert compared == 210         # 7 scopes × 5 filters × 6 dimensions
    changed = await statistics.figures(admin, statistics.StatsFilter(), "level")
    assert changed["total"]["declarations"] > 0
    # and the queue counts, which the same races move (checked by the conftest, no recount before)


def test_a_row_contributes_once_per_scope_key_and_document():
    row = {"applicant_id": "me", "reader_ids": ["me", "u1", "region:37", "meeting:m", "entry:u1"],
           "batch_id": "b1", "year": 2026, "status": "certified", "node_seconds": {"unit": 5 * HOUR},
           "declaration": {"series": "a.b", "level": "3", "title": None, "employer_unit_id": "u1",
                           "employer_region_code": "370102"}}
    made = counts.contributions(row)
    assert set(made) == {(k, by, part) for k in ("*", "u1", "region:37") for by, part in (
        ("batch", "b1"), ("unit", "u1"), ("region", "370102"), ("unit:3", "u1"))}
    assert made[("u1", "batch", "b1")] == {"cells.b1~2026~a%2Eb~3~~~.d": 1, "cells.b1~2026~a%2Eb~3~~~.p": 1,
                                           "cells.b1~2026~a%2Eb~3~~~.t.unit.18000": 1}
    # a unit's document counts its declarations in all too (the figure by unit reads the largest first);
    # a region's carries no waits (node times never read it)
    assert made[("u1", "unit", "u1")] == {"d": 1, "cells.b1~2026~a%2Eb~3~~u1~370102.d": 1,
                                          "cells.b1~2026~a%2Eb~3~~u1~370102.p": 1,
                                          "cells.b1~2026~a%2Eb~3~~u1~370102.t.unit.18000": 1}
    assert made[("u1", "region", "370102")] == {"cells.b1~2026~a%2Eb~3~~~370102.d": 1,
                                                "cells.b1~2026~a%2Eb~3~~~370102.p": 1}
    # and the unit's declarations at the level, ranked on their own (a figure by unit narrowed to a level)
    assert made[("u1", "unit:3", "u1")] == {"d": 1, "cells.b1~2026~a%2Eb~3~~u1~370102.d": 1,
                                            "cells.b1~2026~a%2Eb~3~~u1~370102.p": 1}
    assert counts.cell_fields("b1~2026~a%2Eb~3~~u1~370102") == {
        "batch": "b1", "year": "2026", "series": "a.b", "level": "3", "title": None, "unit": "u1", "region": "370102"}
    moved = {**row, "status": "not_approved"}
    assert counts.fingerprint(moved) != counts.fingerprint(row)
    assert counts.fingerprint({**row, "version": 9}) == counts.fingerprint(row)
    elsewhere = {**row, "declaration": {**row["declaration"], "employer_region_code": "370103"}}
    assert counts.fingerprint(elsewhere) != counts.fingerprint(row)
    change = counts.difference(row, moved)[("*", "unit", "u1")]
    assert change == {"cells.b1~2026~a%2Eb~3~~u1~370102.p": -1, "cells.b1~2026~a%2Eb~3~~u1~370102.n": 1}
    assert counts.difference(row, row) == {}
    assert counts.nested({"d": 2, "cells.x.d": 2}) == {"d": 2, "cells": {"x": {"d": 2}}}


def test_waits_are_bucketed_to_the_hour_then_the_day():
    assert counts.wait_bucket(5 * HOUR + 59) == 5 * HOUR
    assert counts.wait_bucket(1000 * HOUR) == 41 * 24 * HOUR
    assert counts.wait_bucket(200 * 24 * HOUR) == 180 * 24 * HOUR
    got = statistics.bucketed({"unit": {HOUR: 2, 3 * HOUR: 1, 10 * HOUR: 1}})
    assert (got[0]["count"], got[0]["median_seconds"], got[0]["slowest_seconds"]) == (4, 2 * HOUR, 10 * HOUR)


async def test_figure_by_unit_shows_the_largest_units_and_reads_few_of_many(clean_database, monkeypatch):
    """A city of 60 employer units of uneven sizes, the page showing the 5 largest: the figure by unit is those
    and one row summing the others, equal to the aggregation's under each filter, and without a filter it
    reads the unit documents of the largest units only, not one per unit in scope."""
    from app import db
    from tests import queue_world

    monkeypatch.setattr(statistics, "TOP_UNITS", 5)
    world = await queue_world.build(900, employers=60, skew=1.5)
    hr = world.users["hr"]
    for narrowed in ({}, {"level": "3"}, {"series": "gc"}, {"batch_id": world.batches[0]}):
        f = statistics.StatsFilter(**narrowed)
        got = await statistics.figures(hr, f, "unit")
        assert got == await statistics.aggregated(hr, f, "unit"), narrowed
        assert len(got["rows"]) == statistics.TOP_UNITS + 1 and got["rows"][-1]["key"] == "others", narrowed
        assert got["rows"][-1]["label"] == "其他单位"
        assert sum(r["declarations"] for r in got["rows"]) == got["total"]["declarations"]
    one = statistics.StatsFilter(employer_unit_id=world.employers[0].id)
    assert await statistics.figures(hr, one, "unit") == await statistics.aggregated(hr, one, "unit")
    regions = await statistics.figures(hr, statistics.StatsFilter(), "region")
    assert regions == await statistics.aggregated(hr, statistics.StatsFilter(), "region")
    assert len(regions["rows"]) == 20                     # queue_world: 20 districts a city

    database = db.current().db
    scope = (await statistics.scopes(hr))[0].key
    units = await database.statistics_counts.count_documents({"scope": scope, "by": "unit"})
    assert units == 60
    await database["system.profile"].drop()
    await database.command("profile", 2)
    try:
        await statistics.figures(hr, statistics.StatsFilter(), "unit")
    finally:
        await database.command("profile", 0)
    assert 0 < await examined_units(database) < units / 2
    await database["system.profile"].drop()
    await database.command("profile", 2)
    try:        # narrowed to a level: ranked by the units' declarations at it, as few read
        await statistics.figures(hr, statistics.StatsFilter(level="3"), "unit")
    finally:
        await database.command("profile", 0)
    assert 0 < await examined_units(database, "unit:3") < units / 2


async def examined_units(database, by: str = "unit") -> int:
    """The unit documents the profiled reads examined."""
    read = [e for e in await database["system.profile"].find({}).to_list()
            if e.get("ns") == f"{database.name}.statistics_counts" and "find" in e["command"]
            and e["command"]["filter"].get("by") == by]
    examined = 0
    for e in read:
        plan = await database.command("explain", {"find": "statistics_counts", "filter": e["command"]["filter"]},
                                      verbosity="executionStats")
        examined += plan["executionStats"]["totalDocsExamined"]
    return examined
