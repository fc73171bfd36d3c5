"""Public and personal pages: home, login, registration, recovery and the user's own account."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import OptionalAuth
from app.accounts.enums import ARCHIVE_ROLES, COMMITTEE_ROLES, ID_TYPE_LABELS, NODE_ROLES, Role
from app.accounts.schemas import UserOut
from app.notifications import service as notifications
from app.units import invitations
from app.units import service as units_service
from app.units.enums import SELF_REGISTRABLE, UNIT_CATEGORY_LABELS
from app.units.schemas import InvitationOut
from app.web import (admin_pages, archive_pages, blind_pages, case_pages, choices, committee_pages, dossier_pages, entry_pages,
                     expert_pages,
                     meeting_pages, notice_pages, path_pages, personnel_pages, publicity_pages, reissue_pages,
                     results_pages, review_pages, settings_pages, statistics_pages, todo, track_pages, unit_pages)
from app.web.deps import OptionalPageUser, PageUser
from app.web.pages import render, safe_next


async def inbox_badge(request: Request, auth: OptionalAuth) -> None:
    """The header's 消息 badge: one count of unread messages per page a signed-in user opens."""
    if auth is not None:
        request.state.unread = await notifications.unread_count(user=auth.user)


router = APIRouter(include_in_schema=False, dependencies=[Depends(inbox_badge)])
router.include_router(unit_pages.router)
router.include_router(dossier_pages.router)
router.include_router(admin_pages.router)
router.include_router(review_pages.router)
router.include_router(path_pages.router)
router.include_router(publicity_pages.router)
router.include_router(committee_pages.router)
router.include_router(meeting_pages.router)
router.include_router(expert_pages.router)
router.include_router(blind_pages.router)
router.include_router(track_pages.router)
router.include_router(notice_pages.router)
router.include_router(archive_pages.router)
router.include_router(reissue_pages.router)
router.include_router(entry_pages.router)
router.include_router(results_pages.router)
router.include_router(case_pages.router)
router.include_router(personnel_pages.router)
router.include_router(statistics_pages.router)
router.include_router(settings_pages.router)

