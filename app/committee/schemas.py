"""API input and output of the committee's side: settings, meetings, votes, publicity, certificates."""

from datetime import date, datetime
from typing import Any, Literal

from beanie import PydanticObjectId
from fastapi import UploadFile
from pydantic import BaseModel, Field

from app.accounts.schemas import Strict
from app.catalog.models import Committee
from app.committee.numbers import format_number

# --- committees --------------------------------------------------------------------------------------

class CommitteeSettings(Strict):
    """Fields left out keep their current value."""
    office_unit_id: PydanticObjectId | None = Field(default=None, description="办事机构所在单位")
    quorum_numerator: int = Field(default=2, ge=1, le=100, description="到会人数比例（分子）")
    quorum_denominator: int = Field(default=3, ge=1, le=100, description="到会人数比例（分母）")
    pass_numerator: int = Field(default=2, ge=1, le=100, description="同意票比例（分子）")
    pass_denominator: int = Field(default=3, ge=1, le=100, description="同意票比例（分母）")
    publicity_working_days: int = Field(default=5, ge=5, le=30, description="公示工作日数（国家规定不少于5个工作日）")
    review_request_days: int = Field(default=15, ge=1, le=365, description="评审未通过后可申请复查的天数")
    case_answer_days: int = Field(default=30, ge=1, le=365, description="异议、复查、投诉的答复期限（天）")
    certificate_pattern: str = Field(default="{year}{committee_short}{seq:05d}", min_length=1, max_length=60)
    issuing_body: str | None = Field(default=None, max_length=100, description="发证机关（不设置则为发证单位名称）")
    issuing_unit_id: PydanticObjectId | None = Field(default=None,
                                                    description="发证单位：其公章印在证书上（不设置则为办事机构所在单位）")


class CommitteeOut(BaseModel):
    code: str
    name: str
    series: list[str]
    levels: list[str]
    region_code: str
    tier: str
    office_unit_id: str | None
    office_unit_name: str | None
    quorum_numerator: int
    quorum_denominator: int
    pass_numerator: int
    pass_denominator: int
    rule: str
    publicity_working_days: int
    review_request_days: int
    case_answer_days: int
    certificate_pattern: str
    certificate_sample: str
    issuing_body: str | None
    issuing_unit_id: str | None
    issuing_body_used: str = Field(description="发证时不填发证机关所用的名称")

    @classmethod
    def build(cls, c: Committee, office_name: str | None, issuing_body_used: str) -> "CommitteeOut":
        return cls(**c.model_dump(include=set(cls.model_fields) - {"office_unit_id", "issuing_unit_id"}),
                   office_unit_id=str(c.office_unit_id) if c.office_unit_id else None, office_unit_name=office_name,
                   issuing_unit_id=str(c.issuing_unit_id) if c.issuing_unit_id else None,
                   issuing_body_used=issuing_body_used, rule=c.rule_text(),
                   certificate_sample=format_number(c.certificate_pattern, c, year=2026, seq=1))


# --- meetings ----------------------------------------------------------------------------------------

MAX_MEMBERS = 200


class MeetingIn(Strict):
    committee_code: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=100, description="评审会名称")
    held_on: date = Field(description="评审日期")
    location: str = Field(min_length=1, max_length=100, description="评审地点")
    member_ids: list[PydanticObjectId] = Field(default_factory=list, max_length=MAX_MEMBERS, description="评审专家")


class MembersIn(Strict):
    member_ids: list[PydanticObjectId] = Field(max_length=MAX_MEMBERS)


class PresentIn(Strict):
    present_ids: list[PydanticObjectId] = Field(max_length=MAX_MEMBERS, description="到会专家")


class ScheduleIn(Strict):
    ids: list[PydanticObjectId] = Field(min_length=1, max_length=500)
    confirm: bool = False


class MeetingOut(BaseModel):
    id: str
    committee_code: str
    committee_name: str
    name: str
    held_on: date
    location: str
    status: str
    status_label: str
    rule: str
    members: list[dict]
    present_count: int
    dossiers: list[dict]
    vote_count: int
    results: list[dict]
    signer: dict | None = None         # the minutes' signer once closed: {name, role, role_label, signed_at}


