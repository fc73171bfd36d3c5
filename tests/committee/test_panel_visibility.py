"""Experts' identities: hidden from the applicant and the units on the route until the result is published
(公示), then the deciding meeting's members by name."""

from datetime import date

from app.accounts.models import User
from app.units.enums import UnitCategory
from tests.factories import create_unit, login
from tests.committee.committee_kit import (make_experts, new_meeting, place_dossier, present_and_open, schedule,
                                         set_china_date, vote)


async def test_members_are_shown_only_after_publication(client, world):
    set_china_date(date(2026, 9, 29))
    library, _ = await create_unit(name="济南市图书馆", parent=world["department"], region_code="370100",
                                   category=UnitCategory.city_affiliated)
    experts = await make_experts(client, library, 3)
    dossier = await place_dossier(world, name="李晓华")
    meeting = await new_meeting(client, world, [e for e, _ in experts])
    await schedule(client, world, meeting["id"], [dossier.id])
    await present_and_open(client, world, meeting["id"], [e for e, _ in experts])
    for _, headers in experts:
        assert (await vote(client, headers, meeting["id"], dossier.id, "yes")).status_code == 201
    assert (await client.post(f"/api/meetings/{meeting['id']}/close", headers=world["as_office"])).status_code == 200
    applicant = await login(client, await User.get(dossier.applicant_id))
    url = f"/api/dossiers/{dossier.id}/panel"
    for headers in (applicant, world["as_employer"]):
        r = await client.get(url, headers=headers)                      # approved, not yet published
        assert r.status_code == 409 and r.json()["code"] == "experts_hidden", r.text
        assert not any(e.name in r.text for e, _ in experts)
    r = await client.post("/api/publicity/publish", json={"ids": [str(dossier.id)], "confirm": True},
                          headers=world["as_office"])
    assert r.json()["done"] == 1, r.text
    for headers in (applicant, world["as_employer"]):
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        assert sorted(r.json()["members"]) == sorted(e.name for e, _ in experts) and r.json()["recused"] == []
    assert (await client.get(url)).status_code == 401
