"""Through Debian's Chromium: the employer reviews and reports a dossier, the applicant follows it; the department
returns it with a reason and the applicant reads the reason. The committee office accepts, holds a meeting with
an expert's vote and paper ballots, publishes, issues a certificate; the employer objects with a proof; anyone
verifies the certificate."""

import asyncio
import io
import re
import zipfile
from types import SimpleNamespace

import openpyxl

from playwright.async_api import Page, expect

from app.accounts.models import User
from app.units.enums import UnitCategory
from tests.factories import create_unit, pdf_bytes
from tests.committee.committee_kit import make_expert, place_dossier
from tests.routing.conftest import world  # noqa: F401  (the fixture: units, paths, committee, a submitted dossier)
from tests.web.browser import BROWSER, chromium_people, shot, sign_in, sign_out

pytestmark = BROWSER


async def unit_login(unit) -> str:
    return (await User.find_one({"unit_id": unit.id, "kind": "unit"})).login


async def go(page: Page, label: str) -> None:
    """Follows an item of the main navigation."""
    await page.get_by_role("navigation", name="主导航").get_by_role("link", name=label, exact=True).click()
    await page.wait_for_load_state()


async def open_from_queue(page: Page, name: str) -> None:
    await go(page, "数据审核")
    await page.wait_for_url("**/review")
    row = page.locator("#queue-table tbody tr", has_text=name)
    await expect(row).to_have_count(1)
    await row.get_by_role("link", name="审核").click()
    await page.wait_for_url(re.compile(r"/review/[0-9a-f]{24}"))


async def downloaded_sheet(page: Page, button) -> SimpleNamespace:
    """Clicks a download button; the saved workbook's sheet title, header row and first data row."""
    async with page.expect_download() as download_info:
        await button.click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    book = openpyxl.load_workbook(io.BytesIO((await download.path()).read_bytes()), read_only=True)
    header, first = [list(r) for r in book.active.iter_rows(min_row=1, max_row=2, values_only=True)]
    return SimpleNamespace(title=download.suggested_filename.split("-")[0], header=header, first=first)


async def test_review_report_track_and_return(app, world, live):
    dossier_id = world["dossier_id"]
    employer, department = await unit_login(world["employer"]), await unit_login(world["department"])
    applicant = world["applicant"].login
    async with chromium_people(live, "failure-review") as open_page:
        unit = await open_page()
        await sign_in(unit, employer)
        await expect(unit.locator(".tiles")).to_contain_text("数据审核")
        await open_from_queue(unit, "王小明")
        await expect(unit.locator("#s-education")).to_contain_text("山东艺术学院")
        await expect(unit.locator("#trail [data-trail=submit]")).to_contain_text("确认申报")
        await shot(unit, "30-review-dossier")

        await unit.fill("#f-opinion", "材料齐全，同意推荐。")
        await unit.fill("#f-signer", "张主任")
        await unit.get_by_role("button", name="通过", exact=True).click()
        await expect(unit.locator("#dossier-status")).to_have_text("通过未上报")
        await expect(unit.locator("#trail [data-trail=pass]")).to_contain_text("材料齐全，同意推荐。")

        await go(unit, "数据上报")
        await unit.wait_for_url("**/report")
        await unit.locator("select[name=size]").select_option("50")      # sent by app.js: no inline handler
        await unit.wait_for_url(re.compile(r"/report\?.*size=50"))
        await expect(unit.locator("select[name=size]")).to_have_value("50")
        for label, title in (("导出一览表", "一览表"), ("导出花名册", "花名册")):
            sheet = await downloaded_sheet(unit, unit.locator("#export-bar").get_by_role("button", name=label))
            assert sheet.title == title and sheet.header[:2] == ["序号", "姓名"], sheet
            assert sheet.first[:2] == [1, "王小明"] and "济南市群众艺术馆" in sheet.first, sheet
        await unit.get_by_label("全选本页").check()
        await expect(unit.locator("[data-picked-count]")).to_have_text("已选 1 份")
        await unit.get_by_role("button", name="数据上报", exact=True).click()
        dialog = unit.locator("dialog.batch-dialog")
        await expect(dialog.locator(".batch-preview")).to_have_text("将对 1 份申报执行 上报：王小明")
        await shot(unit, "31-report-confirm")
        await dialog.get_by_role("button", name="确定").click()
        await expect(dialog.locator(".batch-result")).to_contain_text("上报：成功 1 份")
        await shot(unit, "32-report-done")
        await dialog.get_by_role("button", name="关闭并刷新").click()
        await expect(unit.get_by_text("没有符合条件的申报")).to_be_visible()

        person = await open_page()
        await sign_in(person, applicant)
        await go(person, "我的申报")
        await person.get_by_role("link", name="状态跟踪").click()
        await person.wait_for_url(f"**/dossiers/{dossier_id}/track")
        await expect(person.locator("#trail [data-trail=pass]")).to_contain_text("张主任")
        await expect(person.locator("#trail [data-trail=report]")).to_be_visible()
        current = person.locator(".flow-node[data-state=current]")
        await expect(current).to_have_count(1)
        await expect(current.locator(".flow-name")).to_have_text("济南市文化和旅游局")
        await expect(person.locator(".flow-node[data-state=done]").first).to_contain_text("王小明")
        await shot(person, "33-track-reported")

        await sign_out(unit)
        await sign_in(unit, department)
        await open_from_queue(unit, "王小明")
        await unit.get_by_role("button", name="返回修改").click()
        await expect(unit.locator("[data-field=opinion] .field-error")).to_have_text("返回修改须填写原因")
        await unit.fill("#f-opinion", "请补充近三年的业绩证明材料。")
        await unit.get_by_role("button", name="返回修改").click()
        await expect(unit.locator("#dossier-status")).to_have_text("待审核")
        await expect(unit.get_by_text("仅供查看")).to_be_visible()
        await shot(unit, "34-department-returned")

        await person.reload()
        await expect(person.locator("#return-reason")).to_contain_text("请补充近三年的业绩证明材料。")
        await expect(person.locator("#trail [data-trail=return]")).to_contain_text("济南市文化和旅游局")
        await expect(person.locator(".flow-node[data-state=current] .flow-name")).to_have_text("济南市群众艺术馆")
        await shot(person, "35-track-returned")
        await expect(person.locator(".who-inbox .count-badge")).to_have_text("3")


