"""Settings refuse unsafe production configurations."""

import os

import pytest
from pydantic import ValidationError

from app.config import DEFAULT_SECRET, MIN_SECRET_LENGTH, Settings, get_settings, settings_or_exit
from tests.factories import PASSWORD, create_person

LONG_SECRET = "x" * MIN_SECRET_LENGTH
# What production needs besides the secret and the database.
PUBLIC = dict(public_base_url="https://zc.example.gov.cn", signing_pkcs12_path="/etc/zhicheng/signer.p12")


def test_default_secret_is_refused_outside_dev(monkeypatch):
    monkeypatch.delenv("ZC_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="ZC_SECRET_KEY"):
        Settings(env="prod", mongodb_uri="mongodb://db:27017")


def test_production_needs_a_real_database():
    with pytest.raises(ValidationError, match="MONGODB_URI"):
        Settings(env="prod", secret_key=LONG_SECRET, mongodb_uri=None)


@pytest.mark.parametrize("env", ["prod", "staging", ""])
def test_short_secret_is_refused_outside_dev(env):
    with pytest.raises(ValidationError, match=f"至少{MIN_SECRET_LENGTH}个字符"):
        Settings(env=env, secret_key="x" * (MIN_SECRET_LENGTH - 1), mongodb_uri="mongodb://db:27017")
    assert Settings(env=env, secret_key=LONG_SECRET, mongodb_uri="mongodb://db:27017", **PUBLIC).secret_key == LONG_SECRET


def test_short_secret_stops_the_process_with_status_2(monkeypatch, capsys):
    monkeypatch.setenv("ZC_ENV", "prod")
    monkeypatch.setenv("ZC_SECRET_KEY", "short")
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as stopped:
            settings_or_exit()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert stopped.value.code == 2
    assert "ZC_SECRET_KEY 过短" in capsys.readouterr().err
    assert get_settings().env == "test"


def test_cookies_are_secure_by_default_outside_dev():
    prod = dict(secret_key=LONG_SECRET, mongodb_uri="mongodb://db:27017", **PUBLIC)
    assert Settings(env="prod", **prod).secure_cookies is True
    assert Settings(env="prod", cookie_secure=False, **prod).secure_cookies is False   # plain-http trial only
    assert Settings(env="dev").secure_cookies is False
    assert Settings(env="dev", cookie_secure=True).secure_cookies is True


async def test_production_login_sets_secure_cookies(client, monkeypatch):
    from app.accounts import router

    prod = Settings(env="prod", secret_key=LONG_SECRET, mongodb_uri="mongodb://db:27017", **PUBLIC)
    monkeypatch.setattr(router, "get_settings", lambda: prod)
    user = await create_person()
    r = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD})
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2 and all("; Secure" in c for c in cookies), cookies


def test_production_needs_its_public_address_and_a_signing_key():
    prod = dict(env="prod", secret_key=LONG_SECRET, mongodb_uri="mongodb://db:27017")
    with pytest.raises(ValidationError, match="ZC_PUBLIC_BASE_URL 未设置"):
        Settings(**prod, signing_pkcs12_path="/etc/zhicheng/signer.p12")
    with pytest.raises(ValidationError, match="未配置证书签名密钥"):
        Settings(**prod, public_base_url="https://zc.example.gov.cn")
    with pytest.raises(ValidationError, match="只能设置其一"):
        Settings(**prod, **PUBLIC, signing_pkcs11_module="/usr/lib/softhsm/libsofthsm2.so")
    assert Settings(**prod, **PUBLIC).public_base_url == "https://zc.example.gov.cn"


@pytest.mark.parametrize("url", ["zc.example.gov.cn", "ftp://zc.example.gov.cn", "https://", "https://x.cn/?a=1"])
def test_public_address_must_be_an_http_url(url):
    with pytest.raises(ValidationError, match="ZC_PUBLIC_BASE_URL 应为"):
        Settings(env="dev", public_base_url=url)
    assert Settings(env="dev", public_base_url="https://x.cn/zc/").public_base_url == "https://x.cn/zc"


def test_dev_accepts_the_defaults(monkeypatch):
    monkeypatch.delenv("ZC_SECRET_KEY", raising=False)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    settings = Settings(env="dev")
    assert settings.secret_key == DEFAULT_SECRET and settings.mongodb_uri is None


async def test_openapi_lists_the_design_routes(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/auth/register", "/api/auth/login", "/api/auth/logout", "/api/me", "/api/auth/password",
                 "/api/auth/recovery/code", "/api/auth/recovery/reset", "/api/auth/recovery/login-name",
                 "/api/units", "/api/units/{unit_id}/children", "/api/units/{unit_id}/permission-application",
                 "/api/permission-applications/{application_id}/decision", "/api/units/{unit_id}/staff",
                 "/api/catalog/{dictionary}"):
        assert path in paths, path
    assert (await client.get("/docs")).status_code == 200


async def test_health_pings_the_database(client):
    r = await client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["dependencies"]["database"] == "ok"
    assert body["dependencies"]["converter"] in ("not_started", "starting", "ok")   # warm only if a test started it


async def test_unknown_api_route_has_the_error_shape(client):
    r = await client.get("/api/nothing-here")
    assert r.status_code == 404
    assert set(r.json()) >= {"code", "message", "field"}


def test_serve_points_certificates_at_itself_unless_configured(monkeypatch):
    from app.__main__ import public_address, use_own_address

    assert public_address("0.0.0.0", 8331) == "http://127.0.0.1:8331"
    assert public_address("::1", 8332) == "http://[::1]:8332"
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k != "ZC_PUBLIC_BASE_URL"})
    get_settings.cache_clear()
    try:
        use_own_address("192.0.2.7", 8333)
        assert get_settings().public_base_url == "http://192.0.2.7:8333"
        monkeypatch.setenv("ZC_PUBLIC_BASE_URL", "https://zc.example.gov.cn/")
        get_settings.cache_clear()
        use_own_address("192.0.2.7", 8333)                      # configured: kept
        assert get_settings().public_base_url == "https://zc.example.gov.cn"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
