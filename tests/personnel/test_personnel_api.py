"""A unit's people, appointments and approved posts through the API, on the real database."""

import asyncio
import io

import pytest
from openpyxl import Workbook, load_workbook

from app.personnel import service
from app.personnel.excel import HEADERS
from app.personnel.models import PersonnelRecord, PostLedger
from app.units.enums import UnitCategory
from app.accounts.validators import resident_id_check_char
from tests.factories import bearer, create_batch, create_person, create_unit

YEAR = 2026


@pytest.fixture
async def world():
    h, h_acct = await create_unit(category=UnitCategory.city_hr_bureau, region_code="370100", nature="01")
    d, d_acct = await create_unit(parent=h, category=UnitCategory.city_department, region_code="370100", nature="01")
    e, e_acct = await create_unit(parent=d, category=UnitCategory.city_affiliated, region_code="370100", nature="02")
    o, o_acct = await create_unit(parent=h, region_code="370100")
    return {"hr": (h, await bearer(h_acct)), "dept": (d, await bearer(d_acct)), "unit": (e, await bearer(e_acct)),
            "other": (o, await bearer(o_acct))}


def workbook(rows: list[list]) -> bytes:
    book = Workbook()
    book.active.append(HEADERS)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def id_number(i: int) -> str:
    """The same number for the same i: a file imported twice names the same people."""
    first17 = f"370102{1970 + i % 25}{(i % 9) + 1:02d}{(i % 28) + 1:02d}{i:03d}"
    return first17 + resident_id_check_char(first17)


def staff_rows(n: int) -> list[list]:
    """n people: the first 10 hold 副高级 titles, the next 20 中级, the rest 助理级."""
    rows = []
    for i in range(n):
        level, title = ("副高级", "副研究馆员") if i < 10 else ("中级", "馆员") if i < 30 else ("助理级", "助理馆员")
        rows.append([f"员工{i:02d}", id_number(i), "业务部", "大学本科", "专技岗",
                     "2005-07-01", "2010-03-01", "在岗", "群众文化", level, title, "2018-12-01", "济南市人社局",
                     f"Z{i:04d}"])
    return rows


async def import_file(client, unit, headers, content: bytes):
    return await client.post(f"/api/units/{unit.id}/personnel/import", headers=headers,
                             files={"file": ("人员.xlsx", content, "application/vnd.ms-excel")})


