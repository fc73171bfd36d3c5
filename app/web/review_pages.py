"""The reviewing units' pages: 数据审核 (the queue), the dossier review page, and 数据上报.

Lists are read through the queue service with the current user and a dossier through `PageReadableDossier`, so the
services' scope decides what appears (another unit's dossier is a 404). Every action is a call of the JSON
API from the page: POST /api/dossiers/{id}/actions and POST /api/review/batch (preview, then confirm).
"""

from typing import Annotated, Any
from urllib.parse import urlsplit

from beanie import PydanticObjectId
from bson.errors import InvalidId
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.models import User
from app.catalog import batches
from app.dossiers.enums import ACTION_LABELS, STEP_ATTACHMENT_KINDS
from app.dossiers.enums import DossierStatus, status_label
from app.dossiers import identity, rules
from app.dossiers.identity import Purpose
from app.dossiers.models import Dossier
from app.dossiers.numbering import numbers
from app.errors import AppError
from app.routing import acceptance as acceptance_route
from app.personnel import service as personnel
from app.routing import machine, queues
from app.routing import service as routing
from app.committee import blind
from app.committee.calendar import china_today
from app.routing.machine import Action, Actor
from app.units import service as units_service
from app.web import queue_view as qv
from app.web import snapshot_view as sv
from app.web.deps import PageReadableDossier, PageUser
from app.web.dossier_pages import (DECLARATION_DICTIONARIES, _names, declaration_facts, readable_changes,
                                  status_view)
from app.accounts.enums import COMMITTEE_ROLES, NODE_ROLES, Role
from app.web.pages import render, require_role, safe_next
from app.web.section_forms import size_text

router = APIRouter(include_in_schema=False)

RETURN = qv.BatchAction("return", "退回", reason=True, danger=True)
REVIEW_TABS = (
    qv.Tab("pending", "待审核", "pending", actions=(qv.BatchAction("pass", "通过"), RETURN)),
    qv.Tab("sent_back", "被退回", "sent_back"),      # returned to this unit from above: correct, report again
    qv.Tab("passed", "通过未上报", "passed", actions=(qv.BatchAction("report", "上报"), RETURN)),
    qv.Tab("turned_down", "审核不通过", "turned_down"),
    qv.Tab("reported", "已上报", "reported"),
    qv.Tab("requests", "申请待处理", "requests"),     # 退回编辑申请 and 申请修改学历 waiting for this unit
)
# 初定/认定 granted by this 受理点 and not yet certified: issued from the tab (POST /api/acceptance/certificates).
TO_CERTIFY_TAB = qv.Tab("to_certify", "待发证", "to_certify", purpose=Purpose.certify)
ACCEPTANCE_TABS = (*REVIEW_TABS, TO_CERTIFY_TAB)
REPORT_TABS = (
    qv.Tab("passed", "未上报", "passed", actions=(qv.BatchAction("report", "数据上报"),)),
    qv.Tab("reported", "已上报", "reported"),
)
NOT_A_NODE = "数据审核与数据上报仅供单位、主管部门和人社部门的经办人使用"


async def _node_user(user: PageUser) -> User:
    require_role(user, NODE_ROLES, NOT_A_NODE)
    return user


NodeUser = Annotated[User, Depends(_node_user)]


async def _queue_page(request: Request, user: User, *, template: str, tabs: tuple[qv.Tab, ...], base: str,
                      **context: Any) -> HTMLResponse:
    queue = await qv.load(user, dict(request.query_params), tabs, base)
    unit_id = queue.filter.employer_unit_id
    unit_text = (await units_service.unit_names([unit_id])).get(unit_id) if unit_id else None
    return render(request, template, queue=queue, tabs=tabs, options=await qv.filter_options(user, queue.filter),
                  unit_text=unit_text, **context)


async def acceptance_units(user: User) -> list[PydanticObjectId]:
    """The user's node units that are a 受理点 (an HR bureau: 初定/认定 end there), in the user's order."""
    return [u for u in dict.fromkeys(await queues.node_units(user)) if await acceptance_route.is_acceptance_point(u)]


@router.get("/review", response_class=HTMLResponse)
async def review_queue_page(request: Request, user: NodeUser) -> Response:
    tabs = ACCEPTANCE_TABS if await acceptance_units(user) else REVIEW_TABS
    return await _queue_page(request, user, template="review_queue.html", tabs=tabs, base="/review",
                             heading="数据审核", today=china_today().isoformat(),
                             intro="审核下一级单位或申报人提交的申报材料：通过、退回修改，通过后在“数据上报”中上报。")


async def missing_paths(user: User, unit_id: PydanticObjectId | None) -> list[dict[str, str]]:
    """Series and levels of the passed dossiers whose unit has no active path: they cannot be reported."""
    groups = await queues.unreportable(user, unit_id)
    names = await qv.dictionaries()
    unit_names = await units_service.unit_names(g["unit"] for g in groups)
    return [{"unit": unit_names.get(g["unit"], ""), "count": g["count"],
             "series": names["series"].get(g["series"], g["series"]),
             "level": names["levels"].get(g["level"], g["level"])} for g in groups]


@router.get("/report", response_class=HTMLResponse)
async def report_page(request: Request, user: NodeUser) -> Response:
    unit_id = request.query_params.get("unit_id") or None
    try:
        wanted = PydanticObjectId(unit_id) if unit_id else None
    except (InvalidId, TypeError):
        wanted = None
    return await _queue_page(request, user, template="report.html", tabs=REPORT_TABS, base="/report",
                             heading="数据上报", missing=await missing_paths(user, wanted),
                             intro="将本单位审核通过的申报按已开通的上报路径上报至主管部门、人社部门或评委会。")


