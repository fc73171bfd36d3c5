"""The Dossier: ONE document per declaration with its form, sections, attachment references,
frozen snapshots and review trail. Other documents are referenced by plain ObjectIds."""

from datetime import date, datetime
from typing import Any, Literal

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.clock import utcnow
from app.dossiers.enums import DossierStatus
from app.files.models import StoredFile


# --- what a dossier carries from the committee's work (embedded, written with its transitions) ---

class VoteSummary(BaseModel):
    meeting_id: PydanticObjectId
    members: int
    eligible: int                  # members less those recused
    present: int                   # eligible members present
    yes: int
    no: int
    abstain: int
    recused: int
    not_voted: int
    quorum_required: int
    pass_required: int
    passed: bool
    rule: str


class PublicityReview(BaseModel):
    unit_id: PydanticObjectId
    unit_name: str
    result: Literal["pass", "reject"]
    reason: str | None = None
    by: PydanticObjectId
    by_name: str
    at: datetime = Field(default_factory=utcnow)


class PublicityOpinion(BaseModel):
    id: str
    unit_id: PydanticObjectId
    unit_name: str
    opinion: Literal["no_objection", "objection"]
    reason: str | None = None
    proof: StoredFile | None = None
    by: PydanticObjectId
    by_name: str
    at: datetime = Field(default_factory=utcnow)
    reviews: list[PublicityReview] = Field(default_factory=list)     # by the units above, in route order


class Publicity(BaseModel):
    """公示: the dates, and the employer's opinion as it climbs the route, reviewed unit by unit."""
    starts_on: date
    ends_on: date
    working_days: int
    published_at: datetime
    stage: int = 0                 # route units that have consolidated (汇总提交); len(route): with the committee
    opinion: PublicityOpinion | None = None
    rejected: list[PublicityOpinion] = Field(default_factory=list)   # opinions turned down above, as they were
    level_submitted: list[PydanticObjectId] = Field(default_factory=list)


class Certificate(BaseModel):
    number: str
    verification_code: str
    document_number: str           # 发文字号
    issued_on: date
    issuing_body: str
    committee_code: str
    committee_name: str
    holder_name: str
    title_name: str
    specialty_name: str
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: PydanticObjectId
    issuing_unit_id: PydanticObjectId | None = None      # whose seal the certificate carries
    kind: str = "review"                                 # the batch's kind: 初定/认定 are issued by a 受理点
    revoked_at: datetime | None = None                   # 撤销: the certificate stays in the register, marked
    revoked_reason: str | None = None
    revoked_by: PydanticObjectId | None = None
    replaces: str | None = None                          # 补发: the number of the certificate it replaces
    reissued_on: date | None = None                      # 补发日期 (issued_on stays the qualification's date)
    replaced_by: str | None = None                       # replaced by a reissue: the new certificate's number
    replaced_at: datetime | None = None


class ReissueRequest(BaseModel):
    """补证申请: the holder asks the office of the certificate's committee for a replacement of a lost or
    damaged certificate, with proof; approved, a new certificate with a new number replaces it."""
    id: str
    number: str                               # the certificate asked to be replaced
    reason: Literal["lost", "damaged"]
    statement: str                            # the holder's account of the loss or damage
    proof: StoredFile                         # 遗失声明 or the damaged original's scan
    committee_code: str                       # whose office answers
    asked_by: PydanticObjectId
    asked_at: datetime = Field(default_factory=utcnow)
    status: Literal["pending", "approved", "refused"] = "pending"
    answer: str | None = None
    answered_by: PydanticObjectId | None = None
    answered_name: str | None = None
    answered_at: datetime | None = None
    new_number: str | None = None             # approved: the reissued certificate's number


class BlindWork(BaseModel):
    """One representative work as reviewers get it: the anonymised copy (made by app.committee.anonymise, or
    uploaded by the office) of the applicant's attachment, with what could not be checked. The original's id
    is kept for the office; reviewers are served the copy only."""
    id: str                                   # "1", "2" …: the work's number in the round
    attachment_id: str                        # the applicant's attachment it was made from
    anonymised: StoredFile | None = None      # None: nothing usable yet (an image the office must redact)
    source: Literal["auto", "office"] = "auto"
    replaced: int = 0                         # name occurrences blanked in the text layer
    unchecked_pages: list[int] = Field(default_factory=list)   # pages whose text could not be checked
    note: str = ""                            # what the office should know (a scan, an image, nothing checkable)


