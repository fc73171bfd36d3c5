"""Who may read a dossier, as data: the one place the read scope is decided.

Each dossier (and its row) carries `reader_ids`, the keys of everyone who may read it besides the
system administrator, kept by the one write path (app.dossiers.writes) as it moves along its route.
A user holds a short list of keys (`reader_keys`); a list reads `reader_ids: key`, one indexed
equality per key, and a single dossier is read by _id and checked with `may_read`.

Keys (plain ObjectIds where they name a document, prefixed strings otherwise):
- the applicant's user id: the applicant reads their own dossier in every state;
- a unit id: the readers of that unit (UNIT_READER_ROLES) read what reached it or a unit below it —
  the dossier stores every unit of `route_unit_ids` and every unit above each of them, unless it is a
  draft again (withdrawn) or deleted for the year (PRIVATE), which only its applicant reads; while a
  申请修改学历 is pending, its employer unit (and those above) read it to answer;
- "region:<prefix>": an HR bureau's handlers read what reached a unit of their region — the dossier
  stores every prefix of each route unit's region code, the user the prefix of the bureau's region;
- "committee:<code>": the office of a committee reads what was reported to it (`reported_to`);
- "entry:<unit id>": the handlers of the unit that entered a dossier for its staff member (录入申报, `entered_by`)
  read it in every state but deleted, draft included, and edit it for the applicant where the applicant may
  (`may_edit`);
- what a domain above adds with `add_readers` (the committee: "meeting:<id>" for a meeting's experts).

A unit's place in the tree or its region feeds its dossiers' keys: `refresh_for_units` rewrites them
when either changes."""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from beanie import PydanticObjectId

from app.accounts.enums import NODE_ROLES, UNIT_READER_ROLES, Role
from app.accounts.models import User
from app.catalog.committees import committee_codes
from app.dossiers.enums import DossierStatus
from app.dossiers.models import Dossier
from app.units import service as units_service
from app.units.enums import HR_BUREAU_CATEGORIES
from app.units.models import Unit

Key = PydanticObjectId | str
# The dossier fields the keys are computed from: a write touching none of them keeps its readers.
FIELDS = {"applicant_id", "status", "route_unit_ids", "reported_to", "education_requests", "entered_by"}
# States only the applicant reads (a withdrawn draft, a dossier deleted for the year): no unit's key.
PRIVATE = frozenset({DossierStatus.draft, DossierStatus.abandoned})


def _units_reading(doc: dict) -> list:
    """The units whose readers (and those above them) read this dossier: its route units unless it is private,
    and the employer unit while a 申请修改学历 waits for it (it answers from the dossier)."""
    units = [] if doc.get("status", DossierStatus.draft) in PRIVATE else list(doc.get("route_unit_ids") or [])
    units += [r["unit_id"] for r in doc.get("education_requests") or [] if r.get("status") == "pending"]
    return list(dict.fromkeys(units))


@dataclass(frozen=True)
class Readers:
    """Readers a domain above adds: the keys a dossier gives (from its own fields) and a user holds."""
    fields: frozenset[str]
    of_dossier: Callable[[dict], Iterable[Key]]
    of_user: Callable[[User], Awaitable[list[Key]]]


_readers_above: list[Readers] = []


def add_readers(readers: Readers) -> None:
    """Lets a domain above add who else reads a dossier, so the one scope rule stays here and dossiers
    import nothing above them."""
    if readers not in _readers_above:
        _readers_above.append(readers)
        FIELDS.update(readers.fields)


def region_keys(region_code: str | None) -> list[str]:
    """Every prefix of a region code: a bureau's region (units_service.region_prefix) is one of them."""
    code = region_code or ""
    return [f"region:{code[:n]}" for n in range(1, len(code) + 1)]


def reader_ids(doc: dict, units: dict[Any, dict]) -> list[Key]:
    """The keys of a raw dossier document; `units` holds its route units' `ancestors` and `region_code`."""
    if doc.get("status") == DossierStatus.abandoned:     # deleted for the year: its applicant's record alone
        return [doc["applicant_id"]]
    keys: list[Key] = [doc["applicant_id"]]
    for unit_id in _units_reading(doc):
        unit = units.get(unit_id) or {}
        keys += [unit_id, *(unit.get("ancestors") or []), *region_keys(unit.get("region_code"))]
    keys += [f"committee:{code}" for code in doc.get("reported_to") or []]
    if entered := doc.get("entered_by"):
        keys.append(f"entry:{entered['unit_id']}")
    for readers in _readers_above:
        keys += readers.of_dossier(doc)
    return list(dict.fromkeys(keys))


