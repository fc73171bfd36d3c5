"""People and sessions: registration, login with lockout, passwords, recovery and sessions."""

from datetime import timedelta

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.accounts import audit, captcha, validators
from app.accounts.audit import ClientInfo
from app.accounts.enums import AccountKind, AuditKind, Role
from app.accounts.models import AuditEvent, LoginFailure, RecoveryCode, RoleGrant, Session, User
from app.accounts.schemas import PersonRegistration, ProfileUpdate
from app.accounts.secrets import digest, hash_password, needs_rehash, new_numeric_code, new_token, verify_password
from app.clock import local_text, utcnow
from app.config import get_settings
from app.errors import AppError, Conflict, Forbidden, NotAuthenticated, NotFound, TooManyRequests, ValidationFailed
from app.messaging import service as messaging

LOGIN_CAPTCHA = "login"
RECOVERY_CAPTCHA = "recovery"


class AccountLocked(AppError):
    status = 423
    code = "account_locked"


def check_password_policy(password: str, *, login: str | None, field: str = "password") -> None:
    problem = validators.password_problem(password, login=login)
    if problem:
        raise ValidationFailed(problem, field=field, code="weak_password")


def duplicate_account_error(exc: DuplicateKeyError) -> Conflict:
    """Turns a unique-index race into the same error the pre-check gives."""
    key = (exc.details or {}).get("keyPattern", {})
    if "id_number" in key:
        return Conflict("该证件号码已注册账号，请直接登录或找回密码", field="id_number", code="id_number_taken")
    return Conflict("该登录名已被使用", field="login", code="login_taken")


async def ensure_identity_free(*, login: str | None, id_number: str | None) -> None:
    """A login name never equals someone's ID number, so 'login name or ID number' stays unambiguous."""
    if id_number and await User.find_one({"$or": [{"id_number": id_number}, {"login_key": id_number.lower()}]}):
        raise Conflict("该证件号码已注册账号，请直接登录或找回密码", field="id_number", code="id_number_taken")
    if login and await User.find_one({"$or": [{"login_key": login.lower()}, {"id_number": login.upper()}]}):
        raise Conflict("该登录名已被使用", field="login", code="login_taken")


async def insert_user(user: User, *, session=None) -> User:
    try:
        await user.insert(session=session)
    except DuplicateKeyError as exc:
        raise duplicate_account_error(exc) from None
    return user


async def register_person(*, data: PersonRegistration, client: ClientInfo) -> User:
    check_password_policy(data.password, login=data.login)
    await ensure_identity_free(login=data.login, id_number=data.id_number)
    user = User(login=data.login, login_key=data.login.lower(), kind=AccountKind.person, name=data.name,
                id_type=data.id_type, id_number=data.id_number, phone=data.phone,
                email=str(data.email) if data.email else None, password_hash=await hash_password(data.password),
                roles=[RoleGrant(role=Role.applicant)])
    await insert_user(user)
    await audit.record(AuditKind.register, client=client, actor=user)
    return user


async def find_by_login(login: str) -> User | None:
    """Login name (any case) or ID number."""
    value = login.strip()
    return await User.find_one({"$or": [{"login_key": value.lower()}, {"id_number": value.upper()}]})


async def _captcha_required(login_key: str) -> bool:
    return await LoginFailure.find_one(LoginFailure.login_key == login_key) is not None


async def _note_failure(login_key: str) -> None:
    await LoginFailure.get_pymongo_collection().update_one(
        {"login_key": login_key}, {"$inc": {"failures": 1}, "$set": {"last_at": utcnow()}}, upsert=True)


def _locked_error(user_locked_until) -> AccountLocked:
    return AccountLocked(f"连续输错密码{get_settings().lockout_threshold}次，账号已锁定，"
                         f"请于 {local_text(user_locked_until)} 后再试，或联系管理员解锁",
                         field="password", locked_until=user_locked_until.isoformat())


