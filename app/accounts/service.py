"""People and sessions: registration, login with lockout, passwords, recovery and sessions."""

import asyncio
from datetime import timedelta

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app import throttle
from app.accounts import audit, captcha, validators
from app.accounts.audit import ClientInfo
from app.accounts.enums import AccountKind, AuditKind, Role
from app.accounts.models import LoginFailure, RecoveryCode, RoleGrant, Session, User
from app.accounts.schemas import PersonRegistration, ProfileUpdate
from app.accounts.secrets import digest, hash_password, needs_rehash, new_numeric_code, new_token, verify_password
from app.clock import local_text, utcnow
from app.config import get_settings
from app.errors import AppError, Conflict, Forbidden, NotAuthenticated, NotFound, TooManyRequests, ValidationFailed
from app.messaging import service as messaging

HOUR = timedelta(hours=1)
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
    """Registration must say when an ID number is taken; so that nobody can use it to list registered numbers,
    a client's refusals for taken numbers or logins are counted and limited."""
    check_password_policy(data.password, login=data.login)
    refusals = f"register:ip:{client.ip}"
    limit = get_settings().registration_conflicts_per_client_hour
    await throttle.refuse_when_exhausted(refusals, limit=limit, window=HOUR, doing="注册")
    try:
        await ensure_identity_free(login=data.login, id_number=data.id_number)
    except Conflict:
        await throttle.note_failure(refusals, window=HOUR)
        raise
    user = User(login=data.login, login_key=data.login.lower(), kind=AccountKind.person, name=data.name,
                id_type=data.id_type, id_number=data.id_number, phone=data.phone,
                email=str(data.email) if data.email else None, password_hash=await hash_password(data.password),
                roles=[RoleGrant(role=Role.applicant)])
    await insert_user(user)
    await audit.record(AuditKind.register, client=client, actor=user)
    return user


async def find_by_login(login: str) -> User | None:
    """Login name (any case) or ID number: two indexed equalities (an `$or` would scan on SecantusDB), both
    always asked and at once, so the time taken does not tell which one exists."""
    value = login.strip()
    by_login, by_id_number = await asyncio.gather(User.find_one({"login_key": value.lower()}),
                                                  User.find_one({"id_number": value.upper()}))
    return by_login or by_id_number


_dummy_hash: str | None = None


