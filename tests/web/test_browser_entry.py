"""Through Debian's Chromium: a unit's handler opens 录入申报, enters a dossier for a staff member (chosen from the
list) and lands in the ordinary editor on their behalf; then one for a new person by ID number, whose account's
initial password is shown once; both are in the unit's list, and the staff member finds theirs in 我的申报."""

import re

from beanie import PydanticObjectId
from playwright.async_api import expect

from app.accounts.models import User
from app.units.enums import UnitCategory
from app.accounts.secrets import hash_password
from tests.factories import PASSWORD, bearer, create_batch, create_unit, resident_id
from tests.web.browser import BROWSER, chromium_people, shot, sign_in

pytestmark = BROWSER


async def choose_declaration(page) -> None:
    await page.select_option("#f-level", "3")
    await page.select_option("#f-series", "qzwh")
    await expect(page.locator("#f-title")).to_have_value("qzwh-3")
    await page.select_option("#f-specialty", "qzwh-s01")
    await page.check("#f-commitment_agreed")


async def test_a_handler_enters_dossiers_for_a_staff_member_and_a_new_person(app, client, live):
    unit, account = await create_unit(name="济南市群众艺术馆", region_code="370100",
                                      category=UnitCategory.city_affiliated)
    batch = await create_batch()
    r = await client.post(f"/api/units/{unit.id}/sub-accounts", headers=await bearer(account),
                          json={"accounts": [{"name": "张员工", "id_number": resident_id("19880808")}]})
    employee = await User.get(PydanticObjectId(r.json()[0]["user_id"]))
    await User.get_pymongo_collection().update_one({"_id": employee.id}, {"$set": {
        "must_change_password": False, "password_hash": await hash_password(PASSWORD)}})   # as after their first login
    async with chromium_people(live, "failure-entry") as open_page:
        page = await open_page()
        await sign_in(page, account.login)
        await page.goto("/unit/entries")
        await expect(page.locator("#entered")).to_contain_text("本单位尚未录入申报")
        await page.get_by_role("link", name=batch.name).click()
        await page.select_option("#f-user_id", str(employee.id))
        await choose_declaration(page)
        await shot(page, "40-unit-entry")
        await page.get_by_role("button", name="新建并填写申报材料").click()
        await page.wait_for_url(re.compile(r"/dossiers/[0-9a-f]{24}$"))
        await expect(page.locator("#on-behalf")).to_contain_text("代 张员工 填写")
        first = page.url.rsplit("/", 1)[1]

        # A new person by ID number: the account is made and its initial password shown before going on.
        await page.goto(f"/unit/entries?batch={batch.id}")
        await page.locator("input[name=who][value=id_number]").check()
        await page.fill("#f-person\\.name", "赵新人")
        await page.fill("#f-person\\.id_number", resident_id("19900909"))
        await choose_declaration(page)
        await page.get_by_role("button", name="新建并填写申报材料").click()
        credentials = page.locator("#entry-credentials")
        await expect(credentials).to_contain_text("赵新人")
        await expect(credentials).to_contain_text("初始密码只显示这一次")
        await shot(page, "41-unit-entry-account")
        await credentials.get_by_role("link", name="继续填写申报材料").click()
        await expect(page.locator("#on-behalf")).to_contain_text("代 赵新人 填写")

        await page.goto("/unit/entries")
        await expect(page.locator("#entered tbody tr")).to_have_count(2)
        await expect(page.locator(f"#entered [data-dossier='{first}']")).to_contain_text("张员工")

        staff_page = await open_page()
        await sign_in(staff_page, employee.login)
        await staff_page.goto("/dossiers")
        await expect(staff_page.locator(f"[data-dossier='{first}']")).to_be_visible()
        await staff_page.goto(f"/dossiers/{first}")
        await expect(staff_page.locator("#entered-by")).to_contain_text("代为录入")
