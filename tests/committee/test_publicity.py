"""Publicity: working days from the calendar, opinions bottom-up, reviews, rejection and redo, closing."""

import asyncio
from datetime import date

import pytest

from app import db
from app.accounts.models import User
from app.dossiers.models import Dossier
from app.committee.calendar import working_period
from tests.factories import create_unit, jpeg_bytes, login, pdf_bytes
from tests.committee.committee_kit import place_dossier, set_china_date
from tests.web.test_pages import cookie_login


async def test_working_days_skip_holidays_and_count_make_up_days():
    # National Day 2026: 1–7 October off, Saturday 10 October worked.
    assert await working_period(date(2026, 9, 30), 5) == (date(2026, 9, 30), date(2026, 10, 12))
    assert await working_period(date(2026, 10, 1), 5) == (date(2026, 10, 8), date(2026, 10, 13))
    # Spring Festival 2026: Saturday 14 February worked, 15–23 off.
    assert await working_period(date(2026, 2, 13), 3) == (date(2026, 2, 13), date(2026, 2, 24))
    assert await working_period(date(2026, 11, 23), 5) == (date(2026, 11, 23), date(2026, 11, 27))


@pytest.fixture
async def shown(client, world):
    """Two approved dossiers published on Tuesday 29 September 2026 (5 working days → Saturday 10 October)."""
    set_china_date(date(2026, 9, 29))
    dossiers = [await place_dossier(world, status="approved", name=n) for n in ("李晓华", "赵一鸣")]
    r = await client.post("/api/publicity/publish", json={"ids": [str(d.id) for d in dossiers], "confirm": True},
                          headers=world["as_office"])
    assert r.status_code == 200 and r.json()["done"] == 2, r.text
    return dossiers


async def opinion(client, world, dossier, who="as_employer", files=None, **data):
    return await client.post(f"/api/publicity/{dossier.id}/opinion", data={"opinion": "no_objection", **data},
                             files=files, headers=world[who])


async def submit(client, world, who, unit, dossiers):
    r = await client.post("/api/publicity/submit", headers=world[who], json={
        "unit_id": str(world[unit].id), "ids": [str(d.id) for d in dossiers], "confirm": True})
    assert r.status_code == 200, r.text
    return r.json()


async def review(client, world, who, dossier, result="pass", **extra):
    return await client.post(f"/api/publicity/{dossier.id}/review", json={"result": result, **extra},
                             headers=world[who])


async def stored(dossier) -> Dossier:
    return await Dossier.get(dossier.id)


async def gridfs_files() -> int:
    return await db.current().db["fs.files"].count_documents({"metadata.owner": "publicity"})


class TestPublish:
    async def test_dates_from_the_committees_working_days(self, client, world, shown):
        p = (await stored(shown[0])).publicity
        assert (p.starts_on, p.ends_on, p.working_days, p.stage) == (date(2026, 9, 29), date(2026, 10, 10), 5, 0)
        trail = (await stored(shown[0])).trail[-1]
        assert trail.action == "publish" and trail.detail["ends_on"] == "2026-10-10"
        rows = (await client.get(f"/api/publicity?unit_id={world['employer'].id}", headers=world["as_employer"])).json()
        assert {r["applicant_name"] for r in rows} == {"李晓华", "赵一鸣"} and all(r["my_turn"] for r in rows)
        rows = (await client.get(f"/api/publicity?unit_id={world['department'].id}",
                                 headers=world["as_department"])).json()
        assert not any(r["my_turn"] for r in rows) and rows[0]["with_unit_name"] == "济南市群众艺术馆"

    async def test_refusals(self, client, world):
        set_china_date(date(2026, 9, 29))
        dossier = await place_dossier(world, status="scheduled")
        r = await client.post("/api/publicity/publish", json={"ids": [str(dossier.id)], "confirm": True},
                              headers=world["as_office"])
        assert r.json()["done"] == 0 and "不能执行" in r.json()["failed"][0]["message"]
        r = await client.post("/api/publicity/publish", json={"ids": [str(dossier.id)], "starts_on": "2026-09-01"},
                              headers=world["as_office"])
        assert r.status_code == 422 and r.json()["field"] == "starts_on"
        assert (await client.post("/api/publicity/publish", json={"ids": []}, headers=world["as_office"])
                ).status_code == 422
        assert (await client.post("/api/publicity/publish", json={"ids": [str(dossier.id)]})).status_code == 401


    async def test_outside_scope_is_404(self, client, world, shown):
        _, stranger = await create_unit(region_code="370202")
        headers = await login(client, stranger)
        r = await client.post(f"/api/publicity/{shown[0].id}/opinion", data={"opinion": "no_objection"},
                              headers=headers)
        assert r.status_code == 404
        r = await client.post(f"/api/publicity/{shown[0].id}/review", json={"result": "pass"}, headers=headers)
        assert r.status_code == 404
        r = await client.get(f"/api/publicity?unit_id={world['employer'].id}", headers=headers)
        assert r.status_code == 404
        r = await client.get(f"/api/publicity?committee_code={world['committee'].code}", headers=headers)
        assert r.status_code == 404
        r = await client.post("/api/publicity/opinions/batch", json={"ids": [str(shown[0].id)], "confirm": True},
                              headers=headers)
        assert r.json()["count"] == 0 and r.json()["failed"][0]["message"] == "申报材料不存在"
        assert (await stored(shown[0])).publicity.opinion is None


