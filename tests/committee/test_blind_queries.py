"""Every read the blind-review pages and job make, explained on the real database: no collection scan (the office's
list, a reviewer's list and assignment, the round's reads, the reminder and overdue selections)."""

from app import clock
from app.accounts.models import User
from app.committee import blind, blind_reviewing
from app.committee.models import BlindAssignment
from tests import plans
from tests.committee.blind_kit import reviewers, switch_on, works_dossier

COLLECTIONS = ("blind_assignments", "dossiers", "committees", "meetings", "expert_draws", "experts", "batches")


async def explained(work, what: str) -> int:
    return await plans.explained(work, what, COLLECTIONS)


async def test_blind_review_reads_use_indexes(client, world):
    await switch_on(world["batch"])
    experts = await reviewers(client, world, 4)
    dossier = await works_dossier(world)
    office = await User.find_one({"name": "评办经办"})
    await client.post(f"/api/dossiers/{dossier.id}/blind-review", headers=world["as_office"])
    await client.post(f"/api/dossiers/{dossier.id}/blind-review/send", json={"seed": 3}, headers=world["as_office"])
    assignment = await BlindAssignment.find_one({})
    reviewer = await User.get(assignment.user_id)

    checked = 0
    checked += await explained(lambda: blind.office_list(office), "office list")
    checked += await explained(lambda: blind.readable_round(office, dossier.id), "the round")
    checked += await explained(lambda: blind_reviewing.mine(reviewer), "reviewer's list")
    checked += await explained(lambda: blind_reviewing.assignment_of(reviewer, assignment.id), "one assignment")
    checked += await explained(lambda: blind_reviewing.view(assignment), "assignment view")
    clock.advance(12 * 86400)
    checked += await explained(blind_reviewing.remind_due, "reminders due")
    clock.advance(3 * 86400)
    checked += await explained(blind_reviewing.mark_overdue, "overdue")
    assert checked >= 7 and len(experts) == 4