class CloseIn(Strict):
    chair_id: PydanticObjectId | None = Field(
        default=None, description="签署会议纪要的主任委员（须为到会专家）；不填则由结束评审会的经办人签署")


# --- votes -------------------------------------------------------------------------------------------

class VoteIn(Strict):
    dossier_id: PydanticObjectId
    choice: Literal["yes", "no", "abstain"] = Field(description="同意 / 不同意 / 弃权")
    expert_id: PydanticObjectId | None = Field(default=None, description="办事机构代专家录入纸质选票时填写")


# --- publicity ---------------------------------------------------------------------------------------

class PublishIn(Strict):
    ids: list[PydanticObjectId] = Field(min_length=1, max_length=500)
    starts_on: date | None = Field(default=None, description="公示开始日期，默认今天（遇节假日顺延）")
    confirm: bool = False


class IdsIn(Strict):
    ids: list[PydanticObjectId] = Field(min_length=1, max_length=500)
    confirm: bool = False


class OpinionForm(Strict):
    """multipart/form-data: 有异议 needs a reason and a proof file."""
    opinion: Literal["no_objection", "objection"] = Field(description="无异议 / 有异议")
    reason: str | None = Field(default=None, max_length=500, description="有异议的原因")
    proof: UploadFile | None = Field(default=None, description="有异议的证明材料（PDF、JPG、PNG，≤10MB）")


class ReviewIn(Strict):
    result: Literal["pass", "reject"] = Field(description="审核通过 / 审核不通过")
    reason: str | None = Field(default=None, max_length=500, description="审核不通过的原因")


class SubmitIn(Strict):
    unit_id: PydanticObjectId = Field(description="以哪个单位汇总提交")
    ids: list[PydanticObjectId] | None = Field(default=None, max_length=2000, description="不填则提交本单位全部可提交的")
    confirm: bool = False


class PublicityFilter(BaseModel):
    """The manual's 公示上报 search: 身份证号, 姓名, 申报级别, 申报职称 and where the opinion stands."""
    name: str | None = Field(default=None, max_length=30, description="姓名（前缀匹配）")
    id_number: str | None = Field(default=None, max_length=20, description="身份证号")
    level: str | None = Field(default=None, max_length=20, description="申报级别")
    title: str | None = Field(default=None, max_length=40, description="申报职称")
    opinion: Literal["none", "no_objection", "objection"] | None = Field(
        default=None, description="公示意见：none 尚未填写 / no_objection 无异议 / objection 有异议")

    def entry_query(self) -> dict:
        """The equalities the queue entries answer (app.dossiers.rows.keyed_ids; the name prefix is its own)."""
        query: dict = {}
        if (self.id_number or "").strip():
            query["id_number"] = self.id_number.strip().upper()
        if self.level:
            query["declaration.level"] = self.level
        if self.title:
            query["declaration.title"] = self.title
        return query

    def matches_opinion(self, publicity: Any) -> bool:
        """Where the opinion stands, checked on the dossier read (the entries do not carry it)."""
        opinion = publicity.opinion if publicity is not None else None
        if self.opinion == "none":
            return opinion is None
        return not self.opinion or (opinion is not None and opinion.opinion == self.opinion)


class PublicityRow(BaseModel):
    id: str
    applicant_name: str
    employer_unit_name: str
    title: str
    specialty: str
    status: str
    status_label: str
    starts_on: date
    ends_on: date
    working_days: int
    stage: int
    with_unit_name: str | None         # who acts now; None once the committee has the opinion
    consolidated: bool
    my_turn: bool
    opinion: dict | None
    rejected: list[dict]
    vote_line: str = ""                # the meeting's tally (committee.tally.vote_line)


# --- certificates ------------------------------------------------------------------------------------

class IssueIn(Strict):
    ids: list[PydanticObjectId] = Field(min_length=1, max_length=500)
    document_number: str = Field(min_length=1, max_length=50, description="发文字号，如 济人社职字〔2026〕12号")
    issued_on: date = Field(description="发证日期")
    issuing_body: str | None = Field(default=None, max_length=100, description="发证机关，默认取评委会设置")
    confirm: bool = False


