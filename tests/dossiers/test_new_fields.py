"""The fields the official forms need (issue 13): saved through the sections API, refused with a named field
when bad, and printed on the rendered forms (real LibreOffice)."""

import pytest
from bson import ObjectId

from app.dossiers.models import Dossier
from app.units.models import Unit
from app.catalog.models import BatchRules
from tests.factories import create_batch, declaration_payload, fill_complete, jpeg_bytes, pdf_bytes
from tests.dossiers.test_sections import put

PREVIOUS = {"rows": [{"id": "prv0000001", "title_name": "助理讲师", "series": "中专教师", "level": "2",
                      "obtained_on": "2011-12-01", "approving_body": "山东省教育厅", "certificate_number": "LJ2011-77",
                      "hired_on": "2012-01-01", "hired_post": "助理讲师"}]}
QUALIFICATIONS = {"rows": [{"id": "qlf0000001", "name": "社会体育指导员（舞蹈）", "number": "SD-2016-0312",
                            "obtained_on": "2016-05-20", "issuer": "山东省体育局"}]}
TECHNICAL = {"experience": "长期从事群众舞蹈辅导与创编", "projects": "主持社区广场舞创编推广项目",
             "contribution": "设计分级教学体系解决基层推广难题", "results": "培训学员六千余人次",
             "writings": "发表论文两篇撰写专题报告一份"}
WORK = {"rows": [
    {"id": "wrk0000001", "start": "2008-07", "end": "2015-06", "unit": "历下区文化馆", "department": "辅导部",
     "post": "舞蹈辅导", "technical_work": "群众舞蹈辅导", "position": "辅导员"},
    {"id": "wrk0000002", "start": "2015-07", "end": None, "unit": "济南市群众艺术馆", "department": "舞蹈辅导部",
     "post": "舞蹈辅导", "technical_work": "群众舞蹈创编", "position": "副主任"}]}


@pytest.fixture
async def dossier(client, applicant):
    r = await client.post("/api/dossiers", json=declaration_payload(applicant["batch"], applicant["unit"]),
                          headers=applicant["headers"])
    return {"id": r.json()["id"], "etag": r.headers["ETag"], **applicant}


async def saved(client, dossier, name, body):
    r = await put(client, dossier, name, body)
    assert r.status_code == 200, (name, r.text)
    dossier["etag"] = r.headers["ETag"]
    return r


def refused(r, field: str, code: str | None = None):
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["field"] == field and body["message"], body
    assert code is None or body["code"] == code, body