async def _dummy_password_hash() -> str:
    """A hash to check unknown logins against, so they take as long as a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = await hash_password(new_token())
    return _dummy_hash


async def _note_failure(login_key: str) -> dict:
    """Counts a failure for the login string and locks the string at the threshold; returns the record."""
    settings = get_settings()
    now = utcnow()
    failures = LoginFailure.get_pymongo_collection()
    record = await failures.find_one_and_update(
        {"login_key": login_key},
        {"$inc": {"failures": 1},
         "$set": {"last_at": now, "expires_at": now + timedelta(hours=settings.login_failure_hours)}},
        upsert=True, return_document=ReturnDocument.AFTER)
    if record["failures"] >= settings.lockout_threshold:
        record["locked_until"] = now + timedelta(minutes=settings.lockout_minutes)
        await failures.update_one({"_id": record["_id"]},
                                  {"$set": {"locked_until": record["locked_until"], "failures": 0}})
    return record


def _locked_error(locked_until) -> AccountLocked:
    return AccountLocked(f"连续输错密码{get_settings().lockout_threshold}次，账号已锁定，"
                         f"请于 {local_text(locked_until)} 后再试，或联系管理员解锁",
                         field="password", locked_until=locked_until.isoformat())


async def authenticate(*, login: str, password: str, captcha_id: str | None, captcha_answer: str | None,
                       client: ClientInfo) -> User:
    """Until the password is right, the answers depend on the login string alone, never on whether an
    account holds it: failures are counted and locked per string, and an unknown login is checked against a
    dummy hash. Then the account's own lock (set when any of its strings locked) and its state."""
    settings = get_settings()
    login_key = login.strip().lower()
    now = utcnow()
    # The string's failure record and the account in one trip (three finds at once): a login at a deadline
    # waits for each trip in a queue of others; the account is looked up whatever the record says.
    record, user = await asyncio.gather(LoginFailure.get_pymongo_collection().find_one({"login_key": login_key}),
                                        find_by_login(login))
    if record and record.get("locked_until") and record["locked_until"] > now:
        raise _locked_error(record["locked_until"])
    if record is not None:
        await captcha.verify(captcha_id, captcha_answer, purpose=LOGIN_CAPTCHA)
    matches = await verify_password(user.password_hash if user else await _dummy_password_hash(), password)
    if user is None or not matches:
        record = await _note_failure(login_key)
        await audit.record(AuditKind.login_failed, client=client, user_id=user.id if user else None,
                           login=login_key, reason="wrong_password" if user else "unknown_login")
        if record.get("locked_until"):
            if user is not None:      # the account's other login strings are locked with it
                await User.get_pymongo_collection().update_one(
                    {"_id": user.id}, {"$set": {"locked_until": record["locked_until"]}})
            await audit.record(AuditKind.locked, client=client, user_id=user.id if user else None, login=login_key,
                               until=record["locked_until"].isoformat())
            raise _locked_error(record["locked_until"])
        left = settings.lockout_threshold - record["failures"]
        raise NotAuthenticated(f"登录名或密码错误，再错{left}次将锁定{settings.lockout_minutes}分钟",
                               field="password", code="invalid_credentials", captcha_required=True,
                               attempts_left=left)
    if user.locked_until and user.locked_until > now:
        raise _locked_error(user.locked_until)
    if not user.enabled:
        raise Forbidden("账号已停用，请联系所在单位", field="login", code="account_disabled")
    # Only what there is to write: a login at a deadline is a round trip each, and most change nothing (no
    # lock to lift, a hash of today's cost, no failure counted when the login began).
    updates: dict = {"locked_until": None} if user.locked_until is not None else {}
    if needs_rehash(user.password_hash):
        updates["password_hash"] = await hash_password(password)
    if updates:
        await User.get_pymongo_collection().update_one({"_id": user.id}, {"$set": updates})
    if record is not None:
        await LoginFailure.get_pymongo_collection().delete_one({"login_key": login_key})
    user.locked_until = None
    return user


async def login(*, login: str, password: str, captcha_id: str | None, captcha_answer: str | None,
                client: ClientInfo) -> tuple[User, Session, str]:
    user = await authenticate(login=login, password=password, captcha_id=captcha_id,
                              captcha_answer=captcha_answer, client=client)
    # The session and its audit event are written together: one trip, not two.
    (session, token), _ = await asyncio.gather(open_session(user=user, client=client),
                                               audit.record(AuditKind.login, client=client, actor=user))
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
    """The session behind a token, its idle expiry pushed forward (at most one write a minute).

    The session and its user come in one round trip (a $lookup on the users' _id index): every
    authenticated request pays it, and round trips are what the database charges for under load."""
    cursor = await Session.get_pymongo_collection().aggregate([
        {"$match": {"token_hash": digest(token)}}, {"$limit": 1},
        {"$lookup": {"from": User.get_pymongo_collection().name, "localField": "user_id", "foreignField": "_id",
                     "as": "user"}}])
    found = await cursor.to_list()
    now = utcnow()
    if not found:
        raise NotAuthenticated("登录已失效，请重新登录", code="session_invalid")
    users = found[0].pop("user")
    session = Session.model_validate(found[0])
    if session.idle_expires_at < now or session.absolute_expires_at < now:
        await session.delete()
        raise NotAuthenticated("长时间未操作，登录已过期，请重新登录", code="session_expired")
    user = User.model_validate(users[0]) if users else None
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
                 "password_changed_at": now, "locked_until": None},
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


async def _clear_failures(user: User) -> None:
    """Forgets the failures (and lock) of both login strings of the account, one indexed equality each."""
    for login_key in (user.login_key, user.id_number.lower() if user.id_number else None):
        if login_key:
            await LoginFailure.get_pymongo_collection().delete_one({"login_key": login_key})


