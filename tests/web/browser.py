"""Shared by the browser tests: the session's app served by uvicorn, and pages in Debian's Chromium (the
`live` fixture of tests/conftest.py holds both for the whole session)."""

import asyncio
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from app.config import PROJECT_ROOT
from app.embedded import free_port
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# axe-core from npm, fetched by scripts/bootstrap.sh into var/ (not served by the app, not committed).
AXE_FILES = sorted((PROJECT_ROOT / "var").glob("axe-core-*/axe.min.js"))


def axe_source() -> str:
    """axe-core's script, which scripts/bootstrap.sh fetches: a missing copy fails the checks, never skips them."""
    assert AXE_FILES, "axe-core is missing: run scripts/bootstrap.sh"
    return AXE_FILES[-1].read_text()


ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# Every browser test module sets `pytestmark = BROWSER`.
BROWSER = [pytest.mark.browser,
           pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--lang=zh-CN"]


class _InLoopServer(uvicorn.Server):
    """uvicorn on the test session's own event loop; Ctrl-C stays pytest's."""

    def capture_signals(self):
        return nullcontext()


@dataclass
class Live:
    """The session's app served for real, and the session's Chromium: what a browser test drives."""
    base_url: str
    browser: Browser


@asynccontextmanager
async def live_session(app):
    """ONE uvicorn and ONE Chromium for every browser test of the session (starting them, and Chromium's
    first page, cost seconds per test). uvicorn serves the session's app on the session's event loop, so
    the pages use the database client, clean-up and converter of every other test and nothing is bound
    again; each test opens its own browser contexts (its own cookies)."""
    port = free_port()
    server = _InLoopServer(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                raise RuntimeError("uvicorn did not start") from serving.exception()
            await asyncio.sleep(0.05)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                       args=CHROMIUM_ARGS)
            try:
                yield Live(f"http://127.0.0.1:{port}", browser)
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await serving


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


async def new_page(live: Live, errors: list[str]) -> Page:
    """A page in a fresh browser context of the session's Chromium (a person at their own computer)."""
    context = await live.browser.new_context(base_url=live.base_url, locale="zh-CN",
                                             viewport={"width": 1280, "height": 900})
    await context.add_init_script(CSP_WATCH)
    page = await context.new_page()
    watch_for_errors(page, errors)
    return page


@asynccontextmanager
async def chromium_people(live: Live, failure_shot: str):
    """Yields `open_page()`, which opens a page in a fresh browser context: each person of a test gets their
    own cookies, as two people at two computers would. A script error or a CSP refusal on any page fails
    the test; the contexts are closed at the end, the browser stays for the next test."""
    pages: list[Page] = []
    script_errors: list[str] = []

    async def open_page() -> Page:
        pages.append(await new_page(live, script_errors))
        return pages[-1]

    try:
        yield open_page
    except Exception:
        for number, page in enumerate(pages, 1):
            await shot(page, f"{failure_shot}-{number}")
        raise
    finally:
        for page in pages:
            await page.context.close()
    assert script_errors == []


@asynccontextmanager
async def chromium_page(live: Live, failure_shot: str):
    """One person's page (chromium_people with a single person)."""
    async with chromium_people(live, failure_shot) as open_page:
        yield await open_page()


AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)"""


async def axe_violations(page: Page, source: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now. The script goes in through the
    debugging protocol, so the page's Content-Security-Policy stays as strict as it is for a person."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(source)
    return await page.evaluate(AXE_RUN)
