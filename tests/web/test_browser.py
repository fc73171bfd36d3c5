"""Through Debian's Chromium: an applicant and a unit register, the HR bureau approves the unit, all sign in."""

import re

from playwright.async_api import Page, expect

from tests.factories import PASSWORD, create_hr_bureau, create_unit, credit_code, resident_id
from tests.web.browser import BROWSER, chromium_page, shot, sign_in, sign_out

pytestmark = BROWSER


async def register_applicant(page: Page, id_number: str) -> None:
    await page.goto("/register")
    await page.fill("#f-name", "张申报")
    await page.fill("#f-id_number", id_number)
    await page.fill("#f-phone", "13912345678")
    await page.fill("#f-email", "zhang@example.cn")
    await page.fill("#f-login", "zhangshenbao")
    await page.fill("#f-password", PASSWORD)
    await page.fill("#f-password_confirm", PASSWORD)
    await shot(page, "01-register-person")
    await page.get_by_role("button", name="注册", exact=True).click()
    await page.wait_for_url("**/login?registered=person")
    await expect(page.locator(".alert-success")).to_contain_text("注册成功")


async def register_unit(page: Page, unit_name: str) -> None:
    await page.goto("/register/unit")
    await page.fill("#f-name", unit_name)
    await page.fill("#f-credit_code", credit_code())
    await page.select_option("#f-category", "county_private_enterprise")
    await page.select_option("#f-nature", "05")
    await page.select_option("#f-industry", "I")
    cascade = page.locator(".cascade select")
    for level, code in enumerate(["370000", "370100", "370102"]):
        await cascade.nth(level).select_option(code)
    await expect(page.locator("input[name=region_code]")).to_have_value("370102")
    await page.fill("#f-legal_representative", "赵法人")
    await page.fill("#f-contact_name", "钱联系")
    await page.fill("#f-contact_phone", "13712345678")
    await page.fill("#f-login", "jinanunit")
    await page.fill("#f-password", PASSWORD)
    await page.fill("#f-password_confirm", PASSWORD)
    await shot(page, "02-register-unit")
    await page.get_by_role("button", name="注册单位").click()
    await page.wait_for_url("**/login?registered=unit")


async def test_register_approve_and_sign_in(app, live):
    _, hr_account = await create_hr_bureau(region_code="370102")
    applicant_id = resident_id()
    unit_name = "济南浏览器测试科技有限公司"
    async with chromium_page(live, "failure-register") as page:
        await register_applicant(page, applicant_id)
        await register_unit(page, unit_name)

        await sign_in(page, "jinanunit")
        await page.goto("/unit")
        await page.get_by_role("button", name="提交权限申请").click()
        await expect(page.get_by_text("正在等待所在地区人社部门审核")).to_be_visible()
        await shot(page, "03-unit-pending")
        await sign_out(page)

        await sign_in(page, hr_account.login)
        await page.goto("/review/permissions")
        card = page.locator("section.application", has_text=unit_name)
        await expect(card).to_contain_text("自动校验通过")
        await shot(page, "04-review-permissions")
        await card.get_by_role("button", name="审核通过").click()
        await expect(page.get_by_text("暂无待审核的权限申请")).to_be_visible()
        await sign_out(page)

        await sign_in(page, "jinanunit")
        await page.goto("/unit")
        await expect(page.locator("h2 .badge")).to_have_text("已开通")
        await shot(page, "05-unit-approved")
        await sign_out(page)

        await page.fill("#f-login", "nobody")
        await page.fill("#f-password", "wrong-Passw0rd")
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page.locator("[data-field=password] .field-error")).to_contain_text("登录名或密码错误")
        await expect(page.locator("[data-captcha] img")).to_have_attribute("src", re.compile("^data:image/png"))
        await shot(page, "06-login-error-captcha")

        await sign_in(page, applicant_id)
        await expect(page.locator("h1")).to_have_text("欢迎，张申报")
        await expect(page.locator(".who-roles")).to_have_text("申报人")
        await shot(page, "07-applicant-home")


