"""Every read the library, the roster and the draw make, explained on the real database: no collection scan."""

from app.accounts.models import User
from app.committee import drawing
from app.committee.models import Meeting
from app.experts import draws, excel, rosters, service
from app.accounts.audit import ClientInfo
from app.errors import AppError
from app.experts.schemas import DrawIn, RosterIn
from tests import plans
from tests.committee.committee_kit import new_meeting, place_dossier, schedule
from tests.experts.kit import library_experts, sheet_row, xlsx

COLLECTIONS = ("experts", "expert_rosters", "expert_draws", "expert_rules", "dossiers", "units", "meetings")


async def check(work, what: str, refused: bool = False) -> int:
    """Runs `work` (which may be refused after its reads, when `refused`) and explains each read it made."""
    async def reads() -> None:
        try:
            await work()
        except AppError:
            assert refused, what

    return await plans.explained(reads, what, COLLECTIONS)


async def test_library_roster_and_draw_reads_use_indexes(client, world):
    dossier = await place_dossier(world, name="李晓华")
    meeting = await new_meeting(client, world, [])
    await schedule(client, world, meeting["id"], [dossier.id])
    experts = await library_experts(client, world, 5)
    office = await User.find_one({"name": "评办经办"})          # the world's office handler
    committee = world["committee"]
    first = await service.visible(office, experts[0][0]["id"])
    rules = DrawIn(series="qzwh", members=3, reserves=1, confirm=True)
    m = await Meeting.get(meeting["id"])

    checked = 0
    checked += await check(lambda: service.listing(office), "library list")
    checked += await check(lambda: service.listing(office, q="库", series="qzwh"), "library search")
    checked += await check(lambda: excel.export(office), "export")
    checked += await check(lambda: service.visible(office, first.id), "one record")
    checked += await check(lambda: rosters.members(committee), "roster")
    checked += await check(lambda: draws.candidates(committee, [dossier]), "candidates and conflicts")
    checked += await check(lambda: drawing.run(actor=office, meeting=m, committee=committee, data=rules), "draw")
    checked += await check(lambda: drawing.view(m), "draw record")
    checked += await check(lambda: service.require_may_vote(experts[0][1]), "may vote")
    checked += await check(lambda: rosters.save(actor=office, committee=committee, data=RosterIn(
        expert_ids=[e["id"] for e, _, _ in experts[:1]])), "roster save", refused=True)
    checked += await check(lambda: excel.import_file(actor=office, content=xlsx([sheet_row(i) for i in range(3)]),
                                                     keeper_unit_id=None, client=ClientInfo()), "import")
    checked += await check(lambda: draws.recused_accounts([u.id for _, u, _ in experts], [dossier]), "recusals")
    assert checked >= 12
