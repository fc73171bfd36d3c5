"""The administrator's settings pages: committees' rules, the least panel sizes, the audit log and a dossier's
readers. Only administrators see them; each form names the API it saves through; the lists read indexes."""

from datetime import timedelta

import pytest

from app.accounts import audit
from app.accounts.audit import ClientInfo
from app.accounts.enums import AuditKind
from app.accounts.models import AuditEvent
from app.clock import utcnow
from app.dossiers import access
from app.dossiers import service as dossiers
from app.dossiers.schemas import DossierCreate
from app.experts import rosters
from app.experts.schemas import RulesIn
from tests.factories import (create_batch, create_committee, create_person, create_sysadmin, create_unit,
                             declaration_payload)
from tests.plans import explained
from tests.web.test_pages import HTML, cookie_login

PAGES = ("/admin/committees", "/admin/committees/{code}", "/admin/expert-rules", "/admin/audit", "/admin/readers")


@pytest.fixture
async def world(app):
    office, _ = await create_unit(name="济南市人社局职称办", region_code="370100")
    committee = await create_committee(office_unit=office)
    return {"office": office, "committee": committee, "admin": await create_sysadmin(),
            "person": await create_person(name="李四")}


class TestWhoSeesThem:
    @pytest.mark.parametrize("path", PAGES)
    async def test_only_administrators(self, client, world, path):
        path = path.format(code=world["committee"].code)
        anonymous = await client.get(path, headers=HTML, follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        await cookie_login(client, world["person"])
        assert (await client.get(path, headers=HTML)).status_code == 403
        await cookie_login(client, world["admin"])
        page = await client.get(path, headers=HTML)
        assert page.status_code == 200 and "<h1>" in page.text

    async def test_an_unknown_committee_is_404(self, client, world):
        await cookie_login(client, world["admin"])
        assert (await client.get("/admin/committees/nope", headers=HTML)).status_code == 404

    async def test_the_administrators_home_links_them(self, client, world):
        await cookie_login(client, world["admin"])
        home = (await client.get("/", headers=HTML)).text
        assert 'href="/admin/committees"' in home and 'href="/admin/audit"' in home


class TestCommitteeSettings:
    async def test_the_list_and_the_form_show_the_stored_rules(self, client, world):
        await world["committee"].set({"publicity_working_days": 7, "version": 3})
        await cookie_login(client, world["admin"])
        listing = (await client.get("/admin/committees", headers=HTML)).text
        assert world["committee"].name in listing and "7 个工作日" in listing and "济南市人社局职称办" in listing
        assert f'href="/admin/committees/{world["committee"].code}"' in listing
        form = (await client.get(f"/admin/committees/{world['committee'].code}", headers=HTML)).text
        assert f'data-api="/api/committees/{world["committee"].code}" data-method="PUT"' in form
        assert "data-etag='\"3\"'" in form                    # the version shown is the one the save names
        assert 'name="publicity_working_days"' in form and 'value="7"' in form
        assert 'name="office_unit_id" value="' + str(world["office"].id) + '"' in form


class TestExpertRules:
    async def test_the_form_shows_the_minimums_saved(self, client, world):
        await rosters.set_rules(RulesIn(minimums={"senior": 25}))
        await cookie_login(client, world["admin"])
        page = (await client.get("/admin/expert-rules", headers=HTML)).text
        assert 'data-api="/api/expert-rules" data-method="PUT"' in page
        assert 'name="minimums.senior"' in page and 'value="25"' in page


class TestAuditLog:
    async def test_filters_by_kind_and_account_and_pages_back(self, client, world):
        person = world["person"]
        start = utcnow() - timedelta(hours=2)
        for minute in range(55):
            await AuditEvent(kind=AuditKind.login_failed, at=start + timedelta(minutes=minute), user_id=person.id,
                             actor_login=person.login, ip="10.0.0.9", detail={"reason": f"第{minute}次"}).insert()
        await audit.record(AuditKind.unlocked, client=ClientInfo(ip="10.0.0.1"), actor=world["admin"],
                           user_id=person.id)
        await cookie_login(client, world["admin"])
        first = (await client.get("/admin/audit", params={"kind": "login_failed", "login": person.login},
                                  headers=HTML)).text
        assert first.count("<td data-label=\"操作\">登录失败</td>") == 50 and "解除锁定" not in first.split("<tbody>")[1]
        assert "第54次" in first and "第4次" not in first.replace("第54次", "")
        older = first.split('class="btn" href="')[1].split('"')[0].replace("&amp;", "&")
        second = (await client.get(older, headers=HTML)).text
        assert second.count("<td data-label=\"操作\">登录失败</td>") == 5 and "第0次" in second
        assert "更早的记录" not in second
        unknown = (await client.get("/admin/audit", params={"login": "nobody-here"}, headers=HTML)).text
        assert "没有账号“nobody-here”的记录" in unknown

    async def test_each_filter_reads_an_index(self, world):
        person = world["person"]
        for kind, user_id in ((None, None), (AuditKind.login, None), (None, person.id), (AuditKind.login, person.id)):
            async def read():
                await audit.events(user_id=user_id, kind=kind, limit=51, before=utcnow())
            await explained(read, f"audit {kind} {user_id}", ("audit_events",))


class TestReaders:
    async def test_a_persons_dossiers_with_who_read_them(self, client, world):
        unit, _ = await create_unit(name="济南市群众艺术馆", region_code="370100")
        applicant = await create_person(name="王小明")
        batch = await create_batch()
        dossier = await dossiers.create(actor=applicant, data=DossierCreate(**declaration_payload(batch, unit)))
        reader = await create_person(name="赵审核")
        access.record(dossier_id=dossier.id, user_id=reader.id, user_name=reader.name, action="read", ip="10.1.1.1")
        access.record(dossier_id=dossier.id, user_id=reader.id, user_name=reader.name, action="download",
                      detail="form:application.pdf")
        await access.flush()
        await cookie_login(client, world["admin"])
        page = (await client.get("/admin/readers", params={"q": applicant.id_number}, headers=HTML)).text
        assert f'data-dossier="{dossier.id}"' in page and "赵审核" in page and "下载：form:application.pdf" in page
        assert applicant.id_number not in page.split("data-dossier=")[1]   # the results mask the number searched for
        by_name = (await client.get("/admin/readers", params={"q": "王小明"}, headers=HTML)).text
        assert f'data-dossier="{dossier.id}"' in by_name
        none = (await client.get("/admin/readers", params={"q": "王小"}, headers=HTML)).text
        assert "没有找到“王小”的申报" in none

        for query in (applicant.id_number, "王小明"):         # each lookup one indexed equality, then by ids
            async def read():
                await dossiers.person_readers(query)
            await explained(read, f"readers of {query}", ("dossiers", "batches", "dossier_access_days"))
