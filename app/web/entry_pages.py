"""录入申报 page: a unit's handler chooses a staff member (or gives an ID number and name) and a batch, fills the
declaration and goes on to the ordinary editor pages, which serve the unit's handler for a dossier it entered
(app.dossiers.scope.may_edit decides); below, the dossiers the unit entered."""

from types import SimpleNamespace

from beanie import PydanticObjectId
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import Role
from app.catalog import batches
from app.clock import utcnow
from app.dossiers import entry, scope
from app.errors import Forbidden
from app.units import service as units_service
from app.units import staff
from app.web import choices
from app.web.deps import PageUser
from app.web.dossier_pages import declaration_context, status_view
from app.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/unit/entries", response_class=HTMLResponse)
async def entries_page(request: Request, user: PageUser, unit_id: PydanticObjectId | None = Query(None, alias="unit"),
                       batch_id: PydanticObjectId | None = Query(None, alias="batch")) -> Response:
    units = scope.entry_units(user)
    if not units:
        raise Forbidden("仅单位经办人可以录入申报", code="wrong_role")
    unit = await entry.entry_unit(user, unit_id or units[0])
    names = await units_service.unit_names(units)
    now = utcnow()
    open_batches = [b for b in await batches.listing(actor=user) if b.is_open(now)]
    context: dict = {}
    batch = next((b for b in open_batches if b.id == batch_id), None)
    if batch is not None:
        context = await declaration_context(batch, None)
        context["decl"] = SimpleNamespace(     # the unit is the employer: shown chosen, the rest to fill
            title=None, specialty=None, mode="normal", exceptional_basis=None, employer_unit_id=unit.id,
            employer_unit_name=unit.name, is_actual_unit=True, actual_unit_name=None, agency_unit_name=None,
            entrusted_review=False, unit_rank=None, is_civil_servant=False)
    members = [m for m in await staff.list_staff(unit=unit) if m.has_role(Role.applicant)]
    entered = await entry.listing(actor=user, unit_id=unit.id)
    return render(request, "unit_entries.html", **context, unit=unit, entry_batch=batch,
                  other_units=[(i, names.get(i, str(i))) for i in units if i != unit.id],
                  open_batches=open_batches, member_options=[(str(m.id), f"{m.name}（{m.login}）") for m in members], id_types=await choices.options("id_types"),
                  entered=entered, status_view=status_view,
                  batch_names=await batches.names([d.batch_id for d in entered]))
