"""A complete made-up dossier for the forms, built in memory (no database).

An uploaded replacement template is test-rendered with it before it is accepted (so a misspelt field
is refused at upload, not when a unit prints the form), the tests check the shipped templates with it,
and the benchmark renders it. Every list section has rows and every review node has signed.
"""

import io
import json
from datetime import date, datetime, timezone
from functools import cache

from bson import ObjectId
from PIL import Image, ImageDraw

from app.catalog.batches import DEFAULT_COMMITMENT
from app.config import PROJECT_ROOT
from app.dossiers.models import AttachmentRef, Declaration, RouteNode, TrailEntry
from app.files.models import FileKind, StoredFile
from app.render.contexts import FormSource, Lookups, NodeUnit
from app.render.kind_contexts import DEMO_SECTIONS
from app.dossiers.models import Certificate, VoteSummary

EMPLOYER, DEPARTMENT, HR = ObjectId(), ObjectId(), ObjectId()
COMMITTEE = "济南市群众文化系列中级职称评审委员会"


def _sections() -> dict:
    summary = ("任现职以来，本人坚持以人民为中心的创作导向，长期扎根基层从事群众舞蹈辅导、创编与推广工作。"
               "一是抓好基层文艺骨干培训，累计举办广场舞、少儿舞蹈培训班一百二十余期，培训学员六千余人次；"
               "二是深入社区开展原创作品创编，创作《泉城春韵》等群众舞蹈作品十余部，多次在省市比赛中获奖；"
               "三是参与非遗项目“鼓子秧歌”的整理与传承，完成动作谱系记录与教学视频制作。\n"
               "今后将继续立足岗位，提升专业能力，为繁荣群众文化事业贡献力量。")
    return {
        "basic": {"gender": "男", "birth_date": "1985-03-15", "ethnicity": "01", "politics": "01",
                  "native_place": "山东济南", "phone": "13800000001", "email": "demo@example.cn",
                  "work_start": "2008-07", "profession_start": "2008-07", "current_post": "舞蹈辅导部副主任",
                  "profession_years": None,
                  "address": "济南市历下区泉城路1号"},
        "education": {"rows": [
            {"id": "edu0000001", "start": "2004-09", "end": "2008-07", "school": "山东艺术学院", "major": "舞蹈学",
             "education_level": "21", "degree": "bachelor", "study_mode": "fulltime", "full_time": True,
             "highest": True, "qualifying": True, "verification_code": "A1B2C3D4E5F6G7"}]},
        "current_title": {"title_name": "助理馆员", "level": "2", "obtained_on": "2013-12-20",
                          "approving_body": "济南市人力资源和社会保障局", "certificate_number": "JN2013-0458",
                          "obtained_by": "评审", "hired": True, "hired_on": "2014-01-01", "hired_post": "助理馆员"},
        "admin_posts": {"rows": [{"id": "adm0000001", "start": "2019-03", "end": None, "post": "舞蹈辅导部副主任",
                                  "unit": "济南市群众艺术馆"}]},
        "assessments": {"rows": [{"id": f"asm00000{y}", "year": y, "grade": "excellent" if y % 2 else "pass",
                                  "post": "舞蹈辅导", "appraising_unit": "济南市群众艺术馆"} for y in range(2021, 2026)]},
        "languages": {"language_level": "none", "computer_level": "ncre2", "computer_certificate": "NCRE-2-0001",
                      "exempt_reason": "基层一线专业技术人员，按规定免试外语"},
        "training": {"rows": [{"id": f"trn000000{i}", "start": f"202{i}-03", "end": f"202{i}-03",
                               "kind": "professional" if i % 2 else "public", "course": f"群众文化专业能力提升培训（第{i}期）",
                               "organizer": "山东省文化馆", "hours": 24} for i in range(1, 5)]},
        "work_history": {"rows": [
            {"id": "wrk0000001", "start": "2008-07", "end": "2015-06", "unit": "历下区文化馆", "department": "辅导部",
             "post": "舞蹈辅导", "technical_work": "群众舞蹈辅导", "position": "辅导员",
             "duties": "社区舞蹈培训与群众文艺活动组织"},
            {"id": "wrk0000002", "start": "2015-07", "end": None, "unit": "济南市群众艺术馆", "department": "舞蹈辅导部",
             "post": "舞蹈辅导", "technical_work": "群众舞蹈创编与辅导", "position": "副主任",
             "duties": "全市群众舞蹈辅导、创编与比赛组织"}]},
        "previous_titles": {"rows": [
            {"id": "prv0000001", "title_name": "助理讲师", "series": "中专教师", "level": "2", "obtained_on": "2011-12-01",
             "approving_body": "山东省教育厅", "certificate_number": "LJ2011-77", "hired_on": "2012-01-01",
             "hired_post": "助理讲师"}]},
        "qualifications": {"rows": [
            {"id": "qlf0000001", "name": "社会体育指导员（舞蹈）", "number": "SD-2016-0312", "obtained_on": "2016-05-20",
             "issuer": "山东省体育局"}]},
        "technical_summary": {"experience": "长期从事群众舞蹈辅导与创编。", "projects": "主持社区广场舞创编与推广项目。",
                              "contribution": "负责动作设计与教学体系，解决了基层推广难题。",
                              "results": "培训学员六千余人次，作品获群星奖铜奖。",
                              "writings": "发表论文两篇，撰写专题技术报告一份。"},
        "achievements": {"rows": [
            {"id": f"ach000000{i}", "name": name, "category": category, "level": level, "role": "主创",
             "rank": rank, "approving_authority": "济南市文化和旅游局", "achieved_on": f"202{i}-10",
             "award": award, "description": "组织创编并在全市推广"}
            for i, (name, category, level, rank, award) in enumerate([
                ("济南市社区广场舞创编与推广", "promotion", "municipal", "1/3", "济南市群众文化优秀项目"),
                ("群众舞蹈《泉城春韵》", "work", "provincial", "1/5", "山东省群星奖铜奖"),
                ("鼓子秧歌动作谱系整理", "research", "municipal", "2/4", "")], 1)]
            + [{"id": "ach0000009", "name": "少儿舞蹈普及教材编写", "category": "work", "level": "municipal",
                "role": "编写", "rank": "1/2", "achieved_on": "2012-05"}]},
        "papers": {"rows": [
            {"id": "pap0000001", "kind": "paper", "title": "新时代社区广场舞的组织与引导", "publication": "群文天地",
             "issue": "2022年第6期", "published_on": "2022-06", "rank": "1/1", "indexed_in": "省级期刊"},
            {"id": "pap0000002", "kind": "paper", "title": "鼓子秧歌传承中的教学方法探索", "publication": "齐鲁艺苑",
             "issue": "2024年第2期", "published_on": "2024-04", "rank": "1/2", "indexed_in": ""}]},
        "exams": {"rows": [{"id": "exm0000001", "name": "全国专业技术人员职称外语", "taken_on": "2012-04",
                            "score": "62", "result": "合格"}]},
        "awards": {"rows": [{"id": "awd0000001", "kind": "reward", "name": "济南市群众文化先进个人",
                             "awarded_on": "2023-12", "issuer": "济南市文化和旅游局", "level": "市级"}]},
        "societies": {"rows": [{"id": "soc0000001", "start": "2018-05", "end": None, "organization": "济南市舞蹈家协会",
                                "post": "理事"}]},
        "summary": {"text": summary},
        **DEMO_SECTIONS,       # 初定 and 认定
    }


