"""初定 and 认定 end to end over HTTP: the batch's kind decides the sections, the forms and the route, which
ends at the HR bureau's 受理点 (no committee) with a certificate; a 评审 batch is refused there."""

import hashlib
from datetime import timedelta

import pytest

from app.catalog.kinds import INITIAL_GUIDE, KIND_DEFAULTS
from app.clock import utcnow
from app.dossiers.models import Dossier
from app.units.enums import UnitCategory
from bson import ObjectId

from tests.factories import (create_path, create_person, create_sysadmin, create_unit, declaration_payload,
                             jpeg_bytes, login, pdf_bytes)
from tests.render.test_pdf import text_of as pdf_text
from tests.routing.conftest import act
from tests.web.test_pages import HTML, cookie_login

ISSUE = {"document_number": "济人社职字〔2026〕101号", "issued_on": "2026-12-20"}


@pytest.fixture
async def kinds_world(client):
    """A 济南 HR bureau (the 受理点) ← the employer's department ← employer, paths active for 群众文化 助理级
    and 中级, an administrator, an applicant; no committee anywhere."""
    hr, hr_account = await create_unit(name="济南市人力资源和社会保障局", category=UnitCategory.city_hr_bureau,
                                       region_code="370100", nature="01")
    department, dept_account = await create_unit(name="济南市文化和旅游局", parent=hr,
                                                 category=UnitCategory.city_department, region_code="370100")
    employer, employer_account = await create_unit(name="济南市群众艺术馆", parent=department,
                                                   category=UnitCategory.city_affiliated, region_code="370100")
    for level in ("2", "3"):
        await create_path(unit=employer, target=department, level=level)
        await create_path(unit=department, target=hr, level=level)
    admin, applicant = await create_sysadmin(), await create_person(name="刘见习")
    return {"hr": hr, "employer": employer, "applicant": applicant, "hr_account": hr_account,
            "as_admin": await login(client, admin), "as_applicant": await login(client, applicant),
            "as_employer": await login(client, employer_account), "as_department": await login(client, dept_account),
            "as_hr": await login(client, hr_account)}


