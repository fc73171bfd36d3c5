"""公示名单: anonymous, only dossiers whose publicity has started (and after it), nothing about the person
beyond the listed fields, the office's contact for objections, rate-limited, an indexed read."""

from datetime import date

from app import db
from app.committee import results
from app.units.models import Unit
from tests.committee.committee_kit import place_dossier, set_china_date

LISTED_KEYS = {"name", "unit", "series", "level", "title", "specialty", "batch", "committee", "starts_on", "ends_on",
               "working_days", "in_publicity", "objection", "objection_ref"}


async def publish(client, world, dossiers, **extra):
    r = await client.post("/api/publicity/publish", json={"ids": [str(d.id) for d in dossiers], "confirm": True,
                                                           **extra}, headers=world["as_office"])
    assert r.status_code == 200 and r.json()["done"] == len(dossiers), r.text


async def test_only_published_dossiers_anonymously_and_nothing_personal(client, world):
    set_china_date(date(2026, 9, 29))
    await Unit.find_one(Unit.id == world["hr"].id).update({"$set": {"contact_name": "张老师", "contact_phone": "0531-88880000"}})
    shown = await place_dossier(world, status="approved", name="李晓华")
    later = await place_dossier(world, status="approved", name="赵一鸣")
    await place_dossier(world, status="approved", name="钱未公")            # approved, never published
    await place_dossier(world, status="scheduled", name="孙在审")
    await publish(client, world, [shown])
    await publish(client, world, [later], starts_on="2026-10-12")           # a period that starts later

    r = await client.get("/api/public/results")                            # no session at all
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["name"] for i in items] == ["李晓华"]
    item = items[0]
    assert set(item) == LISTED_KEYS
    assert item["unit"] == "济南市群众艺术馆" and (item["starts_on"], item["ends_on"]) == ("2026-09-29", "2026-10-10")
    assert item["in_publicity"] is True and item["batch"] == world["batch"].name
    assert item["objection"]["office"] == "济南市人力资源和社会保障局" and item["objection"]["phone"] == "0531-88880000"
    dumped = r.text
    assert shown.id_number not in dumped and str(shown.id) not in dumped and str(shown.applicant_id) not in dumped

    set_china_date(date(2026, 10, 12))                                     # the later period has started
    assert {i["name"] for i in (await client.get("/api/public/results")).json()["items"]} == {"李晓华", "赵一鸣"}
    found = (await client.get("/api/public/results", params={"q": "赵一鸣"})).json()["items"]
    assert [i["name"] for i in found] == ["赵一鸣"]
    set_china_date(date(2026, 10, 13))                                     # 李晓华's period is over: still listed
    by_name = {i["name"]: i for i in (await client.get("/api/public/results")).json()["items"]}
    assert by_name["李晓华"]["in_publicity"] is False and by_name["赵一鸣"]["in_publicity"] is True


async def test_the_page_lists_the_same_rows_without_login(client, world):
    set_china_date(date(2026, 9, 29))
    await publish(client, world, [await place_dossier(world, status="approved", name="李晓华")])
    r = await client.get("/results")
    assert r.status_code == 200 and "公示名单" in r.text and "李晓华" in r.text and "济南市群众艺术馆" in r.text


async def test_bad_input_gets_the_error_body(client, world):
    r = await client.get("/api/public/results", params={"page": "0"})
    assert r.status_code == 422 and r.json()["field"] == "page" and r.json()["message"]
    r = await client.get("/api/public/results", params={"q": "长" * 21})
    assert r.status_code == 422 and r.json()["field"] == "q"


async def test_rate_limited_per_client(client, world, monkeypatch):
    monkeypatch.setattr(results, "READS_PER_MINUTE", 3)
    codes = [(await client.get("/api/public/results")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    body = (await client.get("/api/public/results")).json()
    assert body["code"] == "rate_limited" and "公示名单" in body["message"]


async def test_the_read_uses_the_index(world):
    database = db.current().db
    for q in (None, "李晓华"):
        plan = await database.command("explain", {"find": "dossiers", "filter": results.public_query(q=q),
                                                  "sort": {"status": 1, "publicity.starts_on": -1, "_id": 1}},
                                      verbosity="queryPlanner")
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), plan
