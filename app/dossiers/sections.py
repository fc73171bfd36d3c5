"""The dossier's sections (档案袋): their schemas and the rules checked when one is saved.

Each section is edited on its own. List sections are lists of rows with stable ids, so attachments can
point at a row and two snapshots can be compared row by row.
"""

import re
import secrets
from datetime import date
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, field_validator

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="年月，如 2015-09")]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
OptionalText = Annotated[str | None, Field(default=None, max_length=200)]


def new_row_id() -> str:
    return secrets.token_hex(5)


def _rank(value: str) -> str:
    """位次/人数, e.g. 2/3: the applicant's place among the contributors."""
    match = re.fullmatch(r"\s*(\d{1,3})\s*/\s*(\d{1,3})\s*", value)
    if not match or not (1 <= int(match[1]) <= int(match[2])):
        raise ValueError("排名应填写为“位次/人数”，如 2/3，且位次不大于人数")
    return f"{int(match[1])}/{int(match[2])}"


Rank = Annotated[str, AfterValidator(_rank)]


class SectionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Row(SectionModel):
    id: str = Field(default_factory=new_row_id, pattern=r"^[a-z0-9]{6,16}$")


class Period(Row):
    start: Month
    end: Month | None = None      # blank: to the present

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: str | None, info) -> str | None:
        start = info.data.get("start")
        if end and start and end < start:
            raise ValueError("结束年月不能早于开始年月")
        return end


class Basic(SectionModel):
    # Derived from a resident ID number when the section is saved (with_identity); typed only for other IDs.
    gender: str | None = Field(default=None, pattern="^(男|女)$")
    birth_date: date | None = None
    ethnicity: str = Field(min_length=1, max_length=10)
    politics: str | None = Field(default=None, max_length=10)
    native_place: str | None = Field(default=None, max_length=50)
    phone: str = Field(pattern=r"^1[3-9]\d{9}$")
    email: str | None = Field(default=None, max_length=100)
    work_start: Month = Field(description="参加工作时间")
    profession_start: Month | None = Field(default=None, description="从事专业技术工作时间")
    # 专业工作年限: computed from the work history (profession_years); entered only where it cannot be.
    profession_years: int | None = Field(default=None, ge=0, le=70, description="专业工作年限（无法计算时填写）")
    current_post: str | None = Field(default=None, max_length=50, description="现岗位/职务")
    address: str | None = Field(default=None, max_length=200)


class Education(Period):
    school: ShortText
    major: ShortText
    education_level: str = Field(min_length=1, max_length=20, description="学历，字典 education_levels")
    degree: str | None = Field(default=None, max_length=20, description="学位，字典 degrees")
    study_mode: str = Field(min_length=1, max_length=20, description="学习形式，字典 study_modes")
    full_time: bool = False
    highest: bool = False          # 本专业最高学历
    qualifying: bool = False       # 评审依据学历
    domestic: bool = True
    verification_code: str | None = Field(default=None, max_length=40, description="学信网在线验证码")
    carried: bool = False          # carried from an earlier submitted dossier: read-only for the applicant

    @field_validator("end")
    @classmethod
    def _graduated(cls, end: str | None) -> str | None:
        if end is None:
            raise ValueError("请填写毕业年月")
        return end


class CurrentTitle(SectionModel):
    title_name: ShortText
    level: str = Field(min_length=1, max_length=5)
    obtained_on: date
    approving_body: ShortText
    certificate_number: str | None = Field(default=None, max_length=50)
    obtained_by: str | None = Field(default=None, max_length=20, description="取得方式：评审/考试/认定/初定")
    hired: bool = True
    hired_on: date | None = None
    hired_post: str | None = Field(default=None, max_length=50)
    # 聘任年限: computed from hired_on (hired_years); entered only for an interrupted appointment, which
    # the dates cannot show (002 §10: 中间有间断的填累计年限).
    hired_years: int | None = Field(default=None, ge=0, le=70, description="聘任年限（聘任有间断时填写）")

    @field_validator("hired_on")
    @classmethod
    def _hire_after_title(cls, hired_on: date | None, info) -> date | None:
        obtained = info.data.get("obtained_on")
        if hired_on and obtained and hired_on < obtained:
            raise ValueError("聘任时间不能早于取得资格时间")
        return hired_on


