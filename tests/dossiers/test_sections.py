"""Sections: ETag and If-Match, field-level rules on save, scope."""

import pytest

from app.dossiers.models import Dossier
from tests.factories import complete_sections, create_person, declaration_payload, force_dossier, login


@pytest.fixture
async def dossier(client, applicant):
    r = await client.post("/api/dossiers", json=declaration_payload(applicant["batch"], applicant["unit"]),
                          headers=applicant["headers"])
    return {"id": r.json()["id"], "etag": r.headers["ETag"], **applicant}


def section_url(dossier, name: str) -> str:
    return f"/api/dossiers/{dossier['id']}/sections/{name}"


async def put(client, dossier, name, body, etag=None):
    headers = {**dossier["headers"], "If-Match": etag or dossier["etag"]}
    return await client.put(section_url(dossier, name), json=body, headers=headers)


class TestPreconditions:
    async def test_get_gives_etag_and_prefilled_basic(self, client, dossier):
        r = await client.get(section_url(dossier, "basic"), headers=dossier["headers"])
        assert r.status_code == 200 and r.headers["ETag"] == dossier["etag"]
        person = dossier["person"]
        assert r.json()["data"]["birth_date"] == f"{person.id_number[6:10]}-{person.id_number[10:12]}-" \
                                                 f"{person.id_number[12:14]}"
        assert r.json()["data"]["phone"] == person.phone

    async def test_write_without_if_match_is_refused(self, client, dossier):
        r = await client.put(section_url(dossier, "summary"), json={"text": "工作总结"}, headers=dossier["headers"])
        assert r.status_code == 428 and r.json()["code"] == "if_match_required"

    async def test_stale_write_gets_412_and_loses_nothing(self, client, dossier):
        first = await put(client, dossier, "summary", {"text": "第一版工作总结"})
        assert first.status_code == 200
        assert first.headers["ETag"] != dossier["etag"]
        stale = await put(client, dossier, "summary", {"text": "另一个标签页的旧版本"})
        assert stale.status_code == 412
        assert stale.json()["current_version"] == int(first.headers["ETag"].strip('"'))
        stored = await Dossier.get(dossier["id"])
        assert stored.sections["summary"]["text"] == "第一版工作总结"
        again = await put(client, dossier, "summary", {"text": "合并后的新版本"}, etag=first.headers["ETag"])
        assert again.status_code == 200

    async def test_unknown_section(self, client, dossier):
        assert (await put(client, dossier, "secrets", {})).status_code == 404

    async def test_other_applicants_dossier_is_not_found(self, client, dossier):
        other = await login(client, await create_person())
        assert (await client.get(section_url(dossier, "basic"), headers=other)).status_code == 404
        r = await client.put(section_url(dossier, "summary"), json={"text": "x"},
                             headers={**other, "If-Match": dossier["etag"]})
        assert r.status_code == 404

    async def test_submitted_dossier_is_read_only(self, client, dossier):
        await force_dossier(dossier["id"], status="submitted")
        r = await put(client, dossier, "summary", {"text": "提交后修改"})
        assert r.status_code == 409 and r.json()["code"] == "not_editable"


