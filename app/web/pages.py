"""Templates, static files, the page renderer and the sign-in gate shared by every web route."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.accounts.enums import ARCHIVE_ROLES, COMMITTEE_ROLES, NODE_ROLES, ROLE_LABELS, Role
from app.accounts.models import User
from app.clock import CHINA, local_text
from app.errors import Forbidden
from app.render.watermark import is_official

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")


# (path, label, roles that see it; empty = every signed-in user)
NAV = (
    ("/", "首页", ()),
    ("/batches", "申报批次", (Role.applicant,)),
    ("/dossiers", "我的申报", (Role.applicant,)),
    ("/certificates", "我的证书", (Role.applicant,)),
    ("/review", "数据审核", NODE_ROLES),
    ("/report", "数据上报", NODE_ROLES),
    ("/paths", "路径管理", NODE_ROLES + COMMITTEE_ROLES),
    ("/publicity", "公示", NODE_ROLES + COMMITTEE_ROLES),
    ("/committee", "资格审查", COMMITTEE_ROLES),
    ("/committee/meetings", "评审会", COMMITTEE_ROLES),
    ("/committee/results", "评审结果", COMMITTEE_ROLES),
    ("/committee/certificates", "证书", COMMITTEE_ROLES),
    ("/committee/reissue", "补证审批", COMMITTEE_ROLES),
    ("/committee/cases", "异议复查投诉", COMMITTEE_ROLES),
    ("/expert", "评审表决", (Role.expert,)),
    ("/unit", "单位管理", (Role.unit_admin,)),
    ("/review/permissions", "权限申请审核", (Role.hr_handler, Role.sysadmin)),
    ("/admin/units", "单位树", (Role.hr_handler, Role.sysadmin)),
    ("/admin/batches", "批次管理", (Role.sysadmin,)),
    ("/admin/dictionaries", "字典管理", (Role.sysadmin,)),
    ("/admin/committees", "评委会设置", (Role.sysadmin,)),
    ("/admin/audit", "安全审计", (Role.sysadmin,)),
    ("/admin/announcements", "公告管理", (Role.sysadmin,)),
    ("/archives", "档案导出", ARCHIVE_ROLES),
    ("/inbox", "消息", ()),
    ("/announcements", "公告", ()),
    ("/account", "我的账号", ()),
)


def nav_for(user: User | None) -> list[tuple[str, str]]:
    if user is None:
        return [("/login", "登录"), ("/register", "个人注册"), ("/register/unit", "单位注册"),
                ("/announcements", "公告"), ("/results", "公示名单"), ("/cases/lookup", "异议办理查询"),
                ("/verify", "证书查验")]
    return [(path, label) for path, label, roles in NAV if not roles or any(user.has_role(r) for r in roles)]


def active_nav(current: str, items: list[tuple[str, str]]) -> str | None:
    """The one nav item to highlight: the longest path the page is at or under (/review/permissions is not
    数据审核, /committee/meetings/1 is 评审会 and not 资格审查)."""
    matches = [path for path, _ in items if current == path or (path != "/" and current.startswith(path + "/"))]
    return max(matches, key=len, default=None)


def require_role(user: User, roles: tuple[Role, ...], message: str) -> None:
    """A page meant for other roles is a 403 page saying whose page it is (the services still decide scope)."""
    if not any(user.has_role(r) for r in roles) and not user.has_role(Role.sysadmin):
        raise Forbidden(message, code="wrong_role")


def role_text(user: User) -> str:
    labels = dict.fromkeys(ROLE_LABELS[g.role] for g in user.roles)
    return "、".join(labels) or "无角色"


# The forms every dossier has; 委托函 only for an entrusted review, 证书 once issued (the API says the same, 409).
BASE_FORMS = (("application", "申报表"), ("brief", "简介表"), ("catalogue", "材料目录"))


def dossier_forms(dossier: Any) -> list[tuple[str, str]]:
    """(form key, label) of the forms that can be produced for this dossier now."""
    found = list(BASE_FORMS)
    declaration = getattr(dossier, "declaration", None)
    if declaration is not None and getattr(declaration, "entrusted_review", False):
        found.append(("entrustment", "评审委托函"))
    if str(getattr(dossier, "status", "")) == "certified" and getattr(dossier, "certificate", None) is not None:
        found.append(("certificate", "证书"))
    return found


def forms_official(dossier: Any) -> bool:
    """Whether the forms are the official edition (资格审查 passed) or still the 预览版."""
    return is_official(str(dossier.status))


templates.env.globals.update(nav_for=nav_for, active_nav=active_nav, role_text=role_text, ROLE_LABELS=ROLE_LABELS,
                             dossier_forms=dossier_forms, forms_official=forms_official)
templates.env.filters["local"] = lambda moment: local_text(moment) if moment else ""
templates.env.filters["local_date"] = lambda moment: moment.astimezone(CHINA).strftime("%Y-%m-%d") if moment else ""


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("unread", getattr(request.state, "unread", None))
    return templates.TemplateResponse(request, template, context, status_code=status)


def render_error_page(request: Request, status: int, body: dict[str, Any]) -> HTMLResponse:
    return render(request, "error.html", status=status, error=body, status_code=status)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: an open redirect after login would be a phishing aid."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default

