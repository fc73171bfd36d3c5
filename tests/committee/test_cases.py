"""Cases (异议 / 复查 / 投诉): a public objection handled end to end, the 复查 window, complaints by readers,
overdue marking, scope, and bad input stored nowhere."""

import asyncio
from datetime import date, datetime, timedelta

import pytest

from app import clock
from app.accounts.models import User
from app.clock import utcnow
from app.committee import cases
from app.committee.case_models import Case
from app.dossiers.models import Dossier, TrailEntry
from app.messaging.models import OutboxMessage
from app.notifications.models import InboxMessage
from tests.committee.committee_kit import place_dossier, relogin, set_china_date
from tests.factories import login, pdf_bytes, solved_captcha

FACTS = "该人员申报材料中的论文并非本人独立完成，第二作者系其同事，有期刊出版记录为证。"


async def publish(client, world, dossiers):
    r = await client.post("/api/publicity/publish", json={"ids": [str(d.id) for d in dossiers], "confirm": True},
                          headers=world["as_office"])
    assert r.status_code == 200 and r.json()["done"] == len(dossiers), r.text


async def listed_ref(client, name: str) -> str | None:
    items = (await client.get("/api/public/results", params={"q": name})).json()["items"]
    return items[0]["objection_ref"] if items else None


async def objection(client, ref, *, captcha=True, proof=None, **overrides):
    data = {"ref": ref, "name": "王大明", "contact": "13900001111", "facts": FACTS, **overrides}
    if captcha:
        data |= await solved_captcha("objection")
    files = {"proof": ("证明.pdf", proof, "application/pdf")} if proof is not None else None
    return await client.post("/api/public/objections", data=data, files=files)


async def gridfs_count() -> int:
    return await Dossier.get_pymongo_collection().database["fs.files"].count_documents({})


@pytest.fixture
async def published(client, world):
    set_china_date(date(2026, 9, 29))
    await relogin(client, world)
    dossier = await place_dossier(world, status="approved", name="李晓华")
    await publish(client, world, [dossier])
    return dossier


class TestPublicObjection:
    async def test_lodged_handled_answered_and_looked_up(self, client, world, published):
        ref = await listed_ref(client, "李晓华")
        assert ref and str(published.id) not in ref
        files_before = await gridfs_count()
        r = await objection(client, ref, proof=pdf_bytes())                  # anonymous: no session at all
        assert r.status_code == 201, r.text
        number, case_id = r.json()["number"], r.json()["id"]
        assert number.startswith("YY2026") and number in r.json()["message"]
        case = await Case.get(case_id)
        assert case.lodger_id is None and case.lodger_contact == "13900001111" and case.proof is not None
        assert case.due_at - case.lodged_at == timedelta(days=30) and await gridfs_count() == files_before + 1
        entry = (await Dossier.get(published.id)).trail[-1]
        assert entry.action == "case_lodge" and entry.actor_name == "社会公众（王*明）"
        assert number in entry.opinion and FACTS not in str(entry.model_dump())     # the objector's words stay out

        listing = (await client.get("/api/cases", headers=world["as_office"])).json()
        row = listing["items"][0]
        assert (row["number"], row["lodger_name"], row["lodger_contact"], row["status"]) == (
            number, "王*明", None, "received")
        detail = await client.get(f"/api/cases/{case_id}", headers=world["as_office"])
        assert detail.json()["lodger_name"] == "王大明" and detail.json()["lodger_contact"] == "13900001111"
        assert (await client.get(f"/api/cases/{case_id}/proof", headers=world["as_office"])).status_code == 200
        applicant = await login(client, await User.get(published.applicant_id))
        for who in (applicant, world["as_employer"]):
            assert (await client.get(f"/api/cases/{case_id}", headers=who)).status_code == 404
            assert (await client.post(f"/api/cases/{case_id}/answer", json={"answer": "x"},
                                      headers=who)).status_code == 404
        assert (await client.get(f"/api/cases/{case_id}")).status_code == 401

        r = await client.post(f"/api/cases/{case_id}/handle", json={"note": "已调取期刊出版记录核实"},
                              headers=world["as_office"])
        assert r.status_code == 200 and r.json()["status"] == "handling"
        answer = "经核实，该论文为申报人第一作者，异议不成立。"
        r = await client.post(f"/api/cases/{case_id}/answer", json={"answer": answer}, headers=world["as_office"])
        assert r.status_code == 200 and r.json()["status"] == "answered" and not r.json()["overdue"]
        sent = await OutboxMessage.find_one({"to": "13900001111"})
        assert sent is not None and answer in sent.body and number in sent.body
        r = await client.post(f"/api/cases/{case_id}/answer", json={"answer": answer}, headers=world["as_office"])
        assert r.status_code == 409 and r.json()["code"] == "case_state"
        trail = [e.action for e in (await Dossier.get(published.id)).trail]
        assert trail[-3:] == ["case_lodge", "case_handle", "case_answer"]

        r = await client.get("/api/public/cases", params={"number": number, "contact": "13900002222"})
        assert r.status_code == 404 and r.json()["code"] == "lookup_failed"
        r = await client.get("/api/public/cases", params={"number": number.lower(), "contact": "139 0000 1111"})
        assert r.status_code == 200 and r.json()["answer"] == answer and r.json()["status_label"] == "已答复"
        assert "已调取" not in r.text                                        # the office's notes stay inside
        page = await client.get("/cases/lookup", params={"number": number, "contact": "13900001111"})
        assert answer in page.text

        r = await client.post(f"/api/cases/{case_id}/close", json={}, headers=world["as_office"])
        assert r.status_code == 200 and r.json()["status"] == "closed"
        assert [s["action"] for s in r.json()["steps"]] == ["lodge", "handle", "answer", "close"]

    async def test_bad_input_and_floods_store_nothing(self, client, world, published):
        ref = await listed_ref(client, "李晓华")
        files_before = await gridfs_count()
        r = await objection(client, ref, captcha=False)
        assert r.status_code == 422 and r.json()["code"] == "captcha_required"
        r = await objection(client, ref, contact="不告诉你")
        assert r.status_code == 422 and r.json()["field"] == "contact"
        r = await objection(client, ref, proof=b"%PDF-1.4 not really a pdf")
        assert r.status_code == 422 and r.json()["field"] == "proof"
        r = await objection(client, ref, proof=b"\0" * (cases.PROOF_MAX_BYTES + 1))
        assert r.status_code == 422 and r.json()["field"] == "proof"
        r = await objection(client, "0" * 32)
        assert r.status_code == 404 and r.json()["code"] == "not_listed"
        assert await Case.count() == 0 and await gridfs_count() == files_before
        clock.advance(3600)                                                   # a fresh hour's allowance
        for _ in range(cases.OBJECTIONS_PER_HOUR):
            assert (await objection(client, ref)).status_code == 201
        r = await objection(client, ref)
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"

    async def test_refused_after_the_publicity_period(self, client, world, published):
        ref = await listed_ref(client, "李晓华")
        set_china_date(date(2026, 10, 12))                                    # the period ended on 10-10
        assert await listed_ref(client, "李晓华") is None                     # no more form on the list
        r = await objection(client, ref)
        assert r.status_code == 409 and r.json()["code"] == "not_in_publicity"
        assert await Case.count() == 0


