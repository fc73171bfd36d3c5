"""Registration, login, lockout, captcha, sessions, passwords and the audit log, through the API."""

import re
from datetime import timedelta

from app import clock
from app.accounts.models import AuditEvent, LoginFailure, Session, User
from app.accounts.validators import resident_id_check_char
from app.config import get_settings
from app.messaging.models import OutboxMessage
from tests.factories import PASSWORD, create_person, login, person_payload, resident_id, solved_captcha


async def user_count() -> int:
    return await User.find_all().count()


class TestRegister:
    async def test_valid_registration_stores_person_with_hashed_password(self, client):
        payload = person_payload(id_number="37010219850315123x")
        r = await client.post("/api/auth/register", json=payload)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["id_number"] == "37010219850315123X"          # normalised upper-case check char
        assert [g["role"] for g in body["roles"]] == ["applicant"]
        stored = await User.find_one(User.login_key == payload["login"].lower())
        assert stored.password_hash.startswith("$argon2")
        assert PASSWORD not in stored.password_hash
        assert await AuditEvent.find_one({"kind": "register", "user_id": stored.id})

    async def test_bad_checksum_is_refused_and_nothing_stored(self, client):
        good = person_payload()["id_number"]
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        r = await client.post("/api/auth/register", json=person_payload(id_number=bad))
        assert r.status_code == 422
        assert r.json()["field"] == "id_number"
        assert "校验位" in r.json()["message"]
        assert await user_count() == 0

    async def test_impossible_birth_date_is_refused(self, client):
        first17 = "37010219851345123"   # month 13
        r = await client.post("/api/auth/register",
                              json=person_payload(id_number=first17 + resident_id_check_char(first17)))
        assert r.status_code == 422
        assert "出生日期" in r.json()["message"]

    async def test_other_id_types_are_accepted(self, client):
        r = await client.post("/api/auth/register", json=person_payload(id_type="passport", id_number="E12345678"))
        assert r.status_code == 201, r.text

    async def test_weak_passwords(self, client):
        for password, fragment in [("short1!", "至少8位"), ("onlyletters!", "字母、数字和特殊字符"),
                                   ("Letters123", "字母、数字和特殊字符")]:
            r = await client.post("/api/auth/register", json=person_payload(password=password))
            assert r.status_code == 422, password
            assert r.json()["field"] == "password"
            assert fragment in r.json()["message"]
        payload = person_payload(login="samename1", password="samename1")
        r = await client.post("/api/auth/register", json=payload)
        assert r.status_code == 422
        assert await user_count() == 0

    async def test_password_equal_to_login_is_refused(self, client):
        r = await client.post("/api/auth/register", json=person_payload(login="abc.def1!x", password="abc.def1!x"))
        assert r.status_code == 422   # login charset refuses "!" first; either way nothing is stored
        r = await client.post("/api/auth/register", json=person_payload(login="Wang_2024x", password="wang_2024x"))
        assert r.status_code == 422
        assert r.json()["code"] in ("weak_password", "invalid")
        assert await user_count() == 0

    async def test_one_account_per_id_number(self, client):
        payload = person_payload()
        assert (await client.post("/api/auth/register", json=payload)).status_code == 201
        again = person_payload(id_number=payload["id_number"])
        r = await client.post("/api/auth/register", json=again)
        assert r.status_code == 409
        assert r.json() | {"message": ""} == {"code": "id_number_taken", "field": "id_number", "message": ""}
        assert await user_count() == 1

    async def test_taken_id_numbers_cannot_be_listed_by_registering(self, client):
        to_the_start_of_an_hour()
        taken = person_payload()
        assert (await client.post("/api/auth/register", json=taken)).status_code == 201
        for _ in range(get_settings().registration_conflicts_per_client_hour):
            r = await client.post("/api/auth/register", json=person_payload(id_number=taken["id_number"]))
            assert r.status_code == 409
        r = await client.post("/api/auth/register", json=person_payload(id_number=taken["id_number"]))
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        assert (await client.post("/api/auth/register", json=person_payload())).status_code == 429
        assert await user_count() == 1

    async def test_login_name_taken(self, client):
        payload = person_payload(login="Dupname")
        assert (await client.post("/api/auth/register", json=payload)).status_code == 201
        r = await client.post("/api/auth/register", json=person_payload(login="dupNAME"))
        assert r.status_code == 409
        assert r.json()["field"] == "login"

    async def test_missing_fields_get_field_errors(self, client):
        r = await client.post("/api/auth/register", json={"login": "abcd1"})
        assert r.status_code == 422
        body = r.json()
        assert body["code"] == "invalid"
        assert body["message"] == "此项必填"
        assert {e["field"] for e in body["errors"]} >= {"name", "id_number", "phone", "password"}

    async def test_name_and_id_number_cannot_be_changed_afterwards(self, client):
        payload = person_payload()
        await client.post("/api/auth/register", json=payload)
        headers = await login(client, payload["login"])
        for change in ({"name": "李四"}, {"id_number": person_payload()["id_number"]}):
            r = await client.patch("/api/me", json=change, headers=headers)
            assert r.status_code == 422
        r = await client.patch("/api/me", json={"phone": "13911112222"}, headers=headers)
        assert r.status_code == 200
        stored = await User.find_one(User.login_key == payload["login"])
        assert (stored.name, stored.id_number, stored.phone) == (payload["name"], payload["id_number"], "13911112222")