async def acting_for(user: User, dossier: Dossier) -> routing.Acting | None:
    try:
        return await routing.acting_as(user, dossier)
    except AppError:
        return None


def return_target(dossier: Dossier, acting: routing.Acting) -> tuple[str, bool]:
    """(where 退回 sends the dossier, whether that is the applicant: only then a correction deadline applies)."""
    if acting.kind == Actor.committee:
        return (dossier.route[-1].unit_name if dossier.route else "上报单位"), False
    if len(dossier.route) > 1:
        return dossier.route[-2].unit_name, False
    return f"申报人{dossier.applicant_name}", True


async def review_context(dossier: Dossier, user: User) -> dict[str, Any]:
    """What the review page shows: the latest snapshot, the trail, the flow and the actions open to the user."""
    snapshot = dossier.snapshots[-1] if dossier.snapshots else None
    source = snapshot or dossier
    acting = await acting_for(user, dossier)
    actions = []
    target, to_applicant = None, False
    if acting is not None:
        for action in machine.allowed_actions(dossier.status, acting.kind):
            rule = machine.decide(dossier.status, action, acting.kind)
            style = "btn-danger" if action in (Action.return_, Action.reject, Action.void) else (
                "" if action == Action.read else "btn-primary")
            actions.append({"action": str(action), "label": ACTION_LABELS[action],
                            "reason": rule.reason_required, "style": style})
        target, to_applicant = return_target(dossier, acting)
    names = await _names(*DECLARATION_DICTIONARIES)
    batch = await batches.stored(dossier.batch_id)
    # 初定/认定: the 受理点 decides in place of reporting (app.committee.acceptance)
    at_point = (acting is not None and acting.kind == Actor.node and batch.rules.route_end == "acceptance_point"
                and dossier.status in (DossierStatus.submitted, DossierStatus.passed, DossierStatus.approved)
                and await acceptance_route.is_acceptance_point(acting.unit_id))
    decides = at_point and dossier.status != DossierStatus.approved
    # ...and, once it granted, issues the certificate here (POST /api/acceptance/certificates, preview first)
    issues = at_point and dossier.status == DossierStatus.approved
    if decides:
        actions = [a for a in actions if a["action"] != str(Action.report)]
    return {
        "acceptance_decides": decides, "acceptance_issues": issues, "kind_label": batches.BATCH_KINDS.get(batch.kind, batch.kind),
        "dossier": dossier, "snapshot": snapshot, "batch": batch,
        "status_label": status_label(dossier.status, batch.kind),
        "status_info": status_view(dossier), "shown_id": identity.of_dossier(user, identity.Purpose.certify if issues else identity.Purpose.review, dossier),
        "facts": declaration_facts(source.declaration, names),
        "sections": await sv.sections_of(source, batch.rules.sections),
        "specialty_unlisted": source.declaration.specialty if source.declaration.specialty_unlisted else None,
        "declaration_files": sv.place_files(source, "declaration"),
        "commitment_files": sv.place_files(source, "commitment"), "photo": sv.photo_of(source),
        "file_numbers": numbers(source.sections, source.attachments),
        "trail": sv.trail_rows(dossier.trail, batch.kind), "flow": await routing.flow(dossier=dossier),
        "changes": await readable_changes(dossier), "acting": acting, "actions": actions,
        "return_target": target, "return_to_applicant": to_applicant, "today": china_today().isoformat(),
        "size_text": size_text,
        # the applicant's requests waiting for an answer, the reviewers' step files and the saved opinion
        "edit_request": dossier.pending_edit_request(),
        "education_requests": [r for r in dossier.education_requests if r.status == "pending"],
        "step_attachments": dossier.step_attachments, "step_kinds": STEP_ATTACHMENT_KINDS,
        "opinion_draft": dossier.opinion_drafts.get(str(acting.unit_id)) if acting else None,
        "vacancy": await personnel.vacancy_check(dossier, batch=batch),
        "flags": rules.flags(source, id_number=dossier.id_number, today=china_today()),
        "blind_review": await blind.view_for(user, dossier),     # 代表作送审: its readers only
    }


# Where "← 返回" leads when the page was not told (?back=): the list of the first role the user holds, so
# nobody is sent to a page of another role (a 403: the committee office to 数据审核).
HOME_LISTS = ((NODE_ROLES, "/review", "返回数据审核"), (COMMITTEE_ROLES, "/committee", "返回资格审查"),
              ((Role.expert,), "/expert", "返回评审表决"), ((Role.archivist,), "/archives", "返回档案导出"))


def back_link(request: Request, user: User) -> tuple[str, str]:
    """(where the back link goes, its text): the page named by ?back= (a same-site path), else the page the
    user came from on this site, else the user's own list, else the home page."""
    for candidate in (request.query_params.get("back"), _same_site_path(request)):
        if candidate and safe_next(candidate, "") and not candidate.startswith((request.url.path, "/login")):
            return candidate, "返回上一页"
    for roles, path, text in HOME_LISTS:
        if any(user.has_role(r) for r in roles):
            return path, text
    return "/", "返回首页"


def _same_site_path(request: Request) -> str | None:
    """The Referer's path and query when it is this site's own page."""
    referer = urlsplit(request.headers.get("referer") or "")
    if not referer.path or (referer.netloc and referer.netloc != request.url.netloc):
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


@router.get("/review/{dossier_id}", response_class=HTMLResponse)
async def review_dossier_page(request: Request, user: PageUser, dossier: PageReadableDossier) -> Response:
    if dossier.applicant_id == user.id:
        return RedirectResponse(f"/dossiers/{dossier.id}/track", status_code=303)
    back, back_text = back_link(request, user)
    return render(request, "review_dossier.html", back=back, back_text=back_text,
                  **await review_context(dossier, user))
