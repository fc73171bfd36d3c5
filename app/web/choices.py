"""Dictionary choices for server-rendered forms, so a page shows its options before any script runs."""

from dataclasses import dataclass

from beanie import PydanticObjectId
from bson.errors import InvalidId

from app.accounts.models import User
from app.catalog import service as catalog
from app.accounts.enums import NODE_ROLES
from app.units import service as units_service


@dataclass
class Level:
    """One select of the region cascade: its options and the chosen code."""
    options: list[tuple[str, str]]
    selected: str | None


@dataclass
class ActingUnit:
    """Which of the user's units a unit page acts for, and the choice among them."""
    unit: PydanticObjectId | None
    name: str | None
    options: list[tuple[str, str]]


async def acting_unit(user: User, wanted: str | None) -> ActingUnit:
    """The unit asked for if the user acts for it, else the first one the user acts for."""
    mine = list(dict.fromkeys(user.unit_ids_for(*NODE_ROLES)))
    try:
        asked = PydanticObjectId(wanted) if wanted else None
    except (InvalidId, TypeError):
        asked = None
    unit = asked if asked in mine else (mine[0] if mine else None)
    names = await units_service.unit_names(mine)
    return ActingUnit(unit=unit, name=names.get(unit) if unit else None,
                      options=[(str(u), names.get(u, str(u))) for u in mine])


async def options(dictionary: str) -> list[tuple[str, str]]:
    return [(e.code, e.name) for e in await catalog.entries(dictionary)]


async def region_levels(code: str | None) -> list[Level]:
    """The selects from the top region down to `code` (only the top one when nothing is chosen yet)."""
    everything = await catalog.entries("regions")
    chain = list(reversed(await catalog.region_chain(code))) if code else []
    levels, parent = [], None
    for chosen in chain + [None]:
        children = [(e.code, e.name) for e in everything if e.parent == parent]
        if not children:
            break
        levels.append(Level(children, chosen))
        if chosen is None:
            break
        parent = chosen
    return levels


async def region_names() -> dict[str, str]:
    """Code → full name below the province, e.g. 370102 → 济南市历下区."""
    entries = {e.code: e for e in await catalog.entries("regions")}

    def full(code: str) -> str:
        entry = entries[code]
        if entry.parent is None or entry.parent not in entries:
            return entry.name
        parent = entries[entry.parent]
        return (full(parent.code) if parent.parent else "") + entry.name

    return {code: full(code) for code in entries}