class TestSearch:
    async def test_the_manuals_filters_narrow_both_views(self, client, world, shown):
        li, zhao = shown
        assert (await opinion(client, world, li)).status_code == 200
        employer, office = {"unit_id": str(world["employer"].id)}, {"committee_code": world["committee"].code}

        async def names(scope, who="as_employer", **params):
            r = await client.get("/api/publicity", params={**scope, **params}, headers=world[who])
            assert r.status_code == 200, r.text
            return [row["applicant_name"] for row in r.json()]

        assert await names(employer) == ["李晓华", "赵一鸣"]
        assert await names(employer, name="赵") == ["赵一鸣"]
        assert await names(office, "as_office", id_number=li.id_number.lower()) == ["李晓华"]
        assert await names(employer, opinion="none") == ["赵一鸣"]
        assert await names(office, "as_office", opinion="no_objection") == ["李晓华"]
        assert await names(employer, opinion="objection") == []
        assert await names(employer, level="3", title="qzwh-3") == ["李晓华", "赵一鸣"]
        assert await names(employer, level="1") == []
        bad = await client.get("/api/publicity", params={**employer, "opinion": "maybe"}, headers=world["as_employer"])
        assert bad.status_code == 422 and bad.json()["field"] == "opinion"

        await cookie_login(client, await User.find_one({"unit_id": world["employer"].id, "kind": "unit"}))
        page = (await client.get("/publicity", params={"name": "赵", "opinion": "maybe"})).text
        assert 'id="publicity-filter"' in page and 'value="赵"' in page
        assert "赵一鸣" in page and "李晓华" not in page


class TestOpinions:
    async def test_objection_needs_reason_and_proof_and_stores_nothing_without(self, client, world, shown):
        proof = {"proof": ("举报材料.pdf", pdf_bytes(), "application/pdf")}
        r = await opinion(client, world, shown[0], opinion="objection", files=proof)
        assert r.status_code == 422 and r.json()["field"] == "reason"
        r = await opinion(client, world, shown[0], opinion="objection", reason="群众实名反映业绩不实")
        assert r.status_code == 422 and r.json()["field"] == "proof"
        r = await opinion(client, world, shown[0], opinion="objection", reason="业绩不实",
                          files={"proof": ("a.txt", b"plain text", "text/plain")})
        assert r.status_code == 422 and r.json()["field"] == "proof"
        r = await opinion(client, world, shown[0], opinion="maybe")
        assert r.status_code == 422 and r.json()["field"] == "opinion"
        r = await opinion(client, world, shown[0], note="x")
        assert r.status_code == 422 and r.json()["field"] == "note"
        assert (await stored(shown[0])).publicity.opinion is None and await gridfs_files() == 0
        r = await opinion(client, world, shown[0], opinion="objection", reason="群众实名反映业绩不实",
                          files={"proof": ("证明.jpg", jpeg_bytes(), "image/jpeg")})
        assert r.status_code == 200, r.text
        body = r.json()["opinion"]
        assert body["label"] == "有异议" and body["reason"] == "群众实名反映业绩不实"
        download = await client.get(body["proof"]["url"], headers=world["as_department"])
        assert download.status_code == 200 and download.headers["content-type"] == "image/jpeg"
        r = await opinion(client, world, shown[0])                                 # changed before submitting
        assert r.json()["opinion"]["label"] == "无异议" and await gridfs_files() == 0
        assert (await opinion(client, world, shown[0], who="as_department")).status_code == 409
        assert (await client.post(f"/api/publicity/{shown[0].id}/opinion", data={"opinion": "no_objection"})
                ).status_code == 401

    async def test_batch_no_objection_with_preview(self, client, world, shown):
        ids = [str(d.id) for d in shown]
        r = await client.post("/api/publicity/opinions/batch", json={"ids": ids}, headers=world["as_employer"])
        assert r.json()["count"] == 2 and r.json()["done"] == 0
        assert (await stored(shown[0])).publicity.opinion is None
        r = await client.post("/api/publicity/opinions/batch", json={"ids": ids, "confirm": True},
                              headers=world["as_employer"])
        assert r.json()["done"] == 2
        assert [(await stored(d)).publicity.opinion.opinion for d in shown] == ["no_objection"] * 2


