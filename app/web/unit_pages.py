"""Unit pages: a unit's administration, the HR bureau's permission review and the unit tree.

They read through the units services with the current user, so the services' scope decides what is shown.
"""

from beanie import PydanticObjectId
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import ROLE_LABELS, Role
from app.accounts.schemas import UserOut
from app.config import get_settings
from app.errors import Forbidden
from app.units import service as units_service
from app.units import invitations, staff
from app.units.enums import (CREATABLE_CHILDREN, UNIT_CATEGORY_LABELS, UNIT_STATUS_LABELS, ApplicationStatus,
                             grantable_roles)
from app.units.schemas import InvitationOut
from app.web import choices
from app.web.deps import PageUser
from app.web.pages import render

router = APIRouter(include_in_schema=False)

REVIEW_TABS = ((ApplicationStatus.pending, "待审核"), (ApplicationStatus.approved, "已通过"),
               (ApplicationStatus.rejected, "未通过"))


@router.get("/unit", response_class=HTMLResponse)
async def unit_page(request: Request, user: PageUser,
                    unit_id: PydanticObjectId | None = Query(None, alias="id")) -> Response:
    administered = user.unit_ids_for(Role.unit_admin)
    unit_id = unit_id or (administered[0] if administered else None)
    if unit_id is None:
        raise Forbidden("仅单位管理员可访问单位管理页面", code="not_unit_admin")
    unit = await units_service.get_administered_unit(user, unit_id)
    members = await staff.list_staff(unit=unit)
    names = await units_service.unit_names([unit.parent_id, *administered,
                                            *(g.unit_id for m in members for g in m.roles)])
    applications = await units_service.list_applications(actor=user)
    roles = sorted(grantable_roles(unit.category), key=list(Role).index)
    return render(
        request, "unit.html", unit=unit, parent_name=names.get(unit.parent_id),
        other_units=[(i, names.get(i, str(i))) for i in administered if i != unit.id],
        application=next((a for a in applications if a.unit_id == unit.id), None),
        staff=[UserOut.build(m, unit_names=names) for m in members],
        invitations=[InvitationOut.build(i, names) for i in await invitations.list_for_unit(unit=unit)],
        invitation_days=get_settings().staff_invitation_days,
        role_options=[(r.value, ROLE_LABELS[r]) for r in roles],
        child_categories=[(c.value, UNIT_CATEGORY_LABELS[c])
                          for c in sorted(CREATABLE_CHILDREN.get(unit.category, ()))],
        natures=await choices.options("unit_natures"), industries=await choices.options("industries"),
        id_types=await choices.options("id_types"), regions=await choices.region_levels(unit.region_code),
        child_regions=await choices.region_levels(None), region_names=await choices.region_names(),
        category_label=UNIT_CATEGORY_LABELS[unit.category], status_label=UNIT_STATUS_LABELS[unit.status],
    )


@router.get("/review/permissions", response_class=HTMLResponse)
async def review_page(request: Request, user: PageUser,
                      status: ApplicationStatus = ApplicationStatus.pending) -> Response:
    applications = await units_service.list_applications(actor=user, status=status, for_review=True)
    return render(request, "review_permissions.html", applications=applications, current=status, tabs=REVIEW_TABS,
                  region_names=await choices.region_names(), category_labels=UNIT_CATEGORY_LABELS)


@router.get("/admin/units", response_class=HTMLResponse)
async def tree_page(request: Request, user: PageUser) -> Response:
    return render(request, "admin_units.html", roots=await units_service.tree(actor=user),
                  region_names=await choices.region_names(), may_administer=user.has_role(Role.sysadmin),
                  status_by_label={label: status.value for status, label in UNIT_STATUS_LABELS.items()})