class TestRules:
    async def test_each_complete_section_saves(self, client, dossier):
        etag = dossier["etag"]
        for name, body in complete_sections(dossier["person"].id_number).items():
            r = await put(client, dossier, name, body, etag)
            assert r.status_code == 200, (name, r.text)
            etag = r.headers["ETag"]

    async def test_a_birth_date_sent_gives_way_to_the_id_numbers(self, client, dossier):
        derived = complete_sections(dossier["person"].id_number)["basic"]["birth_date"]
        r = await put(client, dossier, "basic", complete_sections(dossier["person"].id_number)["basic"]
                      | {"birth_date": "1970-01-01"})
        assert r.status_code == 200 and r.json()["data"]["birth_date"] == derived != "1970-01-01"

    async def test_verification_code_after_2001(self, client, dossier):
        body = complete_sections(dossier["person"].id_number)["education"]
        body["rows"][0]["verification_code"] = None
        r = await put(client, dossier, "education", body)
        assert r.status_code == 422 and r.json()["field"] == "rows.0.verification_code"
        body["rows"][0]["domestic"] = False
        assert (await put(client, dossier, "education", body)).status_code == 200

    async def test_highest_degree_is_a_rule_of_the_whole_section(self, client, dossier):
        """Issue 16: the first row (本科 before 硕士) saves unticked; completeness asks for exactly one."""
        body = complete_sections(dossier["person"].id_number)["education"]
        body["rows"][0]["highest"] = False
        r = await put(client, dossier, "education", body)
        assert r.status_code == 200, r.text
        report = (await client.get(f"/api/dossiers/{dossier['id']}/completeness", headers=dossier["headers"])).json()
        education = next(s for s in report["sections"] if s["section"] == "education")
        assert "请在学历中标记且只标记一项本专业最高学历" in education["missing"]
        body["rows"].append(dict(body["rows"][0], id="edu0000002", start="2008-09", end="2011-07", highest=True))
        r = await put(client, dossier, "education", body, etag=r.headers["ETag"])
        assert r.status_code == 200, r.text
        report = (await client.get(f"/api/dossiers/{dossier['id']}/completeness", headers=dossier["headers"])).json()
        education = next(s for s in report["sections"] if s["section"] == "education")
        assert not any("最高学历" in m for m in education["missing"])

    async def test_work_history_gap_is_reported_with_dates(self, client, dossier):
        body = complete_sections(dossier["person"].id_number)["work_history"]
        body["rows"][1]["start"] = "2016-03"
        r = await put(client, dossier, "work_history", body)
        assert r.status_code == 422 and r.json()["code"] == "work_history_gap"
        assert "2015-06" in r.json()["message"] and "2016-03" in r.json()["message"]
        assert r.json()["field"] == "rows.1.start"

    async def test_work_history_overlap_and_open_ended_rows(self, client, dossier):
        body = complete_sections(dossier["person"].id_number)["work_history"]
        body["rows"][1]["start"] = "2014-01"
        r = await put(client, dossier, "work_history", body)
        assert r.status_code == 422 and "重叠" in r.json()["message"]
        body = complete_sections(dossier["person"].id_number)["work_history"]
        body["rows"][0]["end"] = None
        r = await put(client, dossier, "work_history", body)
        assert r.status_code == 422 and "至今" in r.json()["message"]

    async def test_end_before_start(self, client, dossier):
        body = complete_sections(dossier["person"].id_number)["work_history"]
        body["rows"][0]["end"] = "2007-01"
        r = await put(client, dossier, "work_history", body)
        assert r.status_code == 422 and r.json()["field"] == "rows.0.end"

    async def test_achievements_are_limited_by_the_batch(self, client, dossier):
        row = complete_sections(dossier["person"].id_number)["achievements"]["rows"][0]
        rows = [dict(row, id=f"ach{n:07d}") for n in range(16)]
        r = await put(client, dossier, "achievements", {"rows": rows})
        assert r.status_code == 422 and "最多填写15项" in r.json()["message"]
        assert (await put(client, dossier, "achievements", {"rows": rows[:15]})).status_code == 200

    async def test_rank_format(self, client, dossier):
        row = complete_sections(dossier["person"].id_number)["achievements"]["rows"][0] | {"rank": "第一"}
        r = await put(client, dossier, "achievements", {"rows": [row]})
        assert r.status_code == 422 and r.json()["field"] == "rows.0.rank"
        assert "位次/人数" in r.json()["message"]

    async def test_summary_limit_and_name(self, client, dossier):
        r = await put(client, dossier, "summary", {"text": "好" * 2001})
        assert r.status_code == 422 and "限2000字" in r.json()["message"]
        r = await put(client, dossier, "summary", {"text": f"我是{dossier['person'].name}，长期从事群众文化工作。"})
        assert r.status_code == 422 and "姓名" in r.json()["message"]

    async def test_dictionary_codes_are_checked(self, client, dossier):
        body = complete_sections(dossier["person"].id_number)["assessments"]
        body["rows"][0]["grade"] = "superb"
        r = await put(client, dossier, "assessments", body)
        assert r.status_code == 422 and r.json()["field"] == "rows.0.grade"

    async def test_duplicate_assessment_year(self, client, dossier):
        body = complete_sections(dossier["person"].id_number)["assessments"]
        body["rows"][1]["year"] = body["rows"][0]["year"]
        r = await put(client, dossier, "assessments", body)
        assert r.status_code == 422 and r.json()["code"] == "duplicate_year"

    async def test_unknown_fields_are_refused(self, client, dossier):
        r = await put(client, dossier, "summary", {"text": "总结", "score": 100})
        assert r.status_code == 422 and r.json()["field"] == "score"
