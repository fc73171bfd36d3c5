"""The administrator's settings in Chromium: a committee's rules saved through the page (and a copy older than
another administrator's save refused, not overwriting it), a batch's form template replaced and reset."""

from playwright.async_api import expect

from app.catalog.models import Batch, Committee
from app.config import PROJECT_ROOT
from app.render import templates as form_templates
from tests.factories import create_batch, create_committee, create_sysadmin, create_unit
from tests.web.browser import BROWSER, chromium_page, shot, sign_in

pytestmark = BROWSER


async def test_administrator_sets_a_committees_rules(app, live):
    office, _ = await create_unit(name="济南市人社局职称办", region_code="370100")
    committee = await create_committee(office_unit=office)
    admin = await create_sysadmin()
    async with chromium_page(live, "failure-committee-settings") as page:
        await sign_in(page, admin.login)
        await page.goto("/")
        await page.get_by_role("link", name="评委会设置").first.click()
        await page.get_by_role("link", name=f"设置{committee.name}").click()
        await page.fill("#f-publicity_working_days", "4")                 # under the national floor of 5
        await page.get_by_role("button", name="保存").click()
        error = page.locator("[data-field=publicity_working_days] .field-error")
        await expect(error).to_be_visible()
        assert (await Committee.get(committee.id)).version == 0
        await page.fill("#f-publicity_working_days", "7")
        await page.fill("#f-review_request_days", "20")
        await page.fill("#f-issuing_body", "济南市人力资源和社会保障局")
        async with page.expect_navigation():                               # saved, then shown again from the store
            await page.get_by_role("button", name="保存").click()
        await expect(page.locator("#f-publicity_working_days")).to_have_value("7")
        stored = await Committee.get(committee.id)
        assert (stored.publicity_working_days, stored.review_request_days, stored.version) == (7, 20, 1)
        assert stored.issuing_body == "济南市人力资源和社会保障局"
        await shot(page, "41-admin-committee")

        await stored.set({"case_answer_days": 45, "version": 2})           # another administrator saved meanwhile
        await page.fill("#f-case_answer_days", "10")
        await page.get_by_role("button", name="保存").click()
        await expect(page.locator(".alert-danger")).to_contain_text("已在别处修改")
        assert (await Committee.get(committee.id)).case_answer_days == 45


async def test_administrator_replaces_and_resets_a_form_template(app, live):
    batch = await create_batch()
    admin = await create_sysadmin()
    async with chromium_page(live, "failure-batch-templates") as page:
        await sign_in(page, admin.login)
        await page.goto(f"/admin/batches/{batch.id}")
        row = page.locator("#form-templates tr[data-form=brief]")
        await expect(row).to_contain_text("默认模板")
        await row.locator("input[data-upload]").set_input_files(
            {"name": "简介表（本省）.docx", "mimeType": "application/octet-stream", "buffer": b"not a docx"})
        await expect(row.locator(".field-error")).to_be_visible()          # refused, beside its row
        source = (PROJECT_ROOT / "templates_docx" / "brief.docx").read_bytes()
        await row.locator("input[data-upload]").set_input_files(
            {"name": "简介表（本省）.docx", "mimeType": "application/octet-stream", "buffer": source})
        await expect(page.locator("#form-templates tr[data-form=brief]")).to_contain_text("本批次替换")
        assert (await form_templates.current(batch.id, "brief")).file_id is not None
        page.once("dialog", lambda dialog: dialog.accept())
        await page.locator("#form-templates tr[data-form=brief]").get_by_role("button", name="恢复默认").click()
        await expect(page.locator("#form-templates tr[data-form=brief]")).to_contain_text("默认模板")
        assert (await form_templates.current(batch.id, "brief")).file_id is None


async def test_administrator_edits_the_blind_review_score_form(app, live):
    """The batch page keeps the score form's criteria and opinion rules: edited, checked beside the cell, saved."""
    batch = await create_batch()
    admin = await create_sysadmin()
    async with chromium_page(live, "failure-blind-criteria") as page:
        await sign_in(page, admin.login)
        await page.goto(f"/admin/batches/{batch.id}")
        rows = page.locator("[data-json-list='rules.blind_review.criteria'] tr[data-row]")
        await rows.nth(0).locator("input[name=name]").fill("技术水平")
        await page.get_by_role("button", name="添加评分项目").click()
        added = rows.last
        await added.locator("input[name=name]").fill("规范性")
        await added.locator("input[name=max_points]").fill("0")
        await page.locator("#f-blind-opinion_max_chars").fill("800")
        await page.get_by_role("button", name="保存批次").click()
        await expect(added.locator(".field-error, td.has-error")).not_to_have_count(0)   # beside the bad cell
        assert (await Batch.get(batch.id)).rules.blind_review.criteria[0].name == "学术（技术）水平"
        await added.locator("input[name=max_points]").fill("10")
        await page.get_by_role("button", name="保存批次").click()
        await expect(page.locator(".batch-form .alert-success")).to_have_text("已保存")
        blind = (await Batch.get(batch.id)).rules.blind_review
        assert [(c.name, c.max_points) for c in blind.criteria] == [
            ("技术水平", 40), ("创新性", 30), ("应用价值与影响", 30), ("规范性", 10)]
        assert blind.opinion_max_chars == 800 and blind.opinion_required is True
