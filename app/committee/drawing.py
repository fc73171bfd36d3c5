"""A meeting's experts drawn from the expert library (app.experts): the preview of candidates and
conflicts, the draw (its members become the meeting's invited experts), its replay and swaps with a
reason. Only while the meeting is planned, by the office that runs its committee."""

from dataclasses import asdict

from app.accounts.models import User
from app.catalog.models import Committee
from app.committee import meetings
from app.committee.models import Meeting
from app.committee.schemas import MembersIn
from app.dossiers.models import Dossier
from app.errors import NotFound
from app.experts import draws, lottery
from app.experts.models import ExpertDraw
from app.experts.schemas import DrawIn, SwapIn, mask_id


async def _dossiers(meeting: Meeting) -> list[Dossier]:
    return await meetings.on_meeting(meeting)


async def _latest(meeting: Meeting) -> ExpertDraw:
    record = await draws.latest(meeting.id)
    if record is None:
        raise NotFound("本评审会还没有抽取专家", field="meeting_id", code="draw_not_found")
    return record


async def preview(*, meeting: Meeting, committee: Committee, data: DrawIn) -> dict:
    """The candidates with why each may not be drawn, and every conflict found; nothing is stored."""
    source, listed, found = await draws.candidates(committee, await _dossiers(meeting),
                                                   exclude_conflicted=data.exclude_conflicted)
    rules = draws.rules_of(data)
    return {"source": source, "eligible": sum(c.excluded is None and lottery.matches(c, rules) for c in listed),
            "candidates": [_candidate(asdict(c), rules) for c in listed], "conflicts": found}


def _candidate(c: dict, rules: lottery.Rules) -> dict:
    return {**c, "matches": lottery.matches(draws.recorded_candidate(c), rules)}


async def run(*, actor: User, meeting: Meeting, committee: Committee, data: DrawIn) -> dict:
    if not data.confirm:
        return await preview(meeting=meeting, committee=committee, data=data)
    meetings.require_state(meeting, "planned")
    record = await draws.run(actor=actor, meeting_id=meeting.id, committee=committee,
                             dossiers=await _dossiers(meeting), data=data)
    await meetings.set_members(meeting=meeting, data=MembersIn(member_ids=await draws.voting_accounts(record)))
    return await view(meeting)


async def swap(*, actor: User, meeting: Meeting, data: SwapIn) -> dict:
    meetings.require_state(meeting, "planned")
    record = await draws.swap(actor=actor, record=await _latest(meeting), data=data)
    await meetings.set_members(meeting=meeting, data=MembersIn(member_ids=await draws.voting_accounts(record)))
    return await view(meeting)


async def view(meeting: Meeting) -> dict:
    """The latest draw as the office audits it: seed, rules, candidates, conflicts, members, reserves, swaps."""
    record = await _latest(meeting)
    named = await draws.experts_by_id([*record.members, *record.reserves, *(s.in_id for s in record.swaps)])

    def person(i) -> dict:
        e = named.get(i)
        return {"id": str(i), "name": e.name if e else "（已删除）", "unit_name": e.unit_name if e else "",
                "id_number": mask_id(e.id_number) if e else "", "level": e.level if e else ""}

    current = draws.current_members(record)
    rules = draws.recorded_rules(record)
    return {"id": str(record.id), "meeting_id": str(meeting.id), "seed": str(record.seed), "rules": record.rules,
            "drawn_at": record.drawn_at, "drawn_by": str(record.drawn_by),
            "candidates": [_candidate(c, rules) for c in record.candidates], "conflicts": record.conflicts,
            "drawn": [person(i) for i in record.members], "members": [person(i) for i in current],
            "reserves": [{**person(i), "used": i in current or any(s.out_id == i for s in record.swaps)}
                         for i in record.reserves],
            "swaps": [{"out": person(s.out_id), "in": person(s.in_id), "reason": s.reason, "by": str(s.by),
                       "at": s.at} for s in record.swaps]}


async def replay(meeting: Meeting) -> dict:
    """The draw redone from its record: the same members and reserves, or a difference named."""
    record = await _latest(meeting)
    again = draws.replay(record)
    same = [str(i) for i in record.members] == list(again.members) and \
        [str(i) for i in record.reserves] == list(again.reserves)
    return {"same": same, "seed": str(record.seed), "members": list(again.members), "reserves": list(again.reserves),
            "recorded_members": [str(i) for i in record.members],
            "recorded_reserves": [str(i) for i in record.reserves]}
