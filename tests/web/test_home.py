"""The to-do home: per role, each count equals the total of the page it links to (on a seeded world of a few
hundred dossiers), every read it makes walks an index, and the applicant sees each dossier's status, holder and
next step."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from beanie import PydanticObjectId

from app.accounts.models import User
from app.committee import meetings, publicity, reissue
from app.committee.schemas import PublicityFilter
from app.routing import queues
from app.units import service as units_service
from app.units.enums import ApplicationStatus, UnitStatus
from app.web import committee_pages, publicity_pages, review_pages, todo
from app.web import queue_view as qv
from tests import queue_world
from tests.conftest import shared_world
from tests.factories import create_batch, create_hr_bureau, create_person, create_unit, login
from tests.routing import conftest as routing
from tests.test_query_plans import as_find, reads
from tests.web.test_pages import HTML, cookie_login
from tests.committee.test_kinds import kinds_world  # noqa: F401  (the fixture)

# The queue pages a to-do count may link to: the tabs each reads.
QUEUE_PAGES = {"/review": review_pages.ACCEPTANCE_TABS, "/report": review_pages.REPORT_TABS,
               "/committee": committee_pages.QUALIFICATION_TABS, "/committee/results": committee_pages.RESULT_TABS,
               "/committee/certificates": committee_pages.CERTIFICATE_TABS}

world = routing.world      # the fixture: employer → department → HR bureau → committee, one submitted dossier


@pytest.fixture(scope="class")
async def seeded(app):
    """Built once for the class that only reads it (held for a module, the other tests could not write)."""
    async with shared_world(lambda: queue_world.build(300)) as built:
        yield built


async def linked_total(user: User, href: str) -> int:
    """What the page behind a to-do link lists in all: a queue page's total, else the list its page shows."""
    parts = urlsplit(href)
    if parts.path in QUEUE_PAGES:
        queue = await qv.load(user, dict(parse_qsl(parts.query)), QUEUE_PAGES[parts.path], parts.path)
        return queue.total
    if parts.path == "/committee/meetings":
        return len([m for m in await meetings.of_office(user) if m.status == "voting"])
    if parts.path == "/committee/reissue":
        return len(await reissue.queue(actor=user))
    if parts.path == "/expert":
        return len([m for m in await meetings.invited(user) if m.status == "voting"])
    if parts.path == "/publicity":         # the rows the page groups as waiting for this unit's opinion
        unit = dict(parse_qsl(parts.query)).get("unit_id") or (await queues.node_units(user))[0]
        rows = await publicity.listing(actor=user, unit_id=PydanticObjectId(unit), committee_code=None,
                                       f=PublicityFilter())
        groups = publicity_pages.sort_unit_rows(rows, "")
        return len(groups["opinion"]) + len(groups["review"])
    if parts.path == "/review/permissions":
        return len(await units_service.list_applications(actor=user, status=ApplicationStatus.pending,
                                                         for_review=True))
    raise AssertionError(f"no total known for {href}")


def todo_count(page: str, href: str) -> int:
    """The count the home page shows on its to-do link to `href`."""
    found = re.search(r'<li class="todo-item[^"]*"><a href="' + re.escape(href) + r'">\s*<span class="todo-count">(\d+)</span>',
                      page)
    assert found, href
    return int(found.group(1))


def counted(groups: list[todo.TodoGroup]) -> dict[str, int]:
    return {item.label: item.count for group in groups for item in group.items}


def by_id(query: dict) -> bool:
    """A read of documents by their _ids (alone or AND-ed with a scope clause): bounded by the ids given,
    whatever plan SecantusDB picks for the extra clause."""
    wanted = query.get("_id")
    return (wanted is not None and (not isinstance(wanted, dict) or "$in" in wanted)
            or any(by_id(q) for q in query.get("$and", [])))