async def authenticate(*, login: str, password: str, captcha_id: str | None, captcha_answer: str | None,
                       client: ClientInfo) -> User:
    """Checks the captcha (after any failure for this login), the lock, then the password."""
    settings = get_settings()
    login_key = login.strip().lower()
    if await _captcha_required(login_key):
        await captcha.verify(captcha_id, captcha_answer, purpose=LOGIN_CAPTCHA)
    user = await find_by_login(login)
    now = utcnow()
    if user is None:
        await _note_failure(login_key)
        await audit.record(AuditKind.login_failed, client=client, login=login_key, reason="unknown_login")
        raise NotAuthenticated("登录名或密码错误", field="password", code="invalid_credentials",
                               captcha_required=True)
    if user.locked_until and user.locked_until > now:
        raise _locked_error(user.locked_until)
    if not await verify_password(user.password_hash, password):
        await _note_failure(login_key)
        users = User.get_pymongo_collection()
        after = await users.find_one_and_update({"_id": user.id}, {"$inc": {"failed_logins": 1}},
                                                return_document=ReturnDocument.AFTER)
        failures = after["failed_logins"]
        await audit.record(AuditKind.login_failed, client=client, user_id=user.id, reason="wrong_password",
                           failures=failures)
        if failures >= settings.lockout_threshold:
            locked_until = now + timedelta(minutes=settings.lockout_minutes)
            await users.update_one({"_id": user.id}, {"$set": {"locked_until": locked_until, "failed_logins": 0}})
            await audit.record(AuditKind.locked, client=client, user_id=user.id,
                               until=locked_until.isoformat())
            raise _locked_error(locked_until)
        left = settings.lockout_threshold - failures
        raise NotAuthenticated(f"登录名或密码错误，再错{left}次账号将锁定{settings.lockout_minutes}分钟",
                               field="password", code="invalid_credentials", captcha_required=True,
                               attempts_left=left)
    if not user.enabled:
        raise Forbidden("账号已停用，请联系所在单位", field="login", code="account_disabled")
    updates: dict = {"failed_logins": 0, "locked_until": None}
    if needs_rehash(user.password_hash):
        updates["password_hash"] = await hash_password(password)
    await User.get_pymongo_collection().update_one({"_id": user.id}, {"$set": updates})
    await LoginFailure.get_pymongo_collection().delete_one({"login_key": login_key})
    user.failed_logins, user.locked_until = 0, None
    return user


async def login(*, login: str, password: str, captcha_id: str | None, captcha_answer: str | None,
                client: ClientInfo) -> tuple[User, Session, str]:
    user = await authenticate(login=login, password=password, captcha_id=captcha_id,
                              captcha_answer=captcha_answer, client=client)
    session, token = await open_session(user=user, client=client)
    await audit.record(AuditKind.login, client=client, actor=user)
    return user, session, token


async def open_session(*, user: User, client: ClientInfo) -> tuple[Session, str]:
    settings = get_settings()
    now = utcnow()
    token = new_token()
    session = Session(token_hash=digest(token), user_id=user.id, csrf_token=new_token(),
                      idle_expires_at=now + timedelta(minutes=settings.session_idle_minutes),
                      absolute_expires_at=now + timedelta(hours=settings.session_absolute_hours),
                      ip=client.ip, user_agent=(client.user_agent or "")[:300] or None)
    await session.insert()
    return session, token


async def resolve_session(token: str) -> tuple[Session, User]:
    """The session behind a token, its idle expiry pushed forward (at most one write a minute)."""
    session = await Session.find_one(Session.token_hash == digest(token))
    now = utcnow()
    if session is None:
        raise NotAuthenticated("登录已失效，请重新登录", code="session_invalid")
    if session.idle_expires_at < now or session.absolute_expires_at < now:
        await session.delete()
        raise NotAuthenticated("长时间未操作，登录已过期，请重新登录", code="session_expired")
    user = await User.get(session.user_id)
    if user is None or not user.enabled:
        await session.delete()
        raise NotAuthenticated("账号已停用，请联系所在单位", code="account_disabled")
    if (now - session.last_seen_at).total_seconds() > 60:
        idle = timedelta(minutes=get_settings().session_idle_minutes)
        session.last_seen_at, session.idle_expires_at = now, now + idle
        await Session.get_pymongo_collection().update_one(
            {"_id": session.id}, {"$set": {"last_seen_at": now, "idle_expires_at": now + idle}})
    return session, user


