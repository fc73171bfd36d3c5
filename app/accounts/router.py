import base64
from collections.abc import Awaitable, Callable, Iterable
from typing import Literal

from beanie import PydanticObjectId
from fastapi import APIRouter, BackgroundTasks, Query, Response, status

from app.accounts import audit, captcha, service
from app.accounts.deps import CSRF_COOKIE, SESSION_COOKIE, Client, CurrentAuth, CurrentUser, SysAdmin
from app.accounts.enums import AuditKind
from app.accounts.models import User
from app.accounts.schemas import (CaptchaOut, LoginNameRecovery, LoginOut, LoginRequest, PasswordChange,
                                  PersonRegistration, ProfileUpdate, RecoveryCodeRequest, RecoveryReset, SentOut,
                                  UserOut)
from app.config import get_settings

router = APIRouter(prefix="/api", tags=["accounts"])


UnitNames = Callable[[Iterable[PydanticObjectId | None]], Awaitable[dict]]
_unit_names: list[UnitNames] = []


def name_units_with(lookup: UnitNames) -> None:
    """The units domain (above this one) tells how to name the units a user's roles point at."""
    _unit_names[:] = [lookup]


async def user_out(user: User, *, reveal: bool = False) -> UserOut:
    return UserOut.build(user, unit_names=await _unit_names[0](g.unit_id for g in user.roles), reveal=reveal)


def set_session_cookies(response: Response, token: str, csrf_token: str) -> None:
    settings = get_settings()
    max_age = settings.session_absolute_hours * 3600
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies,
                        max_age=max_age, path="/")
    response.set_cookie(CSRF_COOKIE, csrf_token, httponly=False, samesite="lax", secure=settings.secure_cookies,
                        max_age=max_age, path="/")


@router.post("/auth/register", status_code=status.HTTP_201_CREATED, response_model=UserOut,
             summary="个人注册")
async def register(data: PersonRegistration, client: Client) -> UserOut:
    user = await service.register_person(data=data, client=client)
    return await user_out(user, reveal=True)


@router.get("/auth/captcha", response_model=CaptchaOut, summary="图片验证码")
async def new_captcha(purpose: Literal["login", "recovery", "objection"] = "login") -> CaptchaOut:
    captcha_id, _answer, png = await captcha.issue(purpose)
    return CaptchaOut(captcha_id=str(captcha_id), image="data:image/png;base64," + base64.b64encode(png).decode())


@router.post("/auth/login", response_model=LoginOut, summary="登录（登录名或证件号码）")
async def login(data: LoginRequest, client: Client, response: Response) -> LoginOut:
    user, session, token = await service.login(login=data.login, password=data.password, captcha_id=data.captcha_id,
                                               captcha_answer=data.captcha_answer, client=client)
    set_session_cookies(response, token, session.csrf_token)
    return LoginOut(token=token, csrf_token=session.csrf_token, must_change_password=user.must_change_password,
                    user=await user_out(user, reveal=True))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="退出登录")
async def logout(auth: CurrentAuth, client: Client, response: Response) -> Response:
    await service.close_session(session=auth.session, user=auth.user, client=client)
    response.status_code = status.HTTP_204_NO_CONTENT
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=UserOut, summary="当前账号")
async def me(user: CurrentUser) -> UserOut:
    return await user_out(user, reveal=True)


@router.patch("/me", response_model=UserOut, summary="修改联系方式（姓名与证件号码不可修改）")
async def update_me(data: ProfileUpdate, user: CurrentUser) -> UserOut:
    return await user_out(await service.update_profile(actor=user, data=data), reveal=True)


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT, summary="修改密码")
async def change_password(data: PasswordChange, auth: CurrentAuth, client: Client) -> None:
    await service.change_password(actor=auth.user, session=auth.session, old_password=data.old_password,
                                  new_password=data.new_password, client=client)


@router.post("/auth/recovery/code", response_model=SentOut, summary="找回密码：发送验证码（账号是否存在，回答相同）")
async def recovery_code(data: RecoveryCodeRequest, client: Client, background: BackgroundTasks) -> SentOut:
    message = await service.request_recovery_code(login=data.login, channel=data.channel, captcha_id=data.captcha_id,
                                                  captcha_answer=data.captcha_answer, client=client)
    background.add_task(service.deliver_recovery_code, login=data.login, channel=data.channel, client=client)
    return SentOut(message=message)


@router.post("/auth/recovery/reset", status_code=status.HTTP_204_NO_CONTENT,
             summary="找回密码：设置新密码（需图片验证码；按来源与登录名限次）")
async def recovery_reset(data: RecoveryReset, client: Client) -> None:
    await service.reset_password_with_code(login=data.login, code=data.code, new_password=data.new_password,
                                           captcha_id=data.captcha_id, captcha_answer=data.captcha_answer,
                                           client=client)


@router.post("/auth/recovery/login-name", response_model=SentOut, summary="找回登录名（信息是否相符，回答相同）")
async def recovery_login_name(data: LoginNameRecovery, client: Client, background: BackgroundTasks) -> SentOut:
    message = await service.request_login_name(id_number=data.id_number, phone=data.phone,
                                               captcha_id=data.captcha_id, captcha_answer=data.captcha_answer,
                                               client=client)
    background.add_task(service.deliver_login_name, name=data.name, id_number=data.id_number, phone=data.phone,
                        client=client)
    return SentOut(message=message)


@router.post("/users/{user_id}/unlock", status_code=status.HTTP_204_NO_CONTENT, summary="解锁账号")
async def unlock(user_id: PydanticObjectId, actor: CurrentUser, client: Client) -> None:
    await service.unlock(actor=actor, user_id=user_id, client=client)


@router.get("/audit", summary="安全审计日志（系统管理员）")
async def audit_log(_: SysAdmin, user_id: PydanticObjectId | None = None, kind: AuditKind | None = None,
                    limit: int = Query(100, ge=1, le=1000)) -> list[dict]:
    events = await audit.events(user_id=user_id, kind=kind, limit=limit)
    return [{"kind": e.kind, "at": e.at, "actor_login": e.actor_login,
             "user_id": str(e.user_id) if e.user_id else None, "unit_id": str(e.unit_id) if e.unit_id else None,
             "ip": e.ip, "detail": e.detail} for e in events]