class AdminPost(Period):
    post: ShortText
    unit: ShortText


class Assessment(Row):
    year: int = Field(ge=1980, le=2100)
    grade: str = Field(min_length=1, max_length=20, description="考核等次，字典 assessment_grades")
    post: str | None = Field(default=None, max_length=50)
    appraising_unit: ShortText


class Languages(SectionModel):
    language_level: str = Field(min_length=1, max_length=20)
    language_certificate: str | None = Field(default=None, max_length=100)
    computer_level: str = Field(min_length=1, max_length=20)
    computer_certificate: str | None = Field(default=None, max_length=100)
    exempt_reason: str | None = Field(default=None, max_length=200, description="免试理由")


class Training(Period):
    kind: str = Field(min_length=1, max_length=20)
    course: ShortText
    organizer: ShortText
    hours: int = Field(ge=1, le=2000)


class WorkHistory(Period):
    unit: ShortText
    department: str | None = Field(default=None, max_length=100, description="部门")
    post: ShortText                                                      # 岗位
    technical_work: str | None = Field(default=None, max_length=100, description="从事专业技术工作")
    position: str | None = Field(default=None, max_length=50, description="所任职务")
    duties: str | None = Field(default=None, max_length=500)


class PreviousTitle(Row):
    """A title held before a series change (改系列前的专业技术资格, 002 §10), with its appointment."""
    title_name: ShortText
    series: str | None = Field(default=None, max_length=20, description="原职称系列")
    level: str = Field(min_length=1, max_length=5)
    obtained_on: date
    approving_body: ShortText
    certificate_number: str | None = Field(default=None, max_length=50)
    hired_on: date | None = None
    hired_post: str | None = Field(default=None, max_length=50)


class Qualification(Row):
    """从业资格 (003 §2.4.1.2.4): a licence or practising qualification, with its certificate."""
    name: ShortText
    number: str = Field(min_length=1, max_length=50, description="证书编号")
    obtained_on: date
    issuer: ShortText


class Achievement(Row):
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=20)
    level: str = Field(min_length=1, max_length=20)
    role: str | None = Field(default=None, max_length=50, description="本人作用")
    rank: Rank
    approving_authority: str | None = Field(default=None, max_length=100)
    achieved_on: Month
    award: str | None = Field(default=None, max_length=200, description="获奖励、专利及效益情况")
    description: str | None = Field(default=None, max_length=1000)


class Paper(Row):
    kind: str = Field(min_length=1, max_length=20)
    title: str = Field(min_length=1, max_length=200)
    publication: ShortText
    issue: str | None = Field(default=None, max_length=100, description="期号、刊号或 ISBN")
    published_on: Month
    rank: Rank
    indexed_in: str | None = Field(default=None, max_length=100, description="收录情况")


class Exam(Row):
    name: ShortText
    taken_on: Month
    score: str | None = Field(default=None, max_length=20)
    result: str = Field(min_length=1, max_length=20)


class Award(Row):
    kind: str = Field(pattern="^(reward|sanction)$", description="reward 奖励 | sanction 惩处")
    name: str = Field(min_length=1, max_length=200)
    awarded_on: Month
    issuer: ShortText
    level: str | None = Field(default=None, max_length=20)


class Society(Period):
    organization: ShortText
    post: ShortText


class Summary(SectionModel):
    text: str = Field(min_length=1, max_length=10000)


TechText = Annotated[str, Field(min_length=1, max_length=1000)]