class BlindScore(BaseModel):
    """One reviewer's part of a round: who (never shown to the applicant), the state and, once scored, the
    points per criterion, the total, the verdict and the opinion."""
    assignment_id: str
    label: str                                # 评审专家1 …: how every page names the reviewer
    expert_id: PydanticObjectId
    user_id: PydanticObjectId
    status: Literal["pending", "submitted", "declined", "overdue"] = "pending"
    points: list[int] = Field(default_factory=list)           # in the order of the round's criteria
    total: int | None = None
    passed: bool | None = None
    opinion: str | None = None
    submitted_at: datetime | None = None
    declined_reason: str | None = None
    draw_id: PydanticObjectId | None = None   # a 补充送审 draw that chose this reviewer (None: the round's own)


class BlindCriterionCopy(BaseModel):
    name: str
    max_points: int


class BlindReviews(BaseModel):
    """代表作送审 of this dossier: the round's code (what reviewers see instead of a name), the score form as the
    batch's rule had it when the round started, the works, the draw, the deadline and every reviewer's part."""
    code: str
    status: Literal["preparing", "sent", "complete"] = "preparing"
    criteria: list[BlindCriterionCopy]
    pass_mark: int
    opinion_required: bool = True
    opinion_max_chars: int = 1000
    reviewers: int
    works: list[BlindWork] = Field(default_factory=list)
    draw_id: PydanticObjectId | None = None
    started_by: PydanticObjectId
    started_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    due_at: datetime | None = None
    reviews: list[BlindScore] = Field(default_factory=list)
    short_of_reviewers: bool = False          # a reviewer declined and no reserve was left
    supplements: list[PydanticObjectId] = Field(default_factory=list)   # 补充送审 draws, oldest first


class Declaration(BaseModel):
    """The declaration form (申报信息): what is declared and through which unit."""
    level: str
    series: str
    title: str
    specialty: str                            # a specialties code; the name as typed when specialty_unlisted
    specialty_unlisted: bool = False          # typed by hand, the dictionary lacking it (001 §4.1.1.2): reviewers check
    mode: str
    exceptional_basis: str | None = None
    employer_unit_id: PydanticObjectId
    employer_unit_name: str
    employer_region_code: str | None = None   # the employer's region when declared: statistics by region count by it
    is_actual_unit: bool = True
    actual_unit_name: str | None = None
    agency_unit_name: str | None = None       # 人事代理单位
    entrusted_review: bool = False            # 委托评审: needs a proof attachment
    unit_rank: str | None = None              # 单位推荐排序 "3/5"
    is_civil_servant: bool = False


class Commitment(BaseModel):
    agreed_at: datetime
    text_sha256: str                          # which wording was agreed to


class AttachmentRef(BaseModel):
    id: str
    section: str                              # a section name, or declaration / commitment
    row_id: str | None = None                 # the row it proves, or "photo" / "id_front" / "id_back"
    file: StoredFile
    uploaded_at: datetime = Field(default_factory=utcnow)
    uploaded_by: PydanticObjectId
    carried: bool = False                     # carried with an earlier education row: not deletable


class TrailEntry(BaseModel):
    at: datetime = Field(default_factory=utcnow)
    action: str
    actor_id: PydanticObjectId
    actor_name: str
    role: str
    unit_id: PydanticObjectId | None = None
    unit_name: str | None = None
    from_status: str
    to_status: str
    opinion: str | None = None
    signer: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class EditRequest(BaseModel):
    """退回编辑申请: the applicant asks the node holding a submitted dossier to send it back for editing."""
    id: str
    reason: str
    asked_at: datetime = Field(default_factory=utcnow)
    unit_id: PydanticObjectId                 # the node (unit or committee office) that holds it and answers
    unit_name: str
    status: Literal["pending", "granted", "refused"] = "pending"
    answer: str | None = None
    answered_by: PydanticObjectId | None = None
    answered_name: str | None = None
    answered_at: datetime | None = None


