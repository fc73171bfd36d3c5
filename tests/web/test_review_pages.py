"""The review workflow's pages: who gets them, what they show from the services, and the public verification."""

import re

import pytest

from app.accounts.models import User
from app.dossiers.models import Dossier
from app.notifications.models import Announcement
from app.routing.models import Path
from tests.factories import create_person, create_sysadmin, create_unit
from tests.committee.committee_kit import make_experts, new_meeting, place_dossier, schedule
from tests.conftest import shared_world
from tests.routing.conftest import act, build_world, world  # noqa: F401  (the fixture)
from tests.web.test_dossier_pages import main_part
from tests.web.test_pages import HTML, cookie_login


async def unit_account(unit) -> User:
    return await User.find_one({"unit_id": unit.id, "kind": "unit"})


async def office_account() -> User:
    return await User.find_one({"roles.role": "committee_intermediate"})


async def page(client, user, path: str, status: int = 200) -> str:
    await cookie_login(client, user)
    response = await client.get(path, headers=HTML)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    return response.text


@pytest.fixture(scope="class")
async def read_world(app):
    """The `world` once for a class of tests that only read it (anonymous requests write nothing)."""
    async with shared_world(build_world) as world:
        yield world


class TestAnonymousGate:
    @pytest.mark.parametrize("path", ["/review", "/review/{id}", "/report", "/paths", "/publicity", "/committee",
                                      "/committee/meetings", "/committee/results", "/committee/certificates",
                                      "/expert", "/inbox", "/dossiers/{id}/track", "/admin/announcements"])
    async def test_anonymous_is_sent_to_login(self, client, read_world, path):
        response = await client.get(path.format(id=read_world["dossier_id"]))
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2F")


class TestGate:
    @pytest.mark.parametrize("path", ["/review", "/report", "/paths", "/publicity", "/committee",
                                      "/committee/meetings", "/expert", "/admin/announcements"])
    async def test_an_applicant_gets_a_page_saying_whose_it_is(self, client, world, path):
        text = await page(client, world["applicant"], path, status=403)
        assert "<h1>出错了</h1>" in text

    async def test_another_unit_gets_404_on_the_review_page(self, client, world):
        _, stranger = await create_unit(name="济南市其他单位")
        text = await page(client, stranger, f"/review/{world['dossier_id']}", status=404)
        assert "申报材料不存在" in text and "山东艺术学院" not in text

    async def test_another_applicant_gets_404_on_tracking(self, client, world):
        text = await page(client, await create_person(name="李其他"), f"/dossiers/{world['dossier_id']}/track",
                          status=404)
        assert "申报材料不存在" in text


class TestNavigation:
    async def test_unit_handler_nav_and_tiles(self, client, world):
        text = await page(client, await unit_account(world["employer"]), "/")
        for label in ("数据审核", "数据上报", "路径管理", "公示", "消息", "公告"):
            assert f">{label}</a>" in text or f"<strong>{label}</strong>" in text
        assert 'href="/committee"' not in text

    async def test_committee_office_nav(self, client, world):
        text = await page(client, await office_account(), "/committee/meetings")
        assert 'href="/committee/meetings" class="active"' in text
        assert 'href="/committee" class="active"' not in text
        for label in ("资格审查", "评审会", "评审结果", "证书"):
            assert f">{label}</a>" in text

    async def test_permission_review_is_not_highlighted_as_data_review(self, client, world):
        text = await page(client, await unit_account(world["hr"]), "/review/permissions")
        assert 'href="/review/permissions" class="active"' in text and 'href="/review" class="active"' not in text


