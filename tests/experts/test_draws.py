"""Drawing a meeting's experts over the API: conflicts shown and excluded, the draw stored and replayed,
swaps only with a reason, the members invited, and a conflicted member left out of that dossier's tally."""

from bson import ObjectId

from app.committee.models import Meeting
from app.experts import draws
from app.experts.models import Expert, ExpertDraw
from tests.committee.committee_kit import new_meeting, place_dossier, present_and_open, schedule, vote
from tests.experts.kit import library_experts

RULES = {"series": "qzwh", "specialties": ["qzwh-s01"], "levels": ["5"], "members": 5, "reserves": 2}


async def _planned(client, world):
    dossier = await place_dossier(world, name="李晓华")
    meeting = await new_meeting(client, world, [])
    await schedule(client, world, meeting["id"], [dossier.id])
    return meeting, dossier


async def test_draw_excludes_conflicts_invites_members_and_replays(client, world):
    meeting, dossier = await _planned(client, world)
    experts = await library_experts(client, world, 9)
    same_unit = experts[0][0]["id"]                      # works at the applicant's employer
    await Expert.get_pymongo_collection().update_one(
        {"_id": ObjectId(same_unit)},
        {"$set": {"unit_id": world["employer"].id, "unit_name": world["employer"].name}})
    relative = experts[1][0]["id"]
    await Expert.get_pymongo_collection().update_one({"_id": ObjectId(relative)},
                                                     {"$set": {"relatives": [{"name": "李晓华", "relation": "配偶"}]}})
    url = f"/api/meetings/{meeting['id']}/draw"
    preview = await client.post(url, json=RULES, headers=world["as_office"])
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert {(c["expert_id"], c["kind"]) for c in body["conflicts"]} == {(same_unit, "same_unit"), (relative, "relative")}
    excluded = {c["id"]: c["excluded"] for c in body["candidates"] if c["excluded"]}
    assert set(excluded) == {same_unit, relative} and all(v.startswith("回避：李晓华") for v in excluded.values())
    assert body["eligible"] == 7 and await ExpertDraw.count() == 0          # a preview stores nothing

    drawn = await client.post(url, json={**RULES, "seed": 20261203, "confirm": True}, headers=world["as_office"])
    assert drawn.status_code == 200, drawn.text
    record = drawn.json()
    picked = [m["id"] for m in record["members"]] + [r["id"] for r in record["reserves"]]
    assert len(record["members"]) == 5 and len(record["reserves"]) == 2 and len(set(picked)) == 7
    assert same_unit not in picked and relative not in picked
    accounts = {e["id"]: str(user.id) for e, user, _ in experts}
    stored = await Meeting.get(meeting["id"])
    assert [str(i) for i in stored.member_ids] == [accounts[m["id"]] for m in record["members"]]

    replay = await client.post(f"{url}/replay", headers=world["as_office"])
    assert replay.status_code == 200 and replay.json()["same"] is True
    assert replay.json()["members"] == [m["id"] for m in record["members"]]
    again = draws.replay(await draws.latest(stored.id))                      # the same from the record alone
    assert list(again.members) == replay.json()["members"] and list(again.reserves) == replay.json()["reserves"]

    other_seed = await client.post(url, json={**RULES, "seed": 1, "confirm": True}, headers=world["as_office"])
    assert other_seed.status_code == 200 and await ExpertDraw.count() == 2   # each draw is kept


async def test_a_swap_needs_a_reason_and_takes_the_next_reserve(client, world):
    meeting, _ = await _planned(client, world)
    experts = await library_experts(client, world, 7)
    url = f"/api/meetings/{meeting['id']}/draw"
    record = (await client.post(url, json={**RULES, "seed": 5, "confirm": True}, headers=world["as_office"])).json()
    out_id = record["members"][2]["id"]
    no_reason = await client.post(f"{url}/swap", json={"out_id": out_id}, headers=world["as_office"])
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    stranger = await client.post(f"{url}/swap", json={"out_id": record["reserves"][0]["id"], "reason": "因病"},
                                 headers=world["as_office"])
    assert stranger.status_code == 422 and stranger.json()["code"] == "not_a_member"
    swapped = await client.post(f"{url}/swap", json={"out_id": out_id, "reason": "因病不能到会"}, headers=world["as_office"])
    assert swapped.status_code == 200, swapped.text
    after = swapped.json()
    assert after["members"][2]["id"] == record["reserves"][0]["id"]
    assert after["swaps"][0]["reason"] == "因病不能到会" and after["swaps"][0]["out"]["id"] == out_id
    assert after["reserves"][0]["used"] and not after["reserves"][1]["used"]
    accounts = {e["id"]: str(user.id) for e, user, _ in experts}
    assert str((await Meeting.get(meeting["id"])).member_ids[2]) == accounts[record["reserves"][0]["id"]]
    assert (await client.post(f"{url}/replay", headers=world["as_office"])).json()["same"] is True   # the draw itself stands


