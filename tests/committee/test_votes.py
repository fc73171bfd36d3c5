"""Votes and the tally: quorum, the pass threshold at exactly 2/3, recusal, double votes, non-members."""

import asyncio

import pytest

from app.dossiers.models import Dossier
from app.committee.models import Meeting, Vote
from app.units.enums import UnitCategory
from tests.factories import create_unit, login
from tests.committee.committee_kit import (make_expert, make_experts, new_meeting, place_dossier, present_and_open,
                                         schedule, vote)


@pytest.fixture
async def panel(client, world):
    """Six experts from a library off every route, a meeting with two accepted dossiers on it."""
    library, _ = await create_unit(name="济南市图书馆", parent=world["department"], region_code="370100",
                                   category=UnitCategory.city_affiliated)
    experts = await make_experts(client, library, 6)
    first, second = await place_dossier(world, name="李晓华"), await place_dossier(world, name="赵一鸣")
    meeting = await new_meeting(client, world, [e for e, _ in experts])
    await schedule(client, world, meeting["id"], [first.id, second.id])
    return {"experts": experts, "first": first, "second": second, "meeting": meeting["id"]}


async def close(client, world, panel):
    return await client.post(f"/api/meetings/{panel['meeting']}/close", headers=world["as_office"])


class TestTally:
    async def test_threshold_exactly_two_thirds_passes_and_one_less_fails(self, client, world, panel):
        await present_and_open(client, world, panel["meeting"], [e for e, _ in panel["experts"]])
        for i, (_, headers) in enumerate(panel["experts"]):
            assert (await vote(client, headers, panel["meeting"], panel["first"].id,
                               "yes" if i < 4 else "no")).status_code == 201
            choice = "yes" if i < 3 else ("no" if i < 5 else "abstain")
            assert (await vote(client, headers, panel["meeting"], panel["second"].id, choice)).status_code == 201
        r = await close(client, world, panel)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "closed" and body["rule"] == "到会≥2/3，同意≥到会2/3"
        first, second = await Dossier.get(panel["first"].id), await Dossier.get(panel["second"].id)
        assert first.status == "approved" and second.status == "not_approved"
        assert (first.votes.yes, first.votes.present, first.votes.pass_required) == (4, 6, 4)
        assert (second.votes.yes, second.votes.no, second.votes.abstain) == (3, 2, 1)
        detail = first.trail[-1].detail
        assert first.trail[-1].action == "decide"
        assert {k: detail[k] for k in ("members", "eligible", "present", "yes", "no", "abstain", "recused")} == {
            "members": 6, "eligible": 6, "present": 6, "yes": 4, "no": 2, "abstain": 0, "recused": 0}
        assert detail["rule"] == "到会≥2/3，同意≥到会2/3"
        assert "同意4票" in first.trail[-1].opinion
        assert {r["applicant_name"]: r["status"] for r in body["results"]} == {"李晓华": "approved",
                                                                              "赵一鸣": "not_approved"}

    async def test_quorum_reached_at_two_thirds_present(self, client, world, panel):
        present = panel["experts"][:4]                        # ceil(6 × 2/3) = 4 present: quorum
        await present_and_open(client, world, panel["meeting"], [e for e, _ in present])
        for _, headers in present[:3]:                        # ceil(4 × 2/3) = 3 yes: passed
            await vote(client, headers, panel["meeting"], panel["first"].id, "yes")
        r = await close(client, world, panel)
        assert r.status_code == 200, r.text
        first = await Dossier.get(panel["first"].id)
        assert first.status == "approved" and (first.votes.present, first.votes.quorum_required) == (4, 4)
        second = await Dossier.get(panel["second"].id)
        assert second.status == "not_approved" and second.votes.not_voted == 4

    async def test_no_quorum_cannot_close_and_nothing_changes(self, client, world, panel):
        present = panel["experts"][:4]
        await present_and_open(client, world, panel["meeting"], [e for e, _ in present])
        for _, headers in present[:3]:
            await vote(client, headers, panel["meeting"], panel["first"].id, "yes")
        r = await client.put(f"/api/meetings/{panel['meeting']}/present",        # one who has not voted leaves
                             json={"present_ids": [str(e.id) for e, _ in present[:3]]}, headers=world["as_office"])
        assert r.status_code == 200, r.text
        r = await close(client, world, panel)
        assert r.status_code == 409 and r.json()["code"] == "no_quorum"
        assert "实到3人" in r.json()["message"] and "不足4人" in r.json()["message"]
        assert len(r.json()["dossiers"]) == 2
        assert (await Meeting.get(panel["meeting"])).status == "voting"
        assert (await Dossier.get(panel["first"].id)).status == "scheduled"

    async def test_configured_rule_is_used_and_shown(self, client, world, panel):
        await world["committee"].set({"quorum_numerator": 1, "quorum_denominator": 2, "pass_numerator": 1,
                                      "pass_denominator": 2})
        await present_and_open(client, world, panel["meeting"], [e for e, _ in panel["experts"][:3]])
        for _, headers in panel["experts"][:2]:
            await vote(client, headers, panel["meeting"], panel["first"].id, "yes")
        r = await close(client, world, panel)
        assert r.status_code == 200 and r.json()["rule"] == "到会≥1/2，同意≥到会1/2"
        assert (await Dossier.get(panel["first"].id)).status == "approved"


