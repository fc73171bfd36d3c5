"""Reads a piece of work makes, taken from the database's profiler, and their plans: the `explain` checks of the
domains' own query-plan tests (tests/test_query_plans.py keeps its own, with execution statistics)."""

from app import db


async def profiled(work, collections) -> list[dict]:
    """The finds, counts and aggregations `work` sends to these collections."""
    database = db.current().db
    await database["system.profile"].drop()
    await database.command("profile", 2)
    try:
        await work()
    finally:
        await database.command("profile", 0)
    names = {f"{database.name}.{c}" for c in collections}
    return [e["command"] for e in await database["system.profile"].find({}).to_list()
            if e.get("ns") in names and {"find", "count", "aggregate"} & e["command"].keys()]


def as_find(command: dict) -> dict:
    """A find, a count or an aggregation's leading $match as the find explain can run."""
    if "aggregate" in command:
        return {"find": command["aggregate"], "filter": command["pipeline"][0].get("$match", {})}
    if "count" in command:
        return {"find": command["count"], "filter": command.get("query") or {}}
    return {k: v for k, v in command.items() if k in ("find", "filter", "sort", "limit")}


async def explained(work, what: str, collections) -> int:
    """Runs `work` and explains each read it made on these collections: none may scan a collection. Returns how
    many were checked."""
    commands = await profiled(work, collections)
    assert commands, what
    for command in commands:
        find = as_find(command)
        plan = await db.current().db.command("explain", find, verbosity="queryPlanner")
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), (what, find)
    return len(commands)
