"""Batches (申报批次): what a round accepts, when, and the rules of its forms."""

import hashlib
import time
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pydantic import BaseModel, Field, PrivateAttr, field_validator, model_validator
from pymongo.errors import DuplicateKeyError

from app.accounts.enums import Role
from app.accounts.models import User
from app.accounts.schemas import Strict
from app.catalog import service as catalog
from app.catalog.kinds import KIND_DEFAULTS, KIND_LABELS, rule_problems, with_kind_defaults
from app.catalog.models import SECTION_NAMES, Batch, BatchRules
from app.clock import local_text, utcnow
from app.errors import Conflict, Forbidden, NotFound, StaleVersion, ValidationFailed
from app.files.models import StoredFile

DEFAULT_COMMITMENT = (
    "本人郑重承诺：所填报的个人信息和提交的申报材料真实、准确、完整，学历、资历、业绩、论文等均为本人取得，"
    "无弄虚作假、抄袭剽窃等行为。如有不实，本人愿意承担取消申报资格、撤销已取得职称等一切后果，"
    "并接受相关部门依法依规作出的处理。")

BATCH_KINDS = KIND_LABELS


class BatchIn(Strict):
    year: int = Field(ge=2000, le=2100)
    name: str = Field(min_length=2, max_length=100)
    kind: str = Field(default="review", pattern="^(review|initial|recognition)$")
    series: list[str] = Field(min_length=1)
    levels: list[str] = Field(min_length=1)
    specialties: list[str] = Field(default_factory=list)
    committee: str | None = None
    region_code: str
    opens_at: datetime
    closes_at: datetime
    notice: str = Field(default="", max_length=20000)
    commitment_text: str = Field(default=DEFAULT_COMMITMENT, min_length=20, max_length=5000)
    rules: BatchRules = Field(default_factory=BatchRules)
    published: bool = True
    # The rule names the caller gave: an update keeps the stored value of a kind rule left out (see update).
    _rules_given: frozenset[str] = PrivateAttr(default=frozenset())

    @model_validator(mode="wrap")
    @classmethod
    def _kind_rules(cls, data: Any, handler: Any) -> "BatchIn":
        """Rules the administrator leaves unset take the kind's defaults (app.catalog.kinds)."""
        given = data.get("rules") if isinstance(data, dict) else None
        if isinstance(data, dict):
            data = {**data, "rules": with_kind_defaults(data.get("kind", "review"), given)}
        model = handler(data)
        if isinstance(given, dict):
            model._rules_given = frozenset(given)
        elif isinstance(given, BaseModel):
            model._rules_given = frozenset(given.model_fields_set)
        return model

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("时间须带时区，如 2026-03-01T08:00:00+08:00")
        return value

    @model_validator(mode="after")
    def _window(self) -> "BatchIn":
        if self.closes_at <= self.opens_at:
            raise ValueError("截止时间须晚于开始时间")
        unknown = [s for s in self.rules.required_sections if s not in SECTION_NAMES]
        if unknown:
            raise ValueError(f"未知的必填分节：{'、'.join(unknown)}")
        for _, message in rule_problems(self.rules, section_names=SECTION_NAMES):
            raise ValueError(message)
        return self


class BatchOut(BaseModel):
    id: str
    year: int
    name: str
    kind: str
    kind_label: str
    series: list[str]
    levels: list[str]
    specialties: list[str]
    committee: str | None
    region_code: str
    opens_at: datetime
    closes_at: datetime
    window_text: str
    is_open: bool
    notice: str
    notice_attachments: list[dict]
    commitment_text: str
    commitment_sha256: str
    rules: BatchRules
    published: bool
    version: int

    @classmethod
    def build(cls, batch: Batch) -> "BatchOut":
        return cls(id=str(batch.id), year=batch.year, name=batch.name, kind=batch.kind,
                   kind_label=BATCH_KINDS.get(batch.kind, batch.kind), series=batch.series, levels=batch.levels,
                   specialties=batch.specialties, committee=batch.committee, region_code=batch.region_code,
                   opens_at=batch.opens_at, closes_at=batch.closes_at, window_text=window_text(batch),
                   is_open=batch.is_open(utcnow()), notice=batch.notice,
                   notice_attachments=[{"file_id": str(f.file_id), "filename": f.filename, "size": f.size}
                                       for f in batch.notice_attachments],
                   commitment_text=batch.commitment_text, commitment_sha256=commitment_digest(batch.commitment_text),
                   rules=batch.rules, published=batch.published, version=batch.version)