class EducationRequest(BaseModel):
    """申请修改学历: a corrected version of an education row carried from an earlier year, with a reason;
    the employer unit (or a unit above it, such as the HR bureau) approves (the row changes) or refuses."""
    id: str
    row_id: str
    row: dict[str, Any]                       # the corrected row as the section stores it (carried stays)
    before: dict[str, Any]                    # the row as it was when asked
    reason: str
    asked_at: datetime = Field(default_factory=utcnow)
    unit_id: PydanticObjectId                 # the employer unit: its reviewers and those above it answer
    status: Literal["pending", "approved", "refused"] = "pending"
    answer: str | None = None
    answered_by: PydanticObjectId | None = None
    answered_name: str | None = None
    answered_at: datetime | None = None


class StepAttachment(BaseModel):
    """流程附件: a file a reviewing unit adds at its step (推荐材料, 公示材料, 委托材料, 单位意见附件)."""
    id: str
    kind: str                                 # enums.STEP_ATTACHMENT_KINDS
    file: StoredFile
    unit_id: PydanticObjectId | None = None
    unit_name: str | None = None
    uploaded_by: PydanticObjectId
    uploaded_name: str
    uploaded_at: datetime = Field(default_factory=utcnow)


class OpinionDraft(BaseModel):
    """保存意见: a reviewer's opinion saved to finish later; not a decision and not in the trail."""
    opinion: str | None = None
    signer: str | None = None
    saved_by: PydanticObjectId
    saved_name: str
    saved_at: datetime = Field(default_factory=utcnow)


def pending_edit_request(doc: dict) -> dict | None:
    """Dossier.pending_edit_request on a raw document (the rows are computed from those)."""
    request = doc.get("edit_request") or {}
    submitted = doc.get("submitted_at")
    if request.get("status") != "pending" or doc.get("current_unit_id") is None:
        return None
    if submitted is not None and _naive(request["asked_at"]) < _naive(submitted):
        return None
    return request


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


class Entry(BaseModel):
    """录入申报: the unit that entered this dossier for a member of its staff; its handlers edit it for them."""
    unit_id: PydanticObjectId
    unit_name: str
    by: PydanticObjectId
    by_name: str
    at: datetime = Field(default_factory=utcnow)


class RouteNode(BaseModel):
    unit_id: PydanticObjectId
    unit_name: str
    entered_at: datetime = Field(default_factory=utcnow)


class Snapshot(BaseModel):
    """What reviewers see: frozen at submission and never changed."""
    number: int
    taken_at: datetime
    version: int
    declaration: Declaration
    sections: dict[str, Any]
    attachments: list[AttachmentRef]


# What the reads that still select whole dossiers filter on: a name or an ID number (the administrator's audit of a
# person, an expert's conflicts, the public list's search by name) and the public 公示名单 by status and start.
# Everything else selects the ids on the rows (app.dossiers.rows) or the queue entries and their keys, then reads
# the dossiers by _id: queues, tables, bundles, read scope, archives (batch, status), publicity (a route unit's or
# a committee's key and status), supervision's recall (reported:<unit>), the meetings (the meeting's dossier_ids),
# a committee's accepted dossiers and a unit's 录入申报 (its entry:<unit> read key). On SecantusDB every index is work on every write of a ~14 KB dossier,
# whatever the write touches (docs/BENCHMARKS.md, 2026-12-04).
SELECTION_INDEXES = [
    IndexModel([("applicant_name", ASCENDING)]),
    IndexModel([("id_number", ASCENDING)]),
    IndexModel([("status", ASCENDING), ("publicity.starts_on", DESCENDING)]),    # the public 公示名单
]


