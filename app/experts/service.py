"""The expert library: who keeps which records, creating and editing them, the commitment per term,
and whether an expert may be drawn or vote. Every view of a whole record is written to the audit log."""

import hashlib
from datetime import date

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from app.accounts import audit
from app.accounts.audit import ClientInfo
from app.accounts.enums import COMMITTEE_ROLES, AuditKind, Role
from app.accounts.models import User
from app.catalog import service as catalog
from app.clock import CHINA, utcnow
from app.dossiers.writes import to_bson
from app.errors import Conflict, ValidationFailed
from app.experts.exceptions import ExpertNotFound, NotDrawable, NotExpertKeeper
from app.experts.models import Expert, SignedCommitment
from app.experts.schemas import ExpertIn

COMMITMENT_TEXT = ("本人承诺：遵守职称评审工作纪律，公正廉洁、客观评审；与申报人有利害关系的主动申请回避；"
                   "不泄露评审内容和评审结果；不接受请托和馈赠。违反承诺的，自愿接受取消评审专家资格等处理。")
COMMITMENT_SHA256 = hashlib.sha256(COMMITMENT_TEXT.encode()).hexdigest()
LIST_LIMIT = 500


def china_today() -> date:
    return utcnow().astimezone(CHINA).date()


def keeper_units(actor: User) -> list[PydanticObjectId] | None:
    """The units whose library the actor keeps (its committee office units); None for the administrator: all."""
    if actor.has_role(Role.sysadmin):
        return None
    units = actor.unit_ids_for(*COMMITTEE_ROLES)
    if not units:
        raise NotExpertKeeper()
    return units


def keeper_for(actor: User, requested: PydanticObjectId | None) -> PydanticObjectId:
    units = keeper_units(actor)
    if requested is not None:
        if units is not None and requested not in units:
            raise ValidationFailed("只能在本办事机构的专家库中添加专家", field="keeper_unit_id", code="not_keeper")
        return requested
    if not units or len(units) > 1:
        raise ValidationFailed("请选择专家库所属的办事机构", field="keeper_unit_id", code="keeper_required")
    return units[0]


async def visible(actor: User, expert_id: PydanticObjectId) -> Expert:
    units = keeper_units(actor)
    expert = await Expert.get(expert_id)
    if expert is None or (units is not None and expert.keeper_unit_id not in units):
        raise ExpertNotFound(field="expert_id")
    return expert


async def listing(actor: User, *, q: str | None = None, series: str | None = None) -> list[Expert]:
    """The actor's library by name (one keeper unit at a time, each an index range), at most LIST_LIMIT."""
    units = keeper_units(actor)
    keepers = units if units is not None else await Expert.get_pymongo_collection().distinct("keeper_unit_id")
    found: list[Expert] = []
    for keeper in keepers:
        # a name prefix is a range of the (keeper, name) index and the series is narrowed here: SecantusDB's
        # planner scans the collection for a regex, or for two equalities beside a range
        query: dict = {"keeper_unit_id": keeper}
        if q and q.strip():
            query["name"] = {"$gte": q.strip(), "$lt": q.strip() + "\U0010ffff"}
        elif series:
            query["series"] = series
        found += [e for e in await Expert.find(query).sort("name").limit(LIST_LIMIT).to_list()
                  if not series or e.series == series]
    return sorted(found, key=lambda e: e.name)[:LIST_LIMIT]


async def library_of(keeper_unit_id: PydanticObjectId | None) -> list[Expert]:
    """A keeper unit's whole library (one index range): what a roster and a draw choose from."""
    if keeper_unit_id is None:
        return []
    return await Expert.find({"keeper_unit_id": keeper_unit_id}).sort("name").to_list()


async def code_map(dictionary: str) -> dict[str, str]:
    """Code or name → code, so a spreadsheet may say 群众文化 or qzwh."""
    entries = await catalog.entries(dictionary)
    return {**{e.name: e.code for e in entries}, **{e.code: e.code for e in entries}}


async def normalise_codes(data: ExpertIn, maps: dict[str, dict[str, str]] | None = None) -> ExpertIn:
    """Series, level and specialties as dictionary codes (names accepted); a wrong one names its field."""
    maps = maps or {d: await code_map(d) for d in ("series", "levels", "specialties")}
    series = maps["series"].get(data.series)
    if series is None:
        raise ValidationFailed(f"系列“{data.series}”不在字典中", field="series", code="unknown_code")
    level = maps["levels"].get(data.level)
    if level is None:
        raise ValidationFailed(f"级别“{data.level}”不在字典中", field="level", code="unknown_code")
    specialties = []
    for s in data.specialties:
        if (code := maps["specialties"].get(s)) is None:
            raise ValidationFailed(f"专业“{s}”不在字典中", field="specialties", code="unknown_code")
        specialties.append(code)
    return data.model_copy(update={"series": series, "level": level, "specialties": list(dict.fromkeys(specialties))})