class TestLogin:
    async def test_login_by_login_name_or_id_number(self, client):
        user = await create_person()
        for name in (user.login.upper(), user.id_number, user.id_number.lower()):
            r = await client.post("/api/auth/login", json={"login": name, "password": PASSWORD})
            assert r.status_code == 200, name
            assert r.cookies.get("zc_session")
        assert await AuditEvent.find({"kind": "login", "user_id": user.id}).count() == 3

    async def test_anonymous_gets_401(self, client):
        r = await client.get("/api/me")
        assert r.status_code == 401
        assert r.json()["code"] == "not_authenticated"

    async def test_unknown_login_then_captcha_required(self, client):
        r = await client.post("/api/auth/login", json={"login": "nobody1", "password": "x"})
        assert r.status_code == 401
        assert r.json()["captcha_required"] is True
        r = await client.post("/api/auth/login", json={"login": "nobody1", "password": "x"})
        assert r.status_code == 422
        assert r.json()["code"] == "captcha_required"
        assert r.json()["field"] == "captcha"

    async def test_captcha_after_first_failure_and_single_use(self, client):
        user = await create_person()
        r = await client.post("/api/auth/login", json={"login": user.login, "password": "wrong"})
        assert r.status_code == 401
        assert r.json()["attempts_left"] == 4
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD})
        assert r.json()["code"] == "captcha_required"
        solved = await solved_captcha()
        wrong = {"captcha_id": solved["captcha_id"], "captcha_answer": "ZZZZ"}
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD, **wrong})
        assert r.json()["code"] == "captcha_wrong"
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD, **solved})
        assert r.json()["code"] == "captcha_invalid"        # consumed by the wrong guess
        solved = await solved_captcha()
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD, **solved})
        assert r.status_code == 200
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD, **solved})
        assert r.status_code == 200                          # success cleared the captcha requirement
        assert await LoginFailure.find_all().count() == 0

    async def test_captcha_picture(self, client):
        r = await client.get("/api/auth/captcha")
        assert r.status_code == 200
        assert r.json()["image"].startswith("data:image/png;base64,")

    async def test_five_wrong_passwords_lock_for_fifteen_minutes(self, client):
        user = await create_person()
        for attempt in range(5):
            captcha = await solved_captcha() if attempt else {}
            r = await client.post("/api/auth/login", json={"login": user.login, "password": "Wrong1!xx", **captcha})
        assert r.status_code == 423
        body = r.json()
        assert body["code"] == "account_locked"
        assert "已锁定" in body["message"] and "后再试" in body["message"]
        assert await AuditEvent.find_one({"kind": "locked", "user_id": user.id})
        # the right password does not help while locked
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD,
                                                      **await solved_captcha()})
        assert r.status_code == 423
        clock.advance(timedelta(minutes=get_settings().lockout_minutes, seconds=1).total_seconds())
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD,
                                                      **await solved_captcha()})
        assert r.status_code == 200

    async def test_administrator_unlocks(self, client):
        from tests.factories import create_sysadmin

        user = await create_person()
        await User.get_pymongo_collection().update_one(
            {"_id": user.id}, {"$set": {"locked_until": clock.utcnow() + timedelta(minutes=15)}})
        admin = await create_sysadmin()
        headers = await login(client, admin)
        other = await login(client, await create_person())
        assert (await client.post(f"/api/users/{user.id}/unlock", headers=other)).status_code == 404
        assert (await client.post(f"/api/users/{user.id}/unlock", headers=headers)).status_code == 204
        assert (await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD})
                ).status_code == 200
        assert await AuditEvent.find_one({"kind": "unlocked", "user_id": user.id, "actor_id": admin.id})

    async def test_disabled_account_cannot_log_in(self, client):
        user = await create_person()
        await User.get_pymongo_collection().update_one({"_id": user.id}, {"$set": {"enabled": False}})
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD})
        assert r.status_code == 403
        assert r.json()["code"] == "account_disabled"