def decided(at: datetime, by) -> list[TrailEntry]:
    return [TrailEntry(at=at, action="decide", actor_id=by, actor_name="评办经办", role="committee_intermediate",
                       from_status="scheduled", to_status="not_approved")]


class TestReviewWindow:
    async def test_within_fifteen_days_once_and_only_by_the_applicant(self, client, world):
        set_china_date(date(2026, 10, 1))
        when = utcnow()
        dossier = await place_dossier(world, status="not_approved", name="赵一鸣",
                                      trail=decided(when, world["committee"].office_unit_id))
        set_china_date(date(2026, 10, 15))                                    # 14 days on
        await relogin(client, world)
        applicant = await login(client, await User.get(dossier.applicant_id))
        url = f"/api/dossiers/{dossier.id}/cases"
        body = {"kind": "review", "facts": "评审时未考虑本人获得的省级奖项，请求复查。"}
        assert (await client.post(url, data=body, headers=world["as_employer"])).status_code == 404
        page = await client.get(f"/dossiers/{dossier.id}/cases", headers=applicant)
        assert page.status_code == 200 and "申请复查" in page.text and "15 日内" in page.text
        r = await client.post(url, data=body, headers=applicant)
        assert r.status_code == 201 and r.json()["number"].startswith("FC")
        r = await client.post(url, data=body, headers=applicant)
        assert r.status_code == 409 and r.json()["code"] == "review_exists"
        assert (await Dossier.get(dossier.id)).trail[-1].action == "case_lodge"

    async def test_two_presses_at_once_make_one_case(self, client, world):
        set_china_date(date(2026, 10, 1))
        dossier = await place_dossier(world, status="not_approved", name="郑双击",
                                      trail=decided(utcnow(), world["committee"].office_unit_id))
        applicant = await login(client, await User.get(dossier.applicant_id))
        body = {"kind": "review", "facts": "评审时未考虑本人获得的省级奖项，请求复查。"}
        files_before = await gridfs_count()
        presses = await asyncio.gather(*(client.post(f"/api/dossiers/{dossier.id}/cases", data=body,
                                                     files={"proof": ("奖状.pdf", pdf_bytes(), "application/pdf")},
                                                     headers=applicant) for _ in range(3)))
        assert sorted(r.status_code for r in presses) == [201, 409, 409]
        assert {r.json()["code"] for r in presses if r.status_code == 409} == {"review_exists"}
        assert await Case.find({"dossier_id": dossier.id}).count() == 1
        assert await gridfs_count() == files_before + 1                      # the refused presses' proofs are gone

    async def test_refused_after_the_window_and_before_a_result(self, client, world):
        set_china_date(date(2026, 10, 1))
        late = await place_dossier(world, status="not_approved", name="钱迟到",
                                   trail=decided(utcnow(), world["committee"].office_unit_id))
        passed = await place_dossier(world, status="approved", name="孙通过")
        clock.advance(timedelta(days=15, minutes=1).total_seconds())
        await relogin(client, world)
        body = {"kind": "review", "facts": "评审时未考虑本人获得的省级奖项，请求复查。"}
        r = await client.post(f"/api/dossiers/{late.id}/cases", data=body,
                              headers=await login(client, await User.get(late.applicant_id)))
        assert r.status_code == 409 and r.json()["code"] == "review_window_closed" and "15日内" in r.json()["message"]
        r = await client.post(f"/api/dossiers/{passed.id}/cases", data=body,
                              headers=await login(client, await User.get(passed.applicant_id)))
        assert r.status_code == 409 and r.json()["code"] == "not_reviewable"
        await world["committee"].set({"review_request_days": 30})            # a province's longer window
        r = await client.post(f"/api/dossiers/{late.id}/cases", data=body,
                              headers=await login(client, await User.get(late.applicant_id)))
        assert r.status_code == 201
        assert await Case.count() == 1


