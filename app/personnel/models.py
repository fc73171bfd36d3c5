"""Personnel records (one per unit and person, appointments embedded), the approved posts per unit and
year, and each unit's ledger of occupied posts (the one counter appointments are checked against)."""

from datetime import date, datetime

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

from app.clock import utcnow
from app.personnel.enums import PostLevel, RecordStatus


class TitleHeld(BaseModel):
    series: str | None = None                 # series dictionary code
    level: str                                # levels dictionary code (1–5)
    title_name: str
    obtained_on: date | None = None
    issuing_body: str | None = None
    certificate_number: str | None = None
    from_service: bool = False                # written from a certificate this service issued


class Appointment(BaseModel):
    id: str
    level: PostLevel
    grade: int | None = None
    starts_on: date
    document_number: str
    exceptional: bool = False                 # above the title held, as the unit's rules allow
    reason: str | None = None
    ends_on: date | None = None               # None: the current appointment
    end_document_number: str | None = None
    created_by: PydanticObjectId
    created_at: datetime = Field(default_factory=utcnow)
    ended_by: PydanticObjectId | None = None


class RecordEdit(BaseModel):
    """One change of a record's fields (by its edit form or a re-import): each field's old and new value."""
    at: datetime = Field(default_factory=utcnow)
    by: PydanticObjectId
    source: str                               # "edit" or "import"
    changes: dict[str, list] = Field(default_factory=dict)


class PersonnelRecord(Document):
    unit_id: PydanticObjectId
    user_id: PydanticObjectId | None = None   # the person's account, when one holds the ID number
    name: str
    id_number: str
    gender: str | None = None
    birth_date: date | None = None
    department: str | None = None
    education: str | None = None
    post: str | None = None                   # 岗位 as the unit names it
    work_started_on: date | None = None
    joined_on: date | None = None
    status: RecordStatus = RecordStatus.in_post
    status_on: date | None = None
    titles: list[TitleHeld] = Field(default_factory=list)
    title_level: PostLevel | None = None      # the highest title held, as a post level (kept with titles)
    appointments: list[Appointment] = Field(default_factory=list)
    appointed_level: PostLevel | None = None  # the current appointment's level (kept with appointments)
    edits: list[RecordEdit] = Field(default_factory=list)     # the history of its fields' changes
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    class Settings:
        name = "personnel_records"
        indexes = [IndexModel([("unit_id", ASCENDING), ("id_number", ASCENDING)], unique=True),
                   IndexModel([("unit_id", ASCENDING), ("status", ASCENDING), ("name", ASCENDING)]),
                   IndexModel([("unit_id", ASCENDING), ("name", ASCENDING)]),
                   IndexModel([("id_number", ASCENDING)])]

    @property
    def current(self) -> Appointment | None:
        return next((a for a in self.appointments if a.ends_on is None), None)


class PostQuota(Document):
    """A unit's approved posts for a year: counts per level, or a ratio 高:中:初 with the unit's total."""
    unit_id: PydanticObjectId
    year: int
    mode: str                                 # counts | ratio
    counts: dict[PostLevel, int] = Field(default_factory=dict)
    ratio: list[int] = Field(default_factory=list)        # [高, 中, 初]
    total: int | None = None
    reader_keys: list[PydanticObjectId | str] = Field(default_factory=list)   # the unit, its ancestors, its regions
    set_by: PydanticObjectId
    set_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    class Settings:
        name = "post_quotas"
        indexes = [IndexModel([("unit_id", ASCENDING), ("year", ASCENDING)], unique=True),
                   IndexModel([("reader_keys", ASCENDING), ("year", ASCENDING)]),
                   IndexModel([("year", ASCENDING)])]     # the system administrator's statistics: a year's


class PostLedger(Document):
    """The posts a unit has filled now, per level; `_id` is the unit's. Every appointment, end and change
    moves it with one conditional update on `version`, so two appointments racing for the last vacant
    post cannot both pass the check."""
    occupied: dict[PostLevel, int] = Field(default_factory=dict)
    version: int = 0

    class Settings:
        name = "post_ledgers"
