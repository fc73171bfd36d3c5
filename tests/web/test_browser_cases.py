"""Through Debian's Chromium: a member of the public opens the 公示名单, lodges an objection with a proof file
on its form (a missing field is named beside it), lands on the lookup page with the case number; the committee
office finds the case on its list, records its handling and answers; the lookup then shows the answer."""

from datetime import date

from playwright.async_api import expect

from app.accounts import captcha
from app.accounts.models import User
from app.committee.case_models import Case
from tests.committee.committee_kit import place_dossier, relogin, set_china_date
from tests.factories import pdf_bytes
from tests.routing.conftest import world  # noqa: F401  (the fixture: units, paths, committee, a submitted dossier)
from tests.web.browser import BROWSER, chromium_people, sign_in

pytestmark = BROWSER


async def solve_captcha(page) -> None:
    """The picture's answer is the service's secret: the test issues its own captcha and puts it in the form."""
    captcha_id, answer, _ = await captcha.issue("objection")
    await page.locator('#objection-form input[name="captcha_id"]').evaluate("(el, v) => el.value = v", str(captcha_id))
    await page.fill("#o-captcha", answer)


async def test_public_objection_and_the_office_case_page(app, client, world, live, tmp_path):
    # A day after the real one: the database's TTL monitor reaps sessions whose expiry (set on the service's
    # clock) has passed on its own real clock, so a browser signed in on a clock moved back could lose its
    # session to the monitor's next sweep in the middle of the test.
    set_china_date(date(2030, 9, 17))
    await relogin(client, world)
    dossier = await place_dossier(world, status="approved", name="李晓华")
    r = await client.post("/api/publicity/publish", json={"ids": [str(dossier.id)], "confirm": True},
                          headers=world["as_office"])
    assert r.json()["done"] == 1, r.text
    office = await User.find_one({"roles.role": "committee_intermediate"})
    proof = tmp_path / "出版记录.pdf"
    proof.write_bytes(pdf_bytes(1))
    async with chromium_people(live, "failure-cases") as open_page:
        public = await open_page()
        await public.goto("/results")
        await public.locator("#results-table [data-objection]").first.click()
        await expect(public.locator("#objection-person")).to_contain_text("李晓华")
        await public.fill("#o-contact", "13900001111")
        await public.fill("#o-facts", "该人员申报的论文并非本人独立完成，有期刊出版记录为证。")
        await solve_captcha(public)
        await public.get_by_role("button", name="提交异议").click()            # no name: the API says so beside it
        await expect(public.locator('[data-field="name"] .field-error')).to_be_visible()
        assert await Case.count() == 0
        await public.fill("#o-name", "王大明")
        await public.set_input_files("#o-proof", str(proof))
        await solve_captcha(public)
        await public.get_by_role("button", name="提交异议").click()
        await public.wait_for_url("**/cases/lookup?number=YY*")
        case = await Case.find_one({})
        await expect(public.locator("#l-number")).to_have_value(case.number)
        await public.fill("#l-contact", "13900001111")
        await public.get_by_role("button", name="查询").click()
        await expect(public.locator("#lookup-status")).to_have_text("已收到")

        desk = await open_page()
        await sign_in(desk, office.login)
        await desk.goto("/committee/cases")
        row = desk.locator(f'#cases-table tr[data-case="{case.id}"]')
        await expect(row).to_contain_text("王*明")
        await row.get_by_role("link", name="办理").click()
        await expect(desk.locator("#case-facts")).to_contain_text("13900001111")
        await expect(desk.locator("#case-facts")).to_contain_text("查看")               # the proof's link
        await desk.fill("#h-note", "已调取期刊出版记录核实")
        await desk.get_by_role("button", name="记录办理情况").click()
        await expect(desk.locator("#case-facts h2")).to_contain_text("办理中")
        await desk.fill("#a-answer", "经核实，该论文为申报人第一作者，异议不成立。")
        await desk.get_by_role("button", name="答复", exact=True).click()
        await expect(desk.locator("#case-answer")).to_contain_text("异议不成立")
        await expect(desk.locator("#case-steps")).to_contain_text("已调取期刊出版记录核实")

        await public.reload()
        await expect(public.locator("#lookup-status")).to_have_text("已答复")
        await expect(public.locator("#lookup-answer")).to_contain_text("异议不成立")