class TestReviewQueue:
    async def test_pending_tab_lists_the_submitted_dossier_with_batch_actions(self, client, world):
        text = await page(client, await unit_account(world["employer"]), "/review")
        main = main_part(text)
        assert "<h1>数据审核</h1>" in main and "王小明" in main and "群众文化" in main
        assert f'data-pick value="{world["dossier_id"]}"' in main
        assert 'data-batch-api="/api/review/batch"' in main and 'data-action="pass"' in main
        assert re.search(r"\d{3}\*{11}\w{4}", main)                  # ID numbers masked as in the API

    async def test_filters_sort_and_tabs_keep_each_other(self, client, world):
        text = await page(client, await unit_account(world["employer"]), "/review?name=李&sort=name&descending=false")
        assert "没有符合条件的申报" in text
        text = await page(client, await unit_account(world["employer"]), "/review?name=王&sort=name&descending=false")
        assert "王小明" in main_part(text) and "姓名 ▲" in text
        assert "tab=passed" in text

    async def test_bad_filter_is_a_clear_page(self, client, world):
        text = await page(client, await unit_account(world["employer"]), "/review?year=abc", status=422)
        assert "查询条件不正确" in text

    async def test_the_department_sees_nothing_before_the_report(self, client, world):
        text = await page(client, await unit_account(world["department"]), "/review")
        assert "没有符合条件的申报" in text


class TestReviewPage:
    async def test_shows_snapshot_trail_flow_and_actions(self, client, world):
        text = main_part(await page(client, await unit_account(world["employer"]), f"/review/{world['dossier_id']}"))
        assert "审核申报材料：王小明" in text and "第1次提交的材料" in text
        assert "学历信息" in text and "山东艺术学院" in text and "舞蹈学" in text
        assert "学历证书.pdf" in text and "?inline=true" in text                    # preview links
        assert "优秀" in text                                                       # dictionary names, not codes
        assert 'data-trail="submit"' in text and "确认申报" in text
        assert 'class="flow-node flow-current' in text
        assert 'data-set-action="pass"' in text and 'data-set-action="return"' in text
        assert 'name="signed_on" type="date" value="' in text
        assert 'name="correction_deadline"' in text                               # the first node returns to the applicant

    async def test_read_only_for_a_unit_above_until_it_holds_it(self, client, world):
        for action in ("pass", "report"):
            assert (await act(client, world, "as_employer", action, opinion="同意推荐")).status_code == 200
        text = main_part(await page(client, await unit_account(world["employer"]), f"/review/{world['dossier_id']}"))
        assert "仅供查看" in text and "data-set-action" not in text
        text = main_part(await page(client, await unit_account(world["department"]),
                                    f"/review/{world['dossier_id']}"))
        assert 'data-set-action="pass"' in text and "济南市群众艺术馆" in text
        assert 'name="correction_deadline"' not in text                           # returns go to the employer

    async def test_changes_since_the_previous_submission(self, client, world):
        assert (await act(client, world, "as_employer", "return", opinion="请补充")).status_code == 200
        url = f"/api/dossiers/{world['dossier_id']}"
        etag = (await client.get(url, headers=world["as_applicant"])).headers["ETag"]
        r = await client.put(f"{url}/sections/summary", json={"text": "任现职以来，组织培训两百余场。"},
                             headers={**world["as_applicant"], "If-Match": etag})
        assert r.status_code == 200, r.text
        assert (await client.post(f"{url}/submit", headers=world["as_applicant"])).status_code == 200
        text = await page(client, await unit_account(world["employer"]), f"/review/{world['dossier_id']}")
        assert "与上次提交比较" in text and "两百余场" in text


class TestReport:
    async def test_passed_dossier_is_offered_for_report(self, client, world):
        assert (await act(client, world, "as_employer", "pass")).status_code == 200
        text = main_part(await page(client, await unit_account(world["employer"]), "/report"))
        assert "王小明" in text and 'data-action="report"' in text and 'value="filter"' in text
        assert "data-missing-paths" not in text

    async def test_missing_path_is_said_with_a_link(self, client, world):
        await Path.get_pymongo_collection().delete_many({"unit_id": world["employer"].id})
        assert (await act(client, world, "as_employer", "pass")).status_code == 200
        text = main_part(await page(client, await unit_account(world["employer"]), "/report"))
        assert "data-missing-paths" in text and "尚未开通上报路径" in text and 'href="/paths"' in text


