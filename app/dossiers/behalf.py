"""Who entered what (录入申报): a write a unit's handler makes on an applicant's behalf says so in the trail.

The applicant's own edits leave no trail entry (their dossier is theirs); a handler's edit of it leaves one,
written with the change through the one write path, so the record cannot miss an edit. The actor is the
handler, in their unit, on behalf of the applicant (`detail.on_behalf_of`)."""

from typing import Any

from app.accounts.enums import Role
from app.accounts.models import User
from app.dossiers.enums import Action
from app.dossiers.models import Dossier, TrailEntry


def for_applicant(actor: User, dossier: Dossier) -> bool:
    """Whether the actor writes for someone else: the dossier's applicant is not the actor."""
    return dossier.applicant_id != actor.id


def stamp(actor: User, dossier: Dossier, entry: TrailEntry) -> TrailEntry:
    """An applicant's step (确认申报, 删除流程) taken by the entering unit's handler: recorded as theirs."""
    if not for_applicant(actor, dossier) or dossier.entered_by is None:
        return entry
    return entry.model_copy(update={
        "role": Role.unit_handler, "unit_id": entry.unit_id or dossier.entered_by.unit_id,
        "unit_name": entry.unit_name or dossier.entered_by.unit_name,
        "detail": {**entry.detail, "on_behalf_of": dossier.applicant_name,
                   "entry_unit_name": dossier.entered_by.unit_name}})


def entered(actor: User, dossier: Dossier, note: str, **detail: Any) -> TrailEntry | None:
    """The trail entry of a content change (a section, the declaration, an attachment) the handler made;
    None when the applicant made it."""
    if not for_applicant(actor, dossier) or dossier.entered_by is None:
        return None
    return stamp(actor, dossier, TrailEntry(action=Action.enter, actor_id=actor.id, actor_name=actor.name,
                                            role=Role.unit_handler, from_status=dossier.status,
                                            to_status=dossier.status, detail={"note": note, **detail}))
