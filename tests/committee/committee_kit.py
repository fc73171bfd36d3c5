"""Helpers for the committee-side tests: dossiers placed directly at a committee status (real documents
through the model), experts bound to units, and the office's calls."""

from datetime import date, datetime, time

from app import clock
from app.accounts.enums import Role
from app.accounts.models import RoleGrant, User
from app.clock import CHINA, utcnow
from app.dossiers import writes
from app.dossiers.models import Commitment, Declaration, Dossier, RouteNode
from tests.factories import create_person, login


async def place_dossier(world, *, status: str = "accepted", name: str = "李晓华", employer=None, **fields) -> Dossier:
    """A dossier of a fresh applicant that went employer → department → HR bureau → the committee: each unit of
    its route reported it (what the publicity lists and supervision's recall select on)."""
    employer = employer or world["employer"]
    applicant = await create_person(name=name)
    route = [employer, world["department"], world["hr"]]
    fields.setdefault("reported_by", [u.id for u in route])
    dossier = Dossier(
        applicant_id=applicant.id, applicant_name=applicant.name, id_number=applicant.id_number,
        batch_id=world["batch"].id, year=world["batch"].year,
        declaration=Declaration(level="3", series="qzwh", title="qzwh-3", specialty="qzwh-s01", mode="normal",
                                employer_unit_id=employer.id, employer_unit_name=employer.name),
        commitment=Commitment(agreed_at=utcnow(), text_sha256="0" * 64), status=status,
        current_unit_id=world["committee"].office_unit_id, committee_code=world["committee"].code,
        reported_to=[world["committee"].code], route=[RouteNode(unit_id=u.id, unit_name=u.name) for u in route], route_unit_ids=[u.id for u in route],
        reviewer_acted=True, submitted_at=utcnow(), **fields)
    await dossier.insert()
    await writes.refresh(dossier.id)
    return dossier


async def make_expert(unit, name: str = "专家"):
    return await create_person(name=name, roles=[RoleGrant(role=Role.applicant),
                                                 RoleGrant(role=Role.expert, unit_id=unit.id)])


async def make_experts(client, unit, n: int) -> list[tuple]:
    """n experts bound to unit, each with their login headers."""
    experts = []
    for i in range(n):
        expert = await make_expert(unit, name=f"专家{i + 1}")
        experts.append((expert, await login(client, expert)))
    return experts


async def new_meeting(client, world, members, **overrides):
    body = {"committee_code": world["committee"].code, "name": "2026年度群众文化中级评审会",
            "held_on": "2026-12-10", "location": "济南市人社局三楼会议室",
            "member_ids": [str(m.id) for m in members], **overrides}
    r = await client.post("/api/meetings", json=body, headers=world["as_office"])
    assert r.status_code == 201, r.text
    return r.json()


async def schedule(client, world, meeting_id, dossier_ids):
    r = await client.post(f"/api/meetings/{meeting_id}/dossiers",
                          json={"ids": [str(i) for i in dossier_ids], "confirm": True}, headers=world["as_office"])
    assert r.status_code == 200 and not r.json()["failed"], r.text
    return r.json()


async def present_and_open(client, world, meeting_id, present):
    r = await client.put(f"/api/meetings/{meeting_id}/present", json={"present_ids": [str(p.id) for p in present]},
                         headers=world["as_office"])
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/meetings/{meeting_id}/open", headers=world["as_office"])
    assert r.status_code == 200, r.text


async def vote(client, headers, meeting_id, dossier_id, choice, **extra):
    return await client.post(f"/api/meetings/{meeting_id}/votes",
                             json={"dossier_id": str(dossier_id), "choice": choice, **extra}, headers=headers)


def set_china_date(day: date) -> None:
    """Moves the service's clock to 10:00 in China on that day (tests reset the clock afterwards)."""
    clock.advance((datetime.combine(day, time(10), tzinfo=CHINA) - clock.utcnow()).total_seconds())


async def relogin(client, world) -> None:
    """Fresh sessions for everyone in the world after the clock moved past their expiry."""
    for key in ("employer", "department", "hr"):
        world[f"as_{key}"] = await login(client, await User.find_one({"unit_id": world[key].id, "kind": "unit"}))
    world["as_office"] = await login(client, await User.find_one({"roles.role": "committee_intermediate"}))
    world["as_applicant"] = await login(client, world["applicant"])
