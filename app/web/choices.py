"""Dictionary choices for server-rendered forms, so a page shows its options before any script runs."""

from dataclasses import dataclass

from app.catalog import service as catalog


@dataclass
class Level:
    """One select of the region cascade: its options and the chosen code."""
    options: list[tuple[str, str]]
    selected: str | None


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
