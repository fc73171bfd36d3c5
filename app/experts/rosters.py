"""Committee rosters (评委会组成人员) drawn from the office's library, and the size rules checked when a
roster is saved: an odd number, at least the minimum set for the committee's tier."""

from app.accounts.models import User
from app.catalog.committees import runs_committee
from app.catalog.models import Committee
from app.clock import utcnow
from app.accounts.enums import Role
from app.errors import Conflict, ValidationFailed
from app.experts.exceptions import CommitteeNotRun
from app.experts import service
from app.experts.models import DEFAULT_MINIMUMS, Expert, ExpertRoster, RosterRules
from app.experts.schemas import RosterIn, RulesIn

TIER_LABELS = {"senior": "高级", "intermediate": "中级", "junior": "初级"}


async def committee_run_by(actor: User, code: str) -> Committee:
    committee = await Committee.find_one(Committee.code == code)
    if committee is None or not (runs_committee(actor, committee) or actor.has_role(Role.sysadmin)):
        raise CommitteeNotRun(field="code")
    return committee


async def rules() -> RosterRules:
    return await RosterRules.get("roster") or RosterRules()


async def set_rules(data: RulesIn) -> RosterRules:
    current = await rules()
    minimums = {**DEFAULT_MINIMUMS, **current.minimums, **data.minimums}
    await RosterRules.get_pymongo_collection().update_one(
        {"_id": "roster"}, {"$set": {"minimums": minimums}, "$inc": {"version": 1}}, upsert=True)
    return await rules()


def size_problem(size: int, tier: str, minimums: dict[str, int]) -> str | None:
    """Pure: why a roster of `size` may not be saved for a committee of `tier`, or None."""
    minimum = minimums.get(tier, DEFAULT_MINIMUMS.get(tier, 1))
    if size % 2 == 0:
        return f"评委会组成人员应为奇数，现为{size}人"
    if size < minimum:
        return f"{TIER_LABELS.get(tier, tier)}评委会组成人员不少于{minimum}人，现为{size}人"
    return None


async def roster_of(committee: Committee) -> ExpertRoster | None:
    return await ExpertRoster.find_one(ExpertRoster.committee_code == committee.code)


async def save(*, actor: User, committee: Committee, data: RosterIn) -> ExpertRoster:
    """Every expert must be in the office's library and drawable today; then the size rule."""
    ids = list(dict.fromkeys(data.expert_ids))
    library = {e.id: e for e in await service.library_of(committee.office_unit_id)}
    if missing := [i for i in ids if i not in library]:
        raise ValidationFailed(f"有{len(missing)}名专家不在本办事机构的专家库中", field="expert_ids",
                               code="not_in_library")
    today = service.china_today()
    for i in ids:
        if library[i].status != "active" or library[i].term_end < today:
            raise ValidationFailed(f"专家{library[i].name}已出库、暂停或聘期已满，不能列入评委会", field="expert_ids",
                                   code="expert_not_drawable")
    if problem := size_problem(len(ids), committee.tier, (await rules()).minimums):
        raise ValidationFailed(problem, field="expert_ids", code="roster_size")
    current = await roster_of(committee)
    collection = ExpertRoster.get_pymongo_collection()
    if current is None:
        roster = ExpertRoster(committee_code=committee.code, expert_ids=ids, saved_by=actor.id)
        await roster.insert()
        return roster
    result = await collection.update_one({"_id": current.id, "version": current.version},
                                         {"$set": {"expert_ids": ids, "saved_by": actor.id,
                                                   "saved_at": utcnow()}, "$inc": {"version": 1}})
    if result.matched_count != 1:
        raise Conflict("评委会组成人员已被他人修改，请刷新后重试", code="conflict")
    return await roster_of(committee)


async def members(committee: Committee) -> list[Expert]:
    roster = await roster_of(committee)
    if roster is None:
        return []
    library = {e.id: e for e in await service.library_of(committee.office_unit_id)}
    return [library[i] for i in roster.expert_ids if i in library]
