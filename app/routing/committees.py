"""Committees (评委会): kept in step with the committees dictionary; their office and their rules (quorum,
pass threshold, publicity days, certificate numbering) set by the administrator; and what the office's
workflows share: finding the committee a user runs, and batches with a preview before they act."""

import re
import string
from typing import Any

from beanie import PydanticObjectId
from pydantic import BaseModel, Field

from app.accounts.enums import COMMITTEE_ROLES, Role
from app.accounts.models import User
from app.accounts.schemas import Strict
from app.catalog import service as catalog
from app.dossiers import writes
from app.dossiers.models import Dossier
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.routing.models import Committee, Meeting, runs_committee
from app.units.enums import UnitStatus
from app.units.models import Unit

TIER_LETTERS = {"senior": "G", "intermediate": "Z", "junior": "C"}       # 高 / 中 / 初
NUMBER_FIELDS = ("year", "seq", "region", "series", "tier", "committee_short", "committee_code")
MAX_NUMBER_LENGTH = 40
_DICTIONARY_OWNED = ("name", "series", "levels", "region_code", "tier")


async def sync_committees() -> int:
    """Creates or updates a Committee per dictionary entry; office and rules already set are kept."""
    entries = await catalog.entries("committees")
    collection = Committee.get_pymongo_collection()
    for entry in entries:
        committee = Committee(code=entry.code, name=entry.name, series=entry.extra.get("series", []),
                              levels=entry.extra.get("levels", []), region_code=entry.extra.get("region_code", ""),
                              tier=entry.extra.get("tier", "intermediate"))
        document = committee.model_dump(exclude={"id", "revision_id"})
        owned = {k: document.pop(k) for k in _DICTIONARY_OWNED}
        document.pop("code")
        await collection.update_one({"code": entry.code}, {"$set": owned, "$setOnInsert": document}, upsert=True)
    return len(entries)


async def backfill_reported_to() -> int:
    """Dossiers stored before `reported_to` existed get it from the committee facts they carry (the
    committee holding them, their meeting's, their certificate's), so no office loses what it read."""
    meetings = {m["_id"]: m["committee_code"]
                async for m in Meeting.get_pymongo_collection().find({}, {"committee_code": 1})}
    done = 0
    async for doc in Dossier.get_pymongo_collection().find(
            {"reported_to": {"$exists": False}},
            {"version": 1, "committee_code": 1, "meeting_id": 1, "votes.meeting_id": 1, "certificate.committee_code": 1}):
        codes = {doc.get("committee_code"), meetings.get(doc.get("meeting_id")),
                 meetings.get((doc.get("votes") or {}).get("meeting_id")),
                 (doc.get("certificate") or {}).get("committee_code")} - {None}
        try:
            await writes.write(doc["_id"], {"$set": {"reported_to": sorted(codes)}}, expected_version=doc["version"])
        except (writes.VersionMoved, NotFound):
            continue        # written or removed meanwhile: the next start-up looks at it again
        done += 1
    return done


def number_fields(committee: Committee, *, year: int, seq: int) -> dict[str, Any]:
    series = (committee.series[0] if committee.series else "").upper()
    tier = TIER_LETTERS.get(committee.tier, "")
    return {"year": year, "seq": seq, "region": committee.region_code, "series": series, "tier": tier,
            "committee_short": f"{committee.region_code}{series}{tier}", "committee_code": committee.code}