async def unlock(*, actor: User, user_id: PydanticObjectId, client: ClientInfo) -> None:
    """A system administrator unlocks any account, a unit administrator their unit's; others are a 404."""
    user = await User.get(user_id)
    may = user is not None and (actor.has_role(Role.sysadmin)
                                or (user.unit_id is not None and actor.has_role(Role.unit_admin, user.unit_id)))
    if not may:
        raise NotFound("账号不存在")
    await User.get_pymongo_collection().update_one(
        {"_id": user.id}, {"$set": {"locked_until": None}})
    await _clear_failures(user)
    await audit.record(AuditKind.unlocked, client=client, actor=actor, user_id=user.id)


CHANNEL_LABELS = {"sms": "手机", "email": "电子邮箱"}


async def _may_send(user_id: PydanticObjectId, purpose: str) -> bool:
    """The account's own cap (one message a minute, a few an hour), whichever login string was typed. Past it
    the message is silently not sent: a refusal would tell that the account exists."""
    settings = get_settings()
    try:
        await throttle.take(f"{purpose}:account-minute:{user_id}", limit=1,
                            window=timedelta(seconds=settings.recovery_code_interval_seconds), doing="发送")
        await throttle.take(f"{purpose}:account-hour:{user_id}", limit=settings.recovery_codes_per_hour, window=HOUR,
                            doing="发送")
    except TooManyRequests:
        return False
    return True


async def _limit_requests(login_key: str, client: ClientInfo, purpose: str) -> None:
    """Visible limits keyed by what the caller typed and where it calls from, never by the account, so an
    unknown login is limited exactly like a known one."""
    settings = get_settings()
    await throttle.take(f"{purpose}:ip:{client.ip}", limit=settings.recovery_codes_per_client_hour, window=HOUR,
                        doing="找回操作")
    await throttle.take(f"{purpose}:minute:{login_key}", limit=1,
                        window=timedelta(seconds=settings.recovery_code_interval_seconds), doing="发送")
    await throttle.take(f"{purpose}:hour:{login_key}", limit=settings.recovery_codes_per_hour, window=HOUR,
                        doing="发送")


def _masked(channel: str, destination: str) -> str:
    if channel == "sms":
        return validators.mask_phone(destination)
    local, _, domain = destination.partition("@")
    return f"{local[:2]}***@{domain}"


async def request_recovery_code(*, login: str, channel: str, captcha_id: str | None, captcha_answer: str | None,
                                client: ClientInfo) -> str:
    """The captcha and the limits, then the answer, which names no destination and is the same whether or
    not the account exists. The code itself goes out in `deliver_recovery_code`, after the answer, so that
    neither the answer nor its timing tells which logins exist."""
    await captcha.verify(captcha_id, captcha_answer, purpose=RECOVERY_CAPTCHA)
    await _limit_requests(login.strip().lower(), client, "recovery-code")
    label = CHANNEL_LABELS[channel]
    return (f"如该账号存在且登记了{label}，验证码已发送至该{label}，"
            f"{get_settings().recovery_code_ttl_seconds // 60}分钟内有效")


async def deliver_recovery_code(*, login: str, channel: str, client: ClientInfo) -> None:
    """Sends a code if the account exists, has the chosen contact and is under its own cap."""
    settings = get_settings()
    user = await find_by_login(login)
    destination = (user.phone if channel == "sms" else user.email) if user else None
    if user is None or not destination or not await _may_send(user.id, "recovery-code"):
        await audit.record(AuditKind.recovery_code_refused, client=client, user_id=user.id if user else None,
                           login=login.strip().lower(), channel=channel)
        return
    code = new_numeric_code()
    await RecoveryCode.get_pymongo_collection().delete_many({"user_id": user.id})   # only the newest code works
    await RecoveryCode(user_id=user.id, code_hash=digest(code), channel=channel, destination=destination,
                       expires_at=utcnow() + timedelta(seconds=settings.recovery_code_ttl_seconds)).insert()
    await messaging.send(channel=channel, to=destination, subject="职称申报系统：找回密码验证码",
                         body=f"您正在找回职称申报系统账号 {user.login} 的密码，验证码 {code}，"
                              f"{settings.recovery_code_ttl_seconds // 60}分钟内有效。如非本人操作请忽略。",
                         user_id=user.id)
    await audit.record(AuditKind.recovery_code_sent, client=client, user_id=user.id, channel=channel,
                       sent_to=_masked(channel, destination))


