"""Public and personal pages: home, login, registration, recovery and the user's own account."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import OptionalAuth
from app.accounts.enums import ID_TYPE_LABELS, Role
from app.accounts.schemas import UserOut
from app.units import service as units_service
from app.units.enums import SELF_REGISTRABLE, UNIT_CATEGORY_LABELS
from app.web import admin_pages, choices, dossier_pages, unit_pages
from app.web.pages import render, safe_next, signed_in

router = APIRouter(include_in_schema=False)
router.include_router(unit_pages.router)
router.include_router(dossier_pages.router)
router.include_router(admin_pages.router)

# What each role finds on the home page: (role, path, title, description).
TILES = (
    (Role.applicant, "/batches", "申报批次", "查看申报通知，阅读承诺书后填写申报"),
    (Role.applicant, "/dossiers", "我的申报", "填写申报材料、确认申报、撤回与查看状态"),
    (Role.sysadmin, "/admin/batches", "批次管理", "新建和修改申报批次、通知与填报规则"),
    (Role.sysadmin, "/admin/dictionaries", "字典管理", "维护字典条目，导出与导入字典"),
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
async def home(request: Request, auth: OptionalAuth) -> Response:
    if auth is None:
        return render(request, "home.html")
    user = signed_in(request, auth)
    if isinstance(user, Response):
        return user
    tiles: dict[str, tuple[str, str, str]] = {}
    for role, path, title, text in TILES:
        if role is None or user.has_role(role):
            tiles.setdefault(path, (path, title, text))
    return render(request, "home.html", tiles=list(tiles.values()))


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
async def account_page(request: Request, auth: OptionalAuth) -> Response:
    user = signed_in(request, auth)
    if isinstance(user, Response):
        return user
    names = await units_service.unit_names(g.unit_id for g in user.roles)
    return render(request, "account.html", roles=UserOut.build(user, unit_names=names).roles,
                  id_type_label=ID_TYPE_LABELS.get(user.id_type) if user.id_type else None)


@router.get("/account/password", response_class=HTMLResponse)
async def password_page(request: Request, auth: OptionalAuth) -> Response:
    user = signed_in(request, auth)
    if isinstance(user, Response):
        return user
    return render(request, "password.html")
