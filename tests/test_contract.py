"""Every fault answered in the error contract: out-of-range integers, a bad batch filter, a wrong method,
an unexpected exception (JSON under /api, the error page for the web), and the security headers."""

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import PlainTextResponse

from app.faults import FaultBarrier
from app.headers import PAGE_CSP, SecurityHeaders
from tests.factories import create_sysadmin, login

HUGE = "9223372036854775808"   # 2**63: past BSON's int64


def assert_contract(response, status: int, code: str, field: str | None = ...):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    if field is not ...:
        assert body["field"] == field
    return body


class TestIntegerBounds:
    @pytest.mark.parametrize("year", [HUGE, "-1", "1999", "2101"])
    async def test_batches_year_anonymous(self, client, year):
        assert_contract(await client.get("/api/batches", params={"year": year}), 422, "invalid", "year")

    async def test_batches_year_in_range(self, client):
        r = await client.get("/api/batches", params={"year": 2026})
        assert r.status_code == 200 and r.json() == []

    @pytest.mark.parametrize("params, field", [({"year": HUGE}, "year"), ({"page": HUGE}, "page"),
                                               ({"page": "0"}, "page"), ({"page": "10001"}, "page")])
    async def test_queue(self, client, params, field):
        headers = await login(client, await create_sysadmin())
        assert_contract(await client.get("/api/review/queue", params=params, headers=headers), 422, "invalid", field)

    async def test_queue_last_page_allowed(self, client):
        headers = await login(client, await create_sysadmin())
        r = await client.get("/api/review/queue", params={"page": 10_000, "view": "all"}, headers=headers)
        assert r.status_code == 200 and r.json()["items"] == []

    @pytest.mark.parametrize("url", ["/api/exports/overview.xlsx", "/api/bundles.zip"])
    async def test_exports_and_bundles_year(self, client, url):
        headers = await login(client, await create_sysadmin())
        assert_contract(await client.get(url, params={"year": HUGE}, headers=headers), 422, "invalid", "year")

    async def test_if_match_beyond_any_version(self, client):
        headers = await login(client, await create_sysadmin())
        r = await client.put("/api/batches/64b7f0c2a1b2c3d4e5f60718", json={},
                             headers={**headers, "If-Match": HUGE})
        assert r.status_code in (412, 422, 404), r.text
        assert set(r.json()) >= {"code", "message", "field"}


class TestReviewBatchFilter:
    async def test_filter_validated_like_the_queue(self, client):
        headers = await login(client, await create_sysadmin())
        r = await client.post("/api/review/batch", json={"action": "pass", "filter": {"year": "abc"}}, headers=headers)
        assert_contract(r, 422, "invalid", "filter.year")

    async def test_filter_year_out_of_range(self, client):
        headers = await login(client, await create_sysadmin())
        r = await client.post("/api/review/batch", json={"action": "pass", "filter": {"year": HUGE}}, headers=headers)
        assert_contract(r, 422, "invalid", "filter.year")

    async def test_valid_filter_previews(self, client):
        headers = await login(client, await create_sysadmin())
        r = await client.post("/api/review/batch", json={"action": "pass", "filter": {"year": 2026}}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["count"] == 0


class TestMethodNotAllowed:
    async def test_405_says_what_is_allowed(self, client):
        r = await client.delete("/api/batches")
        body = assert_contract(r, 405, "method_not_allowed", None)
        assert body["field"] is None
        assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "POST"}


class TestUnexpectedErrors:
    async def test_api_gets_internal_error_with_a_request_id(self, client, monkeypatch, caplog):
        from app.catalog import batches

        async def broken(**_):
            raise RuntimeError("a bug")

        monkeypatch.setattr(batches, "listing", broken)
        r = await client.get("/api/batches")
        body = assert_contract(r, 500, "internal_error", None)
        assert len(body["request_id"]) == 16 and r.headers["x-request-id"] == body["request_id"]
        assert body["request_id"] in caplog.text and "a bug" in caplog.text      # the log line to look up
        assert r.headers["content-security-policy"] == PAGE_CSP                  # headers on faults too

    async def test_page_gets_the_error_page(self, client, monkeypatch):
        from app.notifications import service as notifications

        async def broken(**_):
            raise RuntimeError("a bug")

        monkeypatch.setattr(notifications, "list_announcements", broken)
        r = await client.get("/announcements", headers={"Accept": "text/html"})
        assert r.status_code == 500
        assert r.headers["content-type"].startswith("text/html")
        assert "出错了" in r.text and "a bug" not in r.text


class TestSecurityHeaders:
    async def test_pages_and_api(self, client):
        for url in ("/login", "/api/batches", "/static/app.js"):
            r = await client.get(url)
            assert r.headers["content-security-policy"] == PAGE_CSP, url
            assert "'unsafe-inline'" not in r.headers["content-security-policy"]
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "SAMEORIGIN"
            assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"

    async def test_docs_get_a_looser_policy(self, client):
        r = await client.get("/docs")
        assert "'unsafe-inline'" in r.headers["content-security-policy"]
        assert "frame-ancestors 'self'" in r.headers["content-security-policy"]

    async def test_templates_carry_no_inline_script(self):
        import re

        from app.web.pages import WEB_DIR

        for template in (WEB_DIR / "templates").rglob("*.html"):
            text = template.read_text(encoding="utf-8")
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
            assert not re.search(r"\son[a-z]+\s*=", text), template.name
            assert "javascript:" not in text, template.name


async def test_a_header_set_by_the_route_is_kept():
    """A download's own sandboxing CSP is not replaced; what it did not set is added. No database here."""
    app = FastAPI()

    @app.get("/file")
    def file():
        return PlainTextResponse("x", headers={"Content-Security-Policy": "sandbox"})

    app.add_middleware(SecurityHeaders)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        r = await http.get("/file")
    assert r.headers["content-security-policy"] == "sandbox"
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_the_barrier_cannot_answer_once_the_response_has_begun():
    """A stream that fails midway can only be cut off: no second response is started. No database here."""
    app = FastAPI()

    @app.get("/stream")
    def stream():
        from starlette.responses import StreamingResponse

        def chunks():
            yield b"first"
            raise RuntimeError("midway")

        return StreamingResponse(chunks())

    app.add_middleware(FaultBarrier)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        with pytest.raises(RuntimeError, match="midway"):
            await http.get("/stream")