def format_number(pattern: str, committee: Committee, *, year: int, seq: int) -> str:
    """A certificate number from the committee's pattern; refuses patterns that could not number."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError:
        raise ValidationFailed("证书编号规则中的花括号不成对", field="certificate_pattern", code="bad_pattern") from None
    unknown = [n for n in names if n not in NUMBER_FIELDS]
    if unknown:
        raise ValidationFailed(f"证书编号规则含未知占位符 {{{unknown[0]}}}，可用：" + "、".join(
            "{" + f + "}" for f in NUMBER_FIELDS), field="certificate_pattern", code="bad_pattern")
    if "seq" not in names:
        raise ValidationFailed("证书编号规则须包含流水号 {seq}，编号才不会重复", field="certificate_pattern",
                               code="bad_pattern")
    try:
        number = pattern.format(**number_fields(committee, year=year, seq=seq))
    except (ValueError, TypeError):
        raise ValidationFailed("证书编号规则的格式说明不正确，例如 {seq:05d}", field="certificate_pattern",
                               code="bad_pattern") from None
    if not number or len(number) > MAX_NUMBER_LENGTH or any(ch.isspace() for ch in number):
        raise ValidationFailed(f"证书编号须为不含空格的 1 至 {MAX_NUMBER_LENGTH} 个字符", field="certificate_pattern",
                               code="bad_pattern")
    return number


class CommitteeSettings(Strict):
    """Fields left out keep their current value."""
    office_unit_id: PydanticObjectId | None = Field(default=None, description="办事机构所在单位")
    quorum_numerator: int = Field(default=2, ge=1, le=100, description="到会人数比例（分子）")
    quorum_denominator: int = Field(default=3, ge=1, le=100, description="到会人数比例（分母）")
    pass_numerator: int = Field(default=2, ge=1, le=100, description="同意票比例（分子）")
    pass_denominator: int = Field(default=3, ge=1, le=100, description="同意票比例（分母）")
    publicity_working_days: int = Field(default=5, ge=1, le=30, description="公示工作日数")
    certificate_pattern: str = Field(default="{year}{committee_short}{seq:05d}", min_length=1, max_length=60)
    issuing_body: str | None = Field(default=None, max_length=100, description="发证机关")


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
    certificate_pattern: str
    certificate_sample: str
    issuing_body: str | None

    @classmethod
    def build(cls, c: Committee, office_name: str | None) -> "CommitteeOut":
        return cls(**c.model_dump(include=set(cls.model_fields) - {"office_unit_id"}),
                   office_unit_id=str(c.office_unit_id) if c.office_unit_id else None, office_unit_name=office_name,
                   rule=c.rule_text(), certificate_sample=format_number(c.certificate_pattern, c, year=2026, seq=1))


async def listing(actor: User) -> list[Committee]:
    """All committees for the administrator; the ones a committee office handler runs."""
    committees = await Committee.find({}).sort("code").to_list()
    if actor.has_role(Role.sysadmin):
        return committees
    if not any(g.role in COMMITTEE_ROLES for g in actor.roles):
        raise Forbidden("仅评委会办事机构经办人和系统管理员可查看评委会设置", code="not_committee_office")
    return [c for c in committees if runs_committee(actor, c)]


def _fraction(numerator: int, denominator: int, field: str, label: str) -> None:
    if not 0 < numerator <= denominator:
        raise ValidationFailed(f"{label}比例应满足 0 < 分子 ≤ 分母", field=field, code="bad_fraction")


async def update(*, code: str, data: CommitteeSettings) -> Committee:
    committee = await Committee.find_one(Committee.code == code)
    if committee is None:
        raise NotFound("评委会不存在", field="code", code="committee_not_found")
    changes = data.model_dump(include=data.model_fields_set)
    merged = committee.model_copy(update=changes)
    _fraction(merged.quorum_numerator, merged.quorum_denominator, "quorum_numerator", "到会人数")
    _fraction(merged.pass_numerator, merged.pass_denominator, "pass_numerator", "同意票")
    format_number(merged.certificate_pattern, merged, year=2026, seq=1)
    if "issuing_body" in changes:
        changes["issuing_body"] = (changes["issuing_body"] or "").strip() or None
    if changes.get("office_unit_id") is not None:
        if await Unit.find_one({"_id": changes["office_unit_id"], "status": UnitStatus.approved}) is None:
            raise ValidationFailed("办事机构所在单位不存在或未开通", field="office_unit_id", code="unit_not_approved")
    result = await Committee.get_pymongo_collection().update_one(
        {"_id": committee.id, "version": committee.version}, {"$set": changes, "$inc": {"version": 1}})
    if result.matched_count != 1:
        raise Conflict("评委会设置已被他人修改，请刷新后重试", code="conflict")
    return await Committee.get(committee.id)


async def run_by(actor: User, code: str, *, field: str = "committee_code") -> Committee:
    """The committee if the user handles its office; anything else is not there for them."""
    committee = await Committee.find_one(Committee.code == code)
    if committee is None or not runs_committee(actor, committee):
        raise NotFound("评委会不存在", field=field, code="committee_not_found")
    return committee


async def experts(actor: User, q: str | None) -> list[dict]:
    """Experts an office may invite: every person holding the expert role, with the unit it is bound to."""
    if not (actor.has_role(Role.sysadmin) or any(g.role in COMMITTEE_ROLES for g in actor.roles)):
        raise Forbidden("仅评委会办事机构经办人可查看专家", code="not_committee_office")
    query: dict = {"roles.role": Role.expert, "enabled": True}
    if q:
        query["name"] = {"$regex": "^" + re.escape(q.strip())}
    users = await User.find(query).sort("name").limit(200).to_list()
    units = {u.id: u.name for u in await Unit.find(
        {"_id": {"$in": [i for u in users for i in u.unit_ids_for(Role.expert)]}}).to_list()}
    return [{"id": str(u.id), "name": u.name,
             "units": [{"id": str(i), "name": units.get(i)} for i in u.unit_ids_for(Role.expert)]} for u in users]
