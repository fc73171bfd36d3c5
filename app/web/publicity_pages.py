"""公示: the units' side (本单位公示意见 for the applicant's unit, 下级单位公示审核 for the units above, then
汇总提交) and the committee office's view of every opinion with 结束公示 once the period is over.

Rows come from the publicity service with the current user (a unit sees the dossiers whose route includes it,
an office those of the committees it runs); every step is a call of the /api/publicity endpoints.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.accounts.enums import COMMITTEE_ROLES, NODE_ROLES
from app.accounts.models import User
from app.committee import committees, publicity, schemas
from app.committee.calendar import china_today
from app.web import choices
from app.web.deps import PageUser
from app.web.pages import render, require_role
from app.web.queue_view import query_params

router = APIRouter(include_in_schema=False)


def sort_unit_rows(rows: list[schemas.PublicityRow], unit_name: str) -> dict[str, list]:
    """The unit's rows by what it has to do: give opinions (the applicant's unit), review opinions from below,
    or nothing now (waiting for units below, or already submitted upward)."""
    groups: dict[str, list] = {"opinion": [], "review": [], "other": []}
    for row in rows:
        if row.my_turn and row.stage == 0:
            groups["opinion"].append(row)
        elif row.my_turn:
            reviewed = any(r["unit_name"] == unit_name and r["result"] == "pass"
                           for r in (row.opinion or {}).get("reviews", []))
            groups["review"].append((row, reviewed))
        else:
            groups["other"].append(row)
    return groups


def _filter(request: Request) -> schemas.PublicityFilter:
    """The search form's values; a hand-edited bad value is dropped rather than failing the page."""
    given = query_params(dict(request.query_params), tuple(schemas.PublicityFilter.model_fields))
    try:
        return schemas.PublicityFilter(**given)
    except ValidationError as exc:
        bad = {error["loc"][0] for error in exc.errors()}
        return schemas.PublicityFilter(**{k: v for k, v in given.items() if k not in bad})


async def committee_rows(user: User, f: schemas.PublicityFilter) -> list[dict]:
    """Per committee the user runs: its publicity rows and whether each may be closed now."""
    today = china_today()
    found = []
    for committee in await committees.listing(user):
        rows = await publicity.listing(actor=user, unit_id=None, committee_code=committee.code, f=f)
        found.append({"committee": committee, "rows": [
            (row, row.status == "publicity" and row.consolidated and today > row.ends_on) for row in rows]})
    return found


@router.get("/publicity", response_class=HTMLResponse)
async def publicity_page(request: Request, user: PageUser, unit_id: str | None = None) -> Response:
    require_role(user, NODE_ROLES + COMMITTEE_ROLES, "公示意见仅供单位经办人和评委会办事机构使用")
    acting = await choices.acting_unit(user, unit_id)
    unit = acting.unit
    f = _filter(request)
    groups = None
    if unit:
        groups = sort_unit_rows(await publicity.listing(actor=user, unit_id=unit, committee_code=None, f=f),
                                acting.name or "")
    offices = await committee_rows(user, f) if any(user.has_role(r) for r in COMMITTEE_ROLES) else []
    return render(request, "publicity.html", unit=unit, unit_name=acting.name, my_units=acting.options,
                  groups=groups, offices=offices,
                  titles=dict(await choices.options("titles")), levels=await choices.options("levels"), filter=f,
                  today=china_today())
