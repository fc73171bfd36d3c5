"""Settings refuse unsafe production configurations."""

import pytest
from pydantic import ValidationError

from app.config import DEFAULT_SECRET, Settings


def test_default_secret_is_refused_outside_dev(monkeypatch):
    monkeypatch.delenv("ZC_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="ZC_SECRET_KEY"):
        Settings(env="prod", mongodb_uri="mongodb://db:27017")


def test_production_needs_a_real_database():
    with pytest.raises(ValidationError, match="MONGODB_URI"):
        Settings(env="prod", secret_key="s3cret-for-prod", mongodb_uri=None)


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
