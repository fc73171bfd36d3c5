"""Through Debian's Chromium: an 初定 applicant sees only the 初定 sections — the guide first, then 见习期工作情况,
主要工作成绩 and 技术工作小结 — and none of a 评审's; the administrator sees the kind's rules on the batch page."""

from playwright.async_api import expect

from app.catalog.kinds import KIND_DEFAULTS
from tests.factories import create_batch, create_person, create_sysadmin, create_unit, declaration_payload, login
from tests.web.browser import BROWSER, chromium_page, shot, sign_in

pytestmark = BROWSER
INITIAL = KIND_DEFAULTS["initial"]["sections"]


async def test_an_initial_applicant_sees_only_the_initial_sections(app, client, live):
    person = await create_person(name="刘见习")
    unit, _ = await create_unit()
    batch = await create_batch(kind="initial", committee=None)
    r = await client.post("/api/dossiers", json=declaration_payload(batch, unit, level="2", title="qzwh-2",
                                                                    mode="initial"),
                          headers=await login(client, person))
    url = f"/dossiers/{r.json()['id']}"
    async with chromium_page(live, "failure-initial") as page:
        await sign_in(page, person.login)
        await page.goto(url)
        rows = page.locator("table.completeness tbody tr")
        await expect(rows).to_have_count(len(INITIAL))
        assert [await row.get_attribute("data-section") for row in await rows.all()] == INITIAL
        await expect(page.locator("table.completeness")).not_to_contain_text("任现职以来工作总结")
        await expect(page.locator("table.completeness")).to_contain_text("见习期工作情况")
        await shot(page, "40-initial-dossier")

        # The guide first: a section saved before it is acknowledged is refused with the reason.
        await page.goto(f"{url}/sections/main_achievements")
        nav = page.locator("nav.section-nav a")
        assert [await a.get_attribute("data-nav-section") for a in await nav.all()] == INITIAL
        await page.fill("#f-text", "见习期内独立编排少儿舞蹈《小荷》。")
        await page.get_by_role("button", name="保存", exact=True).click()
        await expect(page.locator(".alert-error, .alert-danger").first).to_contain_text("请先阅读并确认初定指南")
        await expect(page.locator("[data-counter-for=f-text]")).to_contain_text("/ 400")

        await page.goto(f"{url}/sections/guide")
        await expect(page.locator("[data-guide]")).to_contain_text("初定不经评审委员会评审")
        await page.get_by_role("button", name="我已阅读并确认").click()
        await expect(page.locator(".alert-success").first).to_contain_text("已确认")
        await page.goto(f"{url}/sections/main_achievements")
        await page.fill("#f-text", "见习期内独立编排少儿舞蹈《小荷》。")
        await page.get_by_role("button", name="保存", exact=True).click()
        await expect(page.locator(".alert-success").first).to_contain_text("已保存")
        await shot(page, "41-initial-achievements")

        # A 评审 section is not there for this dossier.
        response = await page.goto(f"{url}/sections/current_title")
        assert response.status == 404


async def test_the_administrator_sees_and_chooses_the_kind(app, live):
    admin = await create_sysadmin()
    async with chromium_page(live, "failure-admin-kind") as page:
        await sign_in(page, admin.login)
        await page.goto("/admin/batches")
        await page.get_by_role("link", name="新建认定批次").click()
        await expect(page.locator("#f-kind")).to_have_value("recognition")
        rules = page.locator("#kind-rules")
        await expect(rules.locator("[data-kind-sections]")).to_contain_text("原专业技术资格证书")
        await expect(rules.locator("[data-kind-forms]")).to_contain_text("认定表")
        await expect(rules.locator("[data-kind-committee]")).to_have_text("否（不经评委会）")
        await expect(page.locator("[data-field='rules.required_sections']")).not_to_contain_text("年度考核")
        await shot(page, "42-admin-recognition-batch")