class TestSessions:
    async def test_logout_ends_the_session(self, client):
        user = await create_person()
        headers = await login(client, user)
        assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
        assert (await client.get("/api/me", headers=headers)).status_code == 401
        assert await Session.find_all().count() == 0

    async def test_idle_expiry(self, client):
        headers = await login(client, await create_person())
        clock.advance(get_settings().session_idle_minutes * 60 + 5)
        r = await client.get("/api/me", headers=headers)
        assert r.status_code == 401
        assert r.json()["code"] == "session_expired"

    async def test_activity_keeps_the_session_alive(self, client):
        headers = await login(client, await create_person())
        half = get_settings().session_idle_minutes * 60 * 0.6
        clock.advance(half)
        assert (await client.get("/api/me", headers=headers)).status_code == 200
        clock.advance(half)
        assert (await client.get("/api/me", headers=headers)).status_code == 200

    async def test_cookie_session_needs_csrf_header_for_writes(self, client):
        user = await create_person()
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD})
        csrf = r.json()["csrf_token"]
        assert (await client.get("/api/me")).status_code == 200          # cookie carried by the client
        r = await client.patch("/api/me", json={"phone": "13900001111"})
        assert r.status_code == 403
        assert r.json()["code"] == "csrf_failed"
        assert (await User.get(user.id)).phone == user.phone
        r = await client.patch("/api/me", json={"phone": "13900001111"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200

    async def test_cookie_is_httponly(self, client):
        user = await create_person()
        r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD})
        cookies = r.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("zc_session="))
        assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie


