"""Shared by the browser tests: the app served by uvicorn in a thread, and pages in Debian's Chromium."""

import asyncio
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Page, async_playwright

from app import db
from app.config import PROJECT_ROOT, get_settings
from app.documents import document_models
from app.embedded import free_port
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# Every browser test module sets `pytestmark = BROWSER`.
BROWSER = [pytest.mark.browser,
           pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--lang=zh-CN"]


@asynccontextmanager
async def live_server():
    """The app served for real by uvicorn in a thread, on the test database.

    Its lifespan binds the document models to its own client and closes it on exit, so afterwards they
    are bound again to a client of the test's event loop.
    """
    from app.main import create_app

    settings = get_settings()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, lifespan="on",
                                           log_level="warning"))
    previous = db.current()
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        for _ in range(300):
            if server.started:
                break
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            await asyncio.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)
        await previous.close()
        await db.open_database(settings, document_models())


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def sign_in(page: Page, login: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.fill("#f-login", login)
    await page.fill("#f-password", password)
    await page.get_by_role("button", name="登录", exact=True).click()
    await page.wait_for_url(lambda url: "/login" not in url)


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="退出登录").click()
    await page.wait_for_url("**/login")


# Chromium reports what the Content-Security-Policy blocks on the console ("Refused to execute inline
# event handler …") and as a securitypolicyviolation event, which this script echoes to the console too.
CSP_WATCH = ("document.addEventListener('securitypolicyviolation', function (e) {"
             " console.error('Refused to run (CSP ' + e.violatedDirective + '): ' + (e.blockedURI || 'inline')"
             " + ' at ' + e.sourceFile + ':' + e.lineNumber); });")


def watch_for_errors(page: Page, errors: list[str]) -> None:
    """A script error or a CSP refusal on any page fails the test (a page that needs an inline script is
    broken under the service's policy)."""
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(f"{page.url}: {message.text}")
            if "Refused to" in message.text else None)


@asynccontextmanager
async def chromium_page(base_url: str, failure_shot: str):
    """A page in headless Debian Chromium; a script error or a CSP refusal on any page fails the test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = await browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 900})
        await context.add_init_script(CSP_WATCH)
        page = await context.new_page()
        script_errors: list[str] = []
        watch_for_errors(page, script_errors)
        try:
            yield page
        except Exception:
            await shot(page, failure_shot)
            raise
        finally:
            await browser.close()
        assert script_errors == []


@asynccontextmanager
async def chromium_people(base_url: str, failure_shot: str):
    """Like chromium_page, but yields `open_page()`, which opens a page in a fresh browser context: each person
    of a test gets their own cookies, as two people at two computers would."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        pages: list[Page] = []
        script_errors: list[str] = []

        async def open_page() -> Page:
            context = await browser.new_context(base_url=base_url, locale="zh-CN",
                                                viewport={"width": 1280, "height": 900})
            await context.add_init_script(CSP_WATCH)
            page = await context.new_page()
            watch_for_errors(page, script_errors)
            pages.append(page)
            return page

        try:
            yield open_page
        except Exception:
            for number, page in enumerate(pages, 1):
                await shot(page, f"{failure_shot}-{number}")
            raise
        finally:
            await browser.close()
        assert script_errors == []
