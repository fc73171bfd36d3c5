"""Certificates: numbering by the committee's pattern under concurrency, issuing refusals, verification."""

import asyncio

import httpx

from app import clock
from app.dossiers.models import Dossier
from app.committee.certificates import CODE_ALPHABET, VERIFY_FAILURES, VERIFY_WINDOW, mask_name
from app.committee.numbers import format_number
from bson import ObjectId

from tests.factories import create_sysadmin, force_dossier, login
from tests.committee.committee_kit import place_dossier

ISSUE = {"document_number": "济人社职字〔2026〕88号", "issued_on": "2026-12-20"}


async def issue(client, world, dossiers, **extra):
    body = {**ISSUE, "ids": [str(d.id) for d in dossiers], "confirm": True, **extra}
    return await client.post("/api/certificates", json=body, headers=world["as_office"])


class TestNumbering:
    async def test_patterns(self, world):
        committee = world["committee"]
        assert format_number(committee.certificate_pattern, committee, year=2026, seq=7) == "2026370100QZWHZ00007"
        assert format_number("鲁{series}{tier}{year}-{seq:04d}", committee, year=2027, seq=12) == "鲁QZWHZ2027-0012"

    async def test_concurrent_issuance_is_sequential_and_unique(self, client, world):
        await world["committee"].set({"issuing_body": "济南市人力资源和社会保障局"})
        dossiers = [await place_dossier(world, status="publicized", name=f"申报人{i}") for i in range(8)]
        results = await asyncio.gather(*(issue(client, world, [d]) for d in dossiers))
        assert [r.json()["done"] for r in results] == [1] * 8
        issued = [(await Dossier.get(d.id)).certificate for d in dossiers]
        assert sorted(c.number for c in issued) == [f"2026370100QZWHZ{n:05d}" for n in range(1, 9)]
        assert all(len(c.verification_code) == 8 and set(c.verification_code) <= set(CODE_ALPHABET) for c in issued)
        assert {c.issuing_body for c in issued} == {"济南市人力资源和社会保障局"}
        next_year = await place_dossier(world, status="publicized")
        await issue(client, world, [next_year], issued_on="2027-01-05")
        assert (await Dossier.get(next_year.id)).certificate.number == "2027370100QZWHZ00001"

    async def test_refusals_store_nothing(self, client, world):
        ready = await place_dossier(world, status="publicized")
        early = await place_dossier(world, status="publicity", name="公示中")
        for bad, field in (({"document_number": ""}, "document_number"), ({"issued_on": "2026/12/20"}, "issued_on"),
                           ({"ids": []}, "ids"), ({"serial": 1}, "serial")):
            r = await issue(client, world, [ready], **bad)
            assert r.status_code == 422 and r.json()["field"] == field, r.text
        r = await client.post("/api/certificates", json={**ISSUE, "ids": [str(ready.id)], "confirm": True,
                                                         "issuing_body": "济南市人社局"}, headers=world["as_department"])
        assert r.json()["done"] == 0                              # reads it, but is not the office
        assert (await client.post("/api/certificates", json={**ISSUE, "ids": [str(ready.id)]})).status_code == 401
        assert (await Dossier.get(ready.id)).certificate is None
        r = await issue(client, world, [early, ready], issuing_body="济南市人社局")
        assert r.json()["done"] == 1
        assert [f["message"] for f in r.json()["failed"]] == ["当前状态“公示中”下不能发证，公示结束后方可发证"]
        assert (await Dossier.get(ready.id)).certificate.number == "2026370100QZWHZ00001"   # refusals drew none
        assert (await Dossier.get(early.id)).certificate is None


