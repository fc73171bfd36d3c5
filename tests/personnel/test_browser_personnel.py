"""Through Debian's Chromium: a unit imports a bad file (nothing stored, each problem listed) then a good one,
appoints a person from the person page; its department sets the unit's approved posts on the ratio page and
both see the figures."""

from playwright.async_api import expect

from app.units.enums import UnitCategory
from tests.factories import create_unit
from tests.personnel.test_personnel_api import YEAR, staff_rows, workbook
from tests.web.browser import BROWSER, chromium_people, sign_in

pytestmark = BROWSER


async def test_people_import_appointment_and_ratios(app, live, tmp_path):
    h, _ = await create_unit(category=UnitCategory.city_hr_bureau, region_code="370100", nature="01")
    d, d_acct = await create_unit(parent=h, category=UnitCategory.city_department, region_code="370100", nature="01")
    e, e_acct = await create_unit(parent=d, category=UnitCategory.city_affiliated, region_code="370100", nature="02")
    bad_rows = staff_rows(3)
    bad_rows[1][1] = "370102198503150013"
    (tmp_path / "bad.xlsx").write_bytes(workbook(bad_rows))
    (tmp_path / "good.xlsx").write_bytes(workbook(staff_rows(12)))
    async with chromium_people(live, "failure-personnel") as open_page:
        unit = await open_page()
        await sign_in(unit, e_acct.login)
        await unit.goto("/personnel")
        await unit.set_input_files("#personnel-import input[type=file]", str(tmp_path / "bad.xlsx"))
        await unit.get_by_role("button", name="导入", exact=True).click()
        await expect(unit.locator("#import-result")).to_contain_text("未导入任何人员")
        await expect(unit.locator("#import-result table")).to_contain_text("第3行")
        await expect(unit.locator("#people tbody")).to_contain_text("暂无人员")
        await unit.set_input_files("#personnel-import input[type=file]", str(tmp_path / "good.xlsx"))
        await unit.get_by_role("button", name="导入", exact=True).click()
        await expect(unit.locator("#import-result")).to_contain_text("已导入12人")
        await unit.wait_for_load_state()
        await expect(unit.locator("#people tbody tr")).to_have_count(12)

        await unit.get_by_role("link", name="员工00").click()
        await unit.select_option("#f-level", "deputy_senior")
        await unit.fill("#f-starts_on", f"{YEAR}-03-01")
        await unit.fill("#f-document_number", "馆人〔2026〕1号")
        await unit.get_by_role("button", name="聘任", exact=True).click()
        await expect(unit.locator("#appointments")).to_contain_text("馆人〔2026〕1号")

        dept = await open_page()
        await sign_in(dept, d_acct.login)
        await dept.goto(f"/post-ratios?unit={e.id}&year={YEAR}")
        await dept.get_by_label("副高级岗位数").fill("2")
        await dept.get_by_label("中级岗位数").fill("5")
        await dept.get_by_role("button", name="按岗位数核定", exact=True).click()
        await expect(dept.locator("#unit-ratios")).to_contain_text("副高级2")
        row = dept.locator("#unit-ratios tr", has_text="副高级")
        await expect(row.locator("td")).to_have_text(["副高级", "2", "1", "1", "9"])

        await unit.goto(f"/post-ratios?year={YEAR}")
        await expect(unit.locator("#unit-ratios tr", has_text="副高级").locator("td")).to_have_text(
            ["副高级", "2", "1", "1", "9"])
        await expect(unit.locator("#quota-counts")).to_have_count(0)


async def test_a_person_edited_then_a_reimport_previewed_and_applied(app, live, tmp_path):
    h, _ = await create_unit(category=UnitCategory.city_hr_bureau, region_code="370100", nature="01")
    e, e_acct = await create_unit(parent=h, category=UnitCategory.city_affiliated, region_code="370100", nature="02")
    (tmp_path / "first.xlsx").write_bytes(workbook(staff_rows(2)))
    again = staff_rows(3)
    again[1][4] = "管理岗"                                    # 员工01's post changes; 员工02 is new
    (tmp_path / "again.xlsx").write_bytes(workbook(again))
    async with chromium_people(live, "failure-personnel-edit") as open_page:
        unit = await open_page()
        await sign_in(unit, e_acct.login)
        await unit.goto("/personnel")
        await unit.set_input_files("#personnel-import input[type=file]", str(tmp_path / "first.xlsx"))
        await unit.get_by_role("button", name="导入", exact=True).click()
        await expect(unit.locator("#import-result")).to_contain_text("已导入2人")
        await unit.wait_for_load_state()
        await expect(unit.locator("#people tbody tr")).to_have_count(2)

        await unit.get_by_role("link", name="员工00").click()
        await unit.fill("#p-department", "研究部")
        await unit.get_by_role("button", name="保存修改", exact=True).click()
        await expect(unit.locator("#edits")).to_contain_text("department：业务部 → 研究部")
        await expect(unit.locator("#p-department")).to_have_value("研究部")

        await unit.goto("/personnel")
        await unit.set_input_files("#personnel-import input[type=file]", str(tmp_path / "again.xlsx"))
        await unit.get_by_role("button", name="预览", exact=True).click()
        await expect(unit.locator("#import-result")).to_contain_text("将新增1人，更新2人")
        await expect(unit.locator("#import-plan")).to_contain_text("管理岗")
        await expect(unit.locator("#people tbody tr")).to_have_count(2)          # a preview stores nothing
        await unit.get_by_role("button", name="导入", exact=True).click()
        await expect(unit.locator("#import-result")).to_contain_text("新增1人，更新2人")
        await unit.wait_for_load_state()
        await expect(unit.locator("#people tbody tr")).to_have_count(3)
