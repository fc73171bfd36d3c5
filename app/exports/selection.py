"""Which dossiers an export covers: the caller's read scope AND the review queue's filters, and the
record each export leaves behind."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from beanie import PydanticObjectId

from app.accounts.audit import ClientInfo
from app.accounts.models import User
from app.dossiers import rows, scope
from app.dossiers.enums import DossierStatus
from app.dossiers import access
from app.dossiers.models import Dossier
from app.errors import NotFound, ValidationFailed
from app.exports.models import ExportEvent
from app.routing import queues

# A bundle or an archive plans every file before the first byte (to know its length): keep selections bounded.
MAX_SELECTION = 2000
COMPLETED = (DossierStatus.certified, DossierStatus.not_approved, DossierStatus.voided)


class ExportFilter(queues.DossierFilter):
    """The review queue's filters; without `view` the whole read scope is filtered (archivists and
    administrators hold no queue of their own)."""

    def described(self) -> dict[str, Any]:
        return {k: str(v) for k, v in self.model_dump(exclude_none=True).items()}


@dataclass
class RowSelection:
    """What an export covers, read from the dossiers' rows: `filters`, one indexed equality each (a queue
    key, or one of the user's read keys) with the filter bar's fields; then, row by row, the user's read
    scope (never wider than what the user may read), and the statuses and ids asked for, if any."""
    filters: list[dict]
    keys: list | None
    statuses: frozenset[str] | None = None
    ids: frozenset | None = None

    def keeps(self, row: dict) -> bool:
        return (scope.may_read(self.keys, row) and (self.statuses is None or row.get("status") in self.statuses)
                and (self.ids is None or row["_id"] in self.ids)
                and (self.ids is None or any(_matches(row, f) for f in self.filters)))

    async def rows(self, projection: dict, *, limit: int = 0) -> AsyncIterator[dict]:
        """The selected rows in folder order (unit, name), with `projection`'s fields."""
        filters = [{"_id": {"$in": list(self.ids)}}] if self.ids is not None else self.filters
        wanted = {**projection, "reader_ids": 1, "status": 1}
        if self.ids is not None:
            wanted.update({path: 1 for f in self.filters for path in f})
        taken = 0
        async for row in rows.select(filters, sort=rows.FOLDER_ORDER, projection=wanted):
            if self.keeps(row):
                yield row
                taken += 1
                if taken == limit:
                    return


def _matches(row: dict, f: dict) -> bool:
    """A row against one selection filter (equalities, a key in a list, a name's prefix range), for a
    selection by ids: those are read by _id and the filter is applied here."""
    for path, wanted in f.items():
        value = rows._get(row, path)
        if isinstance(wanted, dict):
            if not (isinstance(value, str) and wanted["$gte"] <= value < wanted["$lt"]):
                return False
        elif not (wanted in value if isinstance(value, list) else value == wanted):
            return False
    return True


async def selection(user: User, f: ExportFilter, *, statuses: tuple[str, ...] | None = None,
                    ids: list[PydanticObjectId] | None = None) -> RowSelection:
    """The rows of an export: a queue view's when one is given, else the user's whole read scope."""
    keys = await scope.reader_keys(user)
    if f.view is not None:
        filters = await queues.build_filters(user, queues.QueueFilter(**f.model_dump(exclude_none=True)))
    else:
        narrowing = {**f.narrowing(), **({"status": f.status} if f.status is not None else {})}
        filters = [narrowing] if keys is None else [{"reader_ids": key, **narrowing} for key in keys]
    return RowSelection(filters=filters, keys=keys, statuses=frozenset(statuses) if statuses else None,
                        ids=frozenset(ids) if ids is not None else None)


async def archive_selection(user: User, batch_id: PydanticObjectId) -> RowSelection:
    """A batch's archive export (GET /api/archives.zip): its completed dossiers within the user's read scope."""
    return await selection(user, ExportFilter(batch_id=batch_id), statuses=tuple(str(s) for s in COMPLETED))


async def archivable(user: User, batch_id: PydanticObjectId) -> int:
    """How many dossiers that export would package (counted up to one past its limit): the archives page
    disables the export of a batch with none, the archivist's home lists the batches with some."""
    chosen = await archive_selection(user, batch_id)
    return len([r async for r in chosen.rows({"_id": 1}, limit=MAX_SELECTION + 1)])


async def record(kind: str, *, user: User | None, client: ClientInfo | None, selection: dict[str, Any],
                 count: int, columns: list[str] | None = None, revealed: bool = False,
                 dossier_ids: list[PydanticObjectId] | None = None) -> None:
    """One ExportEvent per export; for bundles and archives also who took each dossier's files."""
    ip = client.ip if client else None
    await ExportEvent(kind=kind, user_id=user.id if user else None, user_name=user.name if user else "命令行",
                      selection=selection, columns=columns or [], rows=count, revealed_ids=revealed, ip=ip).insert()
    for dossier_id in (dossier_ids or []) if user is not None else []:
        access.record(dossier_id=dossier_id, user_id=user.id, user_name=user.name, action="export", detail=kind,
                      ip=ip)


async def selected(chosen: RowSelection) -> AsyncIterator[Dossier]:
    """The dossiers of a bundle or archive, in folder order; refused when empty or too many to plan."""
    ids = [r["_id"] async for r in chosen.rows({"_id": 1}, limit=MAX_SELECTION + 1)]
    if not ids:
        raise NotFound("没有符合条件、可供下载的申报材料", code="nothing_selected")
    if len(ids) > MAX_SELECTION:
        raise ValidationFailed(f"一次最多下载 {MAX_SELECTION} 份申报材料（超过 {MAX_SELECTION} 份），请缩小筛选范围",
                               code="selection_too_large")
    return _by_id(ids)


async def _by_id(ids: list[PydanticObjectId]) -> AsyncIterator[Dossier]:
    """Whole dossiers read a few at a time by id (a bundle holds one at a time), in the order given."""
    for start in range(0, len(ids), 20):
        part = ids[start:start + 20]
        found = {d.id: d for d in await Dossier.find({"_id": {"$in": part}}).to_list()}
        for dossier_id in part:
            if dossier_id in found:
                yield found[dossier_id]