def commitment_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def window_text(batch: Batch) -> str:
    return f"{local_text(batch.opens_at)} 至 {local_text(batch.closes_at)}"


def require_admin(actor: User) -> None:
    if not actor.has_role(Role.sysadmin):
        raise Forbidden("仅系统管理员可维护申报批次")


async def _check_codes(data: BatchIn) -> None:
    for code in data.series:
        await catalog.require_entry("series", code, field="series", label="职称系列")
    for code in data.levels:
        await catalog.require_entry("levels", code, field="levels", label="职称级别")
    for code in data.specialties:
        entry = await catalog.require_entry("specialties", code, field="specialties", label="专业")
        if entry.parent not in data.series:
            raise ValidationFailed(f"专业“{entry.name}”不属于所选系列", field="specialties", code="unknown_choice")
    if data.committee:
        await catalog.require_entry("committees", data.committee, field="committee", label="评委会")
    await catalog.require_entry("regions", data.region_code, field="region_code", label="地区")


async def create(*, actor: User, data: BatchIn) -> Batch:
    require_admin(actor)
    await _check_codes(data)
    batch = Batch(**data.model_dump(), created_by=actor.id)
    try:
        await batch.insert()
    except DuplicateKeyError:
        raise Conflict(f"{data.year}年已有名为“{data.name}”的批次", field="name", code="batch_exists") from None
    return batch


def _kept_kind_rules(batch: Batch, data: BatchIn) -> BatchRules:
    """The new rules, where the kind is unchanged, keeping the stored sections, forms, committee, route end
    and guide the caller left out (the batch page sends none of them): a save must not reset a batch's
    custom sections or forms to its kind's defaults. A changed kind takes the new kind's defaults."""
    blind = _kept_blind_rule(batch, data)
    if data.kind != batch.kind:
        return data.rules.model_copy(update={"blind_review": blind})
    kept = {name: getattr(batch.rules, name) for name in KIND_DEFAULTS[data.kind] if name not in data._rules_given}
    rules = data.rules.model_copy(update={**kept, "blind_review": blind})
    for field, message in rule_problems(rules, section_names=SECTION_NAMES):
        raise ValidationFailed(message, field=field, code="invalid_rules")
    return rules


def _kept_blind_rule(batch: Batch, data: BatchIn):
    """The blind-review rule as given, keeping what the caller left out of it as stored (the batch page sends no
    score criteria, and a body without the rule keeps it whole)."""
    if "blind_review" not in data._rules_given:
        return batch.rules.blind_review
    given = data.rules.blind_review
    kept = {name: getattr(batch.rules.blind_review, name) for name in type(given).model_fields
            if name not in given.model_fields_set}
    return given.model_copy(update=kept)


async def update(*, actor: User, batch: Batch, data: BatchIn, expected_version: int) -> Batch:
    require_admin(actor)
    await _check_codes(data)
    data = data.model_copy(update={"rules": _kept_kind_rules(batch, data)})
    try:
        result = await Batch.get_pymongo_collection().update_one(
            {"_id": batch.id, "version": expected_version},
            {"$set": data.model_dump(), "$inc": {"version": 1}})
        forget_recent(batch.id)
    except DuplicateKeyError:
        raise Conflict(f"{data.year}年已有名为“{data.name}”的批次", field="name", code="batch_exists") from None
    if result.matched_count != 1:
        raise StaleVersion("批次已被他人修改，请刷新后重试",
                           current_version=(await Batch.get(batch.id)).version)
    return await Batch.get(batch.id)


def _visible(batch: Batch | None, actor: User | None) -> Batch:
    """The batch if the actor may see it: published, or the actor is an administrator."""
    if batch is None or (not batch.published and not (actor and actor.has_role(Role.sysadmin))):
        raise NotFound("申报批次不存在", field="batch_id", code="batch_not_found")
    return batch


