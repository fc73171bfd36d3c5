"""Through Debian's Chromium: the employer saves an opinion to finish later and uploads a 流程附件; after it passes
the dossier the applicant asks for it back (申请退回编辑), the employer grants it, and the applicant then deletes
the dossier for the year (删除流程), which leaves their list."""

from playwright.async_api import expect

from app.accounts.models import User
from tests.factories import pdf_bytes
from tests.routing.conftest import world  # noqa: F401  (the fixture: units, paths, committee, a submitted dossier)
from tests.web.browser import BROWSER, chromium_people, sign_in

pytestmark = BROWSER


async def test_saved_opinion_step_file_edit_request_and_deletion(app, world, live, tmp_path):
    dossier_id = world["dossier_id"]
    employer = (await User.find_one({"unit_id": world["employer"].id, "kind": "unit"})).login
    proof = tmp_path / "推荐意见.pdf"
    proof.write_bytes(pdf_bytes(1))
    async with chromium_people(live, "failure-requests") as open_page:
        unit = await open_page()
        await sign_in(unit, employer)
        await unit.goto(f"/review/{dossier_id}")
        await unit.fill("#f-opinion", "拟同意推荐，待主任签字")
        await unit.fill("#f-signer", "张主任")
        await unit.get_by_role("button", name="保存意见", exact=True).click()
        await expect(unit.locator("#decide .alert")).to_contain_text("意见已保存")
        await unit.reload()
        await expect(unit.locator("#f-opinion")).to_have_value("拟同意推荐，待主任签字")
        await expect(unit.locator("#f-signer")).to_have_value("张主任")

        await unit.select_option("#f-step-kind", "recommendation")
        await unit.set_input_files("#f-step-file", str(proof))
        await unit.get_by_role("button", name="流程附件上传", exact=True).click()
        await expect(unit.locator("#step-attachments table")).to_contain_text("推荐意见.pdf")
        await expect(unit.locator("#trail [data-trail=step_attachment]")).to_contain_text("推荐材料：推荐意见.pdf")
        await unit.get_by_role("button", name="通过", exact=True).click()
        await expect(unit.locator("#dossier-status")).to_have_text("通过未上报")

        applicant = await open_page()
        applicant.on("dialog", lambda dialog: dialog.accept())
        await sign_in(applicant, world["applicant"].login)
        await applicant.goto(f"/dossiers/{dossier_id}")
        await applicant.locator("#edit-request summary").click()
        await applicant.fill("#f-edit-reason", "业绩证明上传错了")
        await applicant.get_by_role("button", name="提交申请", exact=True).click()
        await expect(applicant.locator("#edit-request")).to_contain_text("等待答复")

        await unit.reload()
        await expect(unit.locator("#edit-request")).to_contain_text("业绩证明上传错了")
        await unit.locator("#edit-request").get_by_role("button", name="提交答复").click()
        await expect(unit.locator("#dossier-status")).to_have_text("退回修改")

        await applicant.reload()
        await applicant.get_by_role("button", name="删除流程（当年不再申报）", exact=True).click()
        await applicant.wait_for_url("**/dossiers")
        await expect(applicant.locator(f'a[href^="/dossiers/{dossier_id}"]')).to_have_count(0)