class TestRecusal:
    async def test_expert_from_the_applicants_unit_is_refused_and_not_counted(self, client, world, panel):
        insider = await make_expert(world["employer"], name="本单位专家")
        department_expert = await make_expert(world["department"], name="主管部门专家")
        everyone = [e for e, _ in panel["experts"]] + [insider, department_expert]
        r = await client.put(f"/api/meetings/{panel['meeting']}/members",
                             json={"member_ids": [str(e.id) for e in everyone]}, headers=world["as_office"])
        assert r.status_code == 200, r.text
        await present_and_open(client, world, panel["meeting"], everyone)
        for person in (insider, department_expert):
            r = await vote(client, await login(client, person), panel["meeting"], panel["first"].id, "yes")
            assert r.status_code == 409 and r.json()["code"] == "recused"
            assert "回避" in r.json()["message"]
        r = await vote(client, world["as_office"], panel["meeting"], panel["first"].id, "yes",
                       expert_id=str(insider.id))
        assert r.status_code == 409 and r.json()["code"] == "recused"      # no paper ballot either
        view = (await client.get(f"/api/meetings/{panel['meeting']}", headers=await login(client, insider))).json()
        assert all(row["i_am_recused"] for row in view["dossiers"])
        for _, headers in panel["experts"][:4]:
            await vote(client, headers, panel["meeting"], panel["first"].id, "yes")
            await vote(client, headers, panel["meeting"], panel["second"].id, "no")
        assert (await close(client, world, panel)).status_code == 200
        first = await Dossier.get(panel["first"].id)
        assert (first.votes.members, first.votes.eligible, first.votes.recused, first.votes.present) == (8, 6, 2, 6)
        assert first.status == "approved"
        assert await Vote.find({"expert_id": insider.id}).count() == 0


class TestRefusals:
    async def test_double_vote_counts_once(self, client, world, panel):
        await present_and_open(client, world, panel["meeting"], [e for e, _ in panel["experts"]])
        _, headers = panel["experts"][0]
        results = await asyncio.gather(*(vote(client, headers, panel["meeting"], panel["first"].id, "yes")
                                         for _ in range(3)))
        assert sorted(r.status_code for r in results) == [201, 409, 409]
        assert {r.json()["code"] for r in results if r.status_code == 409} == {"already_voted"}
        assert await Vote.find({"dossier_id": panel["first"].id}).count() == 1
        assert (await Meeting.get(panel["meeting"])).vote_count == 1

    async def test_non_member_expert_is_refused(self, client, world, panel):
        await present_and_open(client, world, panel["meeting"], [e for e, _ in panel["experts"]])
        outsider = await make_expert(world["hr"], name="非本会专家")
        r = await vote(client, await login(client, outsider), panel["meeting"], panel["first"].id, "yes")
        assert r.status_code == 404 and r.json()["code"] == "meeting_not_found"
        r = await vote(client, world["as_office"], panel["meeting"], panel["first"].id, "yes",
                       expert_id=str(outsider.id))
        assert r.status_code == 422 and r.json()["field"] == "expert_id"

    async def test_absent_planned_and_bad_votes(self, client, world, panel):
        _, headers = panel["experts"][0]
        r = await vote(client, headers, panel["meeting"], panel["first"].id, "yes")
        assert r.status_code == 409 and r.json()["code"] == "meeting_state"          # not open yet
        await present_and_open(client, world, panel["meeting"], [e for e, _ in panel["experts"][1:]])
        r = await vote(client, headers, panel["meeting"], panel["first"].id, "yes")
        assert r.status_code == 409 and r.json()["code"] == "not_present"
        _, present = panel["experts"][1]
        r = await vote(client, present, panel["meeting"], panel["first"].id, "maybe")
        assert r.status_code == 422 and r.json()["field"] == "choice"
        r = await client.post(f"/api/meetings/{panel['meeting']}/votes", headers=present,
                              json={"dossier_id": str(panel["first"].id), "choice": "yes", "weight": 2})
        assert r.status_code == 422 and r.json()["field"] == "weight"
        r = await client.post(f"/api/meetings/{panel['meeting']}/votes",
                              json={"dossier_id": str(panel["first"].id), "choice": "yes"})
        assert r.status_code == 401
        other = await place_dossier(world, name="王其他", status="accepted")
        r = await vote(client, present, panel["meeting"], other.id, "yes")
        assert r.status_code == 404 and r.json()["code"] == "not_in_meeting"
        r = await vote(client, headers, panel["meeting"], panel["first"].id, "yes",
                       expert_id=str(panel["experts"][1][0].id))
        assert r.status_code == 409                                                  # only the office enters ballots
        assert await Vote.find({}).count() == 0

    async def test_office_records_paper_ballots(self, client, world, panel):
        await present_and_open(client, world, panel["meeting"], [e for e, _ in panel["experts"]])
        expert, _ = panel["experts"][0]
        r = await vote(client, world["as_office"], panel["meeting"], panel["first"].id, "no")
        assert r.status_code == 422 and r.json()["field"] == "expert_id"
        r = await vote(client, world["as_office"], panel["meeting"], panel["first"].id, "no", expert_id=str(expert.id))
        assert r.status_code == 201 and r.json()["on_behalf"] is True and r.json()["choice_label"] == "不同意"
        view = (await client.get(f"/api/meetings/{panel['meeting']}", headers=world["as_office"])).json()
        row = next(d for d in view["dossiers"] if d["id"] == str(panel["first"].id))
        assert row["counts"] == {"yes": 0, "no": 1, "abstain": 0}

    async def test_voter_struck_off_the_present_list_is_refused(self, client, world, panel):
        await present_and_open(client, world, panel["meeting"], [e for e, _ in panel["experts"]])
        expert, headers = panel["experts"][0]
        await vote(client, headers, panel["meeting"], panel["first"].id, "yes")
        r = await client.put(f"/api/meetings/{panel['meeting']}/present",
                             json={"present_ids": [str(e.id) for e, _ in panel["experts"][1:]]},
                             headers=world["as_office"])
        assert r.status_code == 409 and r.json()["code"] == "already_voted"
