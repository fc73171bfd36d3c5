"""API input and output of the expert library, rosters and draws."""

from datetime import date, datetime

from beanie import PydanticObjectId
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.accounts.validators import normalize_resident_id
from app.experts.models import EXPERT_STATUS_LABELS, TERM_YEARS, Expert, FormerUnit, Relative

Name = Field(min_length=1, max_length=30)


def mask_id(value: str) -> str:
    """370102********123X: region and the last four, as lists and exports show an ID number."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def term_end_limit(start: date) -> date:
    try:
        return start.replace(year=start.year + TERM_YEARS)
    except ValueError:
        return start.replace(year=start.year + TERM_YEARS, day=28)


class ExpertIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Name
    id_number: str = Field(min_length=15, max_length=18)
    unit_name: str = Field(min_length=1, max_length=100)
    unit_id: PydanticObjectId | None = None
    region_code: str = Field(pattern=r"^\d{6}$")
    series: str = Field(min_length=1, max_length=20)
    specialties: list[str] = Field(min_length=1, max_length=10)
    title: str = Field(min_length=1, max_length=30)
    level: str = Field(min_length=1, max_length=5)
    phone: str = Field(pattern=r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=100)
    term_start: date
    term_end: date
    status: str = Field(default="active", pattern="^(active|suspended|removed)$")
    former_units: list[FormerUnit] = Field(default_factory=list, max_length=20)
    relatives: list[Relative] = Field(default_factory=list, max_length=20)
    coauthors: list[str] = Field(default_factory=list, max_length=50)
    keeper_unit_id: PydanticObjectId | None = None     # needed only by someone keeping several libraries

    @field_validator("id_number")
    @classmethod
    def _id(cls, value: str) -> str:
        return normalize_resident_id(value)

    @field_validator("coauthors")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [v.strip() for v in value if v.strip()]
        if any(len(n) > 30 for n in names):
            raise ValueError("合作者姓名不超过30个字")
        return list(dict.fromkeys(names))

    @field_validator("term_end")
    @classmethod
    def _term(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("term_start")
        if start is not None and value <= start:
            raise ValueError("聘期结束日期应晚于开始日期")
        if start is not None and value > term_end_limit(start):
            raise ValueError(f"聘期不超过{TERM_YEARS}年")
        return value


class ExpertOut(BaseModel):
    id: str
    name: str
    id_number: str                 # masked in lists; whole on the record's own page (a logged view)
    unit_name: str
    unit_id: str | None
    region_code: str
    series: str
    specialties: list[str]
    title: str
    level: str
    phone: str
    email: str | None
    term_start: date
    term_end: date
    expired: bool
    status: str
    status_label: str
    committed_at: datetime | None  # the commitment of the current term
    user_id: str | None
    former_units: list[FormerUnit]
    relatives: list[Relative]
    coauthors: list[str]
    keeper_unit_id: str
    version: int

    @classmethod
    def build(cls, e: Expert, *, today: date, masked: bool) -> "ExpertOut":
        signed = e.signed_for_term()
        return cls(id=str(e.id), name=e.name, id_number=mask_id(e.id_number) if masked else e.id_number,
                   unit_name=e.unit_name, unit_id=str(e.unit_id) if e.unit_id else None, region_code=e.region_code,
                   series=e.series, specialties=e.specialties, title=e.title, level=e.level, phone=e.phone,
                   email=e.email, term_start=e.term_start, term_end=e.term_end, expired=e.term_end < today,
                   status=e.status, status_label=EXPERT_STATUS_LABELS[e.status],
                   committed_at=signed.signed_at if signed else None,
                   user_id=str(e.user_id) if e.user_id else None,
                   former_units=e.former_units if not masked else [], relatives=e.relatives if not masked else [],
                   coauthors=e.coauthors if not masked else [], keeper_unit_id=str(e.keeper_unit_id),
                   version=e.version)


class RosterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expert_ids: list[PydanticObjectId] = Field(max_length=500)


class RulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minimums: dict[str, int]

    @field_validator("minimums")
    @classmethod
    def _tiers(cls, value: dict[str, int]) -> dict[str, int]:
        if set(value) - {"senior", "intermediate", "junior"}:
            raise ValueError("评委会级别只能是 senior、intermediate、junior")
        if any(not 1 <= v <= 999 or v % 2 == 0 for v in value.values()):
            raise ValueError("最少人数应为1到999之间的奇数")
        return value


class DrawIn(BaseModel):
    """抽取专家: confirm=false shows the candidates and conflicts; confirm=true draws and invites."""
    model_config = ConfigDict(extra="forbid")
    series: str = Field(min_length=1, max_length=20)
    specialties: list[str] = Field(default_factory=list, max_length=20)
    levels: list[str] = Field(default_factory=list, max_length=5)
    members: int = Field(ge=1, le=99)
    reserves: int = Field(default=2, ge=0, le=20)
    seed: int | None = Field(default=None, ge=0, le=2**62)
    exclude_conflicted: bool = True           # false: the conflicted stay candidates and recuse per dossier
    confirm: bool = False

    @field_validator("members")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError("评审专家人数应为奇数")
        return value


class SwapIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    out_id: PydanticObjectId
    in_id: PydanticObjectId | None = None     # a reserve; none: the first reserve not yet used
    reason: str = Field(min_length=2, max_length=200)
