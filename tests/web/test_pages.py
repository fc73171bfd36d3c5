"""The pages render in the one layout, guard their sessions, and the API refuses cookie writes without CSRF."""

import pytest

from app.accounts.models import User
from app.units.models import StaffInvitation
from app.units.enums import UnitCategory, UnitStatus
from tests.factories import PASSWORD, create_hr_bureau, create_person, create_sysadmin, create_unit, login

HTML = {"Accept": "text/html"}


async def cookie_login(client, user) -> str:
    """Signs in the way a browser does (cookies, no bearer) and returns the CSRF token."""
    client.cookies.clear()
    response = await client.post("/api/auth/login", json={"login": user.login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client.cookies["zc_csrf"]


class TestPublicPages:
    @pytest.mark.parametrize("path, heading", [
        ("/", "<h1>职称申报评审服务</h1>"), ("/login", "<h1>用户登录</h1>"),
        ("/register", "<h1>个人注册</h1>"), ("/register/unit", "<h1>单位注册</h1>"),
        ("/recovery", "<h1>找回密码或登录名</h1>"),
    ])
    async def test_renders_in_the_layout(self, client, path, heading):
        response = await client.get(path)
        assert response.status_code == 200
        assert heading in response.text
        assert '<link rel="stylesheet" href="/static/site.css">' in response.text
        assert '<script src="/static/app.js" defer></script>' in response.text

    async def test_required_fields_are_marked(self, client):
        page = (await client.get("/register")).text
        assert 'data-api="/api/auth/register"' in page
        assert '姓名<span class="req" title="必填">*</span>' in page
        assert '电子邮箱</label>' in page   # optional: no star

    async def test_unit_registration_offers_dictionaries_but_no_hr_bureau(self, client):
        page = (await client.get("/register/unit")).text
        assert '<option value="370000">山东省</option>' in page
        assert "县(区)私营企业" in page
        assert "人社局" not in page.split('name="category"')[1].split("</select>")[0]

    async def test_password_reset_form_asks_for_a_captcha(self, client):
        page = (await client.get("/recovery")).text
        reset_form = page.split('id="recovery-reset"')[1].split("</form>")[0]
        assert 'data-captcha="recovery"' in reset_form and 'name="captcha_answer"' in reset_form

    async def test_login_keeps_only_same_site_next(self, client):
        assert 'data-next="/unit"' in (await client.get("/login?next=/unit")).text
        assert 'data-next="/"' in (await client.get("/login?next=//evil.example/x")).text

    async def test_static_files_are_served(self, client):
        assert (await client.get("/static/app.js")).status_code == 200
        assert (await client.get("/static/site.css")).status_code == 200

    async def test_unknown_page_is_the_error_page_in_the_layout(self, client):
        response = await client.get("/no-such-page", headers=HTML)
        assert response.status_code == 404
        assert "<h1>出错了</h1>" in response.text and "页面或接口不存在" in response.text
        assert "职称申报评审服务" in response.text


class TestProtectedPages:
    @pytest.mark.parametrize("path", ["/account", "/account/password", "/unit", "/review/permissions",
                                      "/admin/units"])
    async def test_anonymous_is_sent_to_login(self, client, path):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=" + path.replace("/", "%2F")

    async def test_forced_password_change_comes_first(self, client):
        user = await create_person()
        await User.get_pymongo_collection().update_one({"_id": user.id}, {"$set": {"must_change_password": True}})
        await cookie_login(client, user)
        assert (await client.get("/account")).headers["location"] == "/account/password"
        page = await client.get("/account/password")
        assert page.status_code == 200 and "请先设置新密码" in page.text

    async def test_account_page_shows_the_person_and_role_nav(self, client):
        user = await create_person(name="李申报")
        await cookie_login(client, user)
        page = (await client.get("/account")).text
        assert "<h1>我的账号</h1>" in page
        assert '<span class="who-name">李申报</span>' in page and "申报人" in page
        assert user.id_number in page
        assert 'href="/unit"' not in page   # no unit administration in an applicant's nav

    async def test_invitations_on_the_account_and_unit_pages(self, client):
        unit, account = await create_unit(name="邀请示范单位")
        person = await create_person(name="被邀请者")
        r = await client.post(f"/api/units/{unit.id}/staff", json={"id_number": person.id_number},
                              headers=await login(client, account))
        invitation_id = (await StaffInvitation.find_one({"unit_id": unit.id})).id
        await cookie_login(client, account)
        page = (await client.get("/unit")).text
        assert "待接受的邀请" in page and r.json()["id_number"] in page and "被邀请者" not in page
        assert f'data-api="/api/units/{unit.id}/invitations/{invitation_id}" data-method="DELETE"' in page
        await cookie_login(client, person)
        page = (await client.get("/account")).text
        assert "工作单位邀请" in page and "邀请示范单位" in page and "单位经办人" in page
        for answer in ("accept", "decline"):
            assert f'data-api="/api/me/invitations/{invitation_id}/{answer}" data-method="POST"' in page

    async def test_unit_page_for_a_registered_unit_offers_the_application(self, client):
        unit, account = await create_unit(status=UnitStatus.registered, name="济南页面测试有限公司")
        await cookie_login(client, account)
        page = (await client.get("/unit")).text
        assert "<h1>单位管理</h1>" in page and "济南页面测试有限公司" in page
        assert f'data-api="/api/units/{unit.id}/permission-application"' in page
        assert "单位账号" in page   # the staff list holds the unit's own account

    async def test_rejected_application_shows_its_reason(self, client):
        bureau, hr = await create_hr_bureau()
        unit, account = await create_unit(status=UnitStatus.registered)
        unit_headers = await login(client, account)
        application = (await client.post(f"/api/units/{unit.id}/permission-application", headers=unit_headers)).json()
        decision = await client.post(f"/api/permission-applications/{application['id']}/decision",
                                     json={"approve": False, "reason": "营业执照信息不一致"},
                                     headers=await login(client, hr))
        assert decision.status_code == 200, decision.text
        await cookie_login(client, account)
        page = (await client.get("/unit")).text
        assert "营业执照信息不一致" in page and "重新提交权限申请" in page

    async def test_hr_bureau_sees_pending_applications_with_auto_check(self, client):
        bureau, hr = await create_hr_bureau()
        unit, account = await create_unit(status=UnitStatus.registered, name="待审核示范单位")
        await client.post(f"/api/units/{unit.id}/permission-application", headers=await login(client, account))
        await cookie_login(client, hr)
        page = (await client.get("/review/permissions")).text
        assert "<h1>单位权限申请审核</h1>" in page and "待审核示范单位" in page
        assert "自动校验通过" in page and "审核不通过" in page

    async def test_sysadmin_sees_the_unit_tree(self, client):
        bureau, _ = await create_hr_bureau()
        await create_unit(parent=bureau, name="树下单位")
        await cookie_login(client, await create_sysadmin())
        page = (await client.get("/admin/units")).text
        assert "<h1>单位树</h1>" in page
        assert page.index(bureau.name) < page.index("树下单位")
        assert "济南市历下区" in page

    async def test_unit_page_refuses_a_person_without_a_unit(self, client):
        await cookie_login(client, await create_person(name="无单位者"))
        response = await client.get("/unit", headers=HTML)
        assert response.status_code == 403
        assert "仅单位管理员可访问单位管理页面" in response.text and "无单位者" in response.text

    async def test_child_unit_creation_offers_only_the_tiers_below(self, client):
        _, hr = await create_hr_bureau(category=UnitCategory.county_hr_bureau)
        await cookie_login(client, hr)
        page = (await client.get("/unit")).text
        categories = page.split('id="child-category"')[1].split("</select>")[0]
        assert "县(区)部门单位" in categories and "市(州)部门单位" not in categories


class TestCsrf:
    async def test_cookie_write_needs_the_csrf_header(self, client):
        user = await create_person()
        csrf = await cookie_login(client, user)
        refused = await client.patch("/api/me", json={"phone": "13700000001"})
        assert refused.status_code == 403
        assert refused.json()["code"] == "csrf_failed"
        accepted = await client.patch("/api/me", json={"phone": "13700000001"}, headers={"X-CSRF-Token": csrf})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["phone"] == "13700000001"
