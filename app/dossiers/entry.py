"""录入申报 (004 单位版: 录入高中级申报信息, 单位填写材料): a unit's handler enters a dossier for a member of
the unit's staff.

The person is a staff member chosen from the unit's list, or is given by ID number and name: the account of
that number is linked when it is the unit's staff, or created as the unit's sub-account (app.units.staff) when
there is none. One account per ID number holds under races: the users' unique index refuses the second
insert and the second request links the first one's account. The dossier is then an ordinary dossier of the
applicant's (they see and edit it), marked `entered_by` the unit: its handlers read and edit it for them
(app.dossiers.scope.may_edit) through the same routes, and every edit of theirs is in the trail (behalf)."""

from beanie import PydanticObjectId

from app.accounts.audit import ClientInfo
from app.accounts.enums import Role
from app.accounts.models import User
from app.dossiers import scope, service
from app.dossiers.enums import DossierStatus
from app.dossiers.models import Dossier, Entry
from app.dossiers.rows import DossierRow
from app.dossiers.schemas import DossierCreate, EntryAccount, EntryCreate, NewStaffMember
from app.errors import Conflict, NotFound, ValidationFailed
from app.units import staff
from app.units.models import Unit
from app.units.schemas import SubAccountSpec

# The most dossiers a unit's 录入申报 list shows, newest first.
LISTED = 500


async def entry_unit(actor: User, unit_id: PydanticObjectId, *, field: str = "unit_id") -> Unit:
    """The unit the actor enters dossiers for; a unit they are no handler of is not there (404)."""
    unit = await Unit.get(unit_id) if unit_id in scope.entry_units(actor) else None
    if unit is None:
        raise NotFound("单位不存在", field=field, code="unit_not_found")
    return unit


async def _linkable(unit: Unit, person: NewStaffMember) -> User | None:
    """The account of this ID number, if any: it must be the unit's staff and bear the name given."""
    existing = await User.find_one({"id_number": person.id_number})
    if existing is None:
        return None
    try:
        await staff.get_staff_member(unit=unit, user_id=existing.id)
    except NotFound:
        raise Conflict("该证件号码已有账号，但不是本单位工作人员；请先在“工作人员”中邀请其加入本单位",
                       field="person.id_number", code="not_staff") from None
    if existing.name != person.name:
        raise ValidationFailed("姓名与该证件号码的账号不符", field="person.name", code="name_mismatch")
    return existing


async def _applicant(*, actor: User, unit: Unit, data: EntryCreate,
                     client: ClientInfo) -> tuple[User, EntryAccount | None]:
    """The staff member the dossier is for, and the credentials of their account when it was created now."""
    if data.user_id is not None:
        member = await staff.get_staff_member(unit=unit, user_id=data.user_id)
    elif (member := await _linkable(unit, data.person)) is None:
        spec = SubAccountSpec(**data.person.model_dump(), role=Role.applicant)
        try:
            [made] = await staff.create_sub_accounts(actor=actor, unit=unit, specs=[spec], client=client)
        except Conflict as exc:
            if exc.code != "id_number_taken":
                raise
            member = await _linkable(unit, data.person)     # made by a request racing this one: link it
            if member is None:
                raise
        else:
            return await User.get(PydanticObjectId(made.user_id)), EntryAccount(**made.model_dump())
    if not member.has_role(Role.applicant):
        raise Conflict("该人员的账号不是申报人账号，不能为其录入申报", field="user_id", code="not_applicant")
    return member, None


async def create(*, actor: User, data: EntryCreate, client: ClientInfo) -> tuple[Dossier, EntryAccount | None]:
    """Creates the staff member's dossier (and their account when they have none). The batch and the
    declaration are checked before an account is made, so a refused entry creates nobody."""
    unit = await entry_unit(actor, data.employer_unit_id, field="employer_unit_id")
    await service.check_new(actor=actor, data=data)
    applicant, account = await _applicant(actor=actor, unit=unit, data=data, client=client)
    declaration = data.model_dump(exclude={"user_id", "person"})
    dossier = await service.create(actor=actor, data=DossierCreate.model_validate(declaration),
                                   applicant=applicant,
                                   entered_by=Entry(unit_id=unit.id, unit_name=unit.name, by=actor.id,
                                                    by_name=actor.name))
    return dossier, account


async def listing(*, actor: User, unit_id: PydanticObjectId) -> list[Dossier]:
    """The dossiers the unit entered, newest first, less those deleted: the ids of the rows carrying the unit's
    `entry:<unit>` read key (every state but deleted, app.dossiers.scope) on their reader_ids index, then the
    dossiers' creation times by _id, and the newest LISTED whole (the dossiers carry no entered_by index)."""
    unit = await entry_unit(actor, unit_id)
    ids = [r["_id"] async for r in DossierRow.get_pymongo_collection().find({"reader_ids": f"entry:{unit.id}"},
                                                                            {"_id": 1})]
    created = {d["_id"]: d["created_at"] for start in range(0, len(ids), 1000)
               async for d in Dossier.get_pymongo_collection().find(
                   {"_id": {"$in": ids[start:start + 1000]}}, {"created_at": 1})}
    newest = sorted(created, key=lambda i: (created[i], i), reverse=True)[:LISTED]
    return [d for d in await service.by_ids(newest)
            if d.status != DossierStatus.abandoned and d.entered_by is not None and d.entered_by.unit_id == unit.id]