def _code_invalid() -> ValidationFailed:
    """One answer for every way a code fails (unknown account, none sent, expired, used, wrong, too many tries)."""
    return ValidationFailed(f"验证码不正确或已失效（输错{get_settings().recovery_max_attempts}次即失效），"
                            f"请核对或重新获取", field="code", code="code_invalid")


async def reset_password_with_code(*, login: str, code: str, new_password: str, captcha_id: str | None,
                                   captcha_answer: str | None, client: ClientInfo) -> None:
    """Captcha, then limits per client and per login string, then the code. Until the code is proven the
    answers depend only on what the caller typed, not on whether the account exists."""
    settings = get_settings()
    await captcha.verify(captcha_id, captcha_answer, purpose=RECOVERY_CAPTCHA)
    login_key = login.strip().lower()
    await throttle.take(f"recovery-reset:ip:{client.ip}", limit=settings.recovery_resets_per_client_hour,
                        window=HOUR, doing="重置密码")
    await throttle.take(f"recovery-reset:login:{login_key}", limit=settings.recovery_resets_per_login_hour,
                        window=HOUR, doing="重置密码")
    check_password_policy(new_password, login=login.strip(), field="new_password")
    user = await find_by_login(login)
    now = utcnow()
    codes = RecoveryCode.get_pymongo_collection()
    # asked for an unknown login too (for no one), so that it takes as long
    current = await codes.find_one({"user_id": user.id if user else PydanticObjectId()}, sort=[("created_at", -1)])
    if current is None or current["expires_at"] < now or current["attempts"] >= settings.recovery_max_attempts:
        raise _code_invalid()
    if current["code_hash"] != digest(code.strip()):
        await codes.update_one({"_id": current["_id"]}, {"$inc": {"attempts": 1}})
        raise _code_invalid()
    check_password_policy(new_password, login=user.login, field="new_password")   # the code proved the account
    claimed = await codes.delete_one({"_id": current["_id"]})     # single use: of two racing resets one wins
    if claimed.deleted_count != 1:
        raise _code_invalid()
    await _set_password(user, new_password, must_change=False)
    await close_other_sessions(user.id)
    await _clear_failures(user)
    await audit.record(AuditKind.password_reset, client=client, user_id=user.id, via="recovery_code")


async def request_login_name(*, id_number: str, phone: str, captcha_id: str | None, captcha_answer: str | None,
                             client: ClientInfo) -> str:
    """Like `request_recovery_code`: the same answer whether or not the details match an account."""
    await captcha.verify(captcha_id, captcha_answer, purpose=RECOVERY_CAPTCHA)
    await _limit_requests(id_number.strip().lower(), client, "recovery-login-name")
    return f"如姓名、证件号码与手机号码相符，登录名已发送至 {validators.mask_phone(phone)}"


async def deliver_login_name(*, name: str, id_number: str, phone: str, client: ClientInfo) -> None:
    """Texts the login name when name, ID number and phone match one account under its own cap."""
    user = await User.find_one({"id_number": id_number.strip().upper()})
    if (user is None or user.name != name.strip() or user.phone != phone
            or not await _may_send(user.id, "recovery-login-name")):
        await audit.record(AuditKind.login_name_refused, client=client, user_id=user.id if user else None)
        return
    await messaging.send(channel="sms", to=phone, subject="职称申报系统：登录名",
                         body=f"您在职称申报系统的登录名为 {user.login}，也可使用证件号码登录。", user_id=user.id)
    await audit.record(AuditKind.login_name_sent, client=client, user_id=user.id)