async def linked_user(id_number: str) -> PydanticObjectId | None:
    """The account with that ID number holding the expert role: the one the expert votes with."""
    user = await User.find_one({"id_number": id_number})
    return user.id if user is not None and user.has_role(Role.expert) else None


def fields_of(data: ExpertIn) -> dict:
    return data.model_dump(exclude={"keeper_unit_id"})


async def create(*, actor: User, data: ExpertIn, client: ClientInfo) -> Expert:
    data = await normalise_codes(data)
    keeper = keeper_for(actor, data.keeper_unit_id)
    expert = Expert(keeper_unit_id=keeper, **fields_of(data), user_id=await linked_user(data.id_number))
    try:
        await expert.insert()
    except DuplicateKeyError:
        raise Conflict("专家库中已有该身份证号的专家", field="id_number", code="expert_exists") from None
    await audit.record(AuditKind.expert_changed, client=client, actor=actor, unit_id=keeper,
                       expert_id=str(expert.id), change="created")
    return expert


async def update(*, actor: User, expert: Expert, data: ExpertIn, client: ClientInfo) -> Expert:
    """Replaces the record's fields; the version read must still be the stored one (409 otherwise)."""
    data = await normalise_codes(data)
    changes = {**fields_of(data), "updated_at": utcnow()}
    if data.id_number != expert.id_number or expert.user_id is None:
        changes["user_id"] = await linked_user(data.id_number)
    merged = to_bson(Expert.model_validate({**expert.model_dump(), **changes}))
    try:
        result = await Expert.get_pymongo_collection().update_one(
            {"_id": expert.id, "version": expert.version},
            {"$set": {k: merged[k] for k in changes}, "$inc": {"version": 1}})
    except DuplicateKeyError:
        raise Conflict("专家库中已有该身份证号的专家", field="id_number", code="expert_exists") from None
    if result.matched_count != 1:
        raise Conflict("专家信息已被他人修改，请刷新后重试", code="conflict")
    await audit.record(AuditKind.expert_changed, client=client, actor=actor, unit_id=expert.keeper_unit_id,
                       expert_id=str(expert.id), change="updated")
    return await Expert.get(expert.id)


async def viewed(*, actor: User, expert: Expert, client: ClientInfo) -> None:
    await audit.record(AuditKind.expert_viewed, client=client, actor=actor, user_id=expert.user_id,
                       unit_id=expert.keeper_unit_id, expert_id=str(expert.id))


async def sign_commitment(*, actor: User, expert: Expert, client: ClientInfo) -> Expert:
    """评审承诺书 for the current term: once; signed by the expert's own account or recorded by the office."""
    if expert.term_end < china_today():
        raise Conflict("专家聘期已满，请先续聘再签署承诺书", code="term_expired")
    if expert.signed_for_term():
        raise Conflict("本聘期的评审承诺书已签署", code="already_committed")
    signed = SignedCommitment(term_start=expert.term_start, signed_at=utcnow(), recorded_by=actor.id,
                              text_sha256=COMMITMENT_SHA256)
    result = await Expert.get_pymongo_collection().update_one(
        {"_id": expert.id, "version": expert.version}, {"$push": {"commitments": to_bson(signed)}, "$inc": {"version": 1}})
    if result.matched_count != 1:
        raise Conflict("专家信息已被他人修改或承诺书已签署，请刷新后重试", code="conflict")
    await audit.record(AuditKind.expert_changed, client=client, actor=actor, unit_id=expert.keeper_unit_id,
                       expert_id=str(expert.id), change="commitment")
    return await Expert.get(expert.id)


async def for_commitment(actor: User, expert_id: PydanticObjectId) -> Expert:
    """The record for a commitment: the expert's own (linked to the actor's account), or one the actor keeps."""
    expert = await Expert.get(expert_id)
    if expert is not None and expert.user_id == actor.id:
        return expert
    if actor.has_role(Role.sysadmin) or actor.unit_ids_for(*COMMITTEE_ROLES):
        return await visible(actor, expert_id)
    raise ExpertNotFound(field="expert_id")


def not_drawable(expert: Expert, today: date) -> str | None:
    """Why the expert may not be drawn or vote today; None when nothing stands in the way."""
    if expert.status != "active":
        return "专家状态为暂停或出库"
    if expert.term_end < today or expert.term_start > today:
        return f"不在聘期内（{expert.term_start}至{expert.term_end}）"
    if expert.signed_for_term() is None:
        return "本聘期未签署评审承诺书"
    if expert.user_id is None:
        return "未关联专家账号，不能在线表决"
    return None


async def require_may_vote(user: User) -> None:
    """An account linked to library records votes only while one of them is drawable (in term, committed)."""
    records = await Expert.find({"user_id": user.id}).to_list()
    if records and all(not_drawable(e, china_today()) for e in records):
        raise NotDrawable(f"专家{user.name}：{not_drawable(records[0], china_today())}，不能表决")