async def test_too_few_eligible_experts_is_refused_and_uncommitted_are_not_drawn(client, world):
    meeting, _ = await _planned(client, world)
    await library_experts(client, world, 3)
    await library_experts(client, world, 3, commit=False)
    url = f"/api/meetings/{meeting['id']}/draw"
    preview = (await client.post(url, json=RULES, headers=world["as_office"])).json()
    assert sum(c["excluded"] == "本聘期未签署评审承诺书" for c in preview["candidates"]) == 3
    r = await client.post(url, json={**RULES, "confirm": True}, headers=world["as_office"])
    assert r.status_code == 422 and r.json()["code"] == "too_few_experts" and r.json()["field"] == "members"
    even = await client.post(url, json={**RULES, "members": 4}, headers=world["as_office"])
    assert even.status_code == 422 and even.json()["field"] == "members"


async def test_a_conflicted_member_is_recused_and_left_out_of_the_tally(client, world):
    meeting, dossier = await _planned(client, world)
    experts = await library_experts(client, world, 3)
    coauthor = experts[0]
    await Expert.get_pymongo_collection().update_one({"_id": ObjectId(coauthor[0]["id"])},
                                                     {"$set": {"coauthors": ["李晓华"]}})
    url = f"/api/meetings/{meeting['id']}/draw"
    r = await client.post(url, json={**RULES, "members": 3, "reserves": 0, "exclude_conflicted": False,
                                     "confirm": True}, headers=world["as_office"])
    assert r.status_code == 200, r.text
    users = [user for _, user, _ in experts]
    await present_and_open(client, world, meeting["id"], users)
    assert (await Meeting.get(meeting["id"])).recused == {str(dossier.id): [coauthor[1].id]}
    refused = await vote(client, coauthor[2], meeting["id"], dossier.id, "yes")
    assert refused.status_code == 409 and refused.json()["code"] == "recused"
    for _, _, headers in experts[1:]:
        assert (await vote(client, headers, meeting["id"], dossier.id, "yes")).status_code == 201
    seen = (await client.get(f"/api/meetings/{meeting['id']}", headers=world["as_office"])).json()
    assert seen["dossiers"][0]["recused"] == [coauthor[1].name]
    closed = await client.post(f"/api/meetings/{meeting['id']}/close", headers=world["as_office"])
    assert closed.status_code == 200, closed.text
    line = closed.json()["results"][0]["line"]
    assert line.startswith("评委3人，回避1人，应到2人，实到2人；同意2票") and line.endswith("通过")


async def test_a_member_whose_term_ended_cannot_vote(client, world):
    meeting, dossier = await _planned(client, world)
    experts = await library_experts(client, world, 3)
    r = await client.post(f"/api/meetings/{meeting['id']}/draw", headers=world["as_office"],
                          json={**RULES, "members": 3, "reserves": 0, "confirm": True})
    assert r.status_code == 200, r.text
    await present_and_open(client, world, meeting["id"], [user for _, user, _ in experts])
    lapsed = experts[0]
    await Expert.get_pymongo_collection().update_one({"_id": ObjectId(lapsed[0]["id"])},
                                                     {"$set": {"status": "suspended"}})
    refused = await vote(client, lapsed[2], meeting["id"], dossier.id, "yes")
    assert refused.status_code == 409 and refused.json()["code"] == "expert_not_drawable"
    assert (await vote(client, experts[1][2], meeting["id"], dossier.id, "yes")).status_code == 201
