"""The committee office's queues: 资格审查 (accept, return or reject what was reported to the committee), 评审结果
(publish the approved into publicity) and 证书 (issue certificates to the publicized, list what was issued).

They reuse the review queue with the "committee" view, which the queue service limits to the committees the
user runs; each dossier opens on the same review page, where the committee's actions are offered.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import COMMITTEE_ROLES
from app.accounts.models import User
from app.committee import committees
from app.committee.calendar import china_today
from app.units import service as units_service
from app.dossiers.identity import Purpose
from app.web import queue_view as qv
from app.web.deps import PageUser
from app.web.pages import render, require_role

router = APIRouter(include_in_schema=False)

NOT_AN_OFFICE = "此页面仅供评委会办事机构经办人使用"
RETURN = qv.BatchAction("return", "退回", reason=True, danger=True)
REJECT = qv.BatchAction("reject", "拒绝", reason=True, danger=True)
QUALIFICATION_TABS = (
    qv.Tab("at_committee", "待受理", "committee", "at_committee",
           actions=(qv.BatchAction("accept", "受理（资格审查通过）"), RETURN, REJECT)),
    qv.Tab("accepted", "已受理", "committee", "accepted", actions=(RETURN,)),
    qv.Tab("all", "全部", "committee"),
)
RESULT_TABS = (
    qv.Tab("approved", "评审通过", "committee", "approved"),
    qv.Tab("not_approved", "评审未通过", "committee", "not_approved"),
    qv.Tab("publicity", "公示中", "committee", "publicity"),
    qv.Tab("publicized", "公示结束", "committee", "publicized"),
)
CERTIFICATE_TABS = (
    qv.Tab("publicized", "待发证", "committee", "publicized", purpose=Purpose.certify),
    qv.Tab("certified", "已发证", "committee", "certified"),
)


async def office_user(user: PageUser) -> User:
    require_role(user, COMMITTEE_ROLES, NOT_AN_OFFICE)
    return user


OfficeUser = Annotated[User, Depends(office_user)]


async def _page(request: Request, user: User, tabs: tuple[qv.Tab, ...], base: str, **context) -> HTMLResponse:
    queue = await qv.load(user, dict(request.query_params), tabs, base)
    unit_id = queue.filter.employer_unit_id
    unit_text = (await units_service.unit_names([unit_id])).get(unit_id) if unit_id else None
    run = await committees.listing(user)
    return render(request, "committee_queue.html", queue=queue, tabs=tabs, options=await qv.filter_options(user, queue.filter),
                  unit_text=unit_text, committees=run, today=china_today().isoformat(), **context)


@router.get("/committee", response_class=HTMLResponse)
async def qualification_page(request: Request, user: OfficeUser) -> Response:
    return await _page(request, user, QUALIFICATION_TABS, "/committee", heading="资格审查", mode="review",
                       intro="审查各地上报至本评委会的申报材料：受理（资格审查通过）、退回上报单位或拒绝。已受理的申报可安排评审会。")


@router.get("/committee/results", response_class=HTMLResponse)
async def results_page(request: Request, user: OfficeUser) -> Response:
    return await _page(request, user, RESULT_TABS, "/committee/results", heading="评审结果", mode="publish",
                       intro="评审会结束后，评审通过的申报发布结果进入公示；公示意见与结束公示见“公示”页面。")


@router.get("/committee/certificates", response_class=HTMLResponse)
async def certificates_page(request: Request, user: OfficeUser) -> Response:
    bodies = {await committees.issuing_body(c) for c in await committees.listing(user)} - {""}
    return await _page(request, user, CERTIFICATE_TABS, "/committee/certificates", heading="证书", mode="certify",
                       issuing_body_hint=f"不填则为{bodies.pop()}" if len(bodies) == 1 else "不填则为各评委会的发证机关",
                       intro="公示结束的申报可发证：按评委会的编号规则生成证书编号和验证码，申报人可下载电子证书，任何人可凭编号和验证码查验。")