async def test_unit_creates_sub_accounts_in_a_batch(app, live):
    _, account = await create_unit(name="济南批量子账号测试单位")
    async with chromium_page(live, "failure-sub-accounts") as page:
        await sign_in(page, account.login)
        await page.goto("/unit")
        await page.get_by_role("button", name="添加一行").click()
        rows = page.locator("[data-json-list=accounts] [data-row]")
        await rows.nth(0).locator("[name=name]").fill("赵子一")
        await rows.nth(0).locator("[name=id_number]").fill(resident_id())
        await rows.nth(1).locator("[name=name]").fill("钱子二")
        await rows.nth(1).locator("[name=id_number]").fill("370102198503150000")   # wrong check character
        await page.get_by_role("button", name="创建子账号").click()
        await expect(rows.nth(1).locator(".field-error")).to_have_text("身份证号校验位不正确，请核对")
        await expect(rows.nth(0).locator(".field-error")).to_have_count(0)
        await shot(page, "08-sub-account-error")

        await rows.nth(1).locator("[name=id_number]").fill(resident_id())
        await page.get_by_role("button", name="创建子账号").click()
        credentials = page.locator("#credentials tbody tr")
        await expect(credentials).to_have_count(2)
        await expect(page.locator("#credentials")).to_contain_text("初始密码只显示这一次")
        await shot(page, "09-sub-account-credentials")
        login = await credentials.nth(0).locator("td").nth(1).inner_text()
        password = await credentials.nth(0).locator("td").nth(2).inner_text()
        await sign_out(page)

        await sign_in(page, login, password)
        await expect(page).to_have_url(re.compile("/account/password$"))
        await page.fill("#f-old_password", password)
        await page.fill("#f-new_password", "Xin#Mima2026")
        await page.fill("#f-new_password_confirm", "Xin#Mima2026")
        await page.get_by_role("button", name="确认修改").click()
        await expect(page.locator("h1")).to_have_text("欢迎，赵子一")


async def test_staff_invitation_accepted_on_the_account_page(app, live):
    """The unit invites by ID number on its page, sees only the masked number pending; the person accepts
    under 我的账号 and only then appears in the unit's staff list."""
    from tests.factories import create_person

    _, account = await create_unit(name="济南邀请测试单位")
    person = await create_person(name="孙受邀")

    async def confirm(dialog) -> None:
        await dialog.accept()

    async with chromium_page(live, "failure-invitation") as page:
        page.on("dialog", confirm)
        await sign_in(page, account.login)
        await page.goto("/unit")
        await page.fill("#link-id_number", person.id_number)
        await page.get_by_role("button", name="发送邀请").click()
        pending = page.locator("#invitations tbody tr")
        await expect(pending).to_have_count(1)
        await expect(pending).to_contain_text(person.id_number[-4:])
        await expect(page.locator("#invitations")).not_to_contain_text(person.id_number)
        await expect(page.locator("#staff")).not_to_contain_text("孙受邀")
        await shot(page, "10-unit-invitation-pending")
        await sign_out(page)

        await sign_in(page, person.login)
        await page.goto("/account")
        offer = page.locator("#invitations tbody tr")
        await expect(offer).to_contain_text("济南邀请测试单位")
        await shot(page, "11-account-invitation")
        await offer.get_by_role("button", name="接受").click()
        await expect(page.locator("#invitations")).to_contain_text("暂无待处理的邀请")
        await expect(page.locator("main")).to_contain_text("单位经办人 · 济南邀请测试单位")
        await sign_out(page)

        await sign_in(page, account.login)
        await page.goto("/unit")
        await expect(page.locator("#staff")).to_contain_text("孙受邀")
        await expect(page.locator("#invitations")).to_contain_text("没有待接受的邀请")