def _file(name: str, kind: FileKind, pages: int) -> StoredFile:
    return StoredFile(file_id=ObjectId(), filename=name, content_type=kind.content_type, size=1024,
                      sha256="0" * 64, kind=kind, pages=pages)


def _attachments() -> list[AttachmentRef]:
    who = ObjectId()
    spec = [("basic", "photo", "照片.jpg", FileKind.jpeg, 1), ("education", "edu0000001", "学历证书.pdf", FileKind.pdf, 2),
            ("current_title", None, "资格证书.pdf", FileKind.pdf, 1),
            ("achievements", "ach0000001", "推广项目验收意见.pdf", FileKind.pdf, 4),
            ("achievements", "ach0000002", "群星奖证书.jpg", FileKind.jpeg, 1),
            ("papers", "pap0000001", "论文及期刊封面.pdf", FileKind.pdf, 5),
            ("commitment", None, "诚信承诺书（签字）.pdf", FileKind.pdf, 1)]
    return [AttachmentRef(id=f"att{i:07d}", section=section, row_id=row, file=_file(name, kind, pages), uploaded_by=who)
            for i, (section, row, name, kind, pages) in enumerate(spec, 1)]


def _trail() -> list[TrailEntry]:
    actor = ObjectId()

    def entry(action, role, unit_id, unit_name, opinion=None, signer=None, day=None, **detail):
        return TrailEntry(action=action, actor_id=actor, actor_name="经办人", role=role, unit_id=unit_id,
                          unit_name=unit_name, from_status="submitted", to_status="passed", opinion=opinion,
                          signer=signer, at=datetime(2026, 11, day or 1, 2, tzinfo=timezone.utc),
                          detail={"signed_on": f"2026-11-{day:02d}", **detail} if day else detail)
    return [entry("submit", "applicant", EMPLOYER, "济南市群众艺术馆"),
            entry("pass", "unit_handler", EMPLOYER, "济南市群众艺术馆", "经审核，该同志材料真实，同意推荐。", "张馆长", 3),
            entry("report", "unit_handler", EMPLOYER, "济南市群众艺术馆", day=3),
            entry("pass", "dept_handler", DEPARTMENT, "济南市文化和旅游局", "同意上报。", "李处长", 5),
            entry("report", "dept_handler", DEPARTMENT, "济南市文化和旅游局", day=5),
            entry("pass", "hr_handler", HR, "济南市人力资源和社会保障局", "符合申报条件，同意。", "王科长", 8),
            entry("report", "hr_handler", HR, "济南市人力资源和社会保障局", day=8),
            entry("accept", "committee_intermediate", HR, COMMITTEE, "资格审查通过。", "赵主任", 12)]


