"""The reads login and recovery make go through an index (SecantusDB scans for any filter an index does not
cover whole, so each is one indexed equality)."""

import pytest
from beanie import PydanticObjectId

from app import db

READS = [("login_failures", {"login_key": "someone"}, None),
         ("recovery_codes", {"user_id": PydanticObjectId()}, {"created_at": -1}),
         ("failure_windows", {"_id": "recovery-reset:login:someone@493800"}, None),
         ("users", {"login_key": "someone"}, None),
         ("users", {"id_number": "11010519491231002X"}, None)]


@pytest.mark.parametrize(("collection", "query", "sort"), READS, ids=[f"{r[0]}-{next(iter(r[1]))}" for r in READS])
async def test_read_uses_an_index(collection, query, sort):
    command = {"find": collection, "filter": query, **({"sort": sort} if sort else {})}
    winning = str((await db.current().db.command("explain", command, verbosity="queryPlanner"))
                  ["queryPlanner"]["winningPlan"])
    assert ("IXSCAN" in winning or "IDHACK" in winning) and "COLLSCAN" not in winning, winning