class TestSaving:
    async def test_the_new_sections_and_fields_are_stored(self, client, dossier):
        for name, body in (("previous_titles", PREVIOUS), ("qualifications", QUALIFICATIONS),
                           ("technical_summary", TECHNICAL), ("work_history", WORK)):
            await saved(client, dossier, name, body)
        await saved(client, dossier, "current_title", {
            "title_name": "助理馆员", "level": "2", "obtained_on": "2013-12-20", "approving_body": "济南市人社局",
            "hired": True, "hired_on": "2014-01-01", "hired_years": 10})
        stored = (await Dossier.get(ObjectId(dossier["id"]))).sections
        assert stored["previous_titles"] == PREVIOUS and stored["qualifications"]["rows"][0]["number"] == "SD-2016-0312"
        assert stored["technical_summary"] == TECHNICAL
        assert stored["work_history"]["rows"][1]["technical_work"] == "群众舞蹈创编"
        assert stored["current_title"]["hired_years"] == 10

    async def test_gender_and_birth_are_derived_from_the_id_number(self, client, dossier):
        await saved(client, dossier, "basic", {"ethnicity": "01", "phone": "13800000001", "work_start": "2008-07"})
        basic = (await Dossier.get(ObjectId(dossier["id"]))).sections["basic"]
        id_number = dossier["person"].id_number
        assert basic["birth_date"] == f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
        assert basic["gender"] == ("男" if int(id_number[16]) % 2 else "女")

    async def test_a_typed_gender_and_birth_date_give_way_to_the_id_number(self, client, dossier):
        """An older client still sends them: the ID number's are stored and answered, nothing is refused."""
        id_number = dossier["person"].id_number
        wrong = "女" if int(id_number[16]) % 2 else "男"
        r = await put(client, dossier, "basic", {"gender": wrong, "birth_date": "1999-01-01", "ethnicity": "01",
                                                 "phone": "13800000001", "work_start": "2008-07"})
        assert r.status_code == 200, r.text
        right = {"gender": "男" if int(id_number[16]) % 2 else "女",
                 "birth_date": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"}
        assert {k: r.json()["data"][k] for k in right} == right
        stored = (await Dossier.get(ObjectId(dossier["id"]))).sections["basic"]
        assert {k: stored[k] for k in right} == right

    @pytest.mark.parametrize("name, body, field", [
        ("qualifications", {"rows": [dict(QUALIFICATIONS["rows"][0], number="")]}, "rows.0.number"),
        ("qualifications", {"rows": [dict(QUALIFICATIONS["rows"][0], obtained_on="2016-13-01")]}, "rows.0.obtained_on"),
        ("previous_titles", {"rows": [dict(PREVIOUS["rows"][0], level="nope")]}, "rows.0.level"),
        ("previous_titles", {"rows": [dict(PREVIOUS["rows"][0], hired_on="2010-01-01")]}, "rows.0.hired_on"),
        ("technical_summary", dict(TECHNICAL, writings="字" * 1001), "writings"),
        ("technical_summary", {k: v for k, v in TECHNICAL.items() if k != "results"}, "results"),
        ("work_history", {"rows": [dict(WORK["rows"][0], technical_work="长" * 101)]}, "rows.0.technical_work"),
        ("basic", {"ethnicity": "01", "phone": "13800000001", "work_start": "2008-07", "profession_years": -1},
         "profession_years"),
    ])
    async def test_bad_input_names_the_field_and_stores_nothing(self, client, dossier, name, body, field):
        refused(await put(client, dossier, name, body), field)
        assert name not in (await Dossier.get(ObjectId(dossier["id"]))).sections

    async def test_hired_years_cannot_exceed_the_appointment(self, client, dossier):
        year = dossier["batch"].year
        title = {"title_name": "助理馆员", "level": "2", "obtained_on": f"{year - 3}-01-10",
                 "approving_body": "济南市人社局", "hired": True, "hired_on": f"{year - 3}-02-01", "hired_years": 4}
        refused(await put(client, dossier, "current_title", title), "hired_years", "hired_years_rule")
        refused(await put(client, dossier, "current_title", dict(title, hired=False, hired_on=None, hired_years=1)),
                "hired_years", "hired_years_rule")
        await saved(client, dossier, "current_title", dict(title, hired_years=3))


class TestIdCards:
    async def upload(self, client, dossier, row_id, file):
        return await client.post(f"/api/dossiers/{dossier['id']}/attachments", data={"section": "basic", "row_id": row_id},
                                 files={"file": file}, headers=dossier["headers"])

    async def test_front_and_back_one_each_content_checked(self, client, dossier):
        front = await self.upload(client, dossier, "id_front", ("身份证正面.jpg", jpeg_bytes(), "image/jpeg"))
        assert front.status_code == 201, front.text
        back = await self.upload(client, dossier, "id_back", ("身份证反面.pdf", pdf_bytes(1), "application/pdf"))
        assert back.status_code == 201 and back.json()["kind"] == "pdf", back.text
        refused(await self.upload(client, dossier, "id_front", ("again.jpg", jpeg_bytes(), "image/jpeg")),
                "file", "too_many_files")
        refused(await self.upload(client, dossier, "id_side", ("x.jpg", jpeg_bytes(), "image/jpeg")), "row_id")
        fake = await self.upload(client, dossier, "id_back", ("fake.pdf", b"not a pdf at all", "application/pdf"))
        assert fake.status_code == 422 and fake.json()["field"] == "file"
        refs = [(a.row_id, a.file.kind) for a in (await Dossier.get(ObjectId(dossier["id"]))).attachments]
        assert sorted(refs) == [("id_back", "pdf"), ("id_front", "jpeg")]

    async def test_required_by_the_batch_at_completeness(self, client, applicant):
        batch = await create_batch(rules=BatchRules(id_card_required=True))
        r = await client.post("/api/dossiers", json=declaration_payload(batch, applicant["unit"]),
                              headers=applicant["headers"])
        dossier = {"id": r.json()["id"], **applicant}
        url = f"/api/dossiers/{dossier['id']}/completeness"

        async def basic_missing():
            report = (await client.get(url, headers=applicant["headers"])).json()
            return next(s for s in report["sections"] if s["section"] == "basic")["missing"]
        assert {"请上传身份证正面扫描件", "请上传身份证反面扫描件"} <= set(await basic_missing())
        await self.upload(client, dossier, "id_front", ("正面.jpg", jpeg_bytes(), "image/jpeg"))
        missing = await basic_missing()
        assert "请上传身份证正面扫描件" not in missing and "请上传身份证反面扫描件" in missing


class TestTypedSpecialty:
    async def create(self, client, applicant, batch=None, **fields):
        payload = declaration_payload(batch or applicant["batch"], applicant["unit"], **fields)
        return await client.post("/api/dossiers", json=payload, headers=applicant["headers"])

    async def test_typed_when_the_list_lacks_it_and_flagged(self, client, applicant):
        r = await self.create(client, applicant, specialty=None, specialty_typed="街舞")
        assert r.status_code == 201, r.text
        stored = await Dossier.get(ObjectId(r.json()["id"]))
        assert (stored.declaration.specialty, stored.declaration.specialty_unlisted) == ("街舞", True)

    @pytest.mark.parametrize("fields, field, code", [
        ({"specialty_typed": "街舞"}, "specialty_typed", "specialty_choice"),
        ({"specialty": None, "specialty_typed": "舞蹈"}, "specialty_typed", "specialty_listed"),
        ({"specialty": None}, "specialty", "specialty_required"),
    ])
    async def test_refused(self, client, applicant, fields, field, code):
        refused(await self.create(client, applicant, **fields), field, code)
        assert await Dossier.find({"applicant_id": applicant["person"].id}).count() == 0

    async def test_a_batch_listing_its_specialties_takes_only_those(self, client, applicant):
        batch = await create_batch(specialties=["qzwh-s01"])
        refused(await self.create(client, applicant, batch, specialty=None, specialty_typed="街舞"),
                "specialty_typed", "not_in_batch")


async def test_the_rendered_forms_print_the_new_fields(client, applicant, converter_pool):
    """Through the API, then the application form and brief as PDFs from LibreOffice."""
    from tests.render.test_pdf import text_of

    unit = applicant["unit"]
    await Unit.get_pymongo_collection().update_one({"_id": unit.id}, {"$set": {"nature": "02"}})
    payload = declaration_payload(applicant["batch"], unit, specialty=None, specialty_typed="街舞",
                                  is_actual_unit=False, actual_unit_name="济南市舞蹈家协会",
                                  agency_unit_name="济南市人才服务中心", is_civil_servant=True)
    r = await client.post("/api/dossiers", json=payload, headers=applicant["headers"])
    assert r.status_code == 201, r.text
    dossier = {"id": r.json()["id"], **applicant}
    dossier["etag"] = await fill_complete(client, applicant["headers"], dossier["id"], applicant["person"].id_number)
    year = applicant["batch"].year
    for name, body in (("previous_titles", PREVIOUS), ("qualifications", QUALIFICATIONS),
                       ("technical_summary", TECHNICAL), ("work_history", WORK),
                       ("languages", {"language_level": "none", "language_certificate": "职称外语合格证A123",
                                      "computer_level": "ncre2", "computer_certificate": "NCRE二级证书B456"}),
                       ("achievements", {"rows": [
                           {"id": "ach0000001", "name": "任职前成果社区舞蹈教材", "category": "work",
                            "level": "municipal", "rank": "1/2", "achieved_on": "2012-05"},
                           {"id": "ach0000002", "name": "任职后成果广场舞推广", "category": "promotion",
                            "level": "municipal", "rank": "1/3", "achieved_on": "2023-10"}]})):
        await saved(client, dossier, name, body)
    base = f"/api/dossiers/{dossier['id']}/forms"
    app_pdf = await client.get(f"{base}/application.pdf", headers=applicant["headers"])
    assert app_pdf.status_code == 200, app_pdf.text
    text = text_of(app_pdf.content)
    born = applicant["person"].id_number
    # 2008-07 to the end of the declaration year in professional work; appointed 2014-01 (fill_complete)
    profession, hired = year - 2008, year - 2013
    for expected in ("助理讲师", "中专教师", "社会体育指导员（舞蹈）", "SD-2016-0312", "山东省体育局",
                     "历下区文化馆-辅导部-舞蹈辅导", "群众舞蹈创编", "副主任",
                     "全日制、评审依据、本专业最高", "济南市人才服务中心", "济南市舞蹈家协会", "事业单位", "济南市",
                     "是否公务员", "职称外语合格证A123", "NCRE二级证书B456",
                     "任职前主要专业技术工作业绩", "任职前成果社区舞蹈教材", "任职后成果广场舞推广",
                     f"专业工作年限{profession}年", f"聘任年限{hired}年", "街舞", f"{born[6:10]}.{born[10:12]}"):
        assert expected in text, expected
    before = text.index("任职前主要专业技术工作业绩")
    after = text.index("任现职以来（任职后）主要专业技术工作业绩")
    assert before < text.index("任职前成果社区舞蹈教材") < after < text.index("任职后成果广场舞推广")
    brief = await client.get(f"{base}/brief.pdf", headers=applicant["headers"])
    assert brief.status_code == 200, brief.text
    text = text_of(brief.content)
    for expected in ("技术工作总结", "设计分级教学体系解决基层推广难题", "发表论文两篇撰写专题报告一份", "助理讲师",
                     "社会体育指导员（舞蹈）", "济南市人才服务中心"):
        assert expected in text, expected
    assert "工作总结（摘要）" not in text         # the six parts stand in for the excerpt of the summary

