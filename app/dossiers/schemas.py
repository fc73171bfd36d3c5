"""API input and output of dossiers."""

from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pydantic import BaseModel, Field, field_validator, model_validator

from app.accounts import validators
from app.accounts.schemas import PersonIdentity, Strict
from app.accounts.validators import mask_id_number
from app.dossiers import derived
from app.dossiers.enums import DossierStatus, status_label
from app.dossiers.models import (AccessAction, AttachmentRef, Declaration, Dossier, DossierAccess, EditRequest,
                                 EducationRequest, Entry)
from app.dossiers.sections import Rank
from app.files.models import StoredFile


class DeclarationIn(Strict):
    level: str = Field(min_length=1, max_length=5)
    series: str = Field(min_length=1, max_length=20)
    title: str = Field(min_length=1, max_length=20)
    specialty: str | None = Field(default=None, min_length=1, max_length=20)
    specialty_typed: str | None = Field(default=None, min_length=1, max_length=30,
                                        description="列表中没有本人专业时手工录入的专业名称（与 specialty 二选一）")
    mode: str = Field(min_length=1, max_length=20)
    exceptional_basis: str | None = Field(default=None, max_length=20)
    employer_unit_id: PydanticObjectId
    is_actual_unit: bool = True
    actual_unit_name: str | None = Field(default=None, max_length=100)
    agency_unit_name: str | None = Field(default=None, max_length=100)
    entrusted_review: bool = False
    unit_rank: Rank | None = None
    is_civil_servant: bool = False


class DossierCreate(DeclarationIn):
    batch_id: PydanticObjectId
    commitment_agreed: bool = Field(description="已阅读并同意诚信承诺书")

    @field_validator("commitment_agreed")
    @classmethod
    def _agreed(cls, value: bool) -> bool:
        if not value:
            raise ValueError("须阅读并同意诚信承诺书后方可申报")
        return value


class AttachmentOut(BaseModel):
    id: str
    section: str
    row_id: str | None
    filename: str
    kind: str
    size: int
    pages: int
    sha256: str
    uploaded_at: datetime
    carried: bool
    dossier_version: int | None = Field(default=None, description="上传、替换后申报材料的新版本（与 ETag 相同）")

    @classmethod
    def build(cls, ref: AttachmentRef, *, dossier_version: int | None = None) -> "AttachmentOut":
        f: StoredFile = ref.file
        return cls(id=ref.id, section=ref.section, row_id=ref.row_id, filename=f.filename, kind=f.kind,
                   size=f.size, pages=f.pages, sha256=f.sha256, uploaded_at=ref.uploaded_at, carried=ref.carried,
                   dossier_version=dossier_version)


class DossierSummary(BaseModel):
    id: str
    batch_id: str
    batch_name: str | None = None
    year: int
    applicant_name: str
    id_number: str
    series: str
    level: str
    title: str
    specialty: str
    employer_unit_name: str
    status: DossierStatus
    status_label: str
    submitted_at: datetime | None
    updated_at: datetime
    version: int
    certificate_number: str | None = None      # issued: the list offers 下载证书

    @classmethod
    def build(cls, dossier: "Dossier | Any", *, batch_name: str | None = None, kind: str | None = None,
              id_shown: str | None = None) -> "DossierSummary":
        """From a Dossier or a queue projection of one (both carry these fields); kind: its batch's, which
        names an 初定/认定 decision (app.dossiers.enums.status_label); id_shown: the ID number as
        app.dossiers.identity lets this reader see it (masked without it)."""
        d: Declaration = dossier.declaration
        return cls(id=str(dossier.id), batch_id=str(dossier.batch_id), batch_name=batch_name, year=dossier.year,
                   applicant_name=dossier.applicant_name,
                   id_number=id_shown or mask_id_number(dossier.id_number),
                   series=d.series, level=d.level, title=d.title, specialty=d.specialty,
                   employer_unit_name=d.employer_unit_name, status=dossier.status,
                   status_label=status_label(dossier.status, kind), submitted_at=dossier.submitted_at,
                   updated_at=dossier.updated_at, version=dossier.version,
                   certificate_number=dossier.certificate.number if dossier.certificate else None)


class DossierOut(DossierSummary):
    declaration: Declaration
    commitment_agreed_at: datetime
    sections: dict[str, Any]
    attachments: list[AttachmentOut]
    snapshots: int
    editable: bool
    edit_request: EditRequest | None = None               # the latest 退回编辑申请 and its answer
    education_requests: list[EducationRequest] = []       # 申请修改学历 and their answers
    entered_by: Entry | None = None                       # 录入申报: the unit that entered it, and who
    representative_works: list[str] = []                  # 代表作: the attachment ids marked

    @classmethod
    def full(cls, dossier: Dossier, *, batch_name: str | None, id_shown: str | None, editable: bool,
             kind: str | None = None) -> "DossierOut":
        base = DossierSummary.build(dossier, batch_name=batch_name, kind=kind, id_shown=id_shown).model_dump()
        return cls(**base, declaration=dossier.declaration, commitment_agreed_at=dossier.commitment.agreed_at,
                   sections={**dossier.sections, **({"basic": derived.basic_as_read(dossier.sections["basic"], dossier.id_number)}
                                            if dossier.sections.get("basic") else {})},
                   attachments=[AttachmentOut.build(a) for a in dossier.attachments],
                   snapshots=len(dossier.snapshots), editable=editable, edit_request=dossier.edit_request,
                   education_requests=dossier.education_requests, entered_by=dossier.entered_by,
                   representative_works=dossier.representative_works)


class NewStaffMember(PersonIdentity):
    """录入申报 by ID number: the person's account is this one if it exists, else it is created."""
    phone: str | None = None

    _phone = field_validator("phone")(lambda v: validators.normalize_phone(v) if v else v)


class EntryCreate(DossierCreate):
    """录入申报: what a unit's handler enters for a member of the unit's staff (the employer unit is the unit)."""
    user_id: PydanticObjectId | None = Field(default=None, description="本单位工作人员（已有账号）")
    person: NewStaffMember | None = Field(default=None, description="按证件号码和姓名录入：没有账号时新建子账号")

    @model_validator(mode="after")
    def _one_person(self) -> "EntryCreate":
        if (self.user_id is None) == (self.person is None):
            raise ValueError("请选择本单位人员，或填写证件号码和姓名（二选一）")
        return self


class EntryAccount(BaseModel):
    """The account created for the person (shown once: its initial password is for them)."""
    user_id: str
    login: str
    name: str
    initial_password: str


class EntryOut(DossierOut):
    """The dossier entered, and the account made for the person (None: their existing account was linked)."""
    account: EntryAccount | None = None


class SectionOut(BaseModel):
    section: str
    label: str
    version: int
    data: Any
    attachments: list[AttachmentOut]


class Change(BaseModel):
    part: str                 # declaration | a section name | attachments
    label: str
    change: str               # added | removed | changed
    row_id: str | None = None
    field: str | None = None
    before: Any = None
    after: Any = None


class AccessOut(BaseModel):
    """One reader's accesses of a dossier on one day."""
    user_id: PydanticObjectId
    user_name: str
    day: str
    first_at: datetime
    last_at: datetime
    times: int
    actions: list[AccessAction]
    ip: str | None

    @classmethod
    def build(cls, record: DossierAccess) -> "AccessOut":
        return cls.model_validate(record.model_dump(include=set(cls.model_fields)))


class RepresentativeIn(Strict):
    """代表作: the attachment ids to mark, in the order the applicant ranks them (an empty list unmarks all)."""
    attachment_ids: list[str] = Field(default_factory=list, max_length=20)