async def accept_dialogs(page: Page) -> Page:
    """The pages ask window.confirm before irreversible steps; the person says yes."""
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    return page


async def confirm_batch(page: Page, button: str, preview: str, done: str) -> None:
    await page.get_by_role("button", name=button, exact=True).click()
    dialog = page.locator("dialog.batch-dialog")
    await expect(dialog.locator(".batch-preview")).to_have_text(preview)
    await dialog.get_by_role("button", name="确定").click()
    await expect(dialog.locator(".batch-result")).to_contain_text(done)
    await dialog.get_by_role("button", name="关闭并刷新").click()


async def test_committee_meeting_publicity_and_certificate(app, world, live):
    library, _ = await create_unit(name="济南市图书馆", parent=world["department"], region_code="370100",
                                   category=UnitCategory.city_affiliated)
    experts = [await make_expert(library, name=f"评审专家{n}") for n in "甲乙丙"]
    await place_dossier(world, status="at_committee", name="李晓华")
    certified = await place_dossier(world, status="publicized", name="孙公示")
    holder = (await User.get(certified.applicant_id)).login
    office = (await User.find_one({"roles.role": "committee_intermediate"})).login
    employer = await unit_login(world["employer"])
    async with chromium_people(live, "failure-committee") as open_page:
        desk = await accept_dialogs(await open_page())
        await sign_in(desk, office)
        await go(desk, "资格审查")
        await desk.locator("#queue-table tbody tr", has_text="李晓华").get_by_role("checkbox").check()
        await confirm_batch(desk, "受理（资格审查通过）", "将对 1 份申报执行 受理：李晓华", "受理：成功 1 份")

        await go(desk, "评审会")
        await desk.fill("#f-name", "2026年度群众文化中级评审会")
        await desk.fill("#f-location", "济南市人社局三楼会议室")
        await desk.get_by_role("button", name="新建评审会").click()
        await desk.wait_for_url(re.compile(r"/committee/meetings/[0-9a-f]{24}$"))
        for expert in experts:
            await desk.fill("#expert-q", expert.name)
            await desk.locator("[data-expert-search] .suggestions li", has_text=expert.name).click()
        await desk.get_by_role("button", name="保存专家名单").click()
        await expect(desk.locator("#member-list li")).to_have_count(3)
        for expert in experts:
            await desk.get_by_label(expert.name, exact=True).check()
        await desk.get_by_role("button", name="保存到会登记").click()
        await expect(desk.locator("#meeting-info")).to_contain_text("到会 3 人")
        await desk.get_by_label("全选").check()
        await confirm_batch(desk, "安排上会", "将对 1 份申报执行 安排评审：李晓华", "安排评审：成功 1 份")
        async with desk.expect_download() as download_info:
            await desk.locator("#meeting-bundle").get_by_role("button", name="下载材料包").click()
        bundle = await download_info.value
        assert bundle.suggested_filename.endswith(".zip"), bundle.suggested_filename
        with zipfile.ZipFile(await bundle.path()) as zf:
            assert zf.testzip() is None and "manifest.json" in zf.namelist()
            assert any("李晓华" in name for name in zf.namelist()), zf.namelist()
        await desk.get_by_role("button", name="开始表决").click()
        await expect(desk.locator("#meeting-status")).to_have_text("表决中")
        meeting_url = desk.url

        voter = await accept_dialogs(await open_page())
        await sign_in(voter, experts[0].login)
        await go(voter, "评审表决")
        await voter.get_by_role("link", name="去表决").click()
        await voter.locator("tr", has_text="李晓华").get_by_role("button", name="同意", exact=True).click()
        await expect(voter.locator("[data-my-vote]")).to_have_text("已表决：同意")
        await shot(voter, "40-expert-voted")

        await desk.goto(meeting_url)
        for expert in experts[1:]:
            row = desk.locator("#meeting-dossiers tr", has_text="李晓华")
            await row.locator("summary", has_text="代录纸质选票").click()
            await row.locator("select[name=expert_id]").select_option(label=expert.name)
            await row.get_by_role("button", name="录入").click()
            await expect(desk.locator("#meeting-info")).to_contain_text(f"{experts.index(expert) + 1} 票")
        await shot(desk, "41-meeting-voting")
        await desk.get_by_role("button", name="结束评审会并计票").click()
        await expect(desk.locator("#meeting-results")).to_contain_text("评审通过")
        await shot(desk, "42-meeting-closed")

        await go(desk, "评审结果")
        await desk.get_by_label("全选本页").check()
        await confirm_batch(desk, "发布结果进入公示", "将对 1 份申报执行 发布结果：李晓华", "发布结果：成功 1 份")

        await go(desk, "证书")
        await desk.locator("#queue-table tbody tr", has_text="孙公示").get_by_role("checkbox").check()
        await desk.fill("#c-doc", "济人社职字〔2026〕12号")
        await desk.fill("#c-body", "济南市人力资源和社会保障局")
        await confirm_batch(desk, "发证", "将对 1 份申报执行 发证：孙公示", "发证：成功 1 份")
        await desk.get_by_role("link", name="已发证").click()
        await expect(desk.locator("#issued")).to_contain_text("济人社职字〔2026〕12号")
        await shot(desk, "43-certificates")

        unit = await accept_dialogs(await open_page())
        await sign_in(unit, employer)
        await go(unit, "公示")
        row = unit.locator("#pub-opinion tbody tr", has_text="李晓华")
        await row.locator("summary", has_text="有异议").click()
        await row.locator("textarea[name=reason]").fill("群众反映业绩材料与实际不符")
        await row.locator("input[name=proof]").set_input_files(
            {"name": "异议证明.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()})
        await row.get_by_role("button", name="提交有异议").click()
        await expect(unit.locator("#pub-opinion tbody tr", has_text="李晓华")).to_contain_text("异议证明.pdf")
        await shot(unit, "44-publicity-objection")

        holder_page = await open_page()
        await sign_in(holder_page, holder)
        await holder_page.goto(f"/dossiers/{certified.id}/track")
        number = await holder_page.locator("[data-certificate-number]").inner_text()
        code = await holder_page.locator("[data-verification-code]").inner_text()
        await expect(holder_page.get_by_role("button", name="下载证书")).to_have_attribute(
            "data-download", f"/api/dossiers/{certified.id}/forms/certificate.pdf")
        word = holder_page.locator(f'[data-download="/api/dossiers/{certified.id}/forms/application.docx"]')
        async with holder_page.expect_download() as download_info:      # the download helper saves the file
            await word.click()
        assert (await download_info.value).suggested_filename.endswith(".docx")
        await shot(holder_page, "45-track-certified")

        anonymous = await open_page()
        await anonymous.goto("/verify")
        await anonymous.fill("#v-number", number)
        await anonymous.fill("#v-code", "WRONG234")
        await anonymous.get_by_role("button", name="查验").click()
        await expect(anonymous.locator("#verify-result")).to_contain_text("未查到该证书")
        await anonymous.fill("#v-code", code.lower())
        await anonymous.get_by_role("button", name="查验").click()
        await expect(anonymous.locator("#verify-result")).to_contain_text("查验通过")
        await expect(anonymous.locator("#verify-result")).to_contain_text("孙*示")
        await shot(anonymous, "46-verify")