class TestPathsAndPublicity:
    async def test_paths_page_lists_own_and_incoming_and_draws_the_graph(self, client, world):
        r = await client.post("/api/paths", json={"unit_id": str(world["employer"].id), "series": "qzwh", "level": "2",
                                                   "target_unit_id": str(world["department"].id)},
                              headers=world["as_employer"])
        assert r.status_code == 201, r.text
        text = main_part(await page(client, await unit_account(world["employer"]), "/paths"))
        assert "济南市文化和旅游局" in text and "已生效" in text and "待审核" in text
        assert 'data-api="/api/paths"' in text
        text = main_part(await page(client, await unit_account(world["department"]), "/paths?series=qzwh&level=3"))
        assert f'data-api="/api/paths/{r.json()["id"]}/decision"' in text
        assert text.count('class="path-box') == 4                   # employer → department → HR → committee
        assert 'class="path-box path-committee"' in text

    async def test_publicity_for_the_employer_and_the_office(self, client, world):
        dossier = await place_dossier(world, status="approved", name="李晓华")
        r = await client.post("/api/publicity/publish", json={"ids": [str(dossier.id)], "confirm": True},
                              headers=world["as_office"])
        assert r.json()["done"] == 1, r.text
        text = main_part(await page(client, await unit_account(world["employer"]), "/publicity"))
        assert "李晓华" in text and f'data-multipart="/api/publicity/{dossier.id}/opinion"' in text
        assert 'name="proof"' in text and "批量无异议" in text and "汇总提交" in text
        text = main_part(await page(client, await office_account(), "/publicity"))
        assert "李晓华" in text and "尚待济南市群众艺术馆办理" in text


class TestCommitteePages:
    async def test_qualification_queue_meetings_results_and_certificates(self, client, world):
        at_committee = await place_dossier(world, status="at_committee", name="李晓华")
        accepted = await place_dossier(world, status="accepted", name="赵一鸣")
        office = await office_account()
        text = main_part(await page(client, office, "/committee"))
        assert "李晓华" in text and "赵一鸣" not in text and 'data-action="accept"' in text
        text = main_part(await page(client, office, f"/review/{at_committee.id}"))
        assert 'data-set-action="accept"' in text and 'data-set-action="return"' in text

        experts = await make_experts(client, world["department"], 3)
        meeting = await new_meeting(client, world, [e for e, _ in experts])
        text = main_part(await page(client, office, "/committee/meetings"))
        assert meeting["name"] in text
        text = main_part(await page(client, office, f"/committee/meetings/{meeting['id']}"))
        assert "专家1" in text and "赵一鸣" in text and f'data-batch-api="/api/meetings/{meeting["id"]}/dossiers"' in text
        assert "开始表决" in text and "到会≥2/3" in text
        await schedule(client, world, meeting["id"], [accepted.id])
        text = main_part(await page(client, office, f"/committee/meetings/{meeting['id']}"))
        assert re.search(r"<td>(专家\d、){2}专家\d</td>", text)         # all bound to a unit on the route: recused

        expert, _ = experts[0]
        text = main_part(await page(client, expert, "/expert"))
        assert meeting["name"] in text
        text = main_part(await page(client, expert, f"/expert/meetings/{meeting['id']}"))
        assert "赵一鸣" in text and "data-recused" in text and "回避" in text

        await place_dossier(world, status="approved", name="钱评过")
        text = main_part(await page(client, office, "/committee/results"))
        assert "钱评过" in text and 'data-batch-api="/api/publicity/publish"' in text
        await place_dossier(world, status="publicized", name="孙公示")
        text = main_part(await page(client, office, "/committee/certificates"))
        assert "孙公示" in text and 'data-batch-api="/api/certificates"' in text and 'name="document_number"' in text