async def new_batch(client, world, kind: str, **extra) -> dict:
    now = utcnow()
    body = {"year": now.year, "name": f"{now.year}年度群众文化系列{kind}", "kind": kind, "series": ["qzwh"],
            "levels": ["2", "3"], "region_code": "370100", "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(), **extra}
    r = await client.post("/api/batches", json=body, headers=world["as_admin"])
    assert r.status_code == 201, r.text
    return r.json()


class Filler:
    """The applicant's side of one dossier: saves with the current ETag, uploads."""

    def __init__(self, client, headers, dossier_id):
        self.client, self.headers, self.url = client, headers, f"/api/dossiers/{dossier_id}"

    async def etag(self) -> str:
        return (await self.client.get(self.url, headers=self.headers)).headers["ETag"]

    async def put(self, section: str, body: dict):
        return await self.client.put(f"{self.url}/sections/{section}", json=body,
                                     headers={**self.headers, "If-Match": await self.etag()})

    async def upload(self, section: str, row_id: str | None, name: str, data: bytes, mime: str):
        r = await self.client.post(f"{self.url}/attachments", data={"section": section, **({"row_id": row_id} if row_id else {})},
                                   files={"file": (name, data, mime)}, headers=self.headers)
        return r

    async def completeness(self) -> dict:
        return (await self.client.get(f"{self.url}/completeness", headers=self.headers)).json()


def basic(applicant) -> dict:
    from app.accounts.validators import birth_date_from_resident_id, gender_from_resident_id

    return {"gender": gender_from_resident_id(applicant.id_number), "ethnicity": "01", "phone": "13800000009",
            "birth_date": birth_date_from_resident_id(applicant.id_number).isoformat(), "work_start": "2024-07"}


EDUCATION = {"rows": [{"id": "edu0000001", "start": "2020-09", "end": "2024-06", "school": "山东艺术学院", "major": "舞蹈学",
                       "education_level": "21", "degree": "bachelor", "study_mode": "fulltime", "full_time": True,
                       "highest": True, "qualifying": True, "verification_code": "A1B2C3D4E5F6G7"}]}
PROBATION = {"rows": [{"id": "prb0000001", "start": "2024-07", "end": "2025-06", "unit": "济南市群众艺术馆",
                       "post": "舞蹈辅导（见习）", "work": "协助开展社区广场舞培训二十余期", "appraisal": "合格"}]}
ACHIEVEMENTS = "见习期内独立编排少儿舞蹈《小荷》，在济南市少儿舞蹈展演中获优秀节目奖。"
SUMMARY = "见习一年来，本人熟悉了群众舞蹈辅导的全部环节，能够独立承担社区舞蹈培训课程。"


async def decide(client, world, dossier_id, **body):
    return await client.post(f"/api/dossiers/{dossier_id}/acceptance-decision", json=body, headers=world["as_hr"])


async def issue(client, world, dossier_id, **extra):
    return await client.post("/api/acceptance/certificates", json={**ISSUE, "ids": [dossier_id], "confirm": True,
                                                                  **extra}, headers=world["as_hr"])


async def up_to_hr(client, world, dossier_id) -> None:
    """Employer and department pass and report: the dossier reaches the HR bureau, its 受理点."""
    here = {"dossier_id": dossier_id}
    for who in ("as_employer", "as_department"):
        for action in ("pass", "report"):
            r = await act(client, {**world, **here}, who, action)
            assert r.status_code == 200, (who, action, r.text)


async def initial_submitted(world) -> str:
    """A 初定 batch of three sections without a committee, and the world's applicant's dossier submitted to it."""
    from tests.factories import create_batch, submitted_dossier

    batch = await create_batch(kind="initial", committee=None,
                               rules={"required_sections": ["basic", "education", "current_title"],
                                      "sections": ["basic", "education", "current_title"], "guide_text": ""})
    return await submitted_dossier(world["applicant"], batch, world["employer"])


class TestInitial:
    async def test_graduate_to_certificate_without_a_committee(self, client, kinds_world, converter_pool):
        world = kinds_world
        batch = await new_batch(client, world, "initial")
        # The kind's rules are the batch's data, its defaults unless the administrator set others.
        defaults = KIND_DEFAULTS["initial"]
        assert batch["kind_label"] == "初定"
        assert batch["rules"]["sections"] == defaults["sections"]
        assert batch["rules"]["required_sections"] == defaults["required_sections"]
        assert batch["rules"]["forms"] == ["initial", "catalogue", "certificate"]
        assert (batch["rules"]["committee_vote"], batch["rules"]["route_end"]) == (False, "acceptance_point")
        assert batch["rules"]["guide_text"] == INITIAL_GUIDE

        r = await client.post("/api/dossiers", json=declaration_payload(
            type("B", (), {"id": batch["id"]}), world["employer"], level="2", title="qzwh-2", mode="initial"),
            headers=world["as_applicant"])
        assert r.status_code == 201, r.text
        dossier_id = r.json()["id"]
        f = Filler(client, world["as_applicant"], dossier_id)

        # The guide first: nothing else is saved before it is acknowledged, with the wording's digest.
        r = await f.put("basic", basic(world["applicant"]))
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (409, "guide_not_read", "guide")
        r = await f.put("guide", {"guide_sha256": "0" * 64})
        assert (r.status_code, r.json()["code"]) == (409, "guide_changed")
        digest = hashlib.sha256(batch["rules"]["guide_text"].encode()).hexdigest()
        assert (await f.put("guide", {"guide_sha256": digest})).status_code == 200

        # Sections of a 评审 are not there; the text limits are the batch's (400 and 800 characters).
        for section in ("current_title", "summary", "achievements"):
            r = await f.put(section, {"text": "x"} if section == "summary" else {"rows": []})
            assert (r.status_code, r.json()["code"]) == (404, "section_not_found"), section
        r = await f.put("main_achievements", {"text": "成" * 401})
        assert (r.status_code, r.json()["code"], r.json()["message"]) == (
            422, "text_too_long", "主要工作成绩限400字，当前401字")
        assert (await f.put("work_summary", {"text": "结" * 801})).json()["code"] == "text_too_long"
        r = await f.upload("current_title", None, "资格证书.pdf", pdf_bytes(), "application/pdf")
        assert (r.status_code, r.json()["code"]) == (422, "section_not_found")

        for section, body in (("basic", basic(world["applicant"])), ("education", EDUCATION), ("probation", PROBATION),
                              ("main_achievements", {"text": "成" * 400}), ("work_summary", {"text": SUMMARY})):
            r = await f.put(section, body)
            assert r.status_code == 200, (section, r.text)
        report = await f.completeness()
        assert [s["section"] for s in report["sections"]] == ["declaration", "commitment", *defaults["sections"]]
        assert not report["complete"]            # the photo and the diploma's scan are still missing
        assert (await f.upload("basic", "photo", "照片.jpg", jpeg_bytes(), "image/jpeg")).status_code == 201
        assert (await f.upload("education", "edu0000001", "毕业证书.pdf", pdf_bytes(), "application/pdf")).status_code == 201
        assert (await f.put("main_achievements", {"text": ACHIEVEMENTS})).status_code == 200
        assert (await f.completeness())["complete"]
        r = await client.post(f"/api/dossiers/{dossier_id}/submit", headers=world["as_applicant"])
        assert r.status_code == 200, r.text

        # Up the paths to the HR bureau, where the route ends: it decides, it does not report.
        await up_to_hr(client, world, dossier_id)
        w = {**world, "dossier_id": dossier_id}
        assert (await act(client, w, "as_hr", "pass")).status_code == 200
        r = await act(client, w, "as_hr", "report")
        assert (r.status_code, r.json()["code"]) == (409, "acceptance_point_decides")
        r = await client.post(f"/api/dossiers/{dossier_id}/acceptance-decision", json={"approve": True},
                              headers=world["as_department"])
        assert (r.status_code, r.json()["code"]) == (409, "not_your_node")       # it reads it, it does not hold it
        r = await decide(client, world, dossier_id, approve=False)
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "reason_required", "opinion")
        r = await issue(client, world, dossier_id)
        assert r.json()["done"] == 0 and r.json()["failed"][0]["code"] == "illegal_transition"   # not decided yet
        r = await decide(client, world, dossier_id, approve=True, opinion="见习期满考核合格，同意初定助理馆员。",
                         signer="王科长")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["trail"]["action"]) == ("approved", "grant_title")

        r = await issue(client, world, dossier_id)
        assert r.json()["done"] == 1, r.text
        dossier = await Dossier.get(ObjectId(dossier_id))
        c = dossier.certificate
        assert dossier.status == "certified" and dossier.committee_code is None and not dossier.reported_to
        assert c.number == "2026CD37010000001" and c.kind == "initial"
        assert (c.issuing_body, c.title_name, c.holder_name) == ("济南市人力资源和社会保障局", "助理馆员", "刘见习")
        assert [e.action for e in dossier.trail] == ["submit", "pass", "report", "pass", "report", "pass",
                                                     "grant_title", "certify"]
        r = await client.get("/api/certificates/verify", params={"number": c.number, "code": c.verification_code})
        assert r.status_code == 200 and r.json()["title_name"] == "助理馆员"

        # Its forms are its kind's: the 初定表 (and the certificate), never the 评审 application form.
        r = await client.get(f"/api/dossiers/{dossier_id}/forms/initial.docx", headers=world["as_applicant"])
        assert r.status_code == 200 and r.headers["X-Form-Edition"] == "official"
        r = await client.get(f"/api/dossiers/{dossier_id}/forms/application.docx", headers=world["as_applicant"])
        assert (r.status_code, r.json()["code"]) == (404, "form_not_found")

        # The 初定表 as PDF (real LibreOffice) prints the 初定 sections and the 受理点's decision.
        r = await client.get(f"/api/dossiers/{dossier_id}/forms/initial.pdf", headers=world["as_hr"])
        assert r.status_code == 200, r.text
        text = pdf_text(r.content)
        for expected in ("初定技术资格呈报表", "刘见习", "助理馆员", "见习期工作情况", "舞蹈辅导（见习）",
                         "协助开展社区广场舞培训二十余期", "主要工作成绩", ACHIEVEMENTS, "技术工作小结", SUMMARY,
                         "山东艺术学院", "受理点审核意见", "见习期满考核合格，同意初定助理馆员。", "王科长",
                         "济南市文化和旅游局"):
            assert "".join(expected.split()) in text, expected
        r = await client.get(f"/api/dossiers/{dossier_id}/forms/certificate.pdf", headers=world["as_applicant"])
        assert "经济南市人力资源和社会保障局初定，具备助理馆员专业技术资格" in pdf_text(r.content)

    async def test_a_denial_ends_the_route_and_certifies_nothing(self, client, kinds_world):
        world = kinds_world
        dossier_id = await initial_submitted(world)
        flow = (await client.get(f"/api/dossiers/{dossier_id}/flow", headers=world["as_applicant"])).json()
        assert [(n["name"], n["state"]) for n in flow["nodes"]] == [
            ("刘见习", "done"), ("济南市群众艺术馆", "current"), ("济南市文化和旅游局", "ahead"),
            ("济南市人力资源和社会保障局", "ahead")]                       # the route ends at the 受理点
        await up_to_hr(client, world, dossier_id)
        # The 受理点's review page offers its decision, and no 上报 (the route ends there).
        await cookie_login(client, world["hr_account"])
        html = (await client.get(f"/review/{dossier_id}", headers=HTML)).text
        client.cookies.clear()
        assert 'id="acceptance-decision"' in html and "受理点审核决定（初定，不经评审委员会）" in html
        assert 'data-set-action="report"' not in html and 'data-set-action="pass"' in html
        assert "现专业技术资格及聘任" in html and "年度考核" not in html      # the batch's sections only
        r = await decide(client, world, dossier_id, approve=False, opinion="见习期未满一年")
        assert (r.json()["status"], r.json()["status_label"]) == ("not_approved", "初定不通过")
        r = await client.get(f"/api/dossiers/{dossier_id}", headers=world["as_applicant"])
        assert r.json()["status_label"] == "初定不通过"
        r = await client.get("/api/dossiers", headers=world["as_applicant"])
        assert [d["status_label"] for d in r.json()] == ["初定不通过"], r.text
        # Its status reads as its kind's decision, not a committee's 评审未通过, on the 受理点's review page.
        await cookie_login(client, world["hr_account"])
        html = (await client.get(f"/review/{dossier_id}", headers=HTML)).text
        client.cookies.clear()
        assert "初定不通过" in html and "评审未通过" not in html
        inbox = (await client.get("/api/inbox", headers=world["as_applicant"])).json()
        assert any(m["title"] == "受理点审核不通过" and "原因：见习期未满一年。" in m["body"] for m in inbox["items"]), inbox
        r = await issue(client, world, dossier_id)
        assert r.json()["done"] == 0
        assert (await Dossier.get(ObjectId(dossier_id))).certificate is None


    async def test_the_acceptance_points_review_page_issues_the_certificate(self, client, kinds_world):
        world = kinds_world
        dossier_id = await initial_submitted(world)
        await up_to_hr(client, world, dossier_id)
        await cookie_login(client, world["hr_account"])
        html = (await client.get(f"/review/{dossier_id}", headers=HTML)).text
        assert 'id="acceptance-decision"' in html and 'id="acceptance-issue"' not in html     # not granted yet
        assert (await decide(client, world, dossier_id, approve=True)).status_code == 200
        html = (await client.get(f"/review/{dossier_id}", headers=HTML)).text
        assert 'id="acceptance-decision"' not in html and "初定通过" in html
        # The 发证 form: the batch bar posting to the 受理点's API for this one dossier, preview then confirm.
        assert 'data-batch-api="/api/acceptance/certificates"' in html
        assert f'data-pick value="{dossier_id}" checked' in html and 'name="document_number"' in html
        client.cookies.clear()
        body = {**ISSUE, "ids": [dossier_id], "confirm": False}
        r = await client.post("/api/acceptance/certificates", json=body, headers=world["as_hr"])
        assert r.json()["count"] == 1 and (await Dossier.get(ObjectId(dossier_id))).certificate is None   # a preview
        r = await client.post("/api/acceptance/certificates", json={**body, "confirm": True}, headers=world["as_hr"])
        assert r.json()["done"] == 1, r.text
        await cookie_login(client, world["hr_account"])
        html = (await client.get(f"/review/{dossier_id}", headers=HTML)).text
        client.cookies.clear()
        assert 'id="acceptance-issue"' not in html and "已发证" in html


