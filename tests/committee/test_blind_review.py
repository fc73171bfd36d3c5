"""代表作送审 end to end over /api on the real database: the office starts a round (anonymised copies), sends it
(the seeded draw from the library, conflicts excluded), reviewers see only the anonymised copies and score before
the deadline, once; a declared conflict brings in the reserve; reminders go out once; the scores join the dossier
and are read by the committee, not by the applicant or units until the result is published."""

import asyncio
from datetime import timedelta

from app import clock
from app.accounts.models import User
from app.committee.models import BlindAssignment
from app.dossiers import writes
from app.dossiers.models import Dossier
from app.experts import draws
from app.experts.models import ExpertDraw
from app.notifications.models import InboxMessage
from app.scheduler import JOBS, run_due
from tests.committee.blind_kit import APPLICANT, reviewers, switch_on, text_of, works_dossier
from tests.factories import bearer, jpeg_bytes
from tests.web.test_pages import HTML, cookie_login

OPINION = "论文选题新颖，方法规范，对群众舞蹈推广有参考价值。"


async def _sent(client, world, *, n_experts: int = 4, seed: int = 20261203, **rule):
    """A round sent to 3 reviewers drawn (with seed) from n_experts; returns (dossier, experts by user id, view)."""
    await switch_on(world["batch"], **rule)
    experts = await reviewers(client, world, n_experts)
    dossier = await works_dossier(world)
    r = await client.post(f"/api/dossiers/{dossier.id}/blind-review", headers=world["as_office"])
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/dossiers/{dossier.id}/blind-review/send", json={"seed": seed},
                          headers=world["as_office"])
    assert r.status_code == 200, r.text
    return dossier, {str(u.id): (u, h) for _, u, h in experts}, r.json()


async def _assigned(client, experts) -> list[tuple]:
    """(user, headers, assignment) for every expert holding an assignment."""
    found = []
    for user, headers in experts.values():
        r = await client.get("/api/blind-assignments", headers=headers)
        assert r.status_code == 200
        found += [(user, headers, a) for a in r.json()]
    return found