class TestApplicantPages:
    async def test_tracking_shows_trail_flow_and_the_next_unit(self, client, world):
        for action in ("pass", "report"):
            assert (await act(client, world, "as_employer", action, opinion="同意推荐", signer="张主任")).status_code == 200
        text = main_part(await page(client, world["applicant"], f"/dossiers/{world['dossier_id']}/track"))
        assert "<h1>状态跟踪</h1>" in text and 'data-trail="pass"' in text and 'data-trail="report"' in text
        assert "同意推荐" in text and "张主任" in text
        current = re.search(r'flow-current[^>]*>\s*<span class="flow-kind">[^<]*</span>\s*<span class="flow-name">([^<]+)',
                            text)
        assert current and current.group(1) == "济南市文化和旅游局"

    async def test_a_return_shows_its_reason_and_deadline_with_a_way_back(self, client, world):
        r = await act(client, world, "as_employer", "return", opinion="请补充业绩证明材料",
                      correction_deadline="2099-01-01T17:00:00+08:00")
        assert r.status_code == 200, r.text
        text = main_part(await page(client, world["applicant"], f"/dossiers/{world['dossier_id']}/track"))
        assert 'id="return-reason"' in text and "请补充业绩证明材料" in text and "2099-01-01 17:00" in text
        assert f'href="/dossiers/{world["dossier_id"]}">修改申报材料并重新确认申报' in text
        text = main_part(await page(client, world["applicant"], f"/dossiers/{world['dossier_id']}"))
        assert "请补充业绩证明材料" in text and "状态跟踪" in text
        assert f'/dossiers/{world["dossier_id"]}/track' in await page(client, world["applicant"], "/dossiers")

    async def test_inbox_lists_messages_and_the_header_counts_them(self, client, world):
        assert (await act(client, world, "as_employer", "pass")).status_code == 200
        text = await page(client, world["applicant"], "/inbox")
        assert '<span class="count-badge" data-unread-count>1</span>' in text
        assert "单位审核通过" in text and f'href="/dossiers/{world["dossier_id"]}/track"' in text
        assert 'data-api="/api/inbox/read-all"' in text
        await client.post("/api/inbox/read-all", headers={"X-CSRF-Token": client.cookies["zc_csrf"]})
        assert "data-unread-count" not in await page(client, world["applicant"], "/inbox")


class TestAnnouncementsAndVerification:
    async def test_announcements_by_audience_and_the_admin_page(self, client):
        admin = await create_sysadmin()
        await Announcement(title="2026年度职称评审工作通知", body="各单位：……", kind="notice", created_by=admin.id).insert()
        await Announcement(title="评委会内部工作规范", body="……", kind="policy", audience=["committee_intermediate"],
                           created_by=admin.id).insert()
        text = (await client.get("/announcements")).text                      # anonymous: public ones
        assert "2026年度职称评审工作通知" in text and "评委会内部工作规范" not in text
        text = (await client.get("/announcements?q=评审工作")).text
        assert "2026年度职称评审工作通知" in text
        text = await page(client, admin, "/admin/announcements")
        assert "评委会内部工作规范" in text and 'data-method="DELETE"' in text and 'name="audience"' in text

    async def test_verify_without_login(self, client, world):
        dossier = await place_dossier(world, status="publicized", name="王小明")
        r = await client.post("/api/certificates", headers=world["as_office"], json={
            "ids": [str(dossier.id)], "document_number": "济人社职字〔2027〕3号", "issued_on": "2027-01-08",
            "issuing_body": "济南市人力资源和社会保障局", "confirm": True})
        assert r.json()["done"] == 1, r.text
        certificate = (await Dossier.get(dossier.id)).certificate
        client.cookies.clear()
        ok = await client.get("/verify", params={"number": certificate.number, "code": certificate.verification_code})
        assert ok.status_code == 200 and "查验通过" in ok.text and "王*明" in ok.text and "馆员" in ok.text
        wrong = await client.get("/verify", params={"number": certificate.number, "code": "WRONG234"})
        assert wrong.status_code == 200 and "未查到该证书" in wrong.text and "王*明" not in wrong.text
        assert "<h1>职称证书查验</h1>" in (await client.get("/verify")).text
