"""Drawing a meeting's experts: the facts conflicts are judged on, the candidates (the committee's
roster, or the office's whole library when it has none), the draw stored with its seed, rules and
candidate list, its replay, and swaps with their reasons. Meetings belong to app.committee, above this
package: it passes in the meeting's id, committee and dossiers, and applies the members."""

import secrets
from dataclasses import asdict
from datetime import date
from typing import Any

from beanie import PydanticObjectId

from app.accounts.models import User
from app.catalog.models import Committee
from app.clock import utcnow
from app.dossiers.models import Dossier
from app.errors import Conflict, NotFound, ValidationFailed
from app.experts import conflicts, lottery, rosters, service
from app.experts.models import Expert, ExpertDraw, Swap
from app.experts.schemas import DrawIn, SwapIn
from app.units.models import Unit

WORK_SECTIONS = ("papers", "achievements")


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


async def dossier_facts(dossiers: list[Dossier]) -> list[conflicts.DossierFacts]:
    """Per dossier: the employer, the route units and the employer's superiors (ids and names), and the
    texts of its papers and achievements, where co-authors' names stand."""
    units: dict[PydanticObjectId, Unit | None] = {}

    async def unit(unit_id: PydanticObjectId) -> Unit | None:
        if unit_id not in units:
            units[unit_id] = await Unit.get(unit_id)
        return units[unit_id]

    found = []
    for d in dossiers:
        employer = await unit(d.declaration.employer_unit_id)
        ids = {d.declaration.employer_unit_id, *d.route_unit_ids, *(n.unit_id for n in d.route),
               *(employer.ancestors if employer else [])}
        names = {d.declaration.employer_unit_name, *(n.unit_name for n in d.route)}
        for i in ids:
            if (u := await unit(i)) is not None:
                names.add(u.name)
        found.append(conflicts.DossierFacts(
            id=str(d.id), applicant_name=d.applicant_name, id_number=d.id_number, batch_id=str(d.batch_id),
            unit_ids=frozenset(str(i) for i in ids), unit_names=frozenset(names),
            works=tuple(t for s in WORK_SECTIONS for t in _texts(d.sections.get(s)))))
    return found


async def expert_facts(experts: list[Expert]) -> list[conflicts.ExpertFacts]:
    """Per expert: the record's declarations and the batches its holder applied in (by ID number)."""
    dossiers = Dossier.get_pymongo_collection()
    found = []
    for e in experts:
        batches = {str(d["batch_id"]) async for d in dossiers.find({"id_number": e.id_number}, {"batch_id": 1})}
        found.append(conflicts.ExpertFacts(
            id=str(e.id), name=e.name, id_number=e.id_number, unit_id=str(e.unit_id) if e.unit_id else None,
            unit_name=e.unit_name,
            former_units=tuple((str(u.unit_id) if u.unit_id else None, u.unit_name, u.end) for u in e.former_units),
            relatives=tuple((r.name, r.id_number) for r in e.relatives), coauthors=tuple(e.coauthors),
            applied_batches=frozenset(batches)))
    return found


def conflict_rows(experts: list[conflicts.ExpertFacts], dossiers: list[conflicts.DossierFacts], names: dict[str, str],
                  *, today: date) -> list[dict]:
    """Pure: one row per (expert, dossier, reason) found."""
    return [{"expert_id": e.id, "expert_name": names.get(e.id, e.name), "dossier_id": d.id,
             "applicant_name": d.applicant_name, "kind": f.kind, "kind_label": conflicts.KIND_LABELS[f.kind],
             "reason": f.reason}
            for e in experts for d in dossiers for f in conflicts.find(e, d, today=today)]


async def pool(committee: Committee) -> tuple[str, list[Expert]]:
    """The committee's roster when it has one, else the office's whole library."""
    roster = await rosters.members(committee)
    if roster:
        return "roster", roster
    return "library", await service.library_of(committee.office_unit_id)


async def candidates(committee: Committee, dossiers: list[Dossier], *, exclude_conflicted: bool = True,
                     taken: dict[str, str] | None = None) -> tuple[str, list[lottery.Candidate], list[dict]]:
    """Every expert of the pool with why they may not be drawn today: not drawable, in conflict with a
    dossier of the meeting (unless the rules keep the conflicted to recuse dossier by dossier), or `taken` (by
    expert id, with the reason: a supplementary draw leaves out who was drawn before)."""
    source, experts = await pool(committee)
    today = service.china_today()
    found = conflict_rows(await expert_facts(experts), await dossier_facts(dossiers),
                          {str(e.id): e.name for e in experts}, today=today)
    conflicted: dict[str, list[str]] = {}
    for row in found:
        conflicted.setdefault(row["expert_id"], []).append(f"{row['applicant_name']}（{row['kind_label']}）")
    listed = []
    for e in experts:
        excluded = service.not_drawable(e, today)
        if excluded is None and exclude_conflicted and str(e.id) in conflicted:
            excluded = "回避：" + "、".join(dict.fromkeys(conflicted[str(e.id)]))
        if excluded is None and taken and str(e.id) in taken:
            excluded = taken[str(e.id)]
        listed.append(lottery.Candidate(id=str(e.id), name=e.name, series=e.series, specialties=tuple(e.specialties),
                                        level=e.level, excluded=excluded))
    return source, sorted(listed, key=lambda c: c.id), found


def rules_of(data: DrawIn) -> lottery.Rules:
    return lottery.Rules(series=data.series, specialties=tuple(data.specialties), levels=tuple(data.levels),
                         members=data.members, reserves=data.reserves)


