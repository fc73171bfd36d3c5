"""Through Debian's Chromium: an applicant declares, fills a whole dossier with attachments and submits it;
the administrator keeps batches and dictionaries."""

import json
import re
from datetime import datetime, timedelta

from playwright.async_api import Locator, Page, expect

from app.catalog.models import DictionaryEntry
from app.clock import CHINA
from tests.factories import (complete_sections, create_batch, create_person, create_sysadmin, create_unit,
                             declaration_payload, jpeg_bytes, login, pdf_bytes)
from tests.web.browser import BROWSER, chromium_page, shot, sign_in

pytestmark = BROWSER
PHOTO_SHOWN = "() => { const img = document.querySelector('[data-photo-preview]'); return img.naturalWidth > 0; }"


def pdf(name: str, pages: int = 1) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(pages)}


async def saved(scope: Page | Locator) -> None:
    await expect(scope.locator(".alert-success").first).to_contain_text("已保存")


async def open_section(page: Page, dossier_url: str, name: str) -> None:
    await page.goto(f"{dossier_url}/sections/{name}")


async def fill_row(row: Locator, values: dict) -> None:
    """Types a row's values into its editor: selects by code, checkboxes by truth, the rest as text."""
    for name, value in values.items():
        if name in ("id", "carried") or value is None:
            continue
        control = row.locator(f"[name={name}]")
        tag = await control.evaluate("el => el.tagName + ':' + el.type")
        if tag.startswith("SELECT"):
            await control.select_option(str(value))
        elif tag.endswith("checkbox"):
            await control.set_checked(bool(value))
        else:
            await control.fill(str(value))


async def add_rows(page: Page, rows: list[dict]) -> None:
    """添加一项 per row, typed into the new row's editor; then one 保存本项 saves the whole list."""
    table = page.locator("[data-json-list=rows] > tbody[data-row]")
    before = await table.count()
    for offset, values in enumerate(rows):
        await page.get_by_role("button", name="添加一项").click()
        row = table.nth(before + offset)
        await expect(row.locator(".row-editor")).to_be_visible()
        await fill_row(row, values)
    await table.nth(before + len(rows) - 1).get_by_role("button", name="保存本项").click()
    await saved(page)
    await expect(page.locator(".row-editor:visible")).to_have_count(0)


async def declare(page: Page, batch_id: str) -> str:
    await page.goto("/batches")
    card = page.locator(f"[data-batch='{batch_id}']")
    await expect(card).to_contain_text("申报通知")
    await shot(page, "10-batches")
    await card.get_by_role("link", name="申报").click()

    await page.wait_for_url(f"**/batches/{batch_id}/commitment")
    go_on = page.get_by_role("button", name="同意并继续")
    await expect(go_on).to_be_disabled()
    await page.get_by_label("我已阅读并同意").check()
    await expect(go_on).to_be_enabled()
    await shot(page, "11-commitment")
    await go_on.click()

    await page.wait_for_url(re.compile(r"/declare\?agreed=1$"))
    await expect(page.locator("#f-title option")).to_have_count(1)         # nothing to choose before the cascade
    await page.select_option("#f-level", "3")
    await page.select_option("#f-series", "qzwh")
    await expect(page.locator("#f-title")).to_have_value("qzwh-3")         # the only 群众文化 title at 中级
    await expect(page.locator("#f-title option[value='gc-3']")).to_have_count(0)
    await page.select_option("#f-specialty", "qzwh-s01")
    await page.select_option("#f-mode", "exceptional")
    await expect(page.locator("#f-exceptional_basis")).to_be_visible()
    await page.select_option("#f-mode", "normal")
    await expect(page.locator("#f-exceptional_basis")).to_be_hidden()

    await page.fill("#f-employer_unit_id-q", "群众艺术")
    await page.locator(".suggestions li", has_text="济南市群众艺术馆").click()
    await expect(page.locator("input[name=employer_unit_id]")).not_to_have_value("")
    await page.fill("#f-unit_rank", "1/3")

    # Not the actual unit but no name for it: the API's error appears beside the field.
    await page.locator("[data-field=is_actual_unit]").get_by_role("radio", name="否").check()
    await expect(page.locator("#f-actual_unit_name")).to_be_visible()
    await page.get_by_role("button", name="保存并填写申报材料").click()
    await expect(page.locator("[data-field=actual_unit_name] .field-error")).to_have_text("请填写实际工作单位")
    await page.locator("[data-field=is_actual_unit]").get_by_role("radio", name="是").check()
    await expect(page.locator("#f-actual_unit_name")).to_be_hidden()
    await shot(page, "12-declaration")
    await page.get_by_role("button", name="保存并填写申报材料").click()
    await page.wait_for_url(re.compile(r"/dossiers/[0-9a-f]{24}$"))
    return page.url


