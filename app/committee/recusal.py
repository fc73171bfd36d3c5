"""Recusal (回避): which experts may not vote on a dossier. Pure; votes and the meeting view both use it."""

from beanie import PydanticObjectId

from app.accounts.enums import Role
from app.accounts.models import User
from app.dossiers.models import Dossier


def conflicted_units(expert: User, dossier: Dossier) -> list[PydanticObjectId]:
    """The expert's own units among the applicant's employer and the units on the dossier's route."""
    route = {dossier.declaration.employer_unit_id, *(node.unit_id for node in dossier.route)}
    return [u for u in expert.unit_ids_for(Role.expert) if u in route]


def recusals(members: list[User], dossier: Dossier, declared=()) -> set[PydanticObjectId]:
    """The applicant, experts bound to a unit on the route, and `declared`: the members the expert library's
    conflict rules found for this dossier (Meeting.recused)."""
    return {m.id for m in members if m.id == dossier.applicant_id or conflicted_units(m, dossier) or m.id in declared}
