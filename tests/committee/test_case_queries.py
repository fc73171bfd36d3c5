"""The reads of cases, explained on the real database: the office's list (per committee, open and done, by
deadline; with the kind, state and overdue filters), the lodger's own cases, the public lookup by number and
the one-复查-per-dossier check each use an index; none scans the collection."""

from datetime import timedelta

from app import db
from app.accounts.audit import ClientInfo
from app.accounts.models import User
from app.clock import utcnow
from app.committee import cases
from app.committee.case_models import Case
from tests import plans
from tests.committee.committee_kit import place_dossier
from tests.test_query_plans import as_find

CASES = 60


async def case_reads(work) -> list[dict]:
    """The finds and counts `work` sends to the cases collection, as profiled."""
    return await plans.profiled(work, ("cases",))


async def test_case_reads_use_indexes(world):
    dossier = await place_dossier(world, status="publicity", name="李晓华")
    lodger = world["applicant"]
    now = utcnow()
    for n in range(CASES):
        await Case(number=f"YY2026{n:06d}", once_key=f"YY2026{n:06d}", kind=("objection", "review", "complaint")[n % 3], dossier_id=dossier.id,
                   committee_code=world["committee"].code if n % 2 else "other-committee",
                   applicant_name="李晓华", lodger_id=lodger.id if n % 5 == 0 else None, lodger_name="王大明",
                   lodger_contact="13900001111", facts="事实与理由", done=n % 4 == 0,
                   status="answered" if n % 4 == 0 else "received", lodged_at=now - timedelta(days=n),
                   due_at=now + timedelta(days=30 - n)).insert()
    handler = await User.find_one({"roles.role": "committee_intermediate"})
    client = ClientInfo(ip="203.0.113.9", user_agent="plans")

    async def work():
        await cases.listing(actor=handler)
        await cases.listing(actor=handler, kind="review", status="received")
        await cases.listing(actor=handler, overdue_only=True)
        await cases.mine(actor=lodger)
        await cases.lookup(client=client, number="YY2026000007", contact="13900001111")
        await Case.find_one({"dossier_id": dossier.id, "kind": "review"})

    commands = await case_reads(work)
    assert len(commands) >= 7
    database = db.current().db
    for command in commands:
        find = as_find(command)
        plan = await database.command("explain", find, verbosity="executionStats")
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), find
        assert "IXSCAN" in str(plan["queryPlanner"]["winningPlan"]), find