async def fill_basic(page: Page, url: str, values: dict) -> None:
    await open_section(page, url, "basic")
    await expect(page.locator("#f-birth_date")).to_have_value(values["birth_date"])   # from the ID number
    await page.select_option("#f-ethnicity", values["ethnicity"])
    await page.select_option("#f-politics", values["politics"])
    await page.fill("#f-phone", values["phone"])
    await page.fill("#f-work_start", values["work_start"])
    await page.fill("#f-profession_start", values["profession_start"])
    await page.get_by_role("button", name="保存", exact=True).click()
    await saved(page)

    photo = page.locator("[data-photo]")
    await photo.locator("input[data-upload]").set_input_files(
        {"name": "照片.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((390, 567))})
    await expect(photo.locator(".files li")).to_contain_text("照片.jpg")
    await expect(photo.locator("progress")).to_have_attribute("value", "100")
    await expect(page.locator("[data-photo-preview]")).to_be_visible()
    await page.wait_for_function(PHOTO_SHOWN)
    await expect(page.locator("#section-missing")).to_be_hidden()         # saved and photographed
    # The upload moved the dossier's version; the page follows its own write, so saving again is no 412.
    await page.fill("#f-phone", values["phone"])
    async with page.expect_response(lambda r: r.request.method == "PUT" and "/sections/basic" in r.url) as saving:
        await page.get_by_role("button", name="保存", exact=True).click()
    assert (await saving.value).status == 200
    await expect(page.locator("[data-nav-section=basic]")).to_have_class(re.compile(r"\bfilled\b"))
    await shot(page, "13-basic")


async def fill_education(page: Page, url: str, row: dict) -> None:
    await open_section(page, url, "education")
    await page.get_by_role("button", name="添加一项").click()
    editor = page.locator("tbody[data-row]").first
    await fill_row(editor, row | {"end": "2003-07"})                      # before the start: refused
    await editor.get_by_role("button", name="保存本项").click()
    await expect(editor.locator("[data-field=end] .field-error")).to_have_text("结束年月不能早于开始年月")
    await expect(editor.locator(".uploader")).to_have_attribute("data-pending", "")
    await editor.locator("[name=end]").fill(row["end"])
    await editor.get_by_role("button", name="保存本项").click()
    await saved(page)
    await expect(editor.locator("[data-show=school]")).to_have_text(row["school"])
    await expect(editor.locator("[data-show=education_level]")).to_have_text("大学本科")

    uploader = editor.locator("[data-uploader]")
    await uploader.locator("input[data-upload]").set_input_files(
        {"name": "说明.txt", "mimeType": "text/plain", "buffer": "不是证书".encode()})
    await expect(uploader.locator(".field-error")).to_contain_text("文件类型不符合要求")
    await uploader.locator("input[data-upload]").set_input_files(pdf("学历证书.pdf", 2))
    await expect(uploader.locator(".files li")).to_contain_text("学历证书.pdf")
    await expect(uploader.locator(".files li")).to_contain_text("2页")
    await expect(uploader.locator(".field-error")).to_have_count(0)
    await expect(editor.locator("[data-file-count]")).to_have_text("1 份")
    await expect(page.locator("#section-missing")).to_be_hidden()
    await shot(page, "14-education")


async def fill_current_title(page: Page, url: str, values: dict) -> None:
    await open_section(page, url, "current_title")
    await page.fill("#f-title_name", values["title_name"])
    await page.select_option("#f-level", values["level"])
    await page.fill("#f-obtained_on", values["obtained_on"])
    await page.fill("#f-approving_body", values["approving_body"])
    await expect(page.locator("#f-hired")).to_be_checked()
    await page.fill("#f-hired_on", values["hired_on"])
    await page.get_by_role("button", name="保存", exact=True).click()
    await saved(page)
    uploader = page.locator("[data-uploader][data-section=current_title]")
    await uploader.locator("input[data-upload]").set_input_files(pdf("资格证书.pdf"))
    await expect(uploader.locator(".files li")).to_contain_text("资格证书.pdf")
    await uploader.locator("input[data-replace]").set_input_files(pdf("资格证书及聘书.pdf", 3))
    await expect(uploader.locator(".files li")).to_have_count(1)
    await expect(uploader.locator(".files li")).to_contain_text("资格证书及聘书.pdf")
    await expect(uploader.locator(".files li")).to_contain_text("3页")


async def test_applicant_fills_a_whole_dossier_and_submits(app, live):
    person = await create_person(name="张申报")
    await create_unit(name="济南市群众艺术馆", region_code="370100")
    batch = await create_batch(name="2026年度济南市群众文化系列职称评审", series=["gc", "qzwh"],
                               notice="申报人须于截止日前完成网上申报，并确认申报。")
    sections = complete_sections(person.id_number)

    async with chromium_page(live, "failure-dossier") as page:
        await sign_in(page, person.login)
        url = await declare(page, str(batch.id))
        await expect(page.locator("#completeness [data-incomplete]")).to_be_visible()
        await expect(page.locator("#completeness tr[data-section=basic]")).to_contain_text("请上传大一寸照片")
        await shot(page, "15-dossier-incomplete")

        await fill_basic(page, url, sections["basic"])
        await fill_education(page, url, sections["education"]["rows"][0])
        await fill_current_title(page, url, sections["current_title"])

        await open_section(page, url, "assessments")
        await add_rows(page, sections["assessments"]["rows"])
        await expect(page.locator("tbody[data-row]")).to_have_count(5)

        await open_section(page, url, "work_history")
        await add_rows(page, sections["work_history"]["rows"])
        await expect(page.locator("tbody[data-row]").nth(1).locator("[data-show=end]")).to_have_text("至今")
        await shot(page, "16-work-history")

        await open_section(page, url, "achievements")
        await add_rows(page, sections["achievements"]["rows"])
        await expect(page.locator("[data-show=rank]")).to_have_text("1/3")

        await open_section(page, url, "summary")
        await page.fill("#f-text", sections["summary"]["text"])
        count = len(re.sub(r"\s", "", sections["summary"]["text"]))
        await expect(page.locator("[data-counter-for] [data-count]")).to_have_text(str(count))
        await page.get_by_role("button", name="保存", exact=True).click()
        await saved(page)
        await shot(page, "17-summary")

        await page.goto(url)
        await expect(page.locator("#completeness [data-complete]")).to_have_text("材料齐全，可以确认申报。")
        await shot(page, "18-dossier-complete")
        await page.get_by_role("button", name="确认申报").click()
        dialog = page.locator("dialog#confirm-submit")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("提交后申报材料将锁定，不能再修改")
        await shot(page, "19-confirm-submit")
        await dialog.get_by_role("button", name="确认提交").click()
        await expect(page.locator("#dossier-status")).to_have_text("已提交")
        await expect(page.get_by_role("button", name="撤回申报")).to_be_visible()

        await page.get_by_role("link", name="我的申报").first.click()
        await page.wait_for_url("**/dossiers")
        await expect(page.locator("#my-dossiers tbody tr")).to_contain_text("已提交")
        await shot(page, "20-my-dossiers")

        await open_section(page, url, "education")
        await expect(page.locator("main input, main select, main textarea")).to_have_count(0)
        await expect(page.locator("main")).to_contain_text("学历证书.pdf")

        await page.goto(url)
        page.once("dialog", accept)
        await page.get_by_role("button", name="撤回申报").click()
        await expect(page.locator("#dossier-status")).to_have_text("填报中")
        await expect(page.locator("#changes")).to_contain_text("与上次提交相比没有变化")


async def accept(dialog) -> None:
    await dialog.accept()


async def test_incomplete_submission_lists_what_is_missing(app, client, live):
    person = await create_person()
    unit, _ = await create_unit()
    batch = await create_batch()
    r = await client.post("/api/dossiers", json=declaration_payload(batch, unit), headers=await login(client, person))
    url = f"/dossiers/{r.json()['id']}"
    async with chromium_page(live, "failure-incomplete") as page:
        await sign_in(page, person.login)
        await page.goto(url)
        # Entrusted review needs a proof: choose it in the declaration, then upload the proof.
        await page.get_by_text("修改申报信息").click()
        await page.locator("[data-field=entrusted_review]").get_by_role("radio", name="是").check()
        await expect(page.locator("[data-when='entrusted_review=true']")).to_contain_text("委托评审证明材料")
        await page.get_by_role("button", name="保存申报信息").click()
        await expect(page.locator("#declaration")).to_contain_text("委托评审证明材料")
        await expect(page.locator("#completeness tr[data-section=declaration]")).to_contain_text("须上传委托评审证明材料")
        uploader = page.locator("[data-uploader][data-section=declaration]")
        await uploader.locator("input[data-upload]").set_input_files(pdf("委托评审函.pdf"))
        await expect(uploader.locator(".files li")).to_contain_text("委托评审函.pdf")
        await page.reload()
        await expect(page.locator("#completeness tr[data-section=declaration]")).to_have_count(0)

        await open_section(page, url, "awards")                            # a row added, then deleted
        await add_rows(page, [{"kind": "reward", "name": "济南市优秀群众文化工作者", "awarded_on": "2022-12",
                               "issuer": "济南市文化和旅游局"}])
        await expect(page.locator("[data-show=kind]")).to_have_text("奖励")
        page.once("dialog", accept)
        await page.get_by_role("button", name="删除", exact=True).click()
        await expect(page.locator(".section-list .alert-success")).to_have_text("已删除")
        await expect(page.locator("tbody[data-row]")).to_have_count(0)
        await page.reload()
        await expect(page.locator("tbody[data-row]")).to_have_count(0)

        await page.goto(url)
        await page.get_by_role("button", name="确认申报").click()
        await page.locator("dialog#confirm-submit").get_by_role("button", name="确认提交").click()
        result = page.locator("#submit-result")
        await expect(result).to_contain_text("申报材料不完整")
        await expect(result.get_by_role("link", name="工作经历")).to_have_attribute("href", f"{url}/sections/work_history")
        await expect(page.locator("dialog#confirm-submit")).to_be_hidden()


async def test_declaring_twice_links_the_existing_dossier(app, live):
    person = await create_person()
    await create_unit(name="济南市历下区文化馆", region_code="370102")
    batch = await create_batch()
    declare_url = f"/batches/{batch.id}/declare?agreed=1"

    async def fill_declaration(tab: Page) -> None:
        await tab.goto(declare_url)
        await tab.select_option("#f-level", "2")
        await expect(tab.locator("#f-title")).to_have_value("qzwh-2")
        await tab.select_option("#f-specialty", "qzwh-s02")
        await tab.fill("#f-employer_unit_id-q", "历下区文化")
        await tab.locator(".suggestions li", has_text="济南市历下区文化馆").click()

    async with chromium_page(live, "failure-declare-twice") as page:
        await sign_in(page, person.login)
        await fill_declaration(page)
        other_tab = await page.context.new_page()
        await fill_declaration(other_tab)
        await other_tab.get_by_role("button", name="保存并填写申报材料").click()
        await other_tab.wait_for_url(re.compile(r"/dossiers/[0-9a-f]{24}$"))
        existing = other_tab.url.rsplit("/", 1)[1]
        await other_tab.close()

        await page.get_by_role("button", name="保存并填写申报材料").click()
        alert = page.locator(".alert-danger")
        await expect(alert).to_contain_text("您在本批次已有申报")
        await expect(alert.get_by_role("link", name="打开已有的申报")).to_have_attribute("href", f"/dossiers/{existing}")


async def test_a_stale_save_keeps_what_was_typed(app, client, live):
    person = await create_person()
    unit, _ = await create_unit()
    batch = await create_batch()
    r = await client.post("/api/dossiers", json=declaration_payload(batch, unit), headers=await login(client, person))
    url = f"/dossiers/{r.json()['id']}/sections/summary"
    async with chromium_page(live, "failure-stale") as page:
        await sign_in(page, person.login)
        await page.goto(url)
        other_tab = await page.context.new_page()
        await other_tab.goto(url)
        await other_tab.fill("#f-text", "另一个标签页先保存的工作总结。")
        await other_tab.get_by_role("button", name="保存", exact=True).click()
        await saved(other_tab)

        await page.fill("#f-text", "本页还没保存的工作总结。")
        await page.get_by_role("button", name="保存", exact=True).click()
        alert = page.locator(".alert-danger")
        await expect(alert).to_contain_text("已在别处修改")
        await expect(page.locator("#f-text")).to_have_value("本页还没保存的工作总结。")
        await shot(page, "21-stale-save")
        await alert.get_by_role("button", name="重新加载").click()
        await expect(page.locator("#f-text")).to_have_value("另一个标签页先保存的工作总结。")
        await other_tab.close()


async def test_administrator_keeps_batches_and_dictionaries(app, live):
    admin = await create_sysadmin()
    closes = (datetime.now(CHINA) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    try:
        async with chromium_page(live, "failure-admin") as page:
            await sign_in(page, admin.login)
            await page.goto("/admin/batches")
            await page.get_by_role("link", name="新建批次").first.click()
            await page.fill("#f-name", "2026年度济南市工程系列中级职称评审")
            cascade = page.locator(".cascade select")
            await cascade.nth(0).select_option("370000")
            await cascade.nth(1).select_option("370100")
            await page.fill("#f-closes_at", closes)
            await page.select_option("#f-series", ["gc", "qzwh"])
            await page.locator("input[name=levels][value='3']").check()
            await page.locator("input[name=levels][value='4']").check()
            await page.fill("#f-summary", "1500")
            await page.fill("[name='rules.attachments.education.max_bytes']", "2")
            await page.locator("[name='rules.attachments.papers.kinds'][value=gif]").uncheck()
            await page.fill("#f-notice", "请各单位组织本单位专业技术人员按时申报。")
            await shot(page, "22-admin-new-batch")
            await page.get_by_role("button", name="创建批次").click()
            await page.wait_for_url(re.compile(r"/admin/batches/[0-9a-f]{24}$"))

            await expect(page.locator("#f-name")).to_have_value("2026年度济南市工程系列中级职称评审")
            await expect(page.locator("input[name=levels][value='4']")).to_be_checked()
            await expect(page.locator("input[name=levels][value='2']")).not_to_be_checked()
            await expect(page.locator("[name='rules.attachments.education.max_bytes']")).to_have_value("2")
            await expect(page.locator("[name='rules.attachments.papers.kinds'][value=gif]")).not_to_be_checked()
            await expect(page.locator("#f-summary")).to_have_value("1500")
            await expect(page.locator("#f-closes_at")).to_have_value(closes)
            assert await page.locator("#f-series").evaluate(
                "s => Array.from(s.selectedOptions, o => o.value).sort().join()") == "gc,qzwh"

            await page.fill("#f-closes_at", "2020-01-01T08:00")          # before it opens: refused
            await page.get_by_role("button", name="保存批次").click()
            await expect(page.locator(".batch-form .alert-danger")).to_contain_text("截止时间须晚于开始时间")
            await page.fill("#f-closes_at", closes)
            for name in ("2026年度济南市工程系列中级职称评审（第一批）", "2026年度济南市工程系列中级职称评审（第二批）"):
                await page.fill("#f-name", name)                           # twice: the ETag follows each save
                await page.get_by_role("button", name="保存批次").click()
                await expect(page.locator(".batch-form .alert-success")).to_be_visible()
                await expect(page.locator(".batch-form .alert-success")).to_have_text("已保存")

            notice = page.locator("#notice-attachments [data-file-uploader]")
            await notice.locator("input[data-upload]").set_input_files(pdf("申报通知.pdf"))
            await expect(page.locator("#notice-attachments .files")).to_contain_text("申报通知.pdf")
            await shot(page, "23-admin-batch")
            await page.goto("/batches")
            await expect(page.locator(".batch", has_text="（第二批）")).to_contain_text("申报通知.pdf")

            await page.goto("/admin/dictionaries")
            editor = page.locator("[data-entry-form]")
            await editor.locator("[name=dictionary]").fill("web_test_kinds")
            await editor.locator("[name=code]").fill("a1")
            await editor.locator("[name=name]").fill("测试条目")
            await editor.locator("[name=extra]").fill("{not json")
            await editor.get_by_role("button", name="保存条目").click()
            await expect(editor.locator("[data-field=extra] .field-error")).to_have_text("扩展属性不是有效的 JSON")
            await editor.locator("[name=extra]").fill('{"rank": 1}')
            await editor.get_by_role("button", name="保存条目").click()
            await page.wait_for_url("**/admin/dictionaries?name=web_test_kinds")
            entries = page.locator("#dictionary-entries tbody tr")
            await expect(entries).to_have_count(1)
            await entries.first.get_by_role("button", name="编辑").click()
            await expect(editor.locator("[name=name]")).to_have_value("测试条目")
            await editor.locator("[name=name]").fill("改过的条目")
            await editor.locator("[name=enabled]").uncheck()
            await editor.get_by_role("button", name="保存条目").click()
            await expect(entries.first).to_contain_text("改过的条目")
            await expect(entries.first).to_contain_text("停用")

            importer = page.locator("[data-import-form]")
            await importer.locator("input[type=file]").set_input_files(
                {"name": "坏的.json", "mimeType": "application/json", "buffer": b"{not json"})
            await importer.get_by_role("button", name="导入").click()
            await expect(importer.locator("[data-field=file] .field-error")).to_contain_text("不是有效的 UTF-8 JSON")
            good = json.dumps({"web_test_kinds": [{"code": "b2", "name": "导入的条目"}]}, ensure_ascii=False)
            await importer.locator("input[type=file]").set_input_files(
                {"name": "字典.json", "mimeType": "application/json", "buffer": good.encode()})
            await importer.get_by_role("button", name="导入").click()
            await expect(importer.locator(".alert-success")).to_have_text("已导入 1 条字典条目")
            await expect(entries).to_have_count(2)
            await shot(page, "24-admin-dictionaries")
    finally:
        await DictionaryEntry.find({"dictionary": "web_test_kinds"}).delete()