class TechnicalSummary(SectionModel):
    """The 简介表's own technical summary in its six parts (003 §2.4.1.2.10); the sixth, the written
    summary itself, is this section's attachment."""
    experience: TechText          # 主要技术工作经历
    projects: TechText            # 参加的技术项目或其它具体技术工作
    contribution: TechText        # 在技术项目中发挥的作用、解决的技术难题
    results: TechText             # 取得的成果与效益
    writings: TechText            # 发表或撰写论文（专题技术报告）的情况


class OtherAttachment(Row):
    description: str = Field(min_length=1, max_length=200)


# --- the sections of 初定 and 认定 (app.catalog.kinds decides which kind shows which) ---

class GuideRead(SectionModel):
    """初定指南 read and acknowledged, before anything else is filled: the digest names the wording read."""
    guide_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Probation(Period):
    """见习期工作情况 (003 §2.4.1.1.5): one row per post of the probation period."""
    unit: ShortText
    post: ShortText
    work: str = Field(min_length=1, max_length=500, description="见习工作内容")
    appraisal: str | None = Field(default=None, max_length=20, description="见习期考核结果")


class Text(SectionModel):
    """A text section whose limit is the batch's (rules.text_limits): 主要工作成绩, 技术工作小结."""
    text: str = Field(min_length=1, max_length=5000)


ORIGIN_LABELS = {"other_province": "外省（市）取得", "other_system": "从其他系统调入", "overseas": "境外取得"}


class OriginalCertificate(SectionModel):
    """认定: the title obtained elsewhere, as its certificate says (the scan is this section's attachment)."""
    origin: Literal["other_province", "other_system", "overseas"]
    series_name: ShortText
    level: str = Field(min_length=1, max_length=5, description="级别，字典 levels")
    title_name: ShortText
    issuing_body: ShortText
    certificate_number: str = Field(min_length=1, max_length=50)
    issued_on: date
    origin_place: str | None = Field(default=None, max_length=100, description="原发证地区或国家")


class SectionSpec(BaseModel):
    label: str
    row: type[SectionModel] | None = None      # list sections
    single: type[SectionModel] | None = None   # one-record sections
    max_rows: int = 50


SECTIONS: dict[str, SectionSpec] = {
    "basic": SectionSpec(label="基本信息", single=Basic),
    "education": SectionSpec(label="学历信息", row=Education, max_rows=10),
    "current_title": SectionSpec(label="现专业技术资格及聘任", single=CurrentTitle),
    "previous_titles": SectionSpec(label="改系列前专业技术资格", row=PreviousTitle, max_rows=5),
    "qualifications": SectionSpec(label="从业资格", row=Qualification, max_rows=20),
    "admin_posts": SectionSpec(label="行政职务", row=AdminPost, max_rows=20),
    "assessments": SectionSpec(label="年度考核", row=Assessment, max_rows=20),
    "languages": SectionSpec(label="外语及计算机水平", single=Languages),
    "training": SectionSpec(label="继续教育", row=Training, max_rows=50),
    "work_history": SectionSpec(label="工作经历", row=WorkHistory, max_rows=40),
    "achievements": SectionSpec(label="专业技术工作业绩", row=Achievement, max_rows=50),
    "papers": SectionSpec(label="论文著作", row=Paper, max_rows=50),
    "exams": SectionSpec(label="考试成绩", row=Exam, max_rows=20),
    "awards": SectionSpec(label="奖惩情况", row=Award, max_rows=30),
    "societies": SectionSpec(label="学术团体及社会兼职", row=Society, max_rows=20),
    "summary": SectionSpec(label="任现职以来工作总结", single=Summary),
    "technical_summary": SectionSpec(label="简介表技术工作总结", single=TechnicalSummary),
    "other": SectionSpec(label="其他材料", row=OtherAttachment, max_rows=30),
    "guide": SectionSpec(label="初定指南", single=GuideRead),
    "probation": SectionSpec(label="见习期工作情况", row=Probation, max_rows=10),
    "main_achievements": SectionSpec(label="主要工作成绩", single=Text),
    "work_summary": SectionSpec(label="技术工作小结", single=Text),
    "original_certificate": SectionSpec(label="原专业技术资格证书", single=OriginalCertificate),
}