def kept_by(touched: set[str], doc: dict) -> bool:
    """Whether a write of these top-level fields, which left `doc`, cannot have changed its keys: it
    touched none of what they derive from, or only the status between two states that are not drafts
    (its route units are among its keys already). Spares most transitions the read of the units."""
    touched = touched & FIELDS
    if not touched:
        return True
    return (touched == {"status"} and doc.get("status") not in PRIVATE
            and set(doc.get("route_unit_ids") or ()) <= set(doc.get("reader_ids") or ()))


async def route_units(docs: Iterable[dict], known: Iterable[Unit] = ()) -> dict[Any, dict]:
    """The route units of these dossiers, as `reader_ids` wants them: those `known` (read by the writer
    already) as they are, the others in one read by _id."""
    units = {u.id: {"ancestors": u.ancestors, "region_code": u.region_code} for u in known}
    wanted = list({u for doc in docs for u in _units_reading(doc)} - units.keys())
    if wanted:
        found = Unit.get_pymongo_collection().find({"_id": {"$in": wanted}}, {"ancestors": 1, "region_code": 1})
        units.update({u["_id"]: u async for u in found})
    return units


async def readers_of(doc: dict, known: Iterable[Unit] = ()) -> list[Key]:
    return reader_ids(doc, await route_units([doc], known))


async def reader_keys(user: User) -> list[Key] | None:
    """The keys this user reads with; None means every dossier (the system administrator)."""
    if user.has_role(Role.sysadmin):
        return None
    keys: list[Key] = [user.id, *user.unit_ids_for(*UNIT_READER_ROLES)]
    keys += [f"entry:{unit_id}" for unit_id in entry_units(user)]
    if hr_units := user.unit_ids_for(Role.hr_handler):
        async for bureau in Unit.get_pymongo_collection().find({"_id": {"$in": hr_units}},
                                                               {"category": 1, "region_code": 1}):
            if bureau.get("category") in HR_BUREAU_CATEGORIES:
                keys.append(f"region:{units_service.region_prefix(bureau['region_code'])}")
    keys += [f"committee:{code}" for code in await committee_codes(user)]
    for readers in _readers_above:
        keys += await readers.of_user(user)
    return list(dict.fromkeys(keys))


def entry_units(user: User) -> list[PydanticObjectId]:
    """The units whose staff this user enters dossiers for (录入申报): those where they hold a handler role."""
    return user.unit_ids_for(*NODE_ROLES)


def may_edit(user: User, dossier: Dossier) -> bool:
    """Who writes a dossier's content (declaration, sections, attachments, submit, delete): its applicant, and
    the handlers of the unit that entered it for them. Whether its state allows it is the writer's rule."""
    if dossier.applicant_id == user.id:
        return True
    return dossier.entered_by is not None and dossier.entered_by.unit_id in entry_units(user)


def may_read(keys: list[Key] | None, doc: dict | Any) -> bool:
    """Whether a dossier (raw document, row or Dossier) is within these keys: the one check of a read by id."""
    held = doc.get("reader_ids") if isinstance(doc, dict) else doc.reader_ids
    return keys is None or not set(keys).isdisjoint(held or ())


async def refresh_for_units(unit_ids: list[PydanticObjectId]) -> int:
    """Rewrites the keys of every dossier these units read (their place or region changed): those whose rows carry
    the unit's own key, one indexed equality each on the rows' reader_ids (every unit whose readers read a dossier
    is among its keys, `_units_reading`; a private one's keys name no unit). The dossiers carry no index for it."""
    from app.dossiers import writes

    done = 0
    seen: set = set()
    for unit_id in unit_ids:
        ids = [i for i in await read_by_unit(unit_id) if i not in seen]
        seen.update(ids)
        for start in range(0, len(ids), 200):
            done += await writes.refresh(*ids[start:start + 200])
    return done


async def read_by_unit(unit_id: PydanticObjectId) -> list:
    """The ids of the dossiers whose rows carry this unit's key."""
    from app.dossiers.rows import DossierRow

    return [r["_id"] async for r in DossierRow.get_pymongo_collection().find({"reader_ids": unit_id}, {"_id": 1})]


async def backfill(batch: int = 200) -> int:
    """Dossiers stored before `reader_ids` existed get them (and their rows), a batch at a time. Their ids
    come from one pass over the dossiers (no index on reader_ids: nothing else reads the dossiers by it), so
    this runs once, as a migration (app.migrations)."""
    from app.dossiers import writes

    ids = [d["_id"] async for d in Dossier.get_pymongo_collection().find({"reader_ids": None}, {"_id": 1})]
    for start in range(0, len(ids), batch):
        await writes.refresh(*ids[start:start + batch])
    return len(ids)


units_service.on_units_moved(refresh_for_units)
