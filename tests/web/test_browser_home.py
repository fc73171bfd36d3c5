"""Through Debian's Chromium: the applicant's home says where the dossier is and leads to its next step; the
employer's home counts what waits (待审核 1), the count leads to the filtered queue, whose 申报职称 filter
cascades from the chosen series and level; 被退回 leads to its tab, the unusual dates show to the applicant and
the reviewer; a 受理点's 待发证 leads to the tab it issues from."""

import re

from playwright.async_api import expect

from app.accounts.models import User
from tests.committee.test_kinds import kinds_world  # noqa: F401  (the fixture: a 受理点, no committee)
from tests.routing import conftest as routing
from tests.web.browser import BROWSER, chromium_people, shot, sign_in

pytestmark = BROWSER
world = routing.world      # the fixture: employer → department → HR bureau → committee, one submitted dossier


async def test_the_applicant_and_the_employer_start_from_their_to_do(app, world, live):
    dossier_id = world["dossier_id"]
    employer = (await User.find_one({"unit_id": world["employer"].id, "kind": "unit"})).login
    async with chromium_people(live, "failure-home") as open_page:
        person = await open_page()
        await sign_in(person, world["applicant"].login)
        row = person.locator(f'#my-steps tr[data-dossier="{dossier_id}"]')
        await expect(row).to_contain_text("待审核")
        await expect(row).to_contain_text(world["employer"].name)
        await expect(person.get_by_role("navigation", name="常用功能")).to_contain_text("我的申报")
        await shot(person, "10-home-applicant")
        await row.get_by_role("link", name=re.compile("等待")).click()
        await person.wait_for_url(f"**/dossiers/{dossier_id}/track")

        unit = await open_page()
        await sign_in(unit, employer)
        pending = unit.locator(".todo-item", has_text="待审核")
        await expect(pending.locator(".todo-count")).to_have_text("1")
        await expect(unit.locator(".todo-item", has_text="待上报").locator(".todo-count")).to_have_text("0")
        await shot(unit, "11-home-unit")
        await pending.get_by_role("link").click()
        await unit.wait_for_url("**/review?tab=pending")
        await expect(unit.locator("#queue-table tbody tr")).to_have_count(1)

        title = unit.locator("#q-title")
        await expect(title.locator("option")).to_have_text(["请先选择职称系列"])
        await unit.locator("#q-series").select_option("qzwh")
        await unit.locator("#q-level").select_option("3")
        await expect(title.locator("option")).to_have_text(["全部", "馆员"])
        await unit.locator("#q-series").select_option("tszl")
        await unit.locator("#q-level").select_option("")
        await expect(title.locator("option", has_text=re.compile("^馆员$"))).to_have_count(1)


async def test_sent_back_leads_to_its_tab_and_the_warnings_show_to_both_sides(app, world, live, client):
    """The department returns the employer's report: the employer's home counts 被退回 1, the count opens the tab
    listing it (no serious axe finding), whose row opens the review page flagging the unusual date the applicant
    also sees on the dossier page."""
    from tests.web.test_plausibility_pages import MESSAGE, young_degree
    from tests.web.browser import axe_source, axe_violations

    for who, action in (("as_employer", "pass"), ("as_employer", "report")):
        assert (await routing.act(client, world, who, action)).status_code == 200
    assert (await routing.act(client, world, "as_department", "return", opinion="请补充推荐意见")).status_code == 200
    await young_degree(world)
    employer = (await User.find_one({"unit_id": world["employer"].id, "kind": "unit"})).login
    async with chromium_people(live, "failure-sent-back") as open_page:
        unit = await open_page()
        await sign_in(unit, employer)
        sent_back = unit.locator(".todo-item", has_text="被退回")
        await expect(sent_back.locator(".todo-count")).to_have_text("1")
        await sent_back.get_by_role("link").click()
        await unit.wait_for_url("**/review?tab=sent_back")
        await expect(unit.locator("#queue-table tbody tr")).to_have_count(1)
        await expect(unit.locator("#sent-back-note")).to_be_visible()
        assert await axe_violations(unit, axe_source()) == []
        await unit.locator("#queue-table tbody tr").get_by_role("link", name="查看").click()
        await unit.wait_for_url(f"**/review/{world['dossier_id']}**")
        await expect(unit.locator("#flags")).to_contain_text(MESSAGE)

        person = await open_page()
        await sign_in(person, world["applicant"].login)
        await person.goto(f"/dossiers/{world['dossier_id']}")
        await expect(person.locator("#plausibility-warnings")).to_contain_text(MESSAGE)
        assert await axe_violations(person, axe_source()) == []


async def test_the_acceptance_point_issues_from_its_to_certify_tab(app, kinds_world, live, client):
    """初定 granted at the HR bureau (its 受理点): 待发证 1 on its home leads to the tab, where it picks the
    dossier, gives the 发文字号 and issues (preview, confirm); the count is 0 after."""
    from tests.committee.test_kinds import decide, initial_submitted, up_to_hr
    from tests.web.test_browser_review import confirm_batch

    world = kinds_world
    dossier_id = await initial_submitted(world)
    await up_to_hr(client, world, dossier_id)
    assert (await decide(client, world, dossier_id, approve=True)).status_code == 200
    async with chromium_people(live, "failure-to-certify") as open_page:
        bureau = await open_page()
        await sign_in(bureau, world["hr_account"].login)
        waiting = bureau.locator(".todo-item", has_text="待发证")
        await expect(waiting.locator(".todo-count")).to_have_text("1")
        await waiting.get_by_role("link").click()
        await bureau.wait_for_url("**/review?tab=to_certify")
        row = bureau.locator("#queue-table tbody tr")
        await expect(row).to_have_count(1)
        await row.get_by_role("checkbox").check()
        await bureau.fill("#ac-doc", "济人社职字〔2026〕88号")
        await confirm_batch(bureau, "发证", "将对 1 份申报执行 发证：刘见习", "发证：成功 1 份")
        await expect(bureau.locator("#queue-table tbody tr")).to_have_count(0)
        await bureau.goto("/")
        await expect(bureau.locator(".todo-item", has_text="待发证").locator(".todo-count")).to_have_text("0")
