"""Which dossiers an export covers: the caller's read scope AND the review queue's filters, and the
record each export leaves behind."""

from typing import Any

from beanie import PydanticObjectId

from app.accounts.audit import ClientInfo
from app.accounts.enums import ARCHIVE_ROLES
from app.accounts.models import User
from app.dossiers import service as dossiers
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


async def selection_query(user: User, f: ExportFilter, *, extra: dict | None = None) -> dict:
    """The Mongo filter of an export: never wider than what the user may read."""
    if f.view is not None:
        query = await queues.build_query(user, queues.QueueFilter(**f.model_dump(exclude_none=True)))
    else:
        query = {**f.narrowing(), **({"status": f.status} if f.status is not None else {})}
    clauses = [query, *([extra] if extra else [])]
    scope = await dossiers.readable_query(user)
    if scope is not None:
        clauses.append(scope)
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def may_see_id_numbers(user: User) -> bool:
    return any(user.has_role(role) for role in ARCHIVE_ROLES)


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


async def selected(query: dict):
    """The dossiers of a bundle or archive, in folder order; refused when empty or too many to plan."""
    count = await Dossier.find(query).count()
    if count == 0:
        raise NotFound("没有符合条件、可供下载的申报材料", code="nothing_selected")
    if count > MAX_SELECTION:
        raise ValidationFailed(f"一次最多下载 {MAX_SELECTION} 份申报材料（当前 {count} 份），请缩小筛选范围",
                               code="selection_too_large")
    return Dossier.find(query).sort("declaration.employer_unit_name", "applicant_name", "_id")