class TestIssuingBody:
    async def test_without_one_typed_the_office_unit_issues(self, client, world):
        """The page's hint and the API name the same body, and 发证 without typing one succeeds with it."""
        dossier = await place_dossier(world, status="publicized")
        listed = (await client.get("/api/committees", headers=world["as_office"])).json()
        assert listed[0]["issuing_body"] is None and listed[0]["issuing_body_used"] == "济南市人力资源和社会保障局"
        page = await client.get("/committee/certificates", headers=world["as_office"])
        assert 'placeholder="不填则为济南市人力资源和社会保障局"' in page.text
        r = await issue(client, world, [dossier])
        assert r.json()["done"] == 1, r.text
        certificate = (await Dossier.get(dossier.id)).certificate
        assert certificate.issuing_body == "济南市人力资源和社会保障局" and certificate.issuing_unit_id == world["hr"].id

    async def test_a_set_issuing_unit_and_name_win(self, client, world):
        admin = await login(client, await create_sysadmin())
        url = f"/api/committees/{world['committee'].code}"
        r = await client.put(url, json={"issuing_unit_id": str(world["department"].id)}, headers=admin)
        assert r.status_code == 200 and r.json()["issuing_body_used"] == "济南市文化和旅游局", r.text
        r = await client.put(url, json={"issuing_unit_id": str(ObjectId())}, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == "issuing_unit_id"
        r = await client.put(url, json={"issuing_body": "济南市职称改革领导小组办公室"}, headers=admin)
        assert r.json()["issuing_body_used"] == "济南市职称改革领导小组办公室"
        dossier = await place_dossier(world, status="publicized")
        await issue(client, world, [dossier])
        certificate = (await Dossier.get(dossier.id)).certificate
        assert certificate.issuing_body == "济南市职称改革领导小组办公室"
        assert certificate.issuing_unit_id == world["department"].id


class TestVerification:
    async def test_public_verification(self, client, world):
        dossier = await place_dossier(world, status="publicized", name="王小明")
        await issue(client, world, [dossier], issuing_body="济南市人力资源和社会保障局")
        certificate = (await Dossier.get(dossier.id)).certificate
        url = "/api/certificates/verify"
        r = await client.get(url, params={"number": certificate.number, "code": certificate.verification_code.lower()})
        assert r.status_code == 200, r.text
        assert r.json() == {"number": certificate.number, "holder_name": "王*明", "title_name": "馆员",
                            "specialty_name": "舞蹈", "committee_name": "济南市群众文化系列中级职称评审委员会",
                            "issued_on": "2026-12-20", "document_number": "济人社职字〔2026〕88号",
                            "issuing_body": "济南市人力资源和社会保障局", "revoked": False, "revoked_on": None,
                            "revoked_reason": None, "replaced": False, "replaced_by": None, "replaced_on": None,
                            "replaces": None, "reissued_on": None}
        wrong_code = await client.get(url, params={"number": certificate.number, "code": "AAAAAAAA"})
        wrong_number = await client.get(url, params={"number": "2026370100QZWHZ99999",
                                                     "code": certificate.verification_code})
        assert wrong_code.status_code == wrong_number.status_code == 404
        assert wrong_code.json() == wrong_number.json()
        missing = await client.get(url, params={"number": certificate.number})
        assert missing.status_code == 422 and missing.json()["field"] == "code"

    async def test_a_client_that_keeps_guessing_is_held_off(self, app, client, world):
        dossier = await place_dossier(world, status="publicized", name="王小明")
        await issue(client, world, [dossier], issuing_body="济南市人力资源和社会保障局")
        certificate = (await Dossier.get(dossier.id)).certificate
        url, right = "/api/certificates/verify", {"number": certificate.number, "code": certificate.verification_code}
        for n in range(VERIFY_FAILURES):
            assert (await client.get(url, params={**right, "code": f"WRONG{n}"})).status_code == 404
        held = await client.get(url, params=right, headers={"X-Forwarded-For": "198.51.100.1"})   # not believed
        assert held.status_code == 429 and held.json()["code"] == "rate_limited"
        assert "证书查验失败次数过多，请" in held.json()["message"] and "分钟后再试" in held.json()["message"]
        page = await client.get("/verify", params=right)
        assert page.status_code == 200 and "证书查验失败次数过多" in page.text and "王*明" not in page.text
        transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as neighbour:
            assert (await neighbour.get(url, params=right)).status_code == 200
        clock.advance(VERIFY_WINDOW.total_seconds())
        assert (await client.get(url, params=right)).status_code == 200

    async def test_the_applicant_sees_the_certificate(self, client, world):
        r = await client.get("/api/dossiers", headers=world["as_applicant"])
        assert r.json()[0]["certificate_number"] is None
        await force_dossier(world["dossier_id"], status="publicized", committee_code=world["committee"].code,
                            reported_to=[world["committee"].code], current_unit_id=world["hr"].id)
        dossier = await Dossier.get(world["dossier_id"])
        await issue(client, world, [dossier], issuing_body="济南市人社局")
        number = (await Dossier.get(dossier.id)).certificate.number
        listed = (await client.get("/api/dossiers", headers=world["as_applicant"])).json()
        assert listed[0]["certificate_number"] == number
        own = await client.get(f"/api/dossiers/{dossier.id}/certificate", headers=world["as_applicant"])
        assert own.status_code == 200 and own.json()["number"] == number and len(own.json()["verification_code"]) == 8
        other = await place_dossier(world, status="publicized")
        r = await client.get(f"/api/dossiers/{other.id}/certificate", headers=world["as_applicant"])
        assert r.status_code == 404


def test_masking():
    assert [mask_name(n) for n in ("王小明", "张三", "欧阳明华", "李")] == ["王*明", "张*", "欧**华", "李"]