class TestBatchKindRules:
    async def test_the_administrator_sets_a_kinds_rules_and_bad_ones_are_refused(self, client, kinds_world):
        world = kinds_world
        now = utcnow()
        body = {"year": now.year, "name": "初定规则", "kind": "initial", "series": ["qzwh"], "levels": ["2"],
                "region_code": "370100", "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=9)).isoformat()}
        r = await client.post("/api/batches", json={**body, "rules": {"required_sections": ["basic", "summary"]}},
                              headers=world["as_admin"])
        assert (r.status_code, r.json()["message"]) == (422, "必填分节不在本批次的分节中：summary")
        r = await client.post("/api/batches", json={**body, "rules": {"committee_vote": True}},
                              headers=world["as_admin"])
        assert r.status_code == 422
        assert (await client.get("/api/batches", headers=world["as_admin"])).json() == []      # nothing stored
        r = await client.post("/api/batches", json={**body, "rules": {"text_limits": {"main_achievements": 300,
                                                                                      "work_summary": 600}}},
                              headers=world["as_admin"])
        assert r.status_code == 201 and r.json()["rules"]["text_limits"]["main_achievements"] == 300
        assert r.json()["rules"]["sections"] == KIND_DEFAULTS["initial"]["sections"]


class TestRecognition:
    async def test_title_from_another_province_recognised_with_its_certificate(self, client, kinds_world,
                                                                               converter_pool):
        world = kinds_world
        batch = await new_batch(client, world, "recognition")
        assert batch["rules"]["sections"] == KIND_DEFAULTS["recognition"]["sections"]
        r = await client.post("/api/dossiers", json=declaration_payload(
            type("B", (), {"id": batch["id"]}), world["employer"], mode="recognition"), headers=world["as_applicant"])
        dossier_id = r.json()["id"]
        f = Filler(client, world["as_applicant"], dossier_id)
        original = {"origin": "other_province", "series_name": "群众文化", "level": "3", "title_name": "馆员",
                    "issuing_body": "河北省人力资源和社会保障厅", "certificate_number": "HB2019-00871",
                    "issued_on": "2019-12-20", "origin_place": "河北省"}
        r = await f.put("original_certificate", {**original, "origin": "moon"})
        assert (r.status_code, r.json()["field"]) == (422, "origin")
        r = await f.put("original_certificate", {**original, "level": "99"})
        assert (r.status_code, r.json()["code"]) == (422, "unknown_choice")
        for section, body in (("basic", basic(world["applicant"])), ("education", EDUCATION),
                              ("original_certificate", original)):
            assert (await f.put(section, body)).status_code == 200, section
        assert (await f.put("probation", PROBATION)).status_code == 404          # an 初定 section
        await f.upload("basic", "photo", "照片.jpg", jpeg_bytes(), "image/jpeg")
        await f.upload("education", "edu0000001", "毕业证书.pdf", pdf_bytes(), "application/pdf")
        report = await f.completeness()
        gaps = {s["section"]: s["missing"] for s in report["sections"] if s["missing"]}
        assert gaps == {"original_certificate": ["缺少证明材料"]}                   # the original's scan
        r = await f.upload("original_certificate", None, "原资格证书.pdf", pdf_bytes(2), "application/pdf")
        assert r.status_code == 201, r.text
        assert (await f.completeness())["complete"]
        assert (await client.post(f"/api/dossiers/{dossier_id}/submit", headers=world["as_applicant"])).status_code == 200

        await up_to_hr(client, world, dossier_id)
        assert (await decide(client, world, dossier_id, approve=True, opinion="原证书真实有效，予以认定。")).status_code == 200
        r = await issue(client, world, dossier_id, issuing_body="济南市职称改革领导小组办公室")
        assert r.json()["done"] == 1, r.text
        c = (await Dossier.get(ObjectId(dossier_id))).certificate
        assert (c.number, c.kind, c.issuing_body, c.title_name) == (
            "2026RD37010000001", "recognition", "济南市职称改革领导小组办公室", "馆员")
        r = await client.get(f"/api/dossiers/{dossier_id}/forms/recognition.pdf", headers=world["as_hr"])
        assert r.status_code == 200, r.text
        text = pdf_text(r.content)
        for expected in ("专业技术资格认定表", "原专业技术资格", "外省（市）取得", "河北省", "河北省人力资源和社会保障厅",
                         "HB2019-00871", "2019年12月20日", "馆员", "中级", "原证书真实有效，予以认定。"):
            assert expected in text, expected
        r = await client.get(f"/api/dossiers/{dossier_id}/forms/certificate.pdf", headers=world["as_hr"])
        assert "济南市人力资源和社会保障局认定，具备馆员专业技术资格" in pdf_text(r.content)


class TestReviewBatchUnchanged:
    async def test_a_review_dossier_is_not_decided_by_a_acceptance_point(self, client, world):
        r = await client.post(f"/api/dossiers/{world['dossier_id']}/acceptance-decision", json={"approve": True},
                              headers=world["as_employer"])
        assert (r.status_code, r.json()["code"]) == (409, "not_acceptance_kind")
        assert (await client.post(f"/api/dossiers/{world['dossier_id']}/acceptance-decision",
                                  json={"approve": True})).status_code == 401
        stranger = await create_person(name="路人")
        r = await client.post(f"/api/dossiers/{world['dossier_id']}/acceptance-decision", json={"approve": True},
                              headers=await login(client, stranger))
        assert r.status_code == 404
        for who, action in (("as_employer", "pass"), ("as_employer", "report")):
            assert (await act(client, world, who, action)).status_code == 200     # the 评审 route as before

    async def test_a_kind_without_a_committee_never_reaches_one(self, client, world):
        from tests.factories import create_batch, submitted_dossier

        batch = await create_batch(kind="recognition", committee=None,
                                   rules={"required_sections": ["basic"], "sections": ["basic", "education",
                                                                                        "current_title"]})
        # A unit whose path leads straight to the committee: its report is refused, nothing moves.
        direct, direct_account = await create_unit(name="直报评委会单位", parent=world["department"])
        await create_path(unit=direct, committee=world["committee"])
        dossier_id = await submitted_dossier(await create_person(name="外省调入"), batch, direct)
        w = {**world, "dossier_id": dossier_id, "as_direct": await login(client, direct_account)}
        assert (await act(client, w, "as_direct", "pass")).status_code == 200
        r = await act(client, w, "as_direct", "report")
        assert (r.status_code, r.json()["code"]) == (409, "no_committee")
        # Along world's paths the HR bureau is the 受理点: it decides rather than report to its committee.
        dossier_id = await submitted_dossier(await create_person(name="外系统调入"), batch, world["employer"])
        w["dossier_id"] = dossier_id
        for who in ("as_employer", "as_department"):
            assert (await act(client, w, who, "pass")).status_code == 200
            assert (await act(client, w, who, "report")).status_code == 200
        assert (await act(client, w, "as_hr", "pass")).status_code == 200
        r = await act(client, w, "as_hr", "report")
        assert (r.status_code, r.json()["code"]) == (409, "acceptance_point_decides")
        dossier = await Dossier.get(ObjectId(dossier_id))
        assert dossier.committee_code is None and dossier.status == "passed"