class TestComplaintsAndDeadlines:
    async def test_a_reader_complains_and_is_answered_in_the_inbox(self, client, world):
        dossier = await place_dossier(world, status="accepted", name="周投诉")
        url = f"/api/dossiers/{dossier.id}/cases"
        body = {"kind": "complaint", "facts": "资格审查时办事机构未一次性告知需补正的全部材料。"}
        outsider = await login(client, await User.get((await place_dossier(world, name="吴路人")).applicant_id))
        assert (await client.post(url, data=body, headers=outsider)).status_code == 404
        r = await client.post(url, data=body, headers=world["as_employer"])
        assert r.status_code == 201 and r.json()["number"].startswith("TS")
        case_id = r.json()["id"]
        mine = (await client.get("/api/cases/mine", headers=world["as_employer"])).json()
        assert [c["id"] for c in mine] == [case_id]
        r = await client.post(f"/api/cases/{case_id}/answer", json={"answer": "已核实并改正。"},
                              headers=world["as_employer"])
        assert r.status_code == 403                                           # the lodger reads, the office answers
        r = await client.post(f"/api/cases/{case_id}/answer", json={"answer": "已核实并改正。"},
                              headers=world["as_office"])
        assert r.status_code == 200
        lodger = await Case.get(case_id)
        assert await InboxMessage.find_one({"user_id": lodger.lodger_id, "category": "case"}) is not None
        page = await client.get(f"/cases/{case_id}", headers=world["as_employer"])       # the message's link
        assert page.status_code == 200 and "已核实并改正" in page.text
        applicant = await login(client, await User.get(dossier.applicant_id))
        assert (await client.get(f"/cases/{case_id}", headers=applicant)).status_code == 404
        assert (await client.get(f"/committee/cases/{case_id}", headers=world["as_employer"])).status_code == 403
        assert (await client.get(f"/committee/cases/{case_id}", headers=world["as_office"])).status_code == 200
        assert (await client.get(f"/results/{'0' * 32}/objection")).status_code == 404

    async def test_overdue_cases_come_first_and_are_marked(self, client, world):
        first = await place_dossier(world, status="accepted", name="甲")
        body = {"kind": "complaint", "facts": "资格审查时办事机构未一次性告知需补正的全部材料。"}
        old = (await client.post(f"/api/dossiers/{first.id}/cases", data=body, headers=world["as_employer"])).json()
        clock.advance(timedelta(days=20).total_seconds())
        await relogin(client, world)
        new = (await client.post(f"/api/dossiers/{first.id}/cases", data=body, headers=world["as_employer"])).json()
        answered = (await client.post(f"/api/dossiers/{first.id}/cases", data=body,
                                      headers=world["as_employer"])).json()
        assert (await client.post(f"/api/cases/{answered['id']}/answer", json={"answer": "已答复。"},
                                  headers=world["as_office"])).status_code == 200
        clock.advance(timedelta(days=11).total_seconds())                     # 31 days after the first
        await relogin(client, world)
        listing = (await client.get("/api/cases", headers=world["as_office"])).json()
        assert [(c["id"], c["overdue"]) for c in listing["items"]] == [
            (old["id"], True), (new["id"], False), (answered["id"], False)]
        assert listing["overdue"] == 1
        only = (await client.get("/api/cases", params={"overdue": "true"}, headers=world["as_office"])).json()
        assert [c["id"] for c in only["items"]] == [old["id"]]
        page = await client.get("/committee/cases", headers=world["as_office"])
        assert page.status_code == 200 and page.text.count("data-overdue") == 1
        assert (await client.get("/api/cases", headers=world["as_employer"])).status_code == 403