async def get(batch_id: PydanticObjectId, *, actor: User | None = None) -> Batch:
    return _visible(await Batch.get(batch_id), actor)


async def stored(batch_id: PydanticObjectId) -> Batch | None:
    """The batch as stored, published or not: the one a dossier was declared in."""
    return await Batch.get(batch_id)


# How long this process serves a batch from its own copy on the hot paths (the dossier page, a section
# save, a submit). A batch changes rarely, by an administrator; this process drops its copy on every
# change it makes, and another process's change (or a new closing time) is seen within this time.
RECENT_SECONDS = 10.0
_recent: dict[PydanticObjectId, tuple[float, Batch]] = {}


async def recent(batch_id: PydanticObjectId) -> Batch | None:
    """`stored`, read at most every RECENT_SECONDS per process: one round trip less per request."""
    held = _recent.get(batch_id)
    if held is not None and time.monotonic() - held[0] < RECENT_SECONDS:
        return held[1]
    batch = await Batch.get(batch_id)
    if batch is not None:
        _recent[batch_id] = (time.monotonic(), batch)
    return batch


async def recent_for(batch_id: PydanticObjectId, *, actor: User | None = None) -> Batch:
    """`get` from the recent copy: a batch unpublished since is refused within RECENT_SECONDS."""
    return _visible(await recent(batch_id), actor)


def forget_recent(batch_id: PydanticObjectId | None = None) -> None:
    """Drops this process's copy of a batch (of every batch without an id) after a change."""
    if batch_id is None:
        _recent.clear()
    else:
        _recent.pop(batch_id, None)


async def names(batch_ids: list[PydanticObjectId]) -> dict[PydanticObjectId, str]:
    return {b.id: b.name for b in await Batch.find({"_id": {"$in": batch_ids}}).to_list()}


async def listing(*, actor: User | None, year: int | None = None, open_only: bool = False) -> list[Batch]:
    query: dict = {}
    if not (actor and actor.has_role(Role.sysadmin)):
        query["published"] = True
    if year:
        query["year"] = year
    if open_only:
        now = utcnow()
        query.update({"opens_at": {"$lte": now}, "closes_at": {"$gte": now}})
    return await Batch.find(query).sort("-year", "-opens_at").to_list()


async def add_notice_attachment(batch: Batch, stored: StoredFile) -> Batch:
    await Batch.get_pymongo_collection().update_one({"_id": batch.id},
                                                    {"$push": {"notice_attachments": stored.model_dump()}})
    forget_recent(batch.id)
    return await Batch.get(batch.id)


async def remove_notice_attachment(batch: Batch, file_id: PydanticObjectId) -> None:
    """Takes the attachment off the notice (its file is the caller's to delete); an unknown one is a 404."""
    result = await Batch.get_pymongo_collection().update_one(
        {"_id": batch.id}, {"$pull": {"notice_attachments": {"file_id": file_id}}})
    forget_recent(batch.id)
    if result.modified_count != 1:
        raise NotFound("附件不存在", field="file_id", code="attachment_not_found")


async def store_kind_rules() -> int:
    """Writes each kind's rules into the batches stored before kinds had them (run once by app.migrations). An
    初定 or 认定 batch then required the 评审 sections by default: its kind's replace them; a 评审 batch keeps its
    own. Returns how many batches were written."""
    changed = 0
    collection = Batch.get_pymongo_collection()
    async for raw in collection.find({"rules.sections": {"$exists": False}}, {"kind": 1}):
        kind = raw.get("kind", "review")
        defaults = KIND_DEFAULTS.get(kind)
        if defaults is None:
            continue
        sets = {f"rules.{key}": value for key, value in defaults.items()
                if key != "required_sections" or kind != "review"}
        result = await collection.update_one({"_id": raw["_id"], "rules.sections": {"$exists": False}},
                                             {"$set": sets, "$inc": {"version": 1}})
        forget_recent(raw["_id"])
        changed += result.modified_count
    return changed


def require_open(batch: Batch, *, doing: str) -> None:
    if not batch.is_open(utcnow()):
        raise Conflict(f"不在申报时间内，不能{doing}。本批次申报时间为 {window_text(batch)}",
                       code="batch_closed", field="batch_id")
