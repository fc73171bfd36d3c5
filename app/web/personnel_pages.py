"""Personnel pages: a unit's people (import and export), a person with the appointment history, and the
post-structure figures for the unit and its supervisors (with the quota editor above the unit)."""

from beanie import PydanticObjectId
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import UNIT_READER_ROLES
from app.clock import CHINA, utcnow
from app.errors import NotFound
from app.personnel import service as personnel
from app.personnel.enums import POST_LEVEL_LABELS, POST_LEVELS, RECORD_STATUS_LABELS, RecordStatus
from app.personnel.schemas import RecordOut
from app.units import service as units_service
from app.web.deps import PageUser
from app.web.pages import render

router = APIRouter(include_in_schema=False)
LEVEL_OPTIONS = [(level.value, POST_LEVEL_LABELS[level]) for level in POST_LEVELS]


def _this_year() -> int:
    return utcnow().astimezone(CHINA).year


@router.get("/personnel", response_class=HTMLResponse)
async def people_page(request: Request, user: PageUser, unit_id: PydanticObjectId | None = Query(None, alias="unit"),
                      status: RecordStatus | None = None, q: str | None = Query(None, max_length=50),
                      page: int = Query(1, ge=1, le=10000)) -> Response:
    own = user.unit_ids_for(*UNIT_READER_ROLES)
    unit_id = unit_id or (own[0] if own else None)
    if unit_id is None:
        raise NotFound("没有可管理人员信息的单位", code="unit_not_found")
    unit = await personnel.own_unit(user, unit_id)
    total, records = await personnel.list_records(unit=unit, status=status, q=q, skip=(page - 1) * 50)
    return render(request, "personnel.html", unit=unit, total=total, page=page, q=q or "", status_filter=status,
                  records=[RecordOut.build(r) for r in records], statuses=RECORD_STATUS_LABELS)


@router.get("/personnel/{record_id}", response_class=HTMLResponse)
async def person_page(request: Request, user: PageUser, record_id: PydanticObjectId) -> Response:
    record = await personnel.get_record(user, record_id)
    return render(request, "person.html", record=RecordOut.build(record), level_options=LEVEL_OPTIONS,
                  statuses=RECORD_STATUS_LABELS)


@router.get("/post-ratios", response_class=HTMLResponse)
async def ratios_page(request: Request, user: PageUser, unit_id: PydanticObjectId | None = Query(None, alias="unit"),
                      year: int | None = Query(None, ge=2000, le=2100)) -> Response:
    year = year or _this_year()
    own = user.unit_ids_for(*UNIT_READER_ROLES)
    unit_id = unit_id or (own[0] if own else None)
    view = await personnel.ratio_view(unit=await units_service.get_readable_unit(user, unit_id), year=year) \
        if unit_id else None
    supervising = view is not None and await personnel.may_set_quota(user, view["unit"])
    return render(request, "post_ratios.html", view=view, year=year, supervising=supervising,
                  overview=await personnel.overview(actor=user, year=year), levels=LEVEL_OPTIONS)