class TestCountsOnASeededWorld:
    @pytest.mark.parametrize("role, labels", [
        ("unit", ("待审核", "被退回", "待上报", "申请待处理", "公示意见待办")),
        ("department", ("待审核", "被退回", "待上报", "申请待处理", "公示意见待办")),
        ("hr", ("待审核", "被退回", "待上报", "待发证", "申请待处理", "公示意见待办", "权限申请待审核")),
        ("office", ("待审查", "待安排会议", "表决中", "待发布结果", "公示中", "待发证", "补证待审批")),
        ("expert", ("待表决的评审会",)),
    ])
    async def test_each_count_is_the_total_of_the_page_it_links_to(self, seeded, role, labels):
        user = seeded.users[role]
        groups = await todo.groups_for(user)
        items = [item for group in groups for item in group.items if item.label in labels]
        assert [item.label for item in items] == list(labels)
        for item in items:
            assert item.count == await linked_total(user, item.href), (role, item.label, item.href)
        shown = counted(groups)
        if role in ("unit", "department", "hr"):
            assert shown["待审核"] > 0 and shown["待上报"] > 0        # the world holds work at each node
        if role in ("unit", "department"):
            assert shown["被退回"] > 0                               # returned from the unit above
        if role == "hr":
            assert shown["待发证"] > 0                               # granted 初定/认定 at the 受理点
        if role in ("unit", "department"):
            assert "待发证" not in shown                            # only a 受理点 (an HR bureau) issues
        if role == "office":
            assert shown["待审查"] > 0 and shown["表决中"] == 1
        if role == "expert":
            assert shown["待表决的评审会"] == 1

    @pytest.mark.parametrize("role", ["unit", "department", "hr", "office", "expert", "applicant"])
    async def test_every_read_of_a_home_walks_an_index(self, seeded, role):
        from app import db
        from app.dossiers.models import Dossier

        database = db.current().db
        if role == "applicant":        # the owner of a dossier at a committee (its holder is named)
            found = await Dossier.get_pymongo_collection().find_one({"committee_code": {"$ne": None}},
                                                                   {"applicant_id": 1})
            user = User(id=found["applicant_id"], login="申报人", login_key="申报人", kind="person", name="申报人",
                        password_hash="-", roles=[{"role": "applicant"}])
            steps = await todo.applicant_steps(user)
            assert len(steps) == 1 and steps[0].node != "—"
            work = lambda: todo.applicant_steps(user)       # noqa: E731
        else:
            work = lambda: todo.groups_for(seeded.users[role])      # noqa: E731
        commands = [c for c in await reads(work) if {"find", "count", "aggregate"} & c.keys()]
        assert commands
        for command in commands:
            find = as_find(command)
            if by_id(find.get("filter") or {}):
                continue
            plan = await database.command("explain", find, verbosity="queryPlanner")
            assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), (role, find)


class TestApplicantHome:
    async def test_each_dossier_with_status_holder_and_next_step(self, client, world):
        page = await self.home(client, world["applicant"])
        row = page[page.index(f'data-dossier="{world["dossier_id"]}"'):]
        row = row[:row.index("</tr>")]
        assert "待审核" in row and world["employer"].name in row
        assert f'href="/dossiers/{world["dossier_id"]}/track"' in row and "等待" in row

        assert (await routing.act(client, world, "as_employer", "return", opinion="请补充学历证书")).status_code == 200
        page = await self.home(client, world["applicant"])
        row = page[page.index(f'data-dossier="{world["dossier_id"]}"'):]
        row = row[:row.index("</tr>")]
        assert "退回修改" in row and "申报人（本人）" in row
        assert f'href="/dossiers/{world["dossier_id"]}"' in row and "按退回意见修改后重新提交" in row
        assert page.index('id="my-steps"') < page.index("常用功能")       # the link grid comes second

    async def test_no_dossier_points_to_the_batches(self, client):
        page = await self.home(client, await create_person())
        assert "暂无申报" in page and 'href="/batches"' in page

    @staticmethod
    async def home(client, user) -> str:
        await cookie_login(client, user)
        response = await client.get("/", headers=HTML)
        assert response.status_code == 200
        return response.text


