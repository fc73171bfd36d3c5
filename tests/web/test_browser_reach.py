"""Every role's pages, in Debian's Chromium: no link leads to an error page, axe-core finds no serious or critical
accessibility violation, and no page scrolls sideways on a 375 px phone.

The world is tests/access_world.py (a dossier reported E → D → H → committee C1 and scheduled in a voting
meeting, so every role has something to look at); each party browses with the session the world made for it."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.async_api import BrowserContext, Page

from app.accounts.deps import SESSION_COOKIE
from tests import access_world
from tests.web.browser import BROWSER, CSP_WATCH, Live, axe_source, axe_violations, shot, watch_for_errors

pytestmark = BROWSER

# The parties of the access world, one per role the service has pages for.
ROLES = {"applicant": "申报人", "employer": "用人单位", "department": "主管部门", "hr_bureau": "人社局",
         "office": "评委会办事机构", "expert": "评审专家", "admin": "系统管理员"}
CRAWL_LIMIT = 120              # pages per role: the crawl is bounded even if links multiply
MAIN_PAGES = 20                # the first pages the crawl reaches (home, its links, theirs): each role's main pages
# Links not followed: signing out ends the session the crawl runs on; /api answers are files and JSON (their
# routes have their own tests), not pages.
SKIPPED = re.compile(r"^/(api/|logout|static/)")
ID = re.compile(r"(?<=/)([0-9a-f]{24}|\d+|[0-9a-z]{10})(?=/|$)")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith(("#", "mailto:", "tel:", "javascript:")):
            self.hrefs.append(href)


def pattern(url: str) -> str:
    """A page's kind: its path with ids made generic and the names of its query parameters (so one meeting,
    one dossier, one filter of a queue stands for all of them)."""
    parts = urlsplit(url)
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return ID.sub(":id", parts.path) + ("?" + "&".join(keys) if keys else "")


async def as_party(live: Live, token: str, width: int = 1366) -> BrowserContext:
    """A browser context signed in with the world's session of one party (the cookie the login page sets)."""
    context = await live.browser.new_context(base_url=live.base_url, locale="zh-CN",
                                             viewport={"width": width, "height": 800})
    host = urlsplit(live.base_url).hostname
    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "domain": host, "path": "/"}])
    await context.add_init_script(CSP_WATCH)
    return context


async def crawl(context: BrowserContext, base_url: str) -> tuple[list[str], list[str]]:
    """Follows every same-origin link from the home page over HTTP with the party's cookies, breadth first,
    one page per pattern; answers (pages visited, problems found)."""
    seen, queue, visited, problems = {pattern("/")}, ["/"], [], []
    while queue and len(visited) < CRAWL_LIMIT:
        url = queue.pop(0)
        response = await context.request.get(url, max_redirects=5)
        visited.append(url)
        if response.status >= 400:
            problems.append(f"{url} → {response.status}")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        links = _Links()
        links.feed(await response.text())
        for href in links.hrefs:
            absolute = urljoin(base_url + url, href)
            if not absolute.startswith(base_url + "/"):
                continue
            path = absolute[len(base_url):].split("#")[0]
            if SKIPPED.match(path) or pattern(path) in seen:
                continue
            seen.add(pattern(path))
            queue.append(path)
    return visited, problems


OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


async def audit(page: Page, url: str, axe: str | None) -> list[str]:
    """Its sideways overflow at this width, and with axe's source its serious and critical violations."""
    await page.goto(url)
    problems = []
    overflow = await page.evaluate(OVERFLOW)
    if overflow > 0:
        problems.append(f"{url}: {overflow} px wider than the screen")
    if axe:
        problems += [f"{url}: {v}" for v in await axe_violations(page, axe)]
    return problems


async def main_pages(context: BrowserContext, base_url: str, world, party: str) -> list[str]:
    """The role's main pages: its home page and what that links to, and the pages of the world's dossier and
    meeting the role works on."""
    links = _Links()
    links.feed(await (await context.request.get("/")).text())
    home = [href for href in dict.fromkeys(links.hrefs) if href.startswith("/") and not SKIPPED.match(href)]
    dossier, meeting = world.ids["dossier_id"], world.ids["meeting_id"]
    extra = {"applicant": [f"/dossiers/{dossier}", f"/dossiers/{dossier}/track",
                           f"/dossiers/{dossier}/sections/education"],
             "employer": [f"/review/{dossier}"],
             "office": [f"/committee/meetings/{meeting}", f"/review/{dossier}"],
             "expert": [f"/expert/meetings/{meeting}"]}.get(party, [])
    return list(dict.fromkeys(["/"] + home + extra))


@pytest.fixture
async def world(app):
    return await access_world.build()


async def test_every_link_of_every_role_answers(world, live):
    problems = {}
    for party in ROLES:
        context = await as_party(live, world.tokens[party])
        try:
            visited, found = await crawl(context, live.base_url)
        finally:
            await context.close()
        assert len(visited) > 5, f"{party}: the crawl saw only {visited}"
        if found:
            problems[party] = found
    assert problems == {}


async def check_main_pages(world, live: Live, width: int, axe: str | None) -> None:
    problems, errors, seen = [], [], set()
    for party in ROLES:
        context = await as_party(live, world.tokens[party], width)
        try:
            page = await context.new_page()
            watch_for_errors(page, errors)
            for url in await main_pages(context, live.base_url, world, party):
                if url != "/" and pattern(url) in seen:      # the pages every role has (账号, 消息, 公告) once
                    continue
                seen.add(pattern(url))
                found = await audit(page, url, axe)
                if found:
                    await shot(page, f"failure-reach-{width}-{party}-{pattern(url).strip('/').replace('/', '-')}")
                problems += [f"{ROLES[party]} {line}" for line in found]
        finally:
            await context.close()
    assert not problems, "\n".join(problems)
    assert errors == []


async def test_main_pages_have_no_serious_accessibility_violation(world, live):
    await check_main_pages(world, live, 1366, axe_source())


async def test_main_pages_fit_a_phone(world, live):
    await check_main_pages(world, live, 375, None)