async def records(client, unit, headers, **params) -> dict:
    response = await client.get(f"/api/units/{unit.id}/personnel", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def by_name(client, unit, headers, name: str) -> dict:
    return (await records(client, unit, headers, q=name))["items"][0]


def appointment(level: str, day: str = f"{YEAR}-03-01", **extra) -> dict:
    return {"level": level, "starts_on": day, "document_number": "馆人〔2026〕1号", **extra}


async def set_counts(client, unit, headers, **counts):
    return await client.put(f"/api/units/{unit.id}/post-quotas/{YEAR}", headers=headers, json={"counts": counts})


class TestImport:
    async def test_fifty_staff_imported_listed_masked_and_exported(self, client, world):
        unit, headers = world["unit"]
        template = await client.get(f"/api/units/{unit.id}/personnel/template.xlsx", headers=headers)
        assert template.status_code == 200
        assert [c.value for c in load_workbook(io.BytesIO(template.content)).active[1]] == HEADERS
        response = await import_file(client, unit, headers, workbook(staff_rows(50)))
        assert response.status_code == 200, response.text
        assert response.json() == {"imported": 50, "created": 50, "updated": 0, "unchanged": 0}
        listed = await records(client, unit, headers)
        assert listed["total"] == 50 and len(listed["items"]) == 50
        first = listed["items"][0]
        assert first["id_number_masked"].count("*") == 11 and "id_number" not in first
        assert first["titles"][0]["level"] in {"2", "3", "4"} and first["titles"][0]["series"] == "qzwh"
        exported = await client.get(f"/api/units/{unit.id}/personnel/export.xlsx", headers=headers)
        sheet = load_workbook(io.BytesIO(exported.content)).active
        assert sheet.max_row == 51 and "*" in sheet["B2"].value

    async def test_a_bad_file_stores_nothing_and_names_each_bad_row_and_field(self, client, world):
        unit, headers = world["unit"]
        rows = staff_rows(5)
        rows[1][1] = "370102198503150013"            # wrong check character
        rows[3][0] = None                            # no name
        rows[4][9] = "特级"                           # no such level
        rows[2][1] = rows[0][1]                      # the same person twice
        response = await import_file(client, unit, headers, workbook(rows))
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "import_invalid" and body["field"] == "file" and "未导入" in body["message"]
        assert {(p["row"], p["field"]) for p in body["problems"]} == {
            (3, "id_number"), (5, "name"), (6, "level"), (4, "id_number")}
        assert await PersonnelRecord.find_all().count() == 0

    async def test_not_a_workbook_and_a_reimport_updates_the_people_already_kept(self, client, world):
        unit, headers = world["unit"]
        junk = await import_file(client, unit, headers, b"not a workbook")
        assert (junk.status_code, junk.json()["problems"][0]["field"]) == (422, "file")
        assert (await import_file(client, unit, headers, workbook(staff_rows(3)))).status_code == 200
        rows = staff_rows(4)
        rows[0][2] = "群文部"                                  # 员工00 moved department
        rows[1][9], rows[1][10] = "正高级", "研究馆员"          # 员工01 holds a new title
        preview = await client.post(f"/api/units/{unit.id}/personnel/import/preview", headers=headers,
                                    files={"file": ("人员.xlsx", workbook(rows), "application/vnd.ms-excel")})
        assert preview.status_code == 200, preview.text
        plan = preview.json()
        assert (plan["created"], plan["updated"], plan["unchanged"]) == (1, 2, 1)
        by_row = {line["row"]: line for line in plan["lines"]}
        assert by_row[2]["action"] == "update" and by_row[2]["changes"] == {"department": ["业务部", "群文部"]}
        assert by_row[3]["action"] == "update" and list(by_row[3]["changes"]) == ["titles"]
        assert by_row[4]["action"] == "unchanged" and by_row[5]["action"] == "create"
        assert await PersonnelRecord.find_all().count() == 3            # a preview stores nothing
        again = await import_file(client, unit, headers, workbook(rows))
        assert again.status_code == 200, again.text
        assert again.json() == {"imported": 3, "created": 1, "updated": 2, "unchanged": 1}
        assert await PersonnelRecord.find_all().count() == 4            # updated, not duplicated
        moved = await by_name(client, unit, headers, "员工00")
        assert moved["department"] == "群文部" and moved["edits"][0]["source"] == "import"
        titled = await by_name(client, unit, headers, "员工01")
        assert [t["title_name"] for t in titled["titles"]] == ["副研究馆员", "研究馆员"]
        assert titled["title_level_label"] == "正高级"

    async def test_a_bad_reimport_updates_nobody(self, client, world):
        unit, headers = world["unit"]
        await import_file(client, unit, headers, workbook(staff_rows(3)))
        rows = staff_rows(3)
        rows[0][2] = "群文部"
        rows[2][5] = "不是日期"
        response = await import_file(client, unit, headers, workbook(rows))
        assert response.status_code == 422
        assert [(p["row"], p["field"]) for p in response.json()["problems"]] == [(4, "work_started_on")]
        assert (await by_name(client, unit, headers, "员工00"))["department"] == "业务部"


class TestEdit:
    async def test_an_edit_is_validated_written_and_kept_in_the_history(self, client, world):
        unit, headers = world["unit"]
        await import_file(client, unit, headers, workbook(staff_rows(1)))
        person = await by_name(client, unit, headers, "员工00")
        url = f"/api/personnel/{person['id']}"
        bad = await client.patch(url, headers=headers, json={"version": person["version"], "name": ""})
        assert bad.status_code == 422 and bad.json()["field"] == "name"
        edited = await client.patch(url, headers=headers, json={
            "version": person["version"], "department": "研究部", "post": "专技七级",
            "titles": [{"series": "qzwh", "level": "4", "title_name": "副研究馆员"},
                       {"series": "qzwh", "level": "5", "title_name": "研究馆员"}]})
        assert edited.status_code == 200, edited.text
        body = edited.json()
        assert (body["department"], body["post"], body["title_level_label"]) == ("研究部", "专技七级", "正高级")
        assert body["version"] == person["version"] + 1
        (edit,) = body["edits"]
        assert edit["source"] == "edit" and edit["changes"]["department"] == ["业务部", "研究部"]
        assert set(edit["changes"]) == {"department", "post", "titles"}
        stale = await client.patch(url, headers=headers, json={"version": person["version"], "post": "专技八级"})
        assert stale.status_code == 409
        assert (await client.get(url, headers=headers)).json()["post"] == "专技七级"
        same = await client.patch(url, headers=headers, json={"version": body["version"], "post": "专技七级"})
        assert same.json()["version"] == body["version"]                # nothing changed: nothing written
        other = await client.patch(url, headers=world["other"][1], json={"version": body["version"], "post": "x"})
        assert other.status_code == 404

    async def test_a_person_with_an_account_keeps_the_account_s_name(self, client, world):
        unit, headers = world["unit"]
        person = await create_person(name="王账户")
        created = (await client.post(f"/api/units/{unit.id}/personnel", headers=headers,
                                     json={"name": "王账户", "id_number": person.id_number})).json()
        refused = await client.patch(f"/api/personnel/{created['id']}", headers=headers,
                                     json={"version": created["version"], "name": "王改名"})
        assert refused.status_code == 422 and refused.json()["code"] == "name_from_account"

    async def test_the_identity_comes_from_the_account(self, client, world):
        unit, headers = world["unit"]
        person = await create_person(name="王账户")
        response = await client.post(f"/api/units/{unit.id}/personnel", headers=headers,
                                     json={"name": "王手填", "id_number": person.id_number})
        assert response.status_code == 201
        assert response.json()["name"] == "王账户" and response.json()["has_account"] is True
        bad = await client.post(f"/api/units/{unit.id}/personnel", headers=headers,
                                json={"name": "某", "id_number": "123"})
        assert bad.status_code == 422 and bad.json()["field"] == "id_number"


class TestScope:
    async def test_others_get_404_and_supervisors_see_figures_only(self, client, world):
        unit, headers = world["unit"]
        await import_file(client, unit, headers, workbook(staff_rows(2)))
        record = (await records(client, unit, headers))["items"][0]
        for party in ("other", "dept", "hr"):
            _, foreign = world[party]
            assert (await client.get(f"/api/units/{unit.id}/personnel", headers=foreign)).status_code == 404
            assert (await client.get(f"/api/personnel/{record['id']}", headers=foreign)).status_code == 404
            assert (await client.post(f"/api/personnel/{record['id']}/appointments", headers=foreign,
                                      json=appointment("junior"))).status_code == 404
        for party in ("dept", "hr", "unit"):
            assert (await client.get(f"/api/units/{unit.id}/post-ratios",
                                     headers=world[party][1])).status_code == 200
        assert (await client.get(f"/api/units/{unit.id}/post-ratios", headers=world["other"][1])).status_code == 404
        own = await set_counts(client, unit, headers, junior=3)
        assert (own.status_code, own.json()["code"]) == (403, "not_supervisor")
        assert (await set_counts(client, unit, world["other"][1], junior=3)).status_code == 404


class TestAppointments:
    async def test_within_and_beyond_quota_with_history_and_figures(self, client, world):
        unit, headers = world["unit"]
        dept_headers = world["dept"][1]
        await import_file(client, unit, headers, workbook(staff_rows(50)))
        quota = await set_counts(client, unit, dept_headers, full_senior=0, deputy_senior=2, intermediate=20,
                                 junior=30)
        assert quota.status_code == 200, quota.text
        seniors = [await by_name(client, unit, headers, f"员工{i:02d}") for i in range(3)]
        for person in seniors[:2]:
            ok = await client.post(f"/api/personnel/{person['id']}/appointments", headers=headers,
                                   json=appointment("deputy_senior", grade=6))
            assert ok.status_code == 200, ok.text
        refused = await client.post(f"/api/personnel/{seniors[2]['id']}/appointments", headers=headers,
                                    json=appointment("deputy_senior"))
        assert refused.status_code == 409
        body = refused.json()
        assert body["code"] == "over_quota" and (body["approved"], body["appointed"], body["vacant"]) == (2, 2, 0)
        assert "核定2个" in body["message"] and body["field"] == "level"

        ratios = (await client.get(f"/api/units/{unit.id}/post-ratios", headers=headers,
                                   params={"year": YEAR})).json()
        deputy = next(f for f in ratios["figures"] if f["label"] == "副高级")
        assert (deputy["approved"], deputy["appointed"], deputy["vacant"], deputy["titled_not_appointed"]) == (2, 2, 0, 8)
        seen_above = (await client.get(f"/api/units/{unit.id}/post-ratios", headers=world["hr"][1],
                                       params={"year": YEAR})).json()
        assert seen_above["figures"] == ratios["figures"]
        overview = (await client.get("/api/post-ratios", headers=dept_headers, params={"year": YEAR})).json()
        assert [u["unit_id"] for u in overview] == [str(unit.id)]
        assert (await client.get("/api/post-ratios", headers=world["other"][1], params={"year": YEAR})).json() == []

        # Changing one of the two to 中级 frees a 副高 post for the third; the history keeps both.
        change = await client.post(f"/api/personnel/{seniors[0]['id']}/appointments", headers=headers,
                                   json=appointment("intermediate", f"{YEAR}-06-01", grade=8))
        assert change.status_code == 200
        history = change.json()["appointments"]
        assert [(a["level"], a["ends_on"]) for a in history] == [("intermediate", None),
                                                                 ("deputy_senior", f"{YEAR}-06-01")]
        assert (await client.post(f"/api/personnel/{seniors[2]['id']}/appointments", headers=headers,
                                  json=appointment("deputy_senior"))).status_code == 200
        ended = await client.post(f"/api/personnel/{seniors[2]['id']}/appointments/end", headers=headers,
                                  json={"ends_on": f"{YEAR}-09-01", "document_number": "馆人〔2026〕9号"})
        assert ended.status_code == 200 and ended.json()["appointed_level_label"] is None
        ledger = await PostLedger.get(unit.id)
        assert ledger.occupied == {"deputy_senior": 1, "intermediate": 1}

    async def test_above_the_title_only_as_the_exceptional_case_with_a_reason(self, client, world):
        unit, headers = world["unit"]
        await import_file(client, unit, headers, workbook(staff_rows(31)))
        junior = await by_name(client, unit, headers, "员工30")          # holds 助理级
        path = f"/api/personnel/{junior['id']}/appointments"
        refused = await client.post(path, headers=headers, json=appointment("intermediate"))
        assert (refused.status_code, refused.json()["code"]) == (409, "above_title")
        no_reason = await client.post(path, headers=headers, json=appointment("intermediate", exceptional=True))
        assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
        bad_grade = await client.post(path, headers=headers, json=appointment("junior", grade=3))
        assert (bad_grade.status_code, bad_grade.json()["field"]) == (422, "grade")
        ok = await client.post(path, headers=headers,
                               json=appointment("intermediate", exceptional=True, reason="引进急需紧缺人才"))
        assert ok.status_code == 200 and ok.json()["appointments"][0]["exceptional"] is True

    async def test_leaving_ends_the_appointment_and_frees_the_post(self, client, world):
        unit, headers = world["unit"]
        await import_file(client, unit, headers, workbook(staff_rows(12)))
        person = await by_name(client, unit, headers, "员工11")
        await client.post(f"/api/personnel/{person['id']}/appointments", headers=headers,
                          json=appointment("intermediate"))
        left = await client.post(f"/api/personnel/{person['id']}/status", headers=headers,
                                 json={"status": "left", "on": f"{YEAR}-05-01"})
        assert left.status_code == 200 and left.json()["appointments"][0]["ends_on"] == f"{YEAR}-05-01"
        assert (await PostLedger.get(unit.id)).occupied == {"intermediate": 0}
        again = await client.post(f"/api/personnel/{person['id']}/appointments", headers=headers,
                                  json=appointment("intermediate", f"{YEAR}-06-01"))
        assert (again.status_code, again.json()["code"]) == (409, "not_in_post")

    async def test_two_appointments_racing_for_the_last_post(self, client, world, monkeypatch):
        """Both read the ledger with one post vacant and are held before writing; one write lands, the
        other misses its version, reads again and is refused with the figures."""
        unit, headers = world["unit"]
        await import_file(client, unit, headers, workbook(staff_rows(2)))
        await set_counts(client, unit, world["hr"][1], deputy_senior=1)
        people = [await by_name(client, unit, headers, f"员工{i:02d}") for i in range(2)]
        arrived, released, held = asyncio.Event(), asyncio.Event(), []
        real = service._write_ledger

        async def gated(filter_, update):
            if len(held) < 2:
                held.append(filter_["version"])
                if len(held) == 2:
                    arrived.set()
                await released.wait()
            return await real(filter_, update)

        monkeypatch.setattr(service, "_write_ledger", gated)
        tasks = [asyncio.create_task(client.post(f"/api/personnel/{p['id']}/appointments", headers=headers,
                                                 json=appointment("deputy_senior"))) for p in people]
        await asyncio.wait_for(arrived.wait(), 30)
        assert held == [0, 0]                        # both checked against the same ledger
        released.set()
        answers = sorted(r.status_code for r in await asyncio.gather(*tasks))
        assert answers == [200, 409]
        assert (await PostLedger.get(unit.id)).occupied == {"deputy_senior": 1}
        assert await PersonnelRecord.find({"appointed_level": "deputy_senior"}).count() == 1


class TestQuotas:
    async def test_a_ratio_with_a_total_and_bad_input(self, client, world):
        unit, _ = world["unit"]
        hr = world["hr"][1]
        response = await client.put(f"/api/units/{unit.id}/post-quotas/{YEAR}", headers=hr,
                                    json={"ratio": [1, 3, 6], "total": 50})
        assert response.status_code == 200
        assert [(f["label"], f["approved"]) for f in response.json()["figures"]] == [
            ("高级", 5), ("中级", 15), ("初级", 30)]
        both = await client.put(f"/api/units/{unit.id}/post-quotas/{YEAR}", headers=hr,
                                json={"ratio": [1, 3, 6], "counts": {"junior": 1}})
        assert both.status_code == 422 and "二选一" in both.text
        no_total = await client.put(f"/api/units/{unit.id}/post-quotas/{YEAR}", headers=hr, json={"ratio": [1, 3, 6]})
        assert no_total.status_code == 422


class TestVacantPostRule:
    async def test_the_check_shows_where_the_batch_asks_for_it(self, world):
        from app.catalog.models import BatchRules
        from app.dossiers.models import Declaration

        unit, _ = world["unit"]
        batch = await create_batch(rules=BatchRules(vacant_post_required=True))
        plain = await create_batch()

        class Dossier:        # what vacancy_check reads of a dossier
            def __init__(self, batch_id):
                self.batch_id, self.year = batch_id, YEAR
                self.declaration = Declaration(level="3", series="qzwh", title="qzwh-3", specialty="qzwh-s01",
                                               mode="normal", employer_unit_id=unit.id, employer_unit_name=unit.name)

        assert await service.vacancy_check(Dossier(plain.id)) is None
        unset = await service.vacancy_check(Dossier(batch.id))
        assert unset["ok"] is False and "未核定" in unset["text"]
        from app.personnel.models import PostQuota
        await PostQuota(unit_id=unit.id, year=YEAR, mode="counts", counts={"intermediate": 2},
                        set_by=unit.id).insert()
        check = await service.vacancy_check(Dossier(batch.id))
        assert check["ok"] is True and "空缺2个" in check["text"]


class TestPages:
    async def test_people_person_and_ratio_pages(self, client, world):
        HTML = {"Accept": "text/html"}
        unit, headers = world["unit"]
        await import_file(client, unit, headers, workbook(staff_rows(12)))
        await set_counts(client, unit, world["dept"][1], deputy_senior=3, intermediate=2)
        person = await by_name(client, unit, headers, "员工00")
        await client.post(f"/api/personnel/{person['id']}/appointments", headers=headers,
                          json=appointment("deputy_senior"))
        page = await client.get(f"/personnel?unit={unit.id}", headers={**headers, **HTML})
        assert page.status_code == 200 and "共12人" in page.text and "员工11" in page.text
        one = await client.get(f"/personnel/{person['id']}", headers={**headers, **HTML})
        assert one.status_code == 200 and "馆人〔2026〕1号" in one.text and "副高级" in one.text
        ratios = await client.get(f"/post-ratios?unit={unit.id}&year={YEAR}", headers={**headers, **HTML})
        assert ratios.status_code == 200 and "副高级" in ratios.text and "核定岗位数" not in ratios.text
        above = await client.get(f"/post-ratios?unit={unit.id}&year={YEAR}", headers={**world["dept"][1], **HTML})
        assert above.status_code == 200 and "核定岗位数" in above.text and "所辖单位" in above.text
        hidden = await client.get(f"/personnel?unit={unit.id}", headers={**world["dept"][1], **HTML})
        assert hidden.status_code == 404


async def test_a_certificate_issued_here_fills_the_holders_record(world):
    """What certificates.issue calls after the certify transition: a new record at the declaring unit, and
    the same certificate twice is written once."""
    from datetime import date
    from types import SimpleNamespace

    from app.dossiers.models import Declaration

    unit, _ = world["unit"]
    person = await create_person(name="赵证书")
    dossier = SimpleNamespace(id_number=person.id_number, applicant_id=person.id, applicant_name=person.name,
                              declaration=Declaration(level="4", series="qzwh", title="qzwh-4", specialty="qzwh-s01",
                                                      mode="normal", employer_unit_id=unit.id,
                                                      employer_unit_name=unit.name))
    certificate = SimpleNamespace(number="2026QZ00001", title_name="副研究馆员", issued_on=date(2026, 11, 30),
                                  issuing_body="济南市人社局")
    await service.title_certified(dossier, certificate)
    await service.title_certified(dossier, certificate)
    record = await PersonnelRecord.find_one({"unit_id": unit.id, "id_number": person.id_number})
    assert record.user_id == person.id and record.title_level == "deputy_senior"
    assert [(t.certificate_number, t.from_service) for t in record.titles] == [("2026QZ00001", True)]


async def test_a_batch_needing_vacant_posts_shows_the_check_to_applicant_and_unit(client, world):
    """The 事业单位 applicant's declaration page and the unit's review page say whether a 中级 post is
    vacant; a batch without the rule shows nothing."""
    from app.catalog.models import BatchRules
    from tests.factories import create_committee, create_path, submitted_dossier

    unit, headers = world["unit"]
    html = {"Accept": "text/html"}
    await create_committee(office_unit=world["hr"][0])
    await create_path(unit=unit, target=world["dept"][0])
    await set_counts(client, unit, world["dept"][1], intermediate=1)
    await import_file(client, unit, headers, workbook(staff_rows(12)))
    person = await by_name(client, unit, headers, "员工10")          # holds 中级: takes the one post
    assert (await client.post(f"/api/personnel/{person['id']}/appointments", headers=headers,
                              json=appointment("intermediate"))).status_code == 200
    applicant = await create_person(name="钱申报")
    ruled = await submitted_dossier(applicant, await create_batch(year=YEAR, rules=BatchRules(vacant_post_required=True)),
                                    unit)
    own = await client.get(f"/dossiers/{ruled}", headers={**await bearer(applicant), **html})
    assert own.status_code == 200 and 'id="vacant-post"' in own.text
    assert "中级岗位核定1个，已聘1个，空缺0个" in own.text
    review = await client.get(f"/review/{ruled}", headers={**headers, **html})
    assert review.status_code == 200 and "空缺0个" in review.text
    plain = await submitted_dossier(await create_person(name="孙无规"), await create_batch(year=YEAR), unit)
    assert 'id="vacant-post"' not in (await client.get(f"/review/{plain}", headers={**headers, **html})).text


async def test_a_units_new_region_moves_who_reads_its_quota(client, world):
    from app.personnel.models import PostQuota
    from app.units import service as units_service
    from app.units.models import Unit

    unit, _ = world["unit"]
    await set_counts(client, unit, world["hr"][1], junior=2)
    assert "region:370100" in (await PostQuota.find_one({"unit_id": unit.id})).reader_keys
    await Unit.get_pymongo_collection().update_one({"_id": unit.id}, {"$set": {"region_code": "370200"}})
    await units_service.units_moved([unit.id])
    keys = (await PostQuota.find_one({"unit_id": unit.id})).reader_keys
    assert "region:370200" in keys and "region:370100" not in keys


async def test_a_missed_record_write_gives_the_post_back(client, world, monkeypatch):
    """The ledger moved, then the record changed under the appointment: 409 and the post is free again."""
    unit, headers = world["unit"]
    await import_file(client, unit, headers, workbook(staff_rows(12)))
    await set_counts(client, unit, world["hr"][1], intermediate=1)
    person = await by_name(client, unit, headers, "员工10")
    real = service._write_record

    async def changed_meanwhile(record, fields):
        await PersonnelRecord.get_pymongo_collection().update_one({"_id": record.id}, {"$inc": {"version": 1}})
        return await real(record, fields)

    monkeypatch.setattr(service, "_write_record", changed_meanwhile)
    missed = await client.post(f"/api/personnel/{person['id']}/appointments", headers=headers,
                               json=appointment("intermediate"))
    assert missed.status_code == 409
    assert (await PostLedger.get(unit.id)).occupied == {"intermediate": 0}
    monkeypatch.setattr(service, "_write_record", real)
    assert (await client.post(f"/api/personnel/{person['id']}/appointments", headers=headers,
                              json=appointment("intermediate"))).status_code == 200


async def test_demo_data_fills_the_demo_unit_once():
    from app import seed
    from app.clock import CHINA, utcnow
    from app.units.models import Unit

    await seed.seed(demo=True)
    await seed.seed(demo=True)
    unit = await Unit.find_one({"name": "济南市群众艺术馆"})
    assert await PersonnelRecord.find({"unit_id": unit.id}).count() == 14
    lines = {f.label: f for f in await service.unit_figures(unit.id, utcnow().astimezone(CHINA).year)}
    assert (lines["高级"].approved, lines["高级"].appointed, lines["高级"].titled_not_appointed) == (3, 3, 1)
    assert sum(f.appointed for f in lines.values()) == 11
