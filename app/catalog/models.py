from datetime import datetime
from typing import Any, Literal

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field, model_validator
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.catalog.kinds import KIND_DEFAULTS, with_kind_defaults
from app.clock import utcnow
from app.files.models import StoredFile


class DictionaryEntry(Document):
    """One entry of a named dictionary; `parent` links cascades (region → region, series → level …)."""
    dictionary: str
    code: str
    name: str
    parent: str | None = None
    sort: int = 0
    enabled: bool = True
    extra: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "dictionaries"
        indexes = [IndexModel([("dictionary", ASCENDING), ("code", ASCENDING)], unique=True),
                   IndexModel([("dictionary", ASCENDING), ("parent", ASCENDING), ("sort", ASCENDING)])]


MB = 1024 * 1024
IMAGE_AND_PDF = ["pdf", "jpeg", "png", "gif"]


class AttachmentRule(BaseModel):
    kinds: list[Literal["pdf", "jpeg", "png", "gif"]] = Field(default_factory=lambda: list(IMAGE_AND_PDF),
                                                              min_length=1)
    max_bytes: int = Field(default=5 * MB, gt=0, le=50 * MB)
    required: bool = False          # every row of the section needs at least one proof


def _default_attachment_rules() -> dict[str, AttachmentRule]:
    """003 §2.4: 500 KB PDFs for most proofs, 10 MB for achievements, awards and papers; 5 MB elsewhere."""
    big = {"achievements", "awards", "papers"}
    return {section: AttachmentRule(max_bytes=10 * MB) for section in big} | {
        "basic": AttachmentRule(kinds=["jpeg", "png"], max_bytes=5 * MB),
        "education": AttachmentRule(required=True),
        "current_title": AttachmentRule(required=True),
        "declaration": AttachmentRule(),
        "commitment": AttachmentRule(),
        "original_certificate": AttachmentRule(required=True),     # 认定: the original certificate's scan
    }


# The dossier's sections a batch may require; app.dossiers.sections defines each (a test keeps them in step).
SECTION_NAMES = ("basic", "education", "current_title", "previous_titles", "qualifications", "admin_posts",
                 "assessments", "languages", "training", "work_history", "achievements", "papers", "exams", "awards",
                 "societies", "summary", "technical_summary", "other",
                 # 初定 and 认定 (app.catalog.kinds)
                 "guide", "probation", "main_achievements", "work_summary", "original_certificate")
DEFAULT_REQUIRED_SECTIONS = ["basic", "education", "current_title", "assessments", "work_history",
                             "achievements", "summary"]


class BlindCriterion(BaseModel):
    """One line of the blind-review score form: what is judged and its most points."""
    name: str = Field(min_length=1, max_length=40)
    max_points: int = Field(gt=0, le=100)


def _default_criteria() -> list[BlindCriterion]:
    return [BlindCriterion(name="学术（技术）水平", max_points=40), BlindCriterion(name="创新性", max_points=30),
            BlindCriterion(name="应用价值与影响", max_points=30)]


class BlindReviewRule(BaseModel):
    """代表作送审: the levels whose dossiers go to blind review, how many reviewers score each, the score form
    (criteria, the pass mark, whether an opinion is required) and the days reviewers have; app.committee.blind
    reads it when a round starts and copies the form into the round, so a later change leaves it as it was."""
    levels: list[str] = Field(default_factory=list, description="须代表作送审的级别代码，空为不送审")
    max_works: int = Field(default=3, ge=1, le=10, description="申报人最多可标记的代表作件数")
    reviewers: int = Field(default=3, ge=1, le=15, description="每份申报的送审专家人数")
    reserves: int = Field(default=2, ge=0, le=10, description="备选专家人数（专家申明回避时依次递补）")
    criteria: list[BlindCriterion] = Field(default_factory=_default_criteria, min_length=1, max_length=10)
    pass_mark: int = Field(default=60, ge=0, le=1000, description="合格分数线（总分）")
    opinion_required: bool = True
    opinion_max_chars: int = Field(default=1000, ge=50, le=5000)
    deadline_days: int = Field(default=14, ge=1, le=90, description="送审后评审期限（天）")
    remind_days_before: int = Field(default=3, ge=0, le=30, description="截止前几天提醒未评分的专家")

    @property
    def total_points(self) -> int:
        return sum(c.max_points for c in self.criteria)

    def problems(self) -> list[tuple[str, str]]:
        """(field under the rule, message) for settings that cannot work together: checked as the rule is given
        and again on the batch's merged rules (app.catalog.kinds.rule_problems)."""
        found = []
        if self.pass_mark > self.total_points:
            found.append(("pass_mark", f"代表作送审的合格分数线不能高于满分{self.total_points}分"))
        if len({c.name for c in self.criteria}) != len(self.criteria):
            found.append(("criteria", "代表作送审的评分项目不能重名"))
        if self.remind_days_before >= self.deadline_days:
            found.append(("remind_days_before", "提醒天数须少于评审期限天数"))
        return found

    @model_validator(mode="after")
    def _fits(self) -> "BlindReviewRule":
        for _, message in self.problems():
            raise ValueError(message)
        return self

    def applies_to(self, level: str) -> bool:
        return level in self.levels