async def close_session(*, session: Session, user: User, client: ClientInfo) -> None:
    await session.delete()
    await audit.record(AuditKind.logout, client=client, actor=user)


async def close_other_sessions(user_id: PydanticObjectId, *, keep: PydanticObjectId | None = None) -> None:
    query: dict = {"user_id": user_id}
    if keep is not None:
        query["_id"] = {"$ne": keep}
    await Session.get_pymongo_collection().delete_many(query)


async def _set_password(user: User, new_password: str, *, must_change: bool) -> None:
    now = utcnow()
    user.password_hash = await hash_password(new_password)
    user.must_change_password = must_change
    user.password_changed_at = now
    await User.get_pymongo_collection().update_one({"_id": user.id}, {
        "$set": {"password_hash": user.password_hash, "must_change_password": must_change,
                 "password_changed_at": now, "failed_logins": 0, "locked_until": None},
        "$inc": {"version": 1}})


async def change_password(*, actor: User, session: Session, old_password: str, new_password: str,
                          client: ClientInfo) -> None:
    if not await verify_password(actor.password_hash, old_password):
        raise ValidationFailed("原密码不正确", field="old_password", code="wrong_password")
    check_password_policy(new_password, login=actor.login, field="new_password")
    if await verify_password(actor.password_hash, new_password):
        raise ValidationFailed("新密码不能与原密码相同", field="new_password", code="same_password")
    await _set_password(actor, new_password, must_change=False)
    await close_other_sessions(actor.id, keep=session.id)
    await audit.record(AuditKind.password_changed, client=client, actor=actor)


