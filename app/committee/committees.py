"""Committees (评委会) as their office works with them: their office and their rules (quorum, pass
threshold, publicity days, certificate numbering) set by the administrator, the committee a user runs,
the experts an office may invite, and the one-off backfill of what offices read."""

import re

from app.accounts.enums import COMMITTEE_ROLES, Role
from app.accounts.models import User
from app.catalog.committees import runs_committee
from app.catalog.models import Committee
from app.committee.exceptions import CommitteeNotFound, NotCommitteeOffice
from app.committee.models import Meeting
from app.committee.numbers import format_number
from app.committee.schemas import CommitteeOut, CommitteeSettings
from app.dossiers import writes
from app.dossiers.models import Dossier
from app.errors import Conflict, NotFound, StaleVersion, ValidationFailed
from app.units.enums import UnitStatus
from app.units import service as units_service
from app.units.models import Unit


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


async def listing(actor: User) -> list[Committee]:
    """All committees for the administrator; the ones a committee office handler runs."""
    committees = await Committee.find({}).sort("code").to_list()
    if actor.has_role(Role.sysadmin):
        return committees
    if not any(g.role in COMMITTEE_ROLES for g in actor.roles):
        raise NotCommitteeOffice("仅评委会办事机构经办人和系统管理员可查看评委会设置")
    return [c for c in committees if runs_committee(actor, c)]


def _fraction(numerator: int, denominator: int, field: str, label: str) -> None:
    if not 0 < numerator <= denominator:
        raise ValidationFailed(f"{label}比例应满足 0 < 分子 ≤ 分母", field=field, code="bad_fraction")


async def one(code: str) -> Committee:
    committee = await Committee.find_one(Committee.code == code)
    if committee is None:
        raise CommitteeNotFound(field="code")
    return committee


async def out(items: list[Committee]) -> list[CommitteeOut]:
    """Committees as the API and the settings pages show them: office unit named, issuing body resolved."""
    names = await units_service.unit_names(c.office_unit_id for c in items)
    return [CommitteeOut.build(c, names.get(c.office_unit_id), await issuing_body(c)) for c in items]


async def update(*, code: str, data: CommitteeSettings, expected_version: int | None = None) -> Committee:
    """Fields left out keep their value. With `expected_version` (the page's If-Match) a change made since the
    reader's copy is a 412; without it, a change landing between this read and the write is a 409."""
    committee = await one(code)
    if expected_version is not None and expected_version != committee.version:
        raise StaleVersion("评委会设置已被他人修改，请刷新后重试", current_version=committee.version)
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
    if changes.get("issuing_unit_id") is not None:
        if await Unit.find_one({"_id": changes["issuing_unit_id"], "status": UnitStatus.approved}) is None:
            raise ValidationFailed("发证单位不存在或未开通", field="issuing_unit_id", code="unit_not_approved")
    result = await Committee.get_pymongo_collection().update_one(
        {"_id": committee.id, "version": committee.version}, {"$set": changes, "$inc": {"version": 1}})
    if result.matched_count != 1:
        if expected_version is not None:
            raise StaleVersion("评委会设置已被他人修改，请刷新后重试",
                               current_version=(await one(code)).version)
        raise Conflict("评委会设置已被他人修改，请刷新后重试", code="conflict")
    return await Committee.get(committee.id)


async def issuing_unit(committee: Committee) -> Unit | None:
    """The unit in whose name certificates are issued and whose seal they carry: the one set, else the office."""
    unit_id = committee.issuing_unit_id or committee.office_unit_id
    return await Unit.get(unit_id) if unit_id else None


def body_name(committee: Committee, unit: Unit | None) -> str:
    """发证机关 when 发证 names none: the committee's setting, else its issuing unit's name ("" if it has neither)."""
    return committee.issuing_body or (unit.name if unit else "")


async def issuing_body(committee: Committee) -> str:
    return body_name(committee, await issuing_unit(committee))


async def run_by(actor: User, code: str, *, field: str = "committee_code") -> Committee:
    """The committee if the user handles its office; anything else is not there for them."""
    committee = await Committee.find_one(Committee.code == code)
    if committee is None or not runs_committee(actor, committee):
        raise CommitteeNotFound(field=field)
    return committee


async def experts(actor: User, q: str | None) -> list[dict]:
    """Experts an office may invite: every person holding the expert role, with the unit it is bound to."""
    if not (actor.has_role(Role.sysadmin) or any(g.role in COMMITTEE_ROLES for g in actor.roles)):
        raise NotCommitteeOffice("仅评委会办事机构经办人可查看专家")
    query: dict = {"roles.role": Role.expert, "enabled": True}
    if q:
        query["name"] = {"$regex": "^" + re.escape(q.strip())}
    users = await User.find(query).sort("name").limit(200).to_list()
    units = {u.id: u.name for u in await Unit.find(
        {"_id": {"$in": [i for u in users for i in u.unit_ids_for(Role.expert)]}}).to_list()}
    return [{"id": str(u.id), "name": u.name,
             "units": [{"id": str(i), "name": units.get(i)} for i in u.unit_ids_for(Role.expert)]} for u in users]
