"""API input and output of the personnel domain."""

from datetime import date

from pydantic import BaseModel, Field, field_validator, model_validator

from app.accounts import validators
from app.personnel.enums import POST_LEVEL_LABELS, RECORD_STATUS_LABELS, PostLevel, RecordStatus
from app.personnel.models import Appointment, PersonnelRecord, TitleHeld
from app.personnel.ratios import Figure


class TitleIn(BaseModel):
    series: str | None = Field(None, max_length=20)
    level: str = Field(pattern=r"^[1-5]$")
    title_name: str = Field(min_length=1, max_length=50)
    obtained_on: date | None = None
    issuing_body: str | None = Field(None, max_length=100)
    certificate_number: str | None = Field(None, max_length=50)


class RecordIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    id_number: str
    department: str | None = Field(None, max_length=100)
    education: str | None = Field(None, max_length=50)
    post: str | None = Field(None, max_length=100)
    work_started_on: date | None = None
    joined_on: date | None = None
    titles: list[TitleIn] = Field(default_factory=list, max_length=10)

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        return validators.normalize_resident_id(value)


class StatusIn(BaseModel):
    status: RecordStatus
    on: date


class AppointIn(BaseModel):
    level: PostLevel
    grade: int | None = Field(None, ge=1, le=13)
    starts_on: date
    document_number: str = Field(min_length=1, max_length=100)
    exceptional: bool = False
    reason: str | None = Field(None, max_length=500)


class EndIn(BaseModel):
    ends_on: date
    document_number: str | None = Field(None, max_length=100)


class QuotaIn(BaseModel):
    """Either counts per level, or a ratio 高:中:初 with the unit's total posts."""
    counts: dict[PostLevel, int] | None = None
    ratio: list[int] | None = Field(None, min_length=3, max_length=3)
    total: int | None = Field(None, ge=1, le=100000)

    @model_validator(mode="after")
    def _one_form(self):
        if (self.counts is None) == (self.ratio is None):
            raise ValueError("请填写各级岗位数，或填写比例与岗位总数（二选一）")
        if self.counts is not None and any(n < 0 or n > 100000 for n in self.counts.values()):
            raise ValueError("岗位数应为0至100000的整数")
        if self.ratio is not None:
            if any(r < 0 for r in self.ratio) or sum(self.ratio) == 0:
                raise ValueError("比例应为非负整数且不全为0")
            if self.total is None:
                raise ValueError("按比例核定时须填写岗位总数")
        return self


class AppointmentOut(BaseModel):
    id: str
    level: PostLevel
    level_label: str
    grade: int | None
    starts_on: date
    ends_on: date | None
    document_number: str
    end_document_number: str | None
    exceptional: bool
    reason: str | None

    @classmethod
    def build(cls, a: Appointment) -> "AppointmentOut":
        return cls(**a.model_dump(include=set(cls.model_fields) - {"level_label"}),
                   level_label=POST_LEVEL_LABELS[a.level])


class RecordOut(BaseModel):
    id: str
    unit_id: str
    name: str
    id_number_masked: str
    has_account: bool
    gender: str | None
    department: str | None
    education: str | None
    post: str | None
    work_started_on: date | None
    joined_on: date | None
    status: RecordStatus
    status_label: str
    titles: list[TitleHeld]
    title_level_label: str | None
    appointed_level_label: str | None
    appointments: list[AppointmentOut]
    edits: list[dict] = []
    version: int

    @classmethod
    def build(cls, r: PersonnelRecord) -> "RecordOut":
        return cls(id=str(r.id), unit_id=str(r.unit_id), name=r.name,
                   id_number_masked=validators.mask_id_number(r.id_number), has_account=r.user_id is not None,
                   gender=r.gender, department=r.department, education=r.education, post=r.post,
                   work_started_on=r.work_started_on, joined_on=r.joined_on, status=r.status,
                   status_label=RECORD_STATUS_LABELS[r.status], titles=r.titles,
                   title_level_label=POST_LEVEL_LABELS.get(r.title_level) if r.title_level else None,
                   appointed_level_label=POST_LEVEL_LABELS.get(r.appointed_level) if r.appointed_level else None,
                   appointments=[AppointmentOut.build(a) for a in reversed(r.appointments)],
                   edits=[e.model_dump(mode="json") for e in reversed(r.edits)], version=r.version)


class RecordPatch(BaseModel):
    """The fields an edit may change (identity stays: a person's ID number is the record's key); `version` is
    the one the form was read at."""
    version: int = Field(ge=0)
    name: str | None = Field(None, min_length=1, max_length=50)
    department: str | None = Field(None, max_length=100)
    education: str | None = Field(None, max_length=50)
    post: str | None = Field(None, max_length=100)
    work_started_on: date | None = None
    joined_on: date | None = None
    titles: list[TitleIn] | None = Field(None, max_length=10)


class ImportResult(BaseModel):
    imported: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportPlanLine(BaseModel):
    row: int
    name: str
    action: str                               # "create", "update" or "unchanged"
    changes: dict[str, list] = Field(default_factory=dict)


class ImportPreview(BaseModel):
    created: int
    updated: int
    unchanged: int
    lines: list[ImportPlanLine]


class FigureOut(BaseModel):
    label: str
    levels: list[PostLevel]
    approved: int | None
    appointed: int
    vacant: int | None
    titled_not_appointed: int

    @classmethod
    def build(cls, f: Figure) -> "FigureOut":
        return cls(label=f.label, levels=list(f.levels), approved=f.approved, appointed=f.appointed,
                   vacant=f.vacant, titled_not_appointed=f.titled_not_appointed)


class RatiosOut(BaseModel):
    unit_id: str
    unit_name: str
    year: int
    quota_set: bool
    quota_text: str | None
    figures: list[FigureOut]
