"""Through Debian's Chromium: the holder of an issued certificate opens 我的证书, applies for a reissue of it
(遗失, with a loss statement), the committee office approves on its 补证审批 page, and the holder's list then
shows the new number and the old one as replaced."""

from playwright.async_api import expect

from app.accounts.models import User
from app.dossiers.models import Dossier
from tests.committee.committee_kit import place_dossier
from tests.committee.test_certificates import issue
from tests.factories import pdf_bytes
from tests.routing.conftest import world  # noqa: F401  (the fixture: units, paths, committee, a submitted dossier)
from tests.web.browser import BROWSER, chromium_people, sign_in

pytestmark = BROWSER


async def test_the_holder_applies_and_the_office_approves(app, client, world, live, tmp_path):
    dossier = await place_dossier(world, status="publicized", name="王小明")
    assert (await issue(client, world, [dossier], issuing_body="济南市人力资源和社会保障局")).json()["done"] == 1
    old = (await Dossier.get(dossier.id)).certificate.number
    holder = await User.get(dossier.applicant_id)
    office = await User.find_one({"roles.role": "committee_intermediate"})
    statement = tmp_path / "遗失声明.pdf"
    statement.write_bytes(pdf_bytes(1))
    async with chromium_people(live, "failure-reissue") as open_page:
        page = await open_page()
        await sign_in(page, holder.login)
        await page.get_by_role("link", name="我的证书").first.click()
        await page.locator(f'tr[data-certificate="{old}"] [data-reissue-link]').click()
        await expect(page.locator("[data-certificate-number]")).to_have_text(old)
        await page.get_by_role("button", name="提交补证申请").click()             # nothing chosen: the API says what
        await expect(page.locator('[data-field="reason"] .field-error')).to_be_visible()
        await page.get_by_role("radio", name="遗失").check()
        await page.fill("#f-statement", "2026年12月搬家时遗失，已登报声明作废")
        await page.set_input_files("#f-proof", str(statement))
        await page.get_by_role("button", name="提交补证申请").click()
        await expect(page.locator("#reissue-pending")).to_contain_text("等待")

        desk = await open_page()
        await sign_in(desk, office.login)
        await desk.goto("/committee/reissue")
        await desk.locator("#reissue-queue").get_by_role("link", name="审批").click()
        await expect(desk.locator("#reissue-pending")).to_contain_text("遗失声明.pdf")
        await desk.get_by_role("button", name="同意补发（生成新证书编号）").click()
        await desk.wait_for_url("**/committee/reissue")
        await expect(desk.locator("main")).to_contain_text("暂无待审批的补证申请")

        new = (await Dossier.get(dossier.id)).certificate.number
        await page.goto("/certificates")
        await expect(page.locator(f'tr[data-certificate="{new}"]')).to_contain_text("有效（补发）")
        await expect(page.locator(f'tr[data-replaced="{old}"]')).to_contain_text(new)