class TestHandlerHome:
    async def test_the_units_counts_link_to_the_filtered_queues(self, client, world):
        employer_account = await User.find_one({"unit_id": world["employer"].id, "kind": "unit"})
        await cookie_login(client, employer_account)
        page = (await client.get("/", headers=HTML)).text
        assert todo_count(page, "/review?tab=pending") == 1 and todo_count(page, "/report?tab=passed") == 0
        assert (await client.get("/review?tab=pending", headers=HTML)).text.count('data-dossier="') == 1
        assert (await routing.act(client, world, "as_employer", "pass")).status_code == 200
        page = (await client.get("/", headers=HTML)).text
        assert todo_count(page, "/review?tab=pending") == 0 and todo_count(page, "/report?tab=passed") == 1
        assert page.index('class="card todo"') < page.index("常用功能")

    async def test_sent_back_counts_what_a_unit_above_returned_until_it_is_reported_again(self, client, world):
        """被退回: the department returns the employer's report; the employer's home counts it (and 待审核 too,
        where it now waits), the count leads to the tab listing exactly it, until the employer reports it again.
        A return from the committee's office is the HR bureau's 被退回 the same way."""
        dossier_id = world["dossier_id"]
        accounts = {who: await User.find_one({"unit_id": world[unit].id, "kind": "unit"})
                    for who, unit in (("employer", "employer"), ("department", "department"), ("hr", "hr"))}

        async def home(who: str) -> str:
            await cookie_login(client, accounts[who])
            return (await client.get("/", headers=HTML)).text

        async def listed(who: str) -> list[str]:
            await cookie_login(client, accounts[who])
            page = (await client.get("/review?tab=sent_back", headers=HTML)).text
            return re.findall(r'<tr[^>]* data-dossier="([0-9a-f]{24})"', page)

        for node in ("as_employer", "as_department"):
            for action in ("pass", "report") if node == "as_employer" else ("pass",):
                assert (await routing.act(client, world, node, action)).status_code == 200
        assert todo_count(await home("employer"), "/review?tab=sent_back") == 0 and await listed("employer") == []
        r = await routing.act(client, world, "as_department", "return", opinion="请补充单位推荐意见")
        assert r.status_code == 200 and r.json()["status"] == "submitted"
        page = await home("employer")
        assert todo_count(page, "/review?tab=sent_back") == 1 and todo_count(page, "/review?tab=pending") == 1
        assert await listed("employer") == [dossier_id]
        assert todo_count(await home("department"), "/review?tab=sent_back") == 0 and await listed("department") == []
        assert (await routing.act(client, world, "as_employer", "pass")).status_code == 200
        page = await home("employer")           # passed, not yet reported again: still 被退回, and 待上报
        assert todo_count(page, "/review?tab=sent_back") == 1 and todo_count(page, "/report?tab=passed") == 1
        assert (await routing.act(client, world, "as_employer", "report")).status_code == 200
        assert todo_count(await home("employer"), "/review?tab=sent_back") == 0 and await listed("employer") == []

        for node in ("as_department", "as_hr"):
            for action in ("pass", "report"):
                assert (await routing.act(client, world, node, action)).status_code == 200
        r = await routing.act(client, world, "as_office", "return", opinion="缺少任职年限证明")
        assert r.status_code == 200
        assert todo_count(await home("hr"), "/review?tab=sent_back") == 1 and await listed("hr") == [dossier_id]
        assert await listed("employer") == [] and await listed("department") == []
        client.cookies.clear()
        r = await client.get("/api/review/queue", params={"view": "sent_back"}, headers=world["as_hr"])
        assert r.status_code == 200 and [d["id"] for d in r.json()["items"]] == [dossier_id]

    async def test_the_acceptance_points_to_certify_count_and_tab(self, client, kinds_world):
        """初定: the HR bureau, its 受理点, grants; its home counts the granted dossier under 待发证, linking to the
        tab that lists it with the issuing form; issued, it leaves both. Other units have no 待发证."""
        from tests.committee.test_kinds import decide, initial_submitted, issue, up_to_hr

        world = kinds_world
        dossier_id = await initial_submitted(world)
        await up_to_hr(client, world, dossier_id)

        async def hr_home() -> str:
            await cookie_login(client, world["hr_account"])
            page = (await client.get("/", headers=HTML)).text
            client.cookies.clear()
            return page

        async def tab() -> str:
            await cookie_login(client, world["hr_account"])
            page = (await client.get("/review?tab=to_certify", headers=HTML)).text
            client.cookies.clear()
            return page

        assert todo_count(await hr_home(), "/review?tab=to_certify") == 0
        assert 'data-dossier="' not in await tab()
        assert (await decide(client, world, dossier_id, approve=True)).status_code == 200
        assert todo_count(await hr_home(), "/review?tab=to_certify") == 1
        page = await tab()
        assert re.findall(r'<tr[^>]* data-dossier="([0-9a-f]{24})"', page) == [dossier_id]
        assert 'data-batch-api="/api/acceptance/certificates"' in page and 'name="document_number"' in page
        assert world["applicant"].id_number in page          # the issuing tab shows the number in full
        employer = await User.find_one({"unit_id": world["employer"].id, "kind": "unit"})
        await cookie_login(client, employer)
        page = (await client.get("/", headers=HTML)).text
        assert "/review?tab=to_certify" not in page and ">待发证<" not in page
        assert ">待发证<" not in (await client.get("/review", headers=HTML)).text
        client.cookies.clear()
        r = await issue(client, world, dossier_id)
        assert r.status_code == 200 and r.json()["done"] == 1, r.text
        assert todo_count(await hr_home(), "/review?tab=to_certify") == 0
        assert 'data-dossier="' not in await tab()

    async def test_a_unit_not_yet_approved_gets_its_home_with_nothing_to_do(self, client):
        bureau, _ = await create_hr_bureau()
        _, account = await create_unit(status=UnitStatus.registered, parent=bureau)
        await cookie_login(client, account)
        page = (await client.get("/", headers=HTML)).text
        assert todo_count(page, "/review?tab=pending") == 0 and todo_count(page, "/publicity") == 0

    async def test_the_hr_bureau_sees_pending_permission_applications(self, client):
        bureau, bureau_account = await create_hr_bureau()
        unit, account = await create_unit(status=UnitStatus.registered, parent=bureau)
        await client.post(f"/api/units/{unit.id}/permission-application", headers=await login(client, account))
        await cookie_login(client, bureau_account)
        page = (await client.get("/", headers=HTML)).text
        assert todo_count(page, "/review/permissions") == 1


class TestArchivistHome:
    async def test_batches_with_finished_dossiers_and_a_disabled_export_for_the_rest(self, client, world):
        from tests.factories import force_dossier, grant

        archivist = await create_person(name="档案员")
        await grant(archivist, "archivist", world["hr"])
        empty = await create_batch(name="没有办结的批次")
        await cookie_login(client, archivist)
        page = (await client.get("/", headers=HTML)).text
        assert todo_count(page, "/archives") == 0
        archives = (await client.get("/archives", headers=HTML)).text
        row = archives[archives.index(f'data-batch="{empty.id}"'):]
        assert "disabled" in row[:row.index("</tr>")] and "暂无已办结的申报" in row[:row.index("</tr>")]

        await force_dossier(world["dossier_id"], status="voided")
        page = (await client.get("/", headers=HTML)).text
        assert todo_count(page, "/archives") == 1 and todo_count(page, f"/archives#batch-{world['batch'].id}") == 1
        archives = (await client.get("/archives", headers=HTML)).text
        row = archives[archives.index(f'data-batch="{world["batch"].id}"'):]
        assert "data-download" in row[:row.index("</tr>")]