# What each role finds on the home page: (roles, path, title, description).
TILES = (
    (Role.applicant, "/batches", "申报批次", "查看申报通知，阅读承诺书后填写申报"),
    (Role.applicant, "/dossiers", "我的申报", "填写申报材料、确认申报、撤回，跟踪审核状态"),
    (NODE_ROLES, "/review", "数据审核", "审核下一级单位或申报人提交的申报材料"),
    (NODE_ROLES, "/report", "数据上报", "将审核通过的申报按路径上报"),
    (NODE_ROLES, "/unit/entries", "录入申报", "为本单位人员新建申报，代为填写、上传并确认申报"),
    (NODE_ROLES, "/paths", "路径管理", "申请和审核各系列、级别的上报路径"),
    (NODE_ROLES, "/publicity", "公示", "填写、审核并汇总提交公示意见"),
    (COMMITTEE_ROLES, "/committee", "资格审查", "受理、退回或拒绝上报至评委会的申报"),
    (COMMITTEE_ROLES, "/committee/meetings", "评审会", "邀请专家、安排上会、组织表决与计票"),
    (COMMITTEE_ROLES, "/committee/blind-reviews", "代表作送审", "生成代表作匿名副本，随机抽取送审专家，查看评分"),
    (COMMITTEE_ROLES, "/committee/results", "评审结果", "发布评审结果进入公示"),
    (COMMITTEE_ROLES, "/publicity", "公示", "查看各单位公示意见，期满后结束公示"),
    (COMMITTEE_ROLES, "/committee/certificates", "证书", "为公示结束的申报发证"),
    (COMMITTEE_ROLES, "/committee/reissue", "补证审批", "审批持证人因证书遗失、损毁提出的补证申请"),
    (Role.applicant, "/certificates", "我的证书", "查看本人证书，证书遗失或损毁时申请补证"),
    (Role.expert, "/expert", "评审表决", "查阅上会申报材料并表决"),
    (Role.expert, "/expert/blind-reviews", "代表作评审", "匿名评阅送审的代表作并评分"),
    (Role.sysadmin, "/admin/announcements", "公告管理", "发布、修改和撤回公告通知与政策规范"),
    (None, "/inbox", "消息", "审核进度等站内通知"),
    (None, "/announcements", "公告", "公告通知与政策规范"),
    (Role.sysadmin, "/admin/batches", "批次管理", "新建和修改申报批次、通知与填报规则"),
    ((*NODE_ROLES, *COMMITTEE_ROLES), "/statistics", "统计", "申报数、通过率与各审核环节用时（图表与 Excel）"),
    (ARCHIVE_ROLES, "/archives", "档案导出", "按申报批次导出已办结申报的归档包"),
    (Role.sysadmin, "/admin/dictionaries", "字典管理", "维护字典条目，导出与导入字典"),
    (Role.sysadmin, "/admin/committees", "评委会设置", "办事机构、表决规则、公示与复查期限、证书编号与发证机关"),
    (Role.sysadmin, "/admin/audit", "安全审计", "登录与账号操作的审计日志，申报材料的查阅记录"),
    (None, "/account", "我的账号", "查看个人信息，修改联系方式与密码"),
    (Role.unit_admin, "/unit", "单位管理", "单位信息、权限申请、工作人员与子账号、下级单位"),
    (Role.hr_handler, "/review/permissions", "权限申请审核", "审核本地区单位的权限申请"),
    (Role.sysadmin, "/review/permissions", "权限申请审核", "审核各地单位的权限申请"),
    (Role.hr_handler, "/admin/units", "单位树", "查看本地区的单位层级"),
    (Role.sysadmin, "/admin/units", "单位树", "查看全部单位的层级"),
)
LOGIN_NOTICES = {"person": "注册成功，请使用登录名或证件号码登录。",
                 "unit": "单位注册成功，请登录单位账号提交权限申请。"}


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, user: OptionalPageUser) -> Response:
    if user is None:
        return render(request, "home.html")
    tiles: dict[str, tuple[str, str, str]] = {}
    for roles, path, title, text in TILES:
        wanted = roles if isinstance(roles, tuple) else (roles,)
        if roles is None or any(user.has_role(r) for r in wanted):
            tiles.setdefault(path, (path, title, text))
    steps = await todo.applicant_steps(user) if user.has_role(Role.applicant) else []
    return render(request, "home.html", tiles=list(tiles.values()), groups=await todo.groups_for(user), steps=steps,
                  applicant=user.has_role(Role.applicant))


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None, registered: str | None = None,
                     reset: str | None = None) -> HTMLResponse:
    notice = LOGIN_NOTICES.get(registered or "") or ("密码已重置，请使用新密码登录。" if reset else None)
    return render(request, "login.html", next=safe_next(next), notice=notice)


@router.get("/register", response_class=HTMLResponse)
async def register_page(request: Request) -> HTMLResponse:
    return render(request, "register.html", id_types=await choices.options("id_types"))


@router.get("/register/unit", response_class=HTMLResponse)
async def register_unit_page(request: Request) -> HTMLResponse:
    categories = [(c.value, label) for c, label in UNIT_CATEGORY_LABELS.items() if c in SELF_REGISTRABLE]
    return render(request, "register_unit.html", categories=categories,
                  natures=await choices.options("unit_natures"), industries=await choices.options("industries"),
                  regions=await choices.region_levels(None))


@router.get("/recovery", response_class=HTMLResponse)
async def recovery_page(request: Request) -> HTMLResponse:
    return render(request, "recovery.html")


@router.get("/account", response_class=HTMLResponse)
async def account_page(request: Request, user: PageUser) -> Response:
    pending = await invitations.list_for_person(person=user)
    names = await units_service.unit_names([*(g.unit_id for g in user.roles), *(i.unit_id for i in pending)])
    return render(request, "account.html", roles=UserOut.build(user, unit_names=names).roles,
                  id_type_label=ID_TYPE_LABELS.get(user.id_type) if user.id_type else None,
                  invitations=[InvitationOut.build(i, names) for i in pending])


@router.get("/account/password", response_class=HTMLResponse)
async def password_page(request: Request, user: PageUser) -> Response:
    return render(request, "password.html")
