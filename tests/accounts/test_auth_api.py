"""Registration, login, lockout, captcha, sessions, passwords and the audit log, through the API."""

import re
from datetime import timedelta

from app import clock
from app.accounts.models import AuditEvent, LoginFailure, Session, User
from app.accounts.validators import resident_id_check_char
from app.config import get_settings
from app.messaging.models import OutboxMessage
from tests.factories import PASSWORD, create_person, login, person_payload, solved_captcha


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


class TestRecovery:
    async def request_code(self, client, login_name, channel="sms"):
        return await client.post("/api/auth/recovery/code", json={"login": login_name, "channel": channel,
                                                                 **await solved_captcha("recovery")})

    async def test_code_by_sms_then_reset(self, client):
        user = await create_person()
        r = await self.request_code(client, user.id_number)
        assert r.status_code == 200, r.text
        assert r.json()["sent_to"] == user.phone[:3] + "****" + user.phone[-4:]
        message = await OutboxMessage.find_one({"to": user.phone})
        code = code_from_outbox(message)
        r = await client.post("/api/auth/recovery/reset", json={"login": user.login, "code": code,
                                                               "new_password": "Recover1!"})
        assert r.status_code == 204
        await login(client, user, "Recover1!")
        r = await client.post("/api/auth/recovery/reset", json={"login": user.login, "code": code,
                                                               "new_password": "Again123!"})
        assert r.status_code == 422 and r.json()["code"] == "code_expired"   # single use
        assert await AuditEvent.find_one({"kind": "password_reset", "user_id": user.id})

    async def test_email_channel(self, client):
        user = await create_person()
        assert (await self.request_code(client, user.login, "email")).status_code == 200
        assert await OutboxMessage.find_one({"to": user.email, "channel": "email"})

    async def test_captcha_is_required_every_time(self, client):
        user = await create_person()
        r = await client.post("/api/auth/recovery/code", json={"login": user.login})
        assert r.status_code == 422 and r.json()["code"] == "captcha_required"
        login_captcha = await solved_captcha("login")
        r = await client.post("/api/auth/recovery/code", json={"login": user.login, **login_captcha})
        assert r.json()["code"] == "captcha_invalid"      # a login captcha does not serve recovery
        assert await OutboxMessage.find_all().count() == 0

    async def test_expired_code(self, client):
        user = await create_person()
        await self.request_code(client, user.login)
        code = code_from_outbox(await OutboxMessage.find_one({}))
        clock.advance(get_settings().recovery_code_ttl_seconds + 1)
        r = await client.post("/api/auth/recovery/reset", json={"login": user.login, "code": code,
                                                               "new_password": "Recover1!"})
        assert r.status_code == 422 and r.json()["code"] == "code_expired"

    async def test_wrong_codes_exhaust_the_code(self, client):
        user = await create_person()
        await self.request_code(client, user.login)
        code = code_from_outbox(await OutboxMessage.find_one({}))
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(get_settings().recovery_max_attempts):
            r = await client.post("/api/auth/recovery/reset", json={"login": user.login, "code": wrong,
                                                                   "new_password": "Recover1!"})
            assert r.json()["code"] == "code_wrong"
        r = await client.post("/api/auth/recovery/reset", json={"login": user.login, "code": code,
                                                               "new_password": "Recover1!"})
        assert r.json()["code"] == "code_exhausted"
        await login(client, user)      # the old password still works

    async def test_rate_limited(self, client):
        user = await create_person()
        assert (await self.request_code(client, user.login)).status_code == 200
        r = await self.request_code(client, user.login)
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        for _ in range(get_settings().recovery_codes_per_hour - 1):
            clock.advance(get_settings().recovery_code_interval_seconds + 1)
            assert (await self.request_code(client, user.login)).status_code == 200
        clock.advance(get_settings().recovery_code_interval_seconds + 1)
        assert (await self.request_code(client, user.login)).status_code == 429
        assert await OutboxMessage.find_all().count() == get_settings().recovery_codes_per_hour

    async def test_only_the_newest_code_works(self, client):
        user = await create_person()
        await self.request_code(client, user.login)
        first = code_from_outbox(await OutboxMessage.find_one({}))
        clock.advance(get_settings().recovery_code_interval_seconds + 1)
        await self.request_code(client, user.login)
        messages = await OutboxMessage.find_all().sort("created_at").to_list()
        second = code_from_outbox(messages[-1])
        if first != second:
            r = await client.post("/api/auth/recovery/reset", json={"login": user.login, "code": first,
                                                                   "new_password": "Recover1!"})
            assert r.json()["code"] == "code_wrong"
        r = await client.post("/api/auth/recovery/reset", json={"login": user.login, "code": second,
                                                               "new_password": "Recover1!"})
        assert r.status_code == 204

    async def test_unknown_account(self, client):
        r = await self.request_code(client, "ghost_user")
        assert r.status_code == 404 and r.json()["field"] == "login"

    async def test_forgot_login_name(self, client):
        user = await create_person()
        body = {"name": user.name, "id_number": user.id_number, "phone": user.phone}
        r = await client.post("/api/auth/recovery/login-name", json={**body, **await solved_captcha("recovery")})
        assert r.status_code == 200, r.text
        message = await OutboxMessage.find_one({"to": user.phone})
        assert user.login in message.body
        r = await client.post("/api/auth/recovery/login-name",
                              json={**body, "phone": "13000000000", **await solved_captcha("recovery")})
        assert r.status_code == 404 and r.json()["code"] == "identity_mismatch"


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