class TestPasswordChange:
    async def test_change_password(self, client):
        user = await create_person()
        headers = await login(client, user)
        other_session = await login(client, user)
        r = await client.post("/api/auth/password", json={"old_password": "nope", "new_password": "Newpass1!"},
                              headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "old_password"
        r = await client.post("/api/auth/password", json={"old_password": PASSWORD, "new_password": "weak"},
                              headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "new_password"
        r = await client.post("/api/auth/password", json={"old_password": PASSWORD, "new_password": PASSWORD},
                              headers=headers)
        assert r.json()["code"] == "same_password"
        r = await client.post("/api/auth/password", json={"old_password": PASSWORD, "new_password": "Newpass1!"},
                              headers=headers)
        assert r.status_code == 204
        assert (await client.get("/api/me", headers=headers)).status_code == 200
        assert (await client.get("/api/me", headers=other_session)).status_code == 401   # others signed out
        await login(client, user, "Newpass1!")
        assert await AuditEvent.find_one({"kind": "password_changed", "user_id": user.id})

    async def test_must_change_password_blocks_everything_else(self, client):
        user = await create_person()
        await User.get_pymongo_collection().update_one({"_id": user.id}, {"$set": {"must_change_password": True}})
        headers = await login(client, user)
        r = await client.get("/api/units/tree", headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "password_change_required"
        assert (await client.get("/api/me", headers=headers)).status_code == 200
        r = await client.post("/api/auth/password", json={"old_password": PASSWORD, "new_password": "Fresh123!"},
                              headers=headers)
        assert r.status_code == 204
        assert (await client.get("/api/units/tree", headers=headers)).status_code == 200


def code_from_outbox(message: OutboxMessage) -> str:
    return re.search(r"验证码 (\d{6})", message.body).group(1)


def to_the_start_of_an_hour() -> None:
    """Fixed-window limits count per clock hour: a test that spends one hour's allowance starts at its start."""
    clock.advance(3600 - clock.utcnow().timestamp() % 3600 + 1)


async def request_code(client, login_name, channel="sms"):
    return await client.post("/api/auth/recovery/code", json={"login": login_name, "channel": channel,
                                                             **await solved_captcha("recovery")})


async def reset(client, login_name, code, new_password="Recover1!"):
    return await client.post("/api/auth/recovery/reset", json={"login": login_name, "code": code,
                                                              "new_password": new_password,
                                                              **await solved_captcha("recovery")})


class TestRecovery:
    async def test_code_by_sms_then_reset(self, client):
        user = await create_person()
        r = await request_code(client, user.id_number)
        assert r.status_code == 200, r.text
        assert user.phone[-4:] not in r.json()["message"] and "验证码已发送" in r.json()["message"]
        message = await OutboxMessage.find_one({"to": user.phone})
        code = code_from_outbox(message)
        r = await reset(client, user.login, code)
        assert r.status_code == 204, r.text
        await login(client, user, "Recover1!")
        r = await reset(client, user.login, code, "Again123!")
        assert r.status_code == 422 and r.json()["code"] == "code_invalid"   # single use
        assert await AuditEvent.find_one({"kind": "password_reset", "user_id": user.id})

    async def test_email_channel(self, client):
        user = await create_person()
        assert (await request_code(client, user.login, "email")).status_code == 200
        assert await OutboxMessage.find_one({"to": user.email, "channel": "email"})

    async def test_captcha_is_required_every_time(self, client):
        user = await create_person()
        r = await client.post("/api/auth/recovery/code", json={"login": user.login})
        assert r.status_code == 422 and r.json()["code"] == "captcha_required"
        login_captcha = await solved_captcha("login")
        r = await client.post("/api/auth/recovery/code", json={"login": user.login, **login_captcha})
        assert r.json()["code"] == "captcha_invalid"      # a login captcha does not serve recovery
        assert await OutboxMessage.find_all().count() == 0
        await request_code(client, user.login)
        code = code_from_outbox(await OutboxMessage.find_one({}))
        r = await client.post("/api/auth/recovery/reset", json={"login": user.login, "code": code,
                                                               "new_password": "Recover1!"})
        assert r.status_code == 422 and r.json()["code"] == "captcha_required"
        await login(client, user)                          # nothing changed without the captcha

    async def test_expired_code(self, client):
        user = await create_person()
        await request_code(client, user.login)
        code = code_from_outbox(await OutboxMessage.find_one({}))
        clock.advance(get_settings().recovery_code_ttl_seconds + 1)
        r = await reset(client, user.login, code)
        assert r.status_code == 422 and r.json()["code"] == "code_invalid"

    async def test_wrong_codes_exhaust_the_code(self, client):
        user = await create_person()
        await request_code(client, user.login)
        code = code_from_outbox(await OutboxMessage.find_one({}))
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(get_settings().recovery_max_attempts):
            assert (await reset(client, user.login, wrong)).json()["code"] == "code_invalid"
        r = await reset(client, user.login, code)
        assert r.status_code == 422 and r.json()["code"] == "code_invalid"
        await login(client, user)      # the old password still works

    async def test_requests_are_limited_per_login_string(self, client):
        to_the_start_of_an_hour()
        user = await create_person()
        settings = get_settings()
        for name in (user.login, "ghost_user"):          # a known and an unknown login are limited alike
            assert (await request_code(client, name)).status_code == 200
            r = await request_code(client, name)
            assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        for _ in range(settings.recovery_codes_per_hour - 1):
            clock.advance(settings.recovery_code_interval_seconds + 1)
            for name in (user.login, "ghost_user"):
                assert (await request_code(client, name)).status_code == 200
        clock.advance(settings.recovery_code_interval_seconds + 1)
        for name in (user.login, "ghost_user"):
            assert (await request_code(client, name)).status_code == 429
        assert await OutboxMessage.find_all().count() == settings.recovery_codes_per_hour

    async def test_the_account_cap_is_silent(self, client):
        """Asking by login name and then by ID number gets two answers, but only one message a minute."""
        to_the_start_of_an_hour()
        user = await create_person()
        first, second = await request_code(client, user.login), await request_code(client, user.id_number)
        assert (first.status_code, first.json()) == (second.status_code, second.json()) == (200, first.json())
        assert await OutboxMessage.find_all().count() == 1
        assert await AuditEvent.find_one({"kind": "recovery_code_refused", "user_id": user.id})

    async def test_only_the_newest_code_works(self, client):
        user = await create_person()
        await request_code(client, user.login)
        first = code_from_outbox(await OutboxMessage.find_one({}))
        clock.advance(get_settings().recovery_code_interval_seconds + 1)
        await request_code(client, user.login)
        messages = await OutboxMessage.find_all().sort("created_at").to_list()
        second = code_from_outbox(messages[-1])
        if first != second:
            assert (await reset(client, user.login, first)).json()["code"] == "code_invalid"
        assert (await reset(client, user.login, second)).status_code == 204

    async def test_resets_are_limited_per_login_and_per_client(self, client):
        to_the_start_of_an_hour()
        settings = get_settings()
        for _ in range(settings.recovery_resets_per_login_hour):
            assert (await reset(client, "ghost_user", "123456")).json()["code"] == "code_invalid"
        r = await reset(client, "ghost_user", "123456")
        assert r.status_code == 429 and r.json()["code"] == "rate_limited" and {"message", "field"} <= set(r.json())
        for n in range(settings.recovery_resets_per_client_hour - settings.recovery_resets_per_login_hour - 1):
            assert (await reset(client, f"ghost{n}", "123456")).status_code == 422
        r = await reset(client, "another_ghost", "123456")     # a fresh login, but this client spent its hour
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"

    async def test_forgot_login_name(self, client):
        user = await create_person()
        body = {"name": user.name, "id_number": user.id_number, "phone": user.phone}
        r = await client.post("/api/auth/recovery/login-name", json={**body, **await solved_captcha("recovery")})
        assert r.status_code == 200, r.text
        message = await OutboxMessage.find_one({"to": user.phone})
        assert user.login in message.body
        clock.advance(get_settings().recovery_code_interval_seconds + 1)
        r = await client.post("/api/auth/recovery/login-name",
                              json={**body, "phone": "13000000000", **await solved_captcha("recovery")})
        assert r.status_code == 200 and await OutboxMessage.find_all().count() == 1


def same(response) -> tuple[int, dict]:
    """Status and body, with the moment a lock ends left out (it is the clock's, not the account's)."""
    body = {k: v for k, v in response.json().items() if k != "locked_until"}
    body["message"] = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "<time>", body["message"])
    return response.status_code, body


class TestNoEnumeration:
    """An existing and an unknown account get the same status and body at every step."""

    async def test_login_failures_and_lock(self, client):
        user = await create_person()
        known, unknown = [], []
        for attempt in range(get_settings().lockout_threshold + 1):
            for name, answers in ((user.login, known), ("nobody_here", unknown)):
                captcha = await solved_captcha() if attempt else {}
                r = await client.post("/api/auth/login", json={"login": name, "password": "Wrong1!xx", **captcha})
                answers.append(same(r))
        assert known == unknown
        assert [status for status, _ in known] == [401, 401, 401, 401, 423, 423]
        assert known[0][1]["attempts_left"] == 4 and "再错4次" in known[0][1]["message"]
        # the account itself is locked: its ID number does not open it either, even with the right password
        r = await client.post("/api/auth/login", json={"login": user.id_number, "password": PASSWORD})
        assert r.status_code == 423

    async def test_unknown_login_takes_a_password_check(self, client, monkeypatch):
        from app.accounts import service

        checked = []
        real = service.verify_password

        async def counting(password_hash, password):
            checked.append(password_hash)
            return await real(password_hash, password)

        monkeypatch.setattr(service, "verify_password", counting)
        await client.post("/api/auth/login", json={"login": "nobody_here", "password": "Wrong1!xx"})
        assert len(checked) == 1 and checked[0].startswith("$argon2")

    async def test_recovery_code_request(self, client):
        with_email = await create_person()
        without_email = await create_person(email=None)
        answers = [await request_code(client, name, "email")
                   for name in (with_email.login, without_email.login, "ghost_user")]
        assert len({(r.status_code, r.text) for r in answers}) == 1 and answers[0].status_code == 200
        assert [m.to for m in await OutboxMessage.find_all().to_list()] == [with_email.email]

    async def test_recovery_reset(self, client):
        with_code, without_code = await create_person(), await create_person()
        await request_code(client, with_code.login)
        code = code_from_outbox(await OutboxMessage.find_one({}))
        wrong = "000000" if code != "000000" else "111111"
        answers = [await reset(client, name, wrong) for name in (with_code.login, without_code.login, "ghost_user")]
        assert len({(r.status_code, r.text) for r in answers}) == 1 and answers[0].status_code == 422
        weak = [await reset(client, name, wrong, "weak") for name in (with_code.login, "ghost_user")]
        assert weak[0].status_code == 422 and weak[0].text == weak[1].text

    async def test_login_name_recovery(self, client):
        user = await create_person()
        answers = []
        for id_number in (user.id_number, resident_id()):
            body = {"name": user.name + "x", "id_number": id_number, "phone": user.phone}
            answers.append(await client.post("/api/auth/recovery/login-name",
                                             json={**body, **await solved_captcha("recovery")}))
        assert answers[0].status_code == 200 and answers[0].text == answers[1].text
        assert await OutboxMessage.find_all().count() == 0


class TestAudit:
    async def test_only_sysadmin_reads_the_audit_log(self, client):
        from tests.factories import create_sysadmin

        user = await create_person()
        await client.post("/api/auth/login", json={"login": user.login, "password": "bad"})
        headers = await login(client, await create_sysadmin())
        r = await client.get("/api/audit", params={"user_id": str(user.id)}, headers=headers)
        assert r.status_code == 200
        failed = [e for e in r.json() if e["kind"] == "login_failed"]
        assert failed and failed[0]["ip"] == "203.0.113.7"
        assert (await client.get("/api/audit", headers=await login(client, await create_person()))
                ).status_code == 403


class TestInputEdges:
    async def test_phone_cannot_be_cleared(self, client):
        user = await create_person()
        headers = await login(client, user)
        r = await client.patch("/api/me", json={"phone": None}, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "phone"
        assert (await User.get(user.id)).phone == user.phone

    async def test_passwords_are_kept_exactly_as_typed(self, client):
        payload = person_payload(password=" Spaced1! ")
        assert (await client.post("/api/auth/register", json=payload)).status_code == 201
        await login(client, payload["login"], " Spaced1! ")
        r = await client.post("/api/auth/login", json={"login": payload["login"], "password": "Spaced1!"})
        assert r.status_code == 401

    async def test_top_level_regions(self, client):
        top = (await client.get("/api/catalog/regions", params={"parent": ""})).json()
        assert [r["name"] for r in top] == ["山东省"]
        cities = (await client.get("/api/catalog/regions", params={"parent": "370000"})).json()
        assert "济南市" in [r["name"] for r in cities]

    async def test_empty_batch_message(self, client):
        from tests.factories import create_unit

        unit, account = await create_unit()
        r = await client.post(f"/api/units/{unit.id}/sub-accounts", json={"accounts": []},
                              headers=await login(client, account))
        assert r.status_code == 422 and r.json()["message"] == "至少填写一项"
