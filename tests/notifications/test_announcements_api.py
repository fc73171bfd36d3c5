"""Announcements: read by audience role (anonymous sees the public ones), searched and filtered, kept by sysadmin."""

import pytest

from app.accounts.enums import Role
from app.accounts.models import RoleGrant
from app.clock import advance
from app.notifications.models import Announcement
from tests.factories import create_person, create_sysadmin, create_unit, login


@pytest.fixture
async def admin_headers(client):
    return await login(client, await create_sysadmin())


def payload(**overrides) -> dict:
    return {"title": "关于开展2026年度职称评审工作的通知", "body": "各单位：\n请按时申报。", "kind": "notice",
            "audience": [], "pinned": False, **overrides}


async def publish(client, headers, **overrides) -> dict:
    r = await client.post("/api/announcements", json=payload(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    advance(1)
    return r.json()


def titles(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [a["title"] for a in response.json()["items"]]


class TestAudience:
    async def test_by_role(self, client, admin_headers):
        await publish(client, admin_headers, title="公开通知")
        await publish(client, admin_headers, title="申报人须知", audience=["applicant"])
        await publish(client, admin_headers, title="经办人操作规范", audience=["unit_handler", "dept_handler"])
        _, unit_account = await create_unit()
        handler = await create_person(roles=[RoleGrant(role=Role.applicant),
                                             RoleGrant(role=Role.unit_handler, unit_id=unit_account.unit_id)])

        client.cookies.clear()
        assert titles(await client.get("/api/announcements")) == ["公开通知"]
        applicant = await login(client, await create_person())
        assert titles(await client.get("/api/announcements", headers=applicant)) == ["申报人须知", "公开通知"]
        assert titles(await client.get("/api/announcements", headers=await login(client, unit_account))) == [
            "经办人操作规范", "公开通知"]
        assert titles(await client.get("/api/announcements", headers=await login(client, handler))) == [
            "经办人操作规范", "申报人须知", "公开通知"]
        assert len(titles(await client.get("/api/announcements", headers=admin_headers))) == 3

    async def test_detail_outside_the_audience_is_not_found(self, client, admin_headers):
        created = await publish(client, admin_headers, title="经办人须知", audience=["unit_handler"])
        client.cookies.clear()
        assert (await client.get(f"/api/announcements/{created['id']}")).status_code == 404
        applicant = await login(client, await create_person())
        assert (await client.get(f"/api/announcements/{created['id']}", headers=applicant)).status_code == 404
        _, unit_account = await create_unit()
        r = await client.get(f"/api/announcements/{created['id']}", headers=await login(client, unit_account))
        assert r.status_code == 200 and r.json()["body"] == "各单位：\n请按时申报。"
        assert r.json()["audience_labels"] == ["单位经办人"] and r.json()["kind_label"] == "公告通知"


class TestSearchAndOrder:
    async def test_keyword_kind_and_pinned_first(self, client, admin_headers):
        await publish(client, admin_headers, title="职称评审工作通知", pinned=True)
        await publish(client, admin_headers, title="关于评审费标准的通知")
        await publish(client, admin_headers, title="山东省职称评审管理办法", kind="policy")
        await publish(client, admin_headers, title="Policy (a+b) 说明", kind="policy")
        client.cookies.clear()
        assert titles(await client.get("/api/announcements")) == [
            "职称评审工作通知", "Policy (a+b) 说明", "山东省职称评审管理办法", "关于评审费标准的通知"]
        assert titles(await client.get("/api/announcements", params={"q": "评审"})) == [
            "职称评审工作通知", "山东省职称评审管理办法", "关于评审费标准的通知"]
        assert titles(await client.get("/api/announcements", params={"q": "policy (A+B"})) == ["Policy (a+b) 说明"]
        assert titles(await client.get("/api/announcements", params={"q": ".*"})) == []
        assert titles(await client.get("/api/announcements", params={"kind": "policy", "q": "办法"})) == [
            "山东省职称评审管理办法"]
        r = await client.get("/api/announcements", params={"kind": "policy", "size": 1, "page": 2})
        assert titles(r) == ["山东省职称评审管理办法"] and r.json()["total"] == 2

    async def test_unknown_kind_filter(self, client):
        r = await client.get("/api/announcements", params={"kind": "news"})
        assert r.status_code == 422 and r.json()["field"] == "kind"


class TestWrites:
    async def test_admin_creates_edits_and_withdraws(self, client, admin_headers):
        created = await publish(client, admin_headers, audience=["applicant", "applicant"])
        assert created["audience"] == ["applicant"] and created["updated_at"] is None
        created = (await client.get(f"/api/announcements/{created['id']}", headers=admin_headers)).json()
        r = await client.put(f"/api/announcements/{created['id']}",
                             json=payload(title="更正：评审通知", kind="policy", pinned=True), headers=admin_headers)
        assert r.status_code == 200, r.text
        assert (r.json()["title"], r.json()["kind"], r.json()["pinned"], r.json()["audience"]) == (
            "更正：评审通知", "policy", True, [])
        assert r.json()["published_at"] == created["published_at"] and r.json()["updated_at"]
        r = await client.delete(f"/api/announcements/{created['id']}", headers=admin_headers)
        assert r.status_code == 204
        assert await Announcement.find({}).count() == 0
        r = await client.delete(f"/api/announcements/{created['id']}", headers=admin_headers)
        assert r.status_code == 404

    async def test_others_are_refused(self, client, admin_headers):
        created = await publish(client, admin_headers)
        client.cookies.clear()
        assert (await client.post("/api/announcements", json=payload())).status_code == 401
        _, unit_account = await create_unit()
        for headers in (await login(client, await create_person()), await login(client, unit_account)):
            r = await client.post("/api/announcements", json=payload(), headers=headers)
            assert r.status_code == 403 and r.json()["code"] == "forbidden"
            r = await client.put(f"/api/announcements/{created['id']}", json=payload(title="改"), headers=headers)
            assert r.status_code == 403
            assert (await client.delete(f"/api/announcements/{created['id']}", headers=headers)).status_code == 403
        assert [a.title for a in await Announcement.find({}).to_list()] == [payload()["title"]]

    @pytest.mark.parametrize("overrides, field, message", [
        ({"title": "   "}, "title", "标题不能为空"),
        ({"kind": "news"}, "kind", "不是允许的选项"),
        ({"audience": ["applicant", "mayor"]}, "audience.1", "不是允许的选项"),
        ({"title": "通" * 101}, "title", "内容过长"),
        ({"color": "red"}, "color", "输入不符合要求"),
    ])
    async def test_bad_input(self, client, admin_headers, overrides, field, message):
        r = await client.post("/api/announcements", json=payload(**overrides), headers=admin_headers)
        assert r.status_code == 422, r.text
        assert (r.json()["code"], r.json()["field"], r.json()["message"]) == ("invalid", field, message)
        assert await Announcement.find({}).count() == 0

    async def test_empty_body(self, client, admin_headers):
        r = await client.post("/api/announcements", json=payload(body=" "), headers=admin_headers)
        assert r.status_code == 422 and r.json()["message"] == "正文不能为空" and r.json()["field"] == "body"
        assert await Announcement.find({}).count() == 0
