"""The applicant's own transitions: 确认申报 (freezing a snapshot) and 撤回, through the one write path."""

from typing import Any

from beanie import PydanticObjectId

from app.accounts.enums import Role
from app.accounts.models import User
from app.catalog import batches
from app.clock import local_text, utcnow
from app.dossiers import behalf, rules, writes
from app.dossiers.enums import DossierStatus
from app.dossiers.models import Dossier, RouteNode, Snapshot, TrailEntry
from app.dossiers.service import get_editable, get_own, require_editable, require_version
from app.errors import Conflict, ValidationFailed
from app.routing import machine
from app.units.models import Unit


def _trail_entry(*, actor: User, action: str, dossier: Dossier, to_status: DossierStatus,
                 **extra: Any) -> TrailEntry:
    return TrailEntry(action=action, actor_id=actor.id, actor_name=actor.name, role=Role.applicant,
                      from_status=dossier.status, to_status=to_status, **extra)


async def submit(*, actor: User, dossier_id: PydanticObjectId, expected_version: int | None = None) -> Dossier:
    """确认申报: complete or refused with the missing list; freezes a snapshot; locks editing; the
    dossier goes to the employer unit, the first node of its route.

    The snapshot is the copy the rules were checked against, and the write lands only on that version:
    an upload or delete racing the submit either lands before (and is in the snapshot) or is refused.
    With If-Match the user's version is the one submitted (412 if it moved); without, a moved version is
    read again and checked again. The copy this process remembers (at the If-Match, when given) is tried
    first with no read; any refusal or miss is decided again from a fresh read."""
    async def load() -> Dossier:
        dossier = await get_editable(actor, dossier_id)
        if expected_version is not None:
            require_version(dossier, expected_version)
        return dossier

    async def plan(dossier: Dossier) -> writes.Change:
        require_editable(dossier)
        rule = machine.decide(dossier.status, machine.Action.submit, machine.Actor.applicant)
        batch = await batches.recent_for(dossier.batch_id, actor=actor)
        if dossier.status == DossierStatus.draft:
            batches.require_open(batch, doing="确认申报")
        elif dossier.correction_deadline and dossier.correction_deadline < utcnow():
            raise Conflict(f"已超过退回修改的期限（{local_text(dossier.correction_deadline)}），不能再提交",
                           code="correction_expired")
        missing = rules.missing_items(rules.completeness(dossier, batch, today=utcnow().date()))
        if missing:
            first = missing[0]
            raise ValidationFailed(f"申报材料不完整：{first['label']}——{first['missing'][0]}",
                                   field=first["section"], code="incomplete", missing=missing)
        now = utcnow()
        snapshot = Snapshot(number=len(dossier.snapshots) + 1, taken_at=now, version=dossier.version,
                            declaration=dossier.declaration, sections=dossier.sections,
                            attachments=dossier.attachments)
        unit = await Unit.get(dossier.declaration.employer_unit_id)
        entry = behalf.stamp(actor, dossier, _trail_entry(actor=actor, action="submit", dossier=dossier,
                                                          to_status=rule.to, unit_id=unit.id, unit_name=unit.name,
                                                          detail={"snapshot": snapshot.number}))
        return writes.Change({
            "$set": {"status": rule.to, "current_unit_id": unit.id, "submitted_at": now,
                     "reviewer_acted": False, "committee_code": None, "correction_deadline": None,
                     "route": [RouteNode(unit_id=unit.id, unit_name=unit.name, entered_at=now).model_dump()]},
            "$addToSet": {"route_unit_ids": unit.id},
            "$push": {"snapshots": snapshot.model_dump()}}, entry, units=[unit])

    written = await writes.from_memory(writes.remembered(dossier_id, expected_version), plan, applicant_id=actor.id)
    if written is not None:
        return written
    return await writes.retrying(load, plan, attempts=1 if expected_version is not None else writes.ATTEMPTS)


async def withdraw(*, actor: User, dossier_id: PydanticObjectId) -> Dossier:
    """撤回: only while the first reviewer has not acted on this submission (a reviewer's action racing
    it moves the version, and the fresh copy then says no)."""
    async def plan(dossier: Dossier) -> writes.Change:
        try:
            rule = machine.decide(dossier.status, machine.Action.withdraw, machine.Actor.applicant)
        except machine.IllegalTransition:
            raise Conflict("只有已提交、尚未审核的申报可以撤回", code="not_withdrawable") from None
        if dossier.reviewer_acted:
            raise Conflict("单位已开始审核，不能撤回", code="not_withdrawable")
        entry = _trail_entry(actor=actor, action="withdraw", dossier=dossier, to_status=rule.to)
        return writes.Change({"$set": {"status": rule.to, "current_unit_id": None, "route": []}}, entry)

    return await writes.retrying(lambda: get_own(actor, dossier_id), plan)