# Parts of a dossier that hold attachments without being sections.
ATTACHMENT_PLACES = {"declaration": "申报信息（委托评审证明等）", "commitment": "诚信承诺书"}
# The basic section's own files besides the photo: the two sides of the ID card, one file each (003 §2.4.1.2.3).
ID_CARD_SIDES = {"id_front": "正面", "id_back": "反面"}
# Files of the basic section that are not rows' proofs, by row_id, with what the catalogue calls them.
OWN_FILES = {"photo": "照片", **{row_id: f"身份证{side}" for row_id, side in ID_CARD_SIDES.items()}}


def section_label(name: str) -> str:
    return SECTIONS[name].label if name in SECTIONS else ATTACHMENT_PLACES.get(name, name)


def parse_section(name: str, payload: Any) -> Any:
    """Validates a section body: an object for one-record sections, {"rows": [...]} for list sections."""
    spec = SECTIONS[name]
    if spec.single:
        return spec.single.model_validate(payload)
    return rows_model(spec.row).model_validate(payload)


@cache
def rows_model(row: type[SectionModel]) -> type[BaseModel]:
    """{"rows": [Row, …]}, so errors name rows.N.field."""
    return create_model(f"{row.__name__}Rows", __base__=SectionModel, rows=(list[row], Field(default_factory=list)))


def month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def work_history_problems(rows: list[WorkHistory], *, today: date) -> list[tuple[int, str]]:
    """Continuous, no gaps or overlaps, only the latest may be open-ended (blank end = present)."""
    problems: list[tuple[int, str]] = []
    ordered = sorted(enumerate(rows), key=lambda pair: pair[1].start)
    current = f"{today.year:04d}-{today.month:02d}"
    for position, (index, row) in enumerate(ordered):
        if row.start > current:
            problems.append((index, f"开始年月 {row.start} 晚于当前年月"))
        if position == 0:
            continue
        previous = ordered[position - 1][1]
        if previous.end is None:
            problems.append((index, f"{previous.start} 起的经历未填结束年月，只有最近一段经历可以至今"))
            continue
        gap = month_index(row.start) - month_index(previous.end)
        if gap > 1:
            problems.append((index, f"工作经历不连续：{previous.end} 至 {row.start} 之间有空档"))
        elif gap < 0:
            problems.append((index, f"工作经历重叠：{row.start} 早于上一段经历的结束年月 {previous.end}"))
    return problems


def education_problems(rows: list[Education]) -> list[tuple[int, str, str]]:
    """(row, field, message) of single rows, checked when the section is saved: verification codes after 2001."""
    problems: list[tuple[int, str, str]] = []
    for index, row in enumerate(rows):
        if row.domestic and row.end and row.end >= "2002-01" and not row.verification_code:
            problems.append((index, "verification_code", "2001年以后取得的国内学历须填写学信网在线验证码"))
    return problems


def highest_education_problem(rows: list[Education]) -> str | None:
    """One row is 本专业最高学历: a rule of the section as a whole, so it is checked at completeness only
    (someone entering 本科 before 硕士 saves the first row unticked)."""
    if rows and sum(row.highest for row in rows) != 1:
        return "请在学历中标记且只标记一项本专业最高学历"
    return None


def summary_problems(text: str, *, limit: int, applicant_name: str) -> list[str]:
    problems = []
    length = len(re.sub(r"\s", "", text))
    if length > limit:
        problems.append(f"工作总结限{limit}字，当前{length}字")
    if applicant_name and applicant_name in text:
        problems.append("工作总结中不得出现申报人姓名")
    return problems


def text_problems(text: str, *, label: str, limit: int) -> list[str]:
    """A text section over its limit, counted as the summary is (whitespace aside)."""
    length = len(re.sub(r"\s", "", text))
    return [f"{label}限{limit}字，当前{length}字"] if length > limit else []