class BatchRules(BaseModel):
    """The rules of a batch's forms; defaults follow the manuals."""
    required_sections: list[str] = Field(default_factory=lambda: list(DEFAULT_REQUIRED_SECTIONS))
    summary_max_chars: int = Field(default=2000, ge=100, le=10000)
    list_limits: dict[str, int] = Field(default_factory=lambda: {"achievements": 15, "training": 8})
    attachments: dict[str, AttachmentRule] = Field(default_factory=_default_attachment_rules)
    default_attachment: AttachmentRule = Field(default_factory=AttachmentRule)
    photo_required: bool = True
    id_card_required: bool = False     # 身份证正反面扫描件 (003 §2.4.1.2.3), where the province asks for them
    commitment_upload_required: bool = False
    assessment_years: int = Field(default=0, ge=0, le=10, description="须填写的最近年度考核年数，0 为不限")
    # What the batch's kind decides (defaults per kind: app.catalog.kinds), kept per batch.
    sections: list[str] = Field(default_factory=lambda: list(KIND_DEFAULTS["review"]["sections"]),
                                description="申报人填写的分节（按此顺序）")
    forms: list[str] = Field(default_factory=lambda: list(KIND_DEFAULTS["review"]["forms"]), description="生成的表格")
    committee_vote: bool = Field(default=True, description="是否经评审委员会评审表决")
    route_end: Literal["committee", "acceptance_point"] = "committee"
    guide_text: str = Field(default="", max_length=5000, description="须先阅读确认的指南（如初定指南）")
    text_limits: dict[str, int] = Field(default_factory=lambda: {"main_achievements": 400, "work_summary": 800},
                                        description="文字分节的字数上限")
    sealed_form_required: bool = Field(default=False, description="单位须上传签字盖章的评审表（PDF，≤4MB）后方可上报")
    report_contact_required: bool = Field(default=False, description="上报时须填写单位经办人姓名和电话")
    vacant_post_required: bool = Field(default=False, description="事业单位申报人须有所申报级别的空缺岗位")
    blind_review: BlindReviewRule = Field(default_factory=BlindReviewRule, description="代表作送审")

    def attachment_rule(self, section: str) -> AttachmentRule:
        return self.attachments.get(section, self.default_attachment)


class Batch(Document):
    """One review round (申报批次/评审活动): what it accepts, when, under which rules."""
    year: int
    name: str
    kind: str = "review"                      # review 评审 | initial 初定 | recognition 认定
    series: list[str]
    levels: list[str]
    specialties: list[str] = Field(default_factory=list)   # empty: every specialty of the series
    committee: str | None = None
    region_code: str
    opens_at: datetime
    closes_at: datetime
    notice: str = ""
    notice_attachments: list[StoredFile] = Field(default_factory=list)
    commitment_text: str
    rules: BatchRules = Field(default_factory=BatchRules)
    published: bool = True
    created_by: PydanticObjectId | None = None
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    class Settings:
        name = "batches"
        indexes = [IndexModel([("year", DESCENDING), ("opens_at", DESCENDING)]),
                   IndexModel([("name", ASCENDING), ("year", ASCENDING)], unique=True)]

    @model_validator(mode="before")
    @classmethod
    def _kind_rules(cls, data: Any) -> Any:
        """What the stored or given rules leave unset is the kind's default (a batch stored before a rule
        existed reads with its kind's)."""
        if isinstance(data, dict):
            data = {**data, "rules": with_kind_defaults(data.get("kind", "review"), data.get("rules"))}
        return data

    def is_open(self, moment: datetime) -> bool:
        return self.opens_at <= moment <= self.closes_at


class Committee(Document):
    """A review committee (评委会), its office (the unit that runs it) and its rules."""
    code: str                                  # the committees dictionary code
    name: str
    series: list[str]
    levels: list[str]
    region_code: str
    tier: str                                  # senior | intermediate | junior
    office_unit_id: PydanticObjectId | None = None
    quorum_numerator: int = 2                  # experts present ≥ 2/3 of the members
    quorum_denominator: int = 3
    pass_numerator: int = 2                    # yes votes ≥ 2/3 of those present
    pass_denominator: int = 3
    publicity_working_days: int = 5
    # cases (app.committee.cases): no national figure exists for either; provinces set them
    review_request_days: int = 15              # 复查 may be asked within this many days of a 未通过 result
    case_answer_days: int = 30                 # an objection, 复查 or 投诉 is answered within this many days
    certificate_pattern: str = "{year}{committee_short}{seq:05d}"
    issuing_body: str | None = None            # 发证机关 as printed; unset: the issuing unit's name
    issuing_unit_id: PydanticObjectId | None = None    # whose seal certificates carry; unset: the office unit
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    def rule_text(self) -> str:
        """The voting rule as people read it, e.g. 到会≥2/3，同意≥到会2/3."""
        return (f"到会≥{self.quorum_numerator}/{self.quorum_denominator}，"
                f"同意≥到会{self.pass_numerator}/{self.pass_denominator}")

    class Settings:
        name = "committees"
        indexes = [IndexModel([("code", ASCENDING)], unique=True), IndexModel([("office_unit_id", ASCENDING)])]
