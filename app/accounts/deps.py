"""Who is calling: the session from a bearer token or the cookie (with its CSRF header)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.accounts import service
from app.accounts.audit import ClientInfo
from app.accounts.enums import Role
from app.accounts.models import Session, User
from app.errors import Forbidden, NotAuthenticated

SESSION_COOKIE = "zc_session"
CSRF_COOKIE = "zc_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Paths a user who must change the password may still use.
PASSWORD_CHANGE_PATHS = frozenset({"/api/me", "/api/auth/password", "/api/auth/logout", "/account/password"})


def client_info(request: Request) -> ClientInfo:
    """The caller's address as uvicorn gives it: X-Forwarded-For is honoured only from the proxies it
    trusts (FORWARDED_ALLOW_IPS), so a client cannot name another address to dodge limits or the audit."""
    return ClientInfo(ip=request.client.host if request.client else None, user_agent=request.headers.get("user-agent"))


Client = Annotated[ClientInfo, Depends(client_info)]


@dataclass
class Auth:
    user: User
    session: Session


async def _auth_or_none(request: Request) -> Auth | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        session, user = await service.resolve_session(header[7:].strip())
        return Auth(user, session)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    session, user = await service.resolve_session(token)
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != session.csrf_token:
        raise Forbidden("页面已过期，请刷新后重试", code="csrf_failed")
    return Auth(user, session)


async def optional_auth(request: Request) -> Auth | None:
    try:
        return await _auth_or_none(request)
    except NotAuthenticated:
        return None


async def require_auth(request: Request) -> Auth:
    auth = await _auth_or_none(request)
    if auth is None:
        raise NotAuthenticated()
    if auth.user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise Forbidden("首次登录或密码已重置，请先修改密码", code="password_change_required")
    request.state.user = auth.user
    return auth


async def require_user(auth: Annotated[Auth, Depends(require_auth)]) -> User:
    return auth.user


async def require_sysadmin(user: Annotated[User, Depends(require_user)]) -> User:
    if not user.has_role(Role.sysadmin):
        raise Forbidden("仅系统管理员可执行此操作")
    return user


CurrentAuth = Annotated[Auth, Depends(require_auth)]
CurrentUser = Annotated[User, Depends(require_user)]
OptionalAuth = Annotated[Auth | None, Depends(optional_auth)]
SysAdmin = Annotated[User, Depends(require_sysadmin)]