class TestConsolidation:
    async def test_order_is_enforced_up_the_route(self, client, world, shown):
        first = shown[0]
        r = await review(client, world, "as_department", first)
        assert r.status_code == 409 and "尚待济南市群众艺术馆" in r.json()["message"]
        result = await submit(client, world, "as_employer", "employer", [first])
        assert result["done"] == 0 and result["failed"][0]["message"] == "尚未填写公示意见"
        await opinion(client, world, first)
        assert (await submit(client, world, "as_employer", "employer", [first]))["done"] == 1
        assert (await opinion(client, world, first)).json()["code"] == "already_submitted"
        result = await submit(client, world, "as_department", "department", [first])
        assert result["failed"][0]["message"] == "尚未审核下级单位的公示意见"
        assert (await review(client, world, "as_hr", first)).status_code == 409
        assert (await review(client, world, "as_department", first)).status_code == 200
        assert (await submit(client, world, "as_department", "department", [first]))["done"] == 1
        assert (await review(client, world, "as_hr", first)).status_code == 200
        assert (await submit(client, world, "as_hr", "hr", []))["done"] == 0
        r = await client.post("/api/publicity/submit", json={"unit_id": str(world["hr"].id), "confirm": True},
                              headers=world["as_hr"])
        assert r.json()["done"] == 1                                               # everything ready at the unit
        p = (await stored(first)).publicity
        assert p.stage == 3 and p.level_submitted == [world["employer"].id, world["department"].id, world["hr"].id]
        assert [r.unit_name for r in p.opinion.reviews] == ["济南市文化和旅游局", "济南市人力资源和社会保障局"]
        rows = (await client.get(f"/api/publicity?committee_code={world['committee'].code}",
                                 headers=world["as_office"])).json()
        assert {r["applicant_name"]: r["consolidated"] for r in rows} == {"李晓华": True, "赵一鸣": False}
        r = await client.post("/api/publicity/submit", json={"unit_id": str(world["department"].id)},
                              headers=world["as_employer"])
        assert r.status_code in (403, 404)

    async def test_rejected_opinion_goes_back_and_is_redone(self, client, world, shown):
        first = shown[0]
        await opinion(client, world, first)
        await submit(client, world, "as_employer", "employer", [first])
        r = await review(client, world, "as_department", first, result="reject")
        assert r.status_code == 422 and r.json()["field"] == "reason"
        r = await review(client, world, "as_department", first, result="reject", reason="公示时间不足，请核实")
        assert r.status_code == 200 and r.json()["with_unit_name"] == "济南市群众艺术馆"
        p = (await stored(first)).publicity
        assert p.stage == 0 and p.opinion is None and p.level_submitted == []
        assert p.rejected[0].reviews[-1].reason == "公示时间不足，请核实"
        again = await review(client, world, "as_department", first, result="reject", reason="公示时间不足，请核实")
        assert again.status_code == 409          # back with the employer: nothing left to reject
        await opinion(client, world, first)
        await submit(client, world, "as_employer", "employer", [first])
        assert (await review(client, world, "as_department", first)).status_code == 200
        assert len((await stored(first)).publicity.rejected) == 1

    async def test_double_clicks_are_idempotent(self, client, world, shown):
        first = shown[0]
        await opinion(client, world, first)
        results = await asyncio.gather(*(submit(client, world, "as_employer", "employer", [first]) for _ in range(3)))
        assert sum(r["done"] for r in results) >= 1       # a press that read the old state finds it done
        assert {f["message"] for r in results for f in r["failed"]} <= {"本单位已汇总提交，不能再修改"}
        assert (await stored(first)).publicity.level_submitted == [world["employer"].id]
        codes = await asyncio.gather(*(review(client, world, "as_department", first) for _ in range(3)))
        assert [r.status_code for r in codes] == [200, 200, 200]
        assert len((await stored(first)).publicity.opinion.reviews) == 1


class TestClose:
    async def test_close_needs_the_end_date_and_every_opinion(self, client, world, shown):
        first, second = shown
        url = f"/api/publicity/{first.id}/close"
        r = await client.post(url, headers=world["as_office"])
        assert r.status_code == 409 and "2026-10-10" in r.json()["message"]
        set_china_date(date(2026, 10, 11))
        r = await client.post(url, headers=world["as_office"])
        assert r.status_code == 409 and r.json()["message"] == "尚待济南市群众艺术馆填写公示意见，不能结束公示"
        await opinion(client, world, first)
        await submit(client, world, "as_employer", "employer", [first])
        r = await client.post(url, headers=world["as_office"])
        assert r.json()["message"] == "尚待济南市文化和旅游局汇总提交公示意见，不能结束公示"
        for who, unit in (("as_department", "department"), ("as_hr", "hr")):
            await review(client, world, who, first)
            await submit(client, world, who, unit, [first])
        assert (await client.post(url, headers=world["as_employer"])).status_code == 409
        r = await client.post(url, headers=world["as_office"])
        assert r.status_code == 200 and r.json()["status"] == "publicized"
        closed = await stored(first)
        assert closed.trail[-1].action == "close_publicity" and closed.trail[-1].opinion == "公示无异议"
        r = await client.post("/api/publicity/close", json={"ids": [str(second.id)], "confirm": True},
                              headers=world["as_office"])
        assert r.json()["done"] == 0 and "尚待" in r.json()["failed"][0]["message"]
        assert (await stored(second)).status == "publicity"
