"""开始表决 needs the quorum (per the committee's rule, recused members outside the count), and the minutes frozen
at close name their signer and the signing time."""

import pytest

from app.committee.models import Meeting
from app.units.enums import UnitCategory
from tests.committee.committee_kit import make_expert, make_experts, new_meeting, place_dossier, schedule, vote
from tests.factories import create_unit


@pytest.fixture
async def panel(client, world):
    """Six experts off every route, a planned meeting with one accepted dossier on it."""
    library, _ = await create_unit(name="济南市图书馆", parent=world["department"], region_code="370100",
                                   category=UnitCategory.city_affiliated)
    experts = await make_experts(client, library, 6)
    dossier = await place_dossier(world, name="李晓华")
    meeting = await new_meeting(client, world, [e for e, _ in experts])
    await schedule(client, world, meeting["id"], [dossier.id])
    return {"experts": experts, "dossier": dossier, "meeting": meeting["id"]}


async def register(client, world, meeting_id, people):
    r = await client.put(f"/api/meetings/{meeting_id}/present", json={"present_ids": [str(p.id) for p in people]},
                         headers=world["as_office"])
    assert r.status_code == 200, r.text


async def open_voting(client, world, meeting_id):
    return await client.post(f"/api/meetings/{meeting_id}/open", headers=world["as_office"])


class TestQuorumAtOpening:
    async def test_default_rule_refuses_three_of_six_and_accepts_four(self, client, world, panel):
        await register(client, world, panel["meeting"], [e for e, _ in panel["experts"][:3]])
        r = await open_voting(client, world, panel["meeting"])
        body = r.json()
        assert r.status_code == 409 and body["code"] == "no_quorum"
        assert "应到6人，实到3人，不足4人" in body["message"] and "到会≥2/3" in body["message"]
        assert body["dossiers"][0]["present"] == 3 and body["dossiers"][0]["quorum_required"] == 4
        assert (await Meeting.get(panel["meeting"])).status == "planned"
        await register(client, world, panel["meeting"], [e for e, _ in panel["experts"][:4]])   # ceil(6 × 2/3) = 4
        r = await open_voting(client, world, panel["meeting"])
        assert r.status_code == 200 and r.json()["status"] == "voting"

    async def test_configured_rule_per_committee(self, client, world, panel):
        await world["committee"].set({"quorum_numerator": 1, "quorum_denominator": 2})
        await register(client, world, panel["meeting"], [e for e, _ in panel["experts"][:2]])
        r = await open_voting(client, world, panel["meeting"])
        assert r.status_code == 409 and "不足3人（到会≥1/2" in r.json()["message"]
        await register(client, world, panel["meeting"], [e for e, _ in panel["experts"][:3]])
        assert (await open_voting(client, world, panel["meeting"])).status_code == 200

    async def test_recused_members_are_outside_the_quorum(self, client, world, panel):
        """Nine members, three of them from units on the route: the quorum is ceil(6 × 2/3) = 4 of the six
        eligible, and present recused members do not make it up."""
        insiders = [await make_expert(world["employer"], name=f"本单位专家{i}") for i in range(2)]
        insiders.append(await make_expert(world["department"], name="主管部门专家"))
        everyone = [e for e, _ in panel["experts"]] + insiders
        r = await client.put(f"/api/meetings/{panel['meeting']}/members",
                             json={"member_ids": [str(e.id) for e in everyone]}, headers=world["as_office"])
        assert r.status_code == 200, r.text
        await register(client, world, panel["meeting"], insiders + [e for e, _ in panel["experts"][:3]])
        r = await open_voting(client, world, panel["meeting"])      # 6 of 9 present, but 3 eligible of 6
        assert r.status_code == 409 and "回避3人，应到6人，实到3人，不足4人" in r.json()["message"]
        assert r.json()["dossiers"][0]["recused"] == 3
        await register(client, world, panel["meeting"], insiders + [e for e, _ in panel["experts"][:4]])
        assert (await open_voting(client, world, panel["meeting"])).status_code == 200


class TestMinutesSigner:
    async def test_office_user_signs_by_default(self, client, world, panel):
        await register(client, world, panel["meeting"], [e for e, _ in panel["experts"]])
        assert (await open_voting(client, world, panel["meeting"])).status_code == 200
        r = await client.post(f"/api/meetings/{panel['meeting']}/close", headers=world["as_office"])
        assert r.status_code == 200, r.text
        signer = r.json()["signer"]
        stored = await Meeting.get(panel["meeting"])
        assert signer["role"] == "office" and signer["name"] == stored.signer_name and stored.signed_at == stored.closed_at
        page = await client.get(f"/committee/meetings/{panel['meeting']}", headers=world["as_office"])
        assert "会议纪要签署" in page.text and stored.signer_name in page.text

    async def test_chair_must_be_present_and_is_named(self, client, world, panel):
        present = panel["experts"][:5]
        await register(client, world, panel["meeting"], [e for e, _ in present])
        assert (await open_voting(client, world, panel["meeting"])).status_code == 200
        for _, headers in present:
            assert (await vote(client, headers, panel["meeting"], panel["dossier"].id, "yes")).status_code == 201
        absent = panel["experts"][5][0]
        url = f"/api/meetings/{panel['meeting']}/close"
        r = await client.post(url, json={"chair_id": str(absent.id)}, headers=world["as_office"])
        assert r.status_code == 422 and r.json()["field"] == "chair_id"
        assert (await Meeting.get(panel["meeting"])).status == "voting"          # nothing closed
        chair = present[0][0]
        r = await client.post(url, json={"chair_id": str(chair.id)}, headers=world["as_office"])
        assert r.status_code == 200, r.text
        assert r.json()["signer"]["name"] == chair.name and r.json()["signer"]["role_label"].startswith("主任委员")
        stored = await Meeting.get(panel["meeting"])
        assert stored.signer_id == chair.id and stored.signed_at is not None