def demo_source() -> FormSource:
    declaration = Declaration(level="3", series="qzwh", title="qzwh-3", specialty="qzwh-s01", mode="normal",
                              employer_unit_id=EMPLOYER, employer_unit_name="济南市群众艺术馆", entrusted_review=True,
                              unit_rank="1/3", agency_unit_name="济南市人才服务中心")
    votes = VoteSummary(meeting_id=ObjectId(), members=9, eligible=9, present=8, yes=7, no=1, abstain=0, recused=0,
                        not_voted=0, quorum_required=6, pass_required=6, passed=True, rule="到会≥2/3，同意≥到会2/3")
    certificate = Certificate(number="2026370100QZWHZ00001", verification_code="K7M2Q9XA",
                              document_number="济人社职字〔2026〕12号",
                              issued_on=date(2026, 12, 30), issuing_body="济南市人力资源和社会保障局",
                              committee_code="370100-qzwh-intermediate", committee_name=COMMITTEE, holder_name="王小明",
                              title_name="馆员", specialty_name="舞蹈", issued_by=ObjectId())
    route = [RouteNode(unit_id=unit_id, unit_name=name) for unit_id, name in (
        (EMPLOYER, "济南市群众艺术馆"), (DEPARTMENT, "济南市文化和旅游局"), (HR, "济南市人力资源和社会保障局"))]
    return FormSource(applicant_name="王小明", id_number="370102198503150011", year=2026,
                      declaration=declaration, sections=_sections(), attachments=_attachments(), trail=_trail(),
                      route=route, votes=votes, certificate=certificate, official=True)


@cache
def _fixture_names() -> dict[tuple[str, str], str]:
    names = {}
    for path in sorted((PROJECT_ROOT / "fixtures" / "dictionaries").glob("*.json")):
        for dictionary, entries in json.loads(path.read_text(encoding="utf-8")).items():
            names.update({(dictionary, str(e["code"])): e["name"] for e in entries})
    return names


@cache
def demo_photo() -> bytes:
    """A plain 大一寸-shaped picture (390 × 567 px) with a head-and-shoulders outline."""
    image = Image.new("RGB", (390, 567), (214, 226, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((125, 110, 265, 270), fill=(120, 120, 130))
    draw.rounded_rectangle((60, 300, 330, 620), radius=90, fill=(60, 70, 90))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


@cache
def demo_seal() -> bytes:
    """A red ring the size of a seal scan (a template's seal placement shows on the demo form)."""
    image = Image.new("RGB", (300, 300), (255, 255, 255))
    ImageDraw.Draw(image).ellipse((10, 10, 290, 290), outline=(200, 30, 30), width=14)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def demo_lookups() -> Lookups:
    units = {EMPLOYER: NodeUnit("city_affiliated", (HR, DEPARTMENT), demo_seal(), nature="02", region_code="370100"),
             DEPARTMENT: NodeUnit("city_department", (HR,)), HR: NodeUnit("city_hr_bureau")}
    return Lookups(names=_fixture_names(), batch_name="2026年度群众文化系列中级职称评审", committee_name=COMMITTEE,
                   commitment_text=DEFAULT_COMMITMENT, photo=demo_photo(), units=units, today=date(2026, 11, 22))