class VerificationOut(BaseModel):
    number: str
    holder_name: str
    title_name: str
    specialty_name: str
    committee_name: str
    issued_on: date
    document_number: str
    issuing_body: str
    revoked: bool = False
    revoked_on: date | None = Field(default=None, description="撤销日期")
    revoked_reason: str | None = None
    replaced: bool = Field(default=False, description="已补发：本证书已由补发的新证书替换，原证书作废")
    replaced_by: str | None = Field(default=None, description="替换本证书的新证书编号")
    replaced_on: date | None = Field(default=None, description="补发日期")
    replaces: str | None = Field(default=None, description="本证书为补发，替换的原证书编号")
    reissued_on: date | None = Field(default=None, description="本证书的补发日期")


class RevokeIn(Strict):
    reason: str = Field(min_length=1, max_length=200, description="撤销原因，如 经查申报材料弄虚作假")


VERDICTS = {"valid": "证书真实有效：电子签名有效，内容与登记一致", "revoked": "该证书已被撤销",
            "mismatch": "电子签名有效，但证书内容与登记不符", "unregistered": "电子签名有效，但登记中没有该证书编号",
            "invalid": "电子签名无效：不能证明该文件是本系统签发的原件", "replaced": "该证书已补发新证，原证书作废"}


class FileVerificationOut(BaseModel):
    """What the public verification says of an uploaded certificate PDF."""
    verdict: Literal["valid", "revoked", "mismatch", "unregistered", "invalid", "replaced"]
    verdict_label: str
    signature_valid: bool
    problem: str | None = Field(description="签名无效或与登记不符的原因")
    signed_by: str | None
    signed_at: datetime | None
    mismatches: list[str] = Field(description="与登记不符的项目：证书编号、持证人、资格名称")
    certificate: VerificationOut | None = Field(description="登记中的证书（签名有效且编号在登记中时）")



# --- 补证 (reissue) ------------------------------------------------------------------------------------

REISSUE_REASONS = {"lost": "遗失", "damaged": "损毁"}


class ReissueForm(Strict):
    """multipart/form-data: the reason, the holder's account and the proof (遗失声明, or the damaged original's scan)."""
    reason: Literal["lost", "damaged"] = Field(description="补证原因：遗失 / 损毁")
    statement: str = Field(min_length=1, max_length=500, description="情况说明：何时何地遗失，或损毁情况")
    proof: UploadFile = Field(description="证明材料：遗失声明，或损毁证书原件的扫描件（PDF、JPG、PNG，≤10MB）")


class ReissueAnswerIn(Strict):
    approve: bool = Field(description="同意补发 / 不同意")
    answer: str | None = Field(default=None, max_length=300, description="意见；不同意须填原因")


class ReissueRequestOut(BaseModel):
    id: str
    dossier_id: str
    holder_name: str
    number: str
    title_name: str
    reason: str
    reason_label: str
    statement: str
    proof_url: str
    proof_name: str
    asked_at: datetime
    status: Literal["pending", "approved", "refused"]
    status_label: str
    answer: str | None = None
    answered_name: str | None = None
    answered_at: datetime | None = None
    new_number: str | None = None


# --- blind review (代表作送审) -------------------------------------------------------------------------

class BlindSendIn(Strict):
    """送审: the draw's narrowing (the dossier's series always; specialties and expert levels when given) and its
    seed (empty: a random one, recorded)."""
    specialties: list[str] = Field(default_factory=list, max_length=20)
    levels: list[str] = Field(default_factory=list, max_length=5)
    seed: int | None = Field(default=None, ge=0, le=2**62)


class BlindScoreIn(Strict):
    """One reviewer's score: the points per criterion in the form's order, and the opinion."""
    points: list[int] = Field(min_length=1, max_length=10)
    opinion: str | None = Field(default=None, max_length=5000)


class BlindConflictIn(Strict):
    reason: str = Field(min_length=2, max_length=200, description="回避原因")