async def run(*, actor: User, meeting_id: PydanticObjectId, committee: Committee, dossiers: list[Dossier],
              data: DrawIn) -> ExpertDraw:
    """Draws and stores the record; the caller applies the members to its meeting."""
    return await record(actor=actor, committee=committee, dossiers=dossiers, rules=rules_of(data), seed=data.seed,
                        exclude_conflicted=data.exclude_conflicted, meeting_id=meeting_id)


async def record(*, actor: User, committee: Committee, dossiers: list[Dossier], rules: lottery.Rules,
                 seed: int | None, exclude_conflicted: bool = True, meeting_id: PydanticObjectId | None = None,
                 dossier_id: PydanticObjectId | None = None, taken: dict[str, str] | None = None) -> ExpertDraw:
    """The draw for a meeting, or for one dossier's blind review (代表作送审, app.committee.blind): the
    candidates with their exclusions, the lottery, and the record with seed, rules and candidate list."""
    source, listed, found = await candidates(committee, dossiers, exclude_conflicted=exclude_conflicted, taken=taken)
    seed = seed if seed is not None else secrets.randbits(62)
    try:
        result = lottery.draw(listed, rules, seed)
    except lottery.TooFewCandidates as exc:
        raise ValidationFailed(f"符合条件且无回避情形的专家只有{exc.eligible}人，不足{exc.wanted}人",
                               field="members", code="too_few_experts") from None
    drawn = ExpertDraw(meeting_id=meeting_id, dossier_id=dossier_id, committee_code=committee.code, seed=seed,
                       rules={**asdict(rules), "source": source, "exclude_conflicted": exclude_conflicted,
                              "on": service.china_today().isoformat()},
                       candidates=[asdict(c) for c in listed], conflicts=found,
                       members=[PydanticObjectId(i) for i in result.members],
                       reserves=[PydanticObjectId(i) for i in result.reserves], drawn_by=actor.id)
    await drawn.insert()
    return drawn


async def latest(meeting_id: PydanticObjectId) -> ExpertDraw | None:
    return await ExpertDraw.find({"meeting_id": meeting_id}).sort("-drawn_at").first_or_none()


def recorded_rules(record: ExpertDraw) -> lottery.Rules:
    fields = {"series", "specialties", "levels", "members", "reserves"}
    return lottery.Rules(**{k: tuple(v) if isinstance(v, list) else v for k, v in record.rules.items() if k in fields})


def recorded_candidate(c: dict) -> lottery.Candidate:
    return lottery.Candidate(**{**c, "specialties": tuple(c["specialties"])})


def replay(record: ExpertDraw) -> lottery.Result:
    """Pure: the draw redone from what was recorded."""
    return lottery.draw([recorded_candidate(c) for c in record.candidates], recorded_rules(record), record.seed)


def current_members(record: ExpertDraw) -> list[PydanticObjectId]:
    members = list(record.members)
    for s in record.swaps:
        members[members.index(s.out_id)] = s.in_id
    return members


async def swap(*, actor: User, record: ExpertDraw, data: SwapIn) -> ExpertDraw:
    """换人: a member out, a reserve in (the first unused by default), the reason recorded with who and when."""
    members = current_members(record)
    if data.out_id not in members:
        raise ValidationFailed("被替换的专家不是本次抽取的评审专家", field="out_id", code="not_a_member")
    unused = [r for r in record.reserves if r not in members and r not in {s.out_id for s in record.swaps}]
    if data.in_id is None:
        if not unused:
            raise Conflict("备选专家已用完，请重新抽取", code="no_reserve")
        chosen = unused[0]
    elif data.in_id in unused:
        chosen = data.in_id
    else:
        raise ValidationFailed("替补专家须是本次抽取中尚未递补的备选专家", field="in_id", code="not_a_reserve")
    entry = Swap(out_id=data.out_id, in_id=chosen, reason=data.reason, by=actor.id, at=utcnow())
    result = await ExpertDraw.get_pymongo_collection().update_one(
        {"_id": record.id, "version": record.version},
        {"$push": {"swaps": entry.model_dump()}, "$inc": {"version": 1}})
    if result.matched_count != 1:
        raise Conflict("抽取记录已被他人修改，请刷新后重试", code="conflict")
    return await ExpertDraw.get(record.id)


async def experts_by_id(ids: list[PydanticObjectId]) -> dict[PydanticObjectId, Expert]:
    """The records a draw names, one read by id each (a draw names a few dozen)."""
    found = {}
    for i in dict.fromkeys(ids):
        if (e := await Expert.get(i)) is not None:
            found[i] = e
    return found


async def voting_accounts(record: ExpertDraw) -> list[PydanticObjectId]:
    """The accounts of the drawn members (each was drawable, so each has one), in the order drawn."""
    found = await experts_by_id(current_members(record))
    missing = [i for i in current_members(record) if i not in found or found[i].user_id is None]
    if missing:
        raise NotFound("抽取的专家记录已被删除或未关联账号", field="expert_ids", code="expert_not_found")
    return [found[i].user_id for i in current_members(record)]


async def recused_accounts(member_ids: list[PydanticObjectId], dossiers: list[Dossier]) -> dict[str, list[PydanticObjectId]]:
    """dossier id → the member accounts whose library records conflict with it: frozen on the meeting when
    voting opens, so the tally leaves them out of that dossier's quorum. Members with no record add nothing."""
    records: list[Expert] = []
    for user_id in member_ids:
        records += await Expert.find({"user_id": user_id}).to_list()
    if not records or not dossiers:
        return {}
    account = {str(e.id): e.user_id for e in records}
    out: dict[str, list[PydanticObjectId]] = {}
    for row in conflict_rows(await expert_facts(records), await dossier_facts(dossiers), {},
                             today=service.china_today()):
        ids = out.setdefault(row["dossier_id"], [])
        if account[row["expert_id"]] not in ids:
            ids.append(account[row["expert_id"]])
    return out
