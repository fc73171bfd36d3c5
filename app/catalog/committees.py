"""Committees as reference data: the record kept in step with the committees dictionary, and who runs
which. It sits here, below dossiers and routing, because a path may end at a committee and a dossier's
read scope names the committees it was reported to; the committee's work itself is app.committee."""

from app.accounts.enums import COMMITTEE_ROLES, TIER_ROLE
from app.accounts.models import User
from app.catalog import service as catalog
from app.catalog.models import Committee

_DICTIONARY_OWNED = ("name", "series", "levels", "region_code", "tier")


def runs_committee(user: User, committee: Committee) -> bool:
    return committee.office_unit_id is not None and user.has_role(TIER_ROLE[committee.tier],
                                                                  committee.office_unit_id)


async def committee_codes(user: User) -> list[str]:
    """The committees whose office this user handles: the dossiers reported to them are in the user's scope."""
    offices = user.unit_ids_for(*COMMITTEE_ROLES)
    if not offices:
        return []
    committees = await Committee.find({"office_unit_id": {"$in": offices}}).to_list()
    return [c.code for c in committees if runs_committee(user, c)]


async def with_office() -> list[Committee]:
    """The committees an office has been set for, by code: the ones a unit may apply a path to."""
    return await Committee.find({"office_unit_id": {"$ne": None}}).sort("code").to_list()


async def names(codes) -> dict[str, str]:
    """Committee code → name for the codes given (a page naming the committees of its rows)."""
    return {c.code: c.name for c in await Committee.find({"code": {"$in": list(set(codes))}}).to_list()}


async def sync_committees() -> int:
    """Creates or updates a Committee per dictionary entry; office and rules already set are kept."""
    entries = await catalog.entries("committees")
    collection = Committee.get_pymongo_collection()
    for entry in entries:
        committee = Committee(code=entry.code, name=entry.name, series=entry.extra.get("series", []),
                              levels=entry.extra.get("levels", []), region_code=entry.extra.get("region_code", ""),
                              tier=entry.extra.get("tier", "intermediate"))
        document = committee.model_dump(exclude={"id", "revision_id"})
        owned = {k: document.pop(k) for k in _DICTIONARY_OWNED}
        document.pop("code")
        await collection.update_one({"code": entry.code}, {"$set": owned, "$setOnInsert": document}, upsert=True)
    return len(entries)