async def update_profile(*, actor: User, data: ProfileUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    if "email" in changes and changes["email"] is not None:
        changes["email"] = str(changes["email"])
    if changes:
        await User.get_pymongo_collection().update_one({"_id": actor.id}, {"$set": changes, "$inc": {"version": 1}})
    return await User.get(actor.id)


async def unlock(*, actor: User, user: User, client: ClientInfo) -> None:
    await User.get_pymongo_collection().update_one(
        {"_id": user.id}, {"$set": {"failed_logins": 0, "locked_until": None}})
    await LoginFailure.get_pymongo_collection().delete_many(
        {"login_key": {"$in": [user.login_key] + ([user.id_number.lower()] if user.id_number else [])}})
    await audit.record(AuditKind.unlocked, client=client, actor=actor, user_id=user.id)


async def _rate_limit(user_id: PydanticObjectId, kind: AuditKind) -> None:
    """At most one message a minute and a few an hour per account, counted from the audit log."""
    settings = get_settings()
    now = utcnow()
    recent = await AuditEvent.find({"user_id": user_id, "kind": kind,
                                    "at": {"$gte": now - timedelta(hours=1)}}).sort("-at").to_list()
    if recent:
        wait = settings.recovery_code_interval_seconds - (now - recent[0].at).total_seconds()
        if wait > 0:
            raise TooManyRequests(f"发送过于频繁，请{int(wait) + 1}秒后再试", code="rate_limited",
                                  retry_after=int(wait) + 1)
    if len(recent) >= settings.recovery_codes_per_hour:
        raise TooManyRequests("一小时内发送次数已达上限，请稍后再试", code="rate_limited")


def _destination(user: User, channel: str) -> str:
    destination = user.phone if channel == "sms" else user.email
    if not destination:
        label = "手机号码" if channel == "sms" else "电子邮箱"
        raise ValidationFailed(f"账号未登记{label}，请选择其他方式或联系所在单位", field="channel",
                               code="no_destination")
    return destination


def _masked(channel: str, destination: str) -> str:
    if channel == "sms":
        return validators.mask_phone(destination)
    local, _, domain = destination.partition("@")
    return f"{local[:2]}***@{domain}"


async def send_recovery_code(*, login: str, channel: str, captcha_id: str | None, captcha_answer: str | None,
                             client: ClientInfo) -> tuple[str, str]:
    await captcha.verify(captcha_id, captcha_answer, purpose=RECOVERY_CAPTCHA)
    user = await find_by_login(login)
    if user is None:
        raise NotFound("账号不存在，请核对登录名或证件号码", field="login", code="account_not_found")
    destination = _destination(user, channel)
    await _rate_limit(user.id, AuditKind.recovery_code_sent)
    settings = get_settings()
    code = new_numeric_code()
    await RecoveryCode.get_pymongo_collection().update_many(
        {"user_id": user.id, "used_at": None}, {"$set": {"used_at": utcnow()}})   # only the newest code works
    await RecoveryCode(user_id=user.id, code_hash=digest(code), channel=channel, destination=destination,
                       expires_at=utcnow() + timedelta(seconds=settings.recovery_code_ttl_seconds)).insert()
    minutes = settings.recovery_code_ttl_seconds // 60
    await messaging.send(channel=channel, to=destination, subject="职称申报系统：找回密码验证码",
                         body=f"您正在找回职称申报系统账号 {user.login} 的密码，验证码 {code}，"
                              f"{minutes}分钟内有效。如非本人操作请忽略。", user_id=user.id)
    await audit.record(AuditKind.recovery_code_sent, client=client, user_id=user.id, channel=channel)
    return channel, _masked(channel, destination)


async def reset_password_with_code(*, login: str, code: str, new_password: str, client: ClientInfo) -> None:
    settings = get_settings()
    user = await find_by_login(login)
    if user is None:
        raise NotFound("账号不存在，请核对登录名或证件号码", field="login", code="account_not_found")
    check_password_policy(new_password, login=user.login, field="new_password")
    now = utcnow()
    codes = RecoveryCode.get_pymongo_collection()
    current = await codes.find_one({"user_id": user.id, "used_at": None}, sort=[("created_at", -1)])
    if current is None or current["expires_at"] < now:
        raise ValidationFailed("验证码已失效，请重新获取", field="code", code="code_expired")
    if current["attempts"] >= settings.recovery_max_attempts:
        raise ValidationFailed("验证码错误次数过多，请重新获取", field="code", code="code_exhausted")
    if current["code_hash"] != digest(code.strip()):
        await codes.update_one({"_id": current["_id"]}, {"$inc": {"attempts": 1}})
        raise ValidationFailed("验证码不正确", field="code", code="code_wrong")
    claimed = await codes.update_one({"_id": current["_id"], "used_at": None}, {"$set": {"used_at": now}})
    if claimed.modified_count != 1:
        raise ValidationFailed("验证码已使用，请重新获取", field="code", code="code_used")
    await _set_password(user, new_password, must_change=False)
    await close_other_sessions(user.id)
    await LoginFailure.get_pymongo_collection().delete_many({"login_key": user.login_key})
    await audit.record(AuditKind.password_reset, client=client, user_id=user.id, via="recovery_code")


async def send_login_name(*, name: str, id_number: str, phone: str, captcha_id: str | None,
                          captcha_answer: str | None, client: ClientInfo) -> str:
    await captcha.verify(captcha_id, captcha_answer, purpose=RECOVERY_CAPTCHA)
    user = await User.find_one({"id_number": id_number.strip().upper()})
    if user is None or user.name != name.strip() or user.phone != phone:
        raise NotFound("姓名、证件号码与手机号码不匹配", field="id_number", code="identity_mismatch")
    await _rate_limit(user.id, AuditKind.login_name_sent)
    await messaging.send(channel="sms", to=phone, subject="职称申报系统：登录名",
                         body=f"您在职称申报系统的登录名为 {user.login}，也可使用证件号码登录。", user_id=user.id)
    await audit.record(AuditKind.login_name_sent, client=client, user_id=user.id)
    return validators.mask_phone(phone)