async def test_round_from_marked_works_to_scores(client, world):
    await switch_on(world["batch"])
    experts = await reviewers(client, world, 4)
    dossier = await works_dossier(world)

    r = await client.post(f"/api/dossiers/{dossier.id}/blind-review", headers=world["as_office"])
    assert r.status_code == 201, r.text
    started = r.json()
    assert started["status"] == "preparing" and [w["id"] for w in started["works"]] == ["1", "2"]
    assert all(w["ready"] and w["replaced"] >= 1 and w["unchecked_pages"] == [] for w in started["works"])
    copy = await client.get(f"/api/dossiers/{dossier.id}/blind-review/works/1", headers=world["as_office"])
    assert copy.status_code == 200 and "folk dance" in text_of(copy.content) and APPLICANT not in text_of(copy.content)
    assert (await client.post(f"/api/dossiers/{dossier.id}/blind-review", headers=world["as_office"])).json()[
        "code"] == "blind_review_exists"

    r = await client.post(f"/api/dossiers/{dossier.id}/blind-review/send", json={"seed": 7}, headers=world["as_office"])
    assert r.status_code == 200, r.text
    sent = r.json()
    assert sent["status"] == "sent" and sent["seed"] == "7" and len(sent["reviews"]) == 3
    record = await ExpertDraw.find_one({"dossier_id": dossier.id})
    assert record.seed == 7 and len(record.members) == 3 and len(record.reserves) == 1
    again = draws.replay(record)                          # the recorded draw replays to the same reviewers
    assert list(again.members) == [str(i) for i in record.members]

    assigned = await _assigned(client, {str(u.id): (u, h) for _, u, h in experts})
    assert len(assigned) == 3 and {a["status"] for _, _, a in assigned} == {"pending"}
    assert {str(u.id) for u, _, _ in assigned} == {str(e.user_id) for e in
                                                    (await draws.experts_by_id(record.members)).values()}
    assert await InboxMessage.find({"title": "代表作送审评审任务"}).count() == 3

    for (user, headers, a), points in zip(assigned, ([35, 25, 25], [30, 20, 20], [20, 20, 10])):
        r = await client.post(f"/api/blind-assignments/{a['id']}/score", json={"points": points, "opinion": OPINION},
                              headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["score"]["total"] == sum(points) and r.json()["status"] == "submitted"

    office = (await client.get(f"/api/dossiers/{dossier.id}/blind-review", headers=world["as_office"])).json()
    assert office["status"] == "complete"
    assert office["summary"] == {"reviewers": 3, "scored": 3, "average": 68.3, "passed": 2, "pass_mark": 60,
                                 "line": "代表作送审：送审专家3人，已评3人，平均68.3分，合格2人（合格线60分）"}
    assert sorted(x["total"] for x in office["reviews"]) == [50, 70, 85] and office["reviews"][0]["opinion"] == OPINION
    stored = await Dossier.get(dossier.id)
    assert [r.status for r in stored.blind_reviews.reviews] == ["submitted"] * 3   # in the dossier, by the write path
    assert stored.version > dossier.version


async def test_scores_hidden_from_applicant_and_units_until_published(client, world):
    dossier, experts, _ = await _sent(client, world)
    applicant = await bearer(await _applicant(dossier))
    for headers in (applicant, world["as_employer"], world["as_hr"]):
        r = await client.get(f"/api/dossiers/{dossier.id}/blind-review", headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "blind_review_not_found"
        assert (await client.get(f"/api/dossiers/{dossier.id}", headers=headers)).status_code == 200
        assert "blind_reviews" not in (await client.get(f"/api/dossiers/{dossier.id}", headers=headers)).json()
    current = await Dossier.get(dossier.id)
    await writes.write(dossier.id, {"$set": {"status": "publicity"}}, expected_version=current.version)
    r = await client.get(f"/api/dossiers/{dossier.id}/blind-review", headers=applicant)
    assert r.status_code == 200 and len(r.json()["reviews"]) == 3
    assert "expert_name" not in r.text and "seed" not in r.json()          # reviewers stay anonymous
    for user, _ in experts.values():
        assert user.name not in r.text


async def _applicant(dossier):
    from app.accounts.models import User
    return await User.get(dossier.applicant_id)


async def test_reviewer_never_reaches_the_applicant(client, world):
    dossier, experts, _ = await _sent(client, world)
    user, headers, a = (await _assigned(client, experts))[0]
    applicant = await _applicant(dossier)
    # the dossier, its original files and the office's round are out of the reviewer's scope
    assert (await client.get(f"/api/dossiers/{dossier.id}", headers=headers)).status_code == 404
    for att in ("paper00001", "paper00002"):
        r = await client.get(f"/api/dossiers/{dossier.id}/attachments/{att}", headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"
    assert (await client.get(f"/api/dossiers/{dossier.id}/blind-review", headers=headers)).status_code == 404
    assert (await client.get(f"/api/dossiers/{dossier.id}/blind-review/works/1", headers=headers)).status_code == 403
    # what the reviewer is given names none of them
    task = await client.get(f"/api/blind-assignments/{a['id']}", headers=headers)
    assert task.status_code == 200 and [w["label"] for w in task.json()["works"]] == ["代表作1", "代表作2"]
    for secret in (APPLICANT, applicant.id_number, dossier.declaration.employer_unit_name, str(dossier.id)):
        assert secret not in task.text
    for work in ("1", "2"):
        pdf = await client.get(f"/api/blind-assignments/{a['id']}/works/{work}", headers=headers)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert "folk dance" in text_of(pdf.content)
        assert APPLICANT not in text_of(pdf.content) and APPLICANT.encode() not in pdf.content
        assert APPLICANT not in pdf.headers.get("content-disposition", "")
    # another expert's assignment is not there for them
    other = next(h for u, h in experts.values() if u.id != user.id)
    assert (await client.get(f"/api/blind-assignments/{a['id']}", headers=other)).status_code == 404


async def test_late_score_is_refused_and_marked_overdue(client, world):
    dossier, experts, _ = await _sent(client, world)
    user, _, a = (await _assigned(client, experts))[0]
    clock.advance(15 * 86400)
    headers = await bearer(user)                         # the old session expired with the clock
    r = await client.post(f"/api/blind-assignments/{a['id']}/score", json={"points": [30, 20, 20], "opinion": OPINION},
                          headers=headers)
    assert r.status_code == 409 and r.json()["code"] == "blind_review_overdue"
    assert "截止" in r.json()["message"]
    assert (await Dossier.get(dossier.id)).blind_reviews.reviews[0].status == "pending"   # nothing stored
    assert (await client.get("/api/blind-assignments", headers=headers)).json()[0]["status"] == "overdue"
    assert "blind-review-deadlines" in await run_due([j for j in JOBS if j.name == "blind-review-deadlines"])
    assert {a.status for a in await BlindAssignment.find_all().to_list()} == {"overdue"}
    stored = (await Dossier.get(dossier.id)).blind_reviews
    assert stored.status == "complete" and {r.status for r in stored.reviews} == {"overdue"}


async def test_double_submit_is_idempotent_and_a_different_second_score_is_409(client, world):
    dossier, experts, _ = await _sent(client, world)
    (_, headers, a), (_, headers2, b) = (await _assigned(client, experts))[:2]
    body = {"points": [30, 20, 20], "opinion": OPINION}
    first = await client.post(f"/api/blind-assignments/{a['id']}/score", json=body, headers=headers)
    version = (await Dossier.get(dossier.id)).version
    again = await client.post(f"/api/blind-assignments/{a['id']}/score", json=body, headers=headers)
    assert first.status_code == again.status_code == 200 and first.json()["score"] == again.json()["score"]
    assert (await Dossier.get(dossier.id)).version == version                  # nothing written the second time
    other = await client.post(f"/api/blind-assignments/{a['id']}/score", json={**body, "points": [40, 30, 30]},
                              headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "already_scored"
    # two different scores racing for one assignment: exactly one lands
    racing = await asyncio.gather(*(client.post(f"/api/blind-assignments/{b['id']}/score",
                                                json={"points": p, "opinion": OPINION}, headers=headers2)
                                    for p in ([10, 10, 10], [20, 20, 20])))
    assert sorted(r.status_code for r in racing) == [200, 409]
    stored = next(r for r in (await Dossier.get(dossier.id)).blind_reviews.reviews if r.assignment_id == b["id"])
    winner = next(r for r in racing if r.status_code == 200).json()["score"]
    assert stored.points == winner["points"] and stored.total == winner["total"]


async def test_bad_scores_get_422_and_store_nothing(client, world):
    dossier, experts, _ = await _sent(client, world)
    _, headers, a = (await _assigned(client, experts))[0]
    url = f"/api/blind-assignments/{a['id']}/score"
    for body, field, code in (({"points": [30, 20], "opinion": OPINION}, "points", "bad_points"),
                              ({"points": [41, 20, 20], "opinion": OPINION}, "points", "bad_points"),
                              ({"points": [30, 20, 20], "opinion": "  "}, "opinion", "opinion_required")):
        r = await client.post(url, json=body, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == field and r.json()["code"] == code, r.text
    assert (await Dossier.get(dossier.id)).blind_reviews.reviews[0].status == "pending"


async def test_declared_conflict_brings_in_the_reserve(client, world):
    dossier, experts, _ = await _sent(client, world)
    user, headers, a = (await _assigned(client, experts))[0]
    r = await client.post(f"/api/blind-assignments/{a['id']}/conflict", json={"reason": "与申报人为同门师兄弟"},
                          headers=headers)
    assert r.status_code == 200 and r.json() == {"declined": True, "reserve_drawn": True}
    record = await ExpertDraw.find_one({"dossier_id": dossier.id})
    assert len(record.swaps) == 1 and "同门师兄弟" in record.swaps[0].reason and record.swaps[0].in_id == record.reserves[0]
    assigned = await _assigned(client, experts)
    assert len([x for x in assigned if x[2]["status"] == "pending"]) == 3
    reserve = (await draws.experts_by_id([record.reserves[0]]))[record.reserves[0]]
    assert any(str(u.id) == str(reserve.user_id) for u, _, _ in assigned)
    stored = (await Dossier.get(dossier.id)).blind_reviews.reviews
    assert [r.status for r in stored if r.assignment_id == a["id"]] == ["declined"]
    assert sorted(r.status for r in stored) == ["declined", "pending", "pending", "pending"]
    assert stored[-1].expert_id == reserve.id and stored[-1].label == "评审专家4"
    # the one who stepped out neither scores nor opens the works any more
    r = await client.post(f"/api/blind-assignments/{a['id']}/score", json={"points": [1, 1, 1], "opinion": OPINION},
                          headers=headers)
    assert r.status_code == 409 and r.json()["code"] == "blind_review_declined"
    assert (await client.get(f"/api/blind-assignments/{a['id']}/works/1", headers=headers)).status_code == 404
    # the reserve is used: a second declaration leaves the round short, and says so to the office
    _, h2, b = next(x for x in assigned if x[2]["status"] == "pending")
    r = await client.post(f"/api/blind-assignments/{b['id']}/conflict", json={"reason": "曾合作发表论文"}, headers=h2)
    assert r.json() == {"declined": True, "reserve_drawn": False}
    view = (await client.get(f"/api/dossiers/{dossier.id}/blind-review", headers=world["as_office"])).json()
    assert view["short_of_reviewers"] is True and view["summary"]["reviewers"] == 2


async def test_reminders_go_out_once_across_processes(client, world):
    await _sent(client, world)
    job = [j for j in JOBS if j.name == "blind-review-deadlines"]
    clock.advance(2 * 86400)
    await asyncio.gather(run_due(job, holder="a"), run_due(job, holder="b"))
    assert await InboxMessage.find({"title": "代表作送审即将截止"}).count() == 0          # not yet: 3 days before
    clock.advance(10 * 86400)                                                              # 12 days in: due
    ran = await asyncio.gather(run_due(job, holder="a"), run_due(job, holder="b"))
    assert sorted(len(r) for r in ran) == [0, 1]                                           # one process ran it
    assert await InboxMessage.find({"title": "代表作送审即将截止"}).count() == 3
    # the job's own claim holds too: run again and again, still one reminder each
    from app.committee import blind_reviewing
    assert await asyncio.gather(blind_reviewing.remind_due(), blind_reviewing.remind_due()) in ([3, 0], [0, 3], [0, 0])
    assert await InboxMessage.find({"title": "代表作送审即将截止"}).count() == 3
    assert {a.status for a in await BlindAssignment.find_all().to_list()} == {"pending"}


async def test_who_may_start_and_send(client, world):
    await switch_on(world["batch"], levels=["2"])
    await reviewers(client, world, 3)
    dossier = await works_dossier(world)
    url = f"/api/dossiers/{dossier.id}/blind-review"
    r = await client.post(url, headers=world["as_office"])
    assert r.status_code == 409 and r.json()["code"] == "blind_review_not_required"
    await switch_on(world["batch"])
    unmarked = await works_dossier(world, name="Li Hua", representative_works=[])
    r = await client.post(f"/api/dossiers/{unmarked.id}/blind-review", headers=world["as_office"])
    assert r.status_code == 409 and r.json()["code"] == "no_representative_works"
    r = await client.post(url, headers=world["as_applicant"])
    assert r.status_code == 403 and r.json()["code"] == "not_committee_office"
    voted = await works_dossier(world, name="Zhao Lei", status="approved")
    r = await client.post(f"/api/dossiers/{voted.id}/blind-review", headers=world["as_office"])
    assert r.status_code == 409 and r.json()["code"] == "not_at_committee"
    assert (await client.post(url, headers=world["as_office"])).status_code == 201
    r = await client.post(f"{url}/send", json={"seed": 1}, headers=world["as_office"])
    assert r.status_code == 200, r.text
    assert (await client.post(f"{url}/send", json={}, headers=world["as_office"])).json()["code"] == "blind_review_state"


async def test_too_few_reviewers_without_conflict_is_422_and_nothing_sent(client, world):
    await switch_on(world["batch"])
    await reviewers(client, world, 2)
    dossier = await works_dossier(world)
    assert (await client.post(f"/api/dossiers/{dossier.id}/blind-review", headers=world["as_office"])).status_code == 201
    r = await client.post(f"/api/dossiers/{dossier.id}/blind-review/send", json={}, headers=world["as_office"])
    assert r.status_code == 422 and r.json()["code"] == "too_few_experts"
    assert (await Dossier.get(dossier.id)).blind_reviews.status == "preparing"
    assert await BlindAssignment.count() == 0


async def test_office_uploads_its_own_redacted_copy(client, world):
    await switch_on(world["batch"])
    await reviewers(client, world, 3)
    dossier = await works_dossier(world)
    url = f"/api/dossiers/{dossier.id}/blind-review"
    await client.post(url, headers=world["as_office"])
    r = await client.put(f"{url}/works/1", files={"file": ("x.jpg", jpeg_bytes(), "image/jpeg")},
                         headers=world["as_office"])
    assert r.status_code == 422 and r.json()["field"] == "file"
    from tests.committee.blind_kit import paper
    r = await client.put(f"{url}/works/1", files={"file": ("红头.pdf", paper("Redacted study"), "application/pdf")},
                         headers=world["as_office"])
    assert r.status_code == 200 and r.json()["works"][0]["source"] == "office"
    assert "Redacted study" in text_of((await client.get(f"{url}/works/1", headers=world["as_office"])).content)
    assert (await client.put(f"{url}/works/9", files={"file": ("a.pdf", paper("x"), "application/pdf")},
                             headers=world["as_office"])).status_code == 404
    await client.post(f"{url}/send", json={}, headers=world["as_office"])
    r = await client.put(f"{url}/works/1", files={"file": ("a.pdf", paper("x"), "application/pdf")},
                         headers=world["as_office"])
    assert r.status_code == 409 and r.json()["code"] == "blind_review_state"


async def test_review_page_shows_the_scores_to_the_office_not_to_units(client, world):
    dossier, experts, _ = await _sent(client, world)
    _, headers, a = (await _assigned(client, experts))[0]
    await client.post(f"/api/blind-assignments/{a['id']}/score", json={"points": [30, 20, 20], "opinion": OPINION},
                      headers=headers)
    office = await client.get(f"/review/{dossier.id}", headers=world["as_office"])
    assert office.status_code == 200 and "已评1人，平均70分，合格1人" in office.text and OPINION in office.text
    unit = await client.get(f"/review/{dossier.id}", headers=world["as_employer"])
    assert unit.status_code == 200 and "代表作送审" not in unit.text and OPINION not in unit.text
    page = await client.get(f"/committee/blind-reviews/{dossier.id}", headers=world["as_office"])
    assert page.status_code == 200 and OPINION in page.text
    assert (await client.get(f"/committee/blind-reviews/{dossier.id}", headers=world["as_employer"])).status_code == 403
    mine = await client.get(f"/expert/blind-reviews/{a['id']}", headers=headers)
    assert mine.status_code == 200 and APPLICANT not in mine.text and "总分 <strong>70</strong>" in mine.text


async def test_anonymised_copies_survive_the_orphan_sweep_and_a_replaced_one_goes(client, world):
    from datetime import timedelta

    from app import db
    from app.dossiers.attachments import sweep_orphans
    from tests.committee.blind_kit import paper

    await switch_on(world["batch"])
    dossier = await works_dossier(world)
    url = f"/api/dossiers/{dossier.id}/blind-review"
    await client.post(url, headers=world["as_office"])
    first = (await Dossier.get(dossier.id)).blind_reviews.works[0].anonymised.file_id
    await sweep_orphans(grace=timedelta(0))
    assert (await client.get(f"{url}/works/1", headers=world["as_office"])).status_code == 200
    await client.put(f"{url}/works/1", files={"file": ("a.pdf", paper("Redacted"), "application/pdf")},
                     headers=world["as_office"])
    assert await db.current().db["fs.files"].find_one({"_id": first}) is None       # the replaced copy is gone
    await sweep_orphans(grace=timedelta(0))
    assert "Redacted" in text_of((await client.get(f"{url}/works/1", headers=world["as_office"])).content)
    assert (await client.get(f"{url}/works/2", headers=world["as_office"])).status_code == 200


async def test_the_meetings_experts_read_the_scores_without_names(client, world):
    from tests.committee.committee_kit import make_expert, new_meeting, schedule

    dossier, experts, _ = await _sent(client, world)
    _, headers, a = (await _assigned(client, experts))[0]
    await client.post(f"/api/blind-assignments/{a['id']}/score", json={"points": [30, 20, 20], "opinion": OPINION},
                      headers=headers)
    member = await make_expert(world["hr"], name="上会专家")
    meeting = await new_meeting(client, world, [member])
    url = f"/api/dossiers/{dossier.id}/blind-review"
    assert (await client.get(url, headers=await bearer(member))).status_code == 404        # not scheduled yet
    await schedule(client, world, meeting["id"], [dossier.id])
    r = await client.get(url, headers=await bearer(member))
    assert r.status_code == 200 and r.json()["summary"]["scored"] == 1 and "expert_name" not in r.text
    assert OPINION in r.text
    page = await client.get(f"/expert/meetings/{meeting['id']}", headers=await bearer(member))
    assert "代表作送审：送审专家3人，已评1人，平均70分" in page.text
    assert (await client.get(url, headers=headers)).status_code == 404                     # a reviewer is no member


async def test_a_round_short_of_reviewers_is_supplemented_from_the_rest_of_the_library(client, world):
    """补充送审: two reviewers let the deadline pass; the office draws two more (none of the round's three, the seed
    recorded, the full time from now); one of them steps out and the supplementary draw's reserve takes the place."""
    dossier, experts, _ = await _sent(client, world, n_experts=7)
    url = f"/api/dossiers/{dossier.id}/blind-review/supplement"
    r = await client.post(url, json={}, headers=world["as_office"])
    assert r.status_code == 409 and r.json()["code"] == "no_shortfall"       # all three still within their time
    user, headers, a = (await _assigned(client, experts))[0]
    r = await client.post(f"/api/blind-assignments/{a['id']}/score", json={"points": [30, 20, 20], "opinion": OPINION},
                          headers=headers)
    assert r.status_code == 200
    clock.advance(15 * 86400)
    await run_due([j for j in JOBS if j.name == "blind-review-deadlines"])
    office = await bearer(await User.find_one({"roles.role": "committee_intermediate"}))   # sessions expired
    experts = {k: (u, await bearer(u)) for k, (u, _) in experts.items()}
    view = (await client.get(f"/api/dossiers/{dossier.id}/blind-review", headers=office)).json()
    assert view["status"] == "complete" and view["shortfall"] == 2
    first = {r.expert_id for r in (await Dossier.get(dossier.id)).blind_reviews.reviews}
    await cookie_login(client, await User.find_one({"roles.role": "committee_intermediate"}))
    page = (await client.get(f"/committee/blind-reviews/{dossier.id}", headers=HTML)).text
    assert 'id="blind-supplement"' in page and "送审专家还缺 2 人" in page
    client.cookies.clear()

    r = await client.post(url, json={"seed": 99}, headers=office)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "sent" and r.json()["shortfall"] == 0 and r.json()["supplements"] == 1
    stored = (await Dossier.get(dossier.id)).blind_reviews
    added = stored.reviews[3:]
    assert [x.label for x in added] == ["评审专家4", "评审专家5"] and {x.status for x in added} == {"pending"}
    assert not {x.expert_id for x in added} & first
    record = await ExpertDraw.get(stored.supplements[0])
    assert record.seed == 99 and record.dossier_id == dossier.id and added[0].draw_id == record.id
    assert {c["id"] for c in record.candidates if c["excluded"] == "本轮已送审"} == {str(i) for i in first}
    assert stored.due_at > clock.utcnow() + timedelta(days=13)
    assert (await client.post(url, json={}, headers=office)).json()["code"] == "no_shortfall"

    fresh = [x for x in await _assigned(client, experts) if x[2]["status"] == "pending"]
    assert len(fresh) == 2
    _, h, b = fresh[0]
    r = await client.post(f"/api/blind-assignments/{b['id']}/conflict", json={"reason": "近三年同单位"}, headers=h)
    assert r.json() == {"declined": True, "reserve_drawn": True}
    record = await ExpertDraw.get(record.id)
    assert record.swaps[0].in_id == record.reserves[0]                       # the supplement's own reserve
    assert (await Dossier.get(dossier.id)).blind_reviews.reviews[-1].draw_id == record.id