class Dossier(Document):
    applicant_id: PydanticObjectId
    applicant_name: str
    id_number: str
    batch_id: PydanticObjectId
    year: int
    declaration: Declaration
    commitment: Commitment
    sections: dict[str, Any] = Field(default_factory=dict)
    attachments: list[AttachmentRef] = Field(default_factory=list)
    status: DossierStatus = DossierStatus.draft
    current_unit_id: PydanticObjectId | None = None     # the unit (or committee office) that holds it now
    reviewer_acted: bool = False                          # a reviewer acted on this submission: no withdrawal
    route: list[RouteNode] = Field(default_factory=list)  # the unit nodes it went up through, in order
    route_unit_ids: list[PydanticObjectId] = Field(default_factory=list)   # every unit it ever reached
    committee_code: str | None = None                     # set while a committee holds it
    reported_to: list[str] = Field(default_factory=list)  # every committee it was ever reported to: their scope
    reported_by: list[PydanticObjectId] = Field(default_factory=list)      # units that reported it upward
    returned_by: list[PydanticObjectId] = Field(default_factory=list)      # units that returned or rejected it
    correction_deadline: datetime | None = None            # a return's deadline for resubmission
    meeting_id: PydanticObjectId | None = None             # the review meeting it is scheduled in
    reader_ids: list[PydanticObjectId | str] = Field(default_factory=list)  # who reads it (app.dossiers.scope)
    votes: VoteSummary | None = None                       # the meeting's tally, written with the decision
    publicity: Publicity | None = None                     # 公示: dates and the opinions up the route
    certificate: Certificate | None = None                 # written with the certify transition
    replaced_certificates: list[Certificate] = Field(default_factory=list)    # 补发 replaced these, kept registered
    reissue_requests: list[ReissueRequest] = Field(default_factory=list)      # 补证申请, at most one pending
    snapshots: list[Snapshot] = Field(default_factory=list)
    trail: list[TrailEntry] = Field(default_factory=list)
    edit_request: EditRequest | None = None                # the latest 退回编辑申请 (earlier ones are in the trail)
    education_requests: list[EducationRequest] = Field(default_factory=list)   # 申请修改学历
    step_attachments: list[StepAttachment] = Field(default_factory=list)      # 流程附件
    opinion_drafts: dict[str, OpinionDraft] = Field(default_factory=dict)     # 保存意见, by the unit's id
    entered_by: Entry | None = None                        # 录入申报: entered by a unit for its staff member
    representative_works: list[str] = Field(default_factory=list)   # 代表作: attachment ids the applicant chose
    blind_reviews: BlindReviews | None = None              # 代表作送审 (app.committee.blind)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    version: int = 1

    class Settings:
        name = "dossiers"
        indexes = [
            # One per applicant and batch; also an applicant's own list (a few dossiers, sorted in memory).
            IndexModel([("applicant_id", ASCENDING), ("batch_id", ASCENDING)], unique=True),
            *SELECTION_INDEXES,
            # No reader_ids index: lists read the rows by it; a dossier is read by _id and its keys checked
            # (scope.may_read). Its ~10 multikey entries were rewritten on every save (docs/BENCHMARKS.md).
            IndexModel([("attachments.file.file_id", ASCENDING)]),
            IndexModel([("snapshots.attachments.file.file_id", ASCENDING)]),
            IndexModel([("certificate.number", ASCENDING)], unique=True,
                       partialFilterExpression={"certificate.number": {"$type": "string"}}),
            IndexModel([("replaced_certificates.number", ASCENDING)],      # verifying a replaced certificate
                       partialFilterExpression={"replaced_certificates.number": {"$type": "string"}}),
        ]

    def pending_edit_request(self) -> EditRequest | None:
        """The 退回编辑申请 waiting for the node holding the dossier: one asked since its latest submission,
        while a node holds it (one left over from before a return or resubmission is moot)."""
        return self.edit_request if pending_edit_request(self.model_dump(include={
            "edit_request", "submitted_at", "current_unit_id"})) else None

    def attachments_of(self, section: str, row_id: str | None = None) -> list[AttachmentRef]:
        return [a for a in self.attachments if a.section == section and (row_id is None or a.row_id == row_id)]


class AccessAction(BaseModel):
    action: str                   # read | download | export
    detail: str | None = None     # what was read: a section, a form, the kind of export


class DossierAccess(Document):
    """Who read, downloaded or exported a dossier other than its applicant: ONE record per reader, dossier
    and day (China's calendar), with the first and last time, how many times (`times`), each distinct action of the
    day and the last address. Written off the request's path by app.dossiers.access."""
    dossier_id: PydanticObjectId
    user_id: PydanticObjectId
    user_name: str
    day: str                      # 2026-12-03
    first_at: datetime
    last_at: datetime
    times: int                    # how many accesses that day
    actions: list[AccessAction] = Field(default_factory=list)
    ip: str | None = None

    class Settings:
        # A collection of its own: the earlier one-record-per-read form stays in `dossier_access` as it was.
        name = "dossier_access_days"
        # The upsert's key, and the dossier's "who read it" view (newest day first).
        indexes = [IndexModel([("dossier_id", ASCENDING), ("day", DESCENDING), ("user_id", ASCENDING)], unique=True)]
