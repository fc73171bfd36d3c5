"""The applicant's whole journey at a desktop's width (1366 px) and a phone's (375 px): no page scrolls
sideways, a refused row is shown beside its field, scrolled into view and focused, and a saved one says so
on the screen; the dossier editor works with the keyboard alone."""

import re

import pytest
from playwright.async_api import Page, expect

from tests.factories import complete_sections, create_batch, create_person, create_unit
from tests.web.browser import BROWSER, axe_source, axe_violations, chromium_page, shot, sign_in
from tests.web.test_browser_dossier import add_rows, declare, fill_basic, fill_current_title, open_section, pdf, saved

pytestmark = BROWSER

IN_VIEW = """el => { const box = el.getBoundingClientRect();
  return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight; }"""


FOCUSED = """() => { const el = document.activeElement;
  return {name: el.name || el.tagName, outline: getComputedStyle(el).outlineStyle}; }"""


async def tab_to(page: Page, name: str) -> None:
    """Presses Tab until the field `name` has the focus (a few presses at most), which must show it."""
    for _ in range(4):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        if focused["name"] == name:
            assert focused["outline"] != "none", focused
            return
    raise AssertionError(f"Tab did not reach {name}: {focused}")


async def fits(page: Page) -> None:
    """Nothing on the page reaches past the screen's right edge (the page never scrolls sideways)."""
    width, inner = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: {width} px wide on a {inner} px screen"


async def in_view(page: Page, selector: str) -> None:
    locator = page.locator(selector).first
    await expect(locator).to_be_visible()
    assert await locator.evaluate(IN_VIEW), f"{selector} is outside the screen"


async def education_with_a_refused_row(page: Page, url: str, row: dict) -> None:
    """The first education row saved with its end before its start: the error stands beside 结束年月, on the
    screen, and the field has the focus; corrected, the row saves and 已保存 is on the screen too."""
    await open_section(page, url, "education")
    await fits(page)
    await page.get_by_role("button", name="添加一项").click()
    editor = page.locator("tbody[data-row]").first
    for name, value in (row | {"end": "2003-07"}).items():
        if name in ("id", "carried") or value is None:
            continue
        control = editor.locator(f"[name={name}]")
        kind = await control.evaluate("el => el.tagName + ':' + el.type")
        if kind.startswith("SELECT"):
            await control.select_option(str(value))
        elif kind.endswith("checkbox"):
            await control.set_checked(bool(value))
        else:
            await control.fill(str(value))
    await fits(page)                                   # the open row editor fits too
    await page.evaluate("window.scrollTo(0, 0)")       # the eye is elsewhere when the answer comes
    await editor.get_by_role("button", name="保存本项").click()
    error = editor.locator("[data-field=end] .field-error")
    await expect(error).to_have_text("结束年月不能早于开始年月")
    await in_view(page, "tbody[data-row] [data-field=end] .field-error")
    await expect(editor.locator("[name=end]")).to_be_focused()
    # the open editor with its error: labelled, contrasted
    assert await axe_violations(page, axe_source()) == []

    await editor.locator("[name=end]").fill(row["end"])
    await editor.get_by_role("button", name="保存本项").click()
    await saved(page)
    await in_view(page, ".section-list .alert-success")
    uploader = editor.locator("[data-uploader]")
    await uploader.locator("input[data-upload]").set_input_files(pdf("学历证书.pdf", 2))
    await expect(uploader.locator(".files li")).to_contain_text("学历证书.pdf")
    await fits(page)


@pytest.mark.parametrize("width", [1366, 375])
async def test_applicant_journey_fits_the_screen(app, live, width):
    person = await create_person(name="张手机")
    await create_unit(name="济南市群众艺术馆", region_code="370100")
    batch = await create_batch(name="2026年度济南市群众文化系列职称评审", series=["gc", "qzwh"], notice="请按时申报。")
    sections = complete_sections(person.id_number)

    async with chromium_page(live, f"failure-journey-{width}") as page:
        await page.set_viewport_size({"width": width, "height": 800})
        await sign_in(page, person.login)
        await fits(page)
        await page.goto("/batches")
        await fits(page)
        url = await declare(page, str(batch.id))
        await fits(page)

        await fill_basic(page, url, sections["basic"])
        await fits(page)
        await education_with_a_refused_row(page, url, sections["education"]["rows"][0])
        await fill_current_title(page, url, sections["current_title"])
        await fits(page)
        for name in ("assessments", "work_history", "achievements"):
            await open_section(page, url, name)
            await add_rows(page, sections[name]["rows"])
            await fits(page)
            await shot(page, f"journey-{width}-{name}")
        await open_section(page, url, "summary")
        await page.fill("#f-text", sections["summary"]["text"])
        await page.get_by_role("button", name="保存", exact=True).click()
        await saved(page)
        await in_view(page, "form .alert-success")

        await page.goto(url)
        await expect(page.locator("#completeness [data-complete]")).to_be_visible()
        await fits(page)
        await page.get_by_role("button", name="确认申报").click()
        await page.locator("dialog#confirm-submit").get_by_role("button", name="确认提交").click()
        await expect(page.locator("#dossier-status")).to_have_text("已提交")
        await fits(page)
        for address in ("/dossiers", f"{url}/track", "/certificates", "/account", "/"):
            await page.goto(address)
            await fits(page)
        await page.goto("/dossiers")
        await expect(page.locator("#my-dossiers [data-label=状态]")).to_contain_text("已提交")
        await shot(page, f"journey-{width}-dossiers")


async def test_the_dossier_editor_works_with_the_keyboard_alone(app, live):
    """Tab to 添加一项, Enter, type the row field by field, Enter saves it; the focus is visible throughout."""
    person = await create_person()
    await create_unit(name="济南市群众艺术馆", region_code="370100")
    batch = await create_batch(notice="请按时申报。")
    async with chromium_page(live, "failure-keyboard") as page:
        await sign_in(page, person.login)
        url = await declare(page, str(batch.id))
        await open_section(page, url, "awards")
        add = page.get_by_role("button", name="添加一项")
        for _ in range(80):                            # Tab until 添加一项 has the focus
            if await add.evaluate("el => el === document.activeElement"):
                break
            await page.keyboard.press("Tab")
        await expect(add).to_be_focused()
        assert await add.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
        await page.keyboard.press("Enter")

        editor = page.locator("tbody[data-row]").first
        await expect(editor.locator("[name=kind]")).to_be_focused()       # the new row's first field
        await page.keyboard.press("ArrowDown")                             # 奖励
        await tab_to(page, "name")
        await page.keyboard.type("济南市优秀群众文化工作者")
        await tab_to(page, "awarded_on")        # a month input: Tab moves from its month part to its year part
        await page.keyboard.type("12")
        await page.keyboard.press("Tab")
        await page.keyboard.type("2022")
        await tab_to(page, "issuer")            # past the month input's calendar button
        await page.keyboard.type("济南市文化和旅游局")
        await page.keyboard.press("Enter")                                 # Enter in a field saves the row
        await saved(page)
        await expect(editor.locator("[data-show=kind]")).to_have_text("奖励")
        await expect(editor.locator("[data-show=name]")).to_have_text("济南市优秀群众文化工作者")
        await expect(editor.locator("[data-show=awarded_on]")).to_have_text("2022-12")
        await expect(editor.locator("[data-show=issuer]")).to_have_text("济南市文化和旅游局")
        await expect(page).to_have_url(re.compile(r"/sections/awards$"))
