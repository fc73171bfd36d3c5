"""Opening a dossier: the commitment, the declaration form within the batch, one per person per batch."""

import pytest

from app.dossiers.models import Dossier
from app.units.enums import UnitStatus
from tests.factories import create_batch, create_unit, declaration_payload, force_dossier


async def dossier_count() -> int:
    return await Dossier.find_all().count()


class TestCreateDossier:
    async def test_anonymous(self, client, applicant):
        r = await client.post("/api/dossiers", json=declaration_payload(applicant["batch"], applicant["unit"]))
        assert r.status_code == 401

    async def test_valid(self, client, applicant):
        r = await client.post("/api/dossiers", json=declaration_payload(applicant["batch"], applicant["unit"]),
                              headers=applicant["headers"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert r.headers["ETag"] == f'"{body["version"]}"'
        assert body["status"] == "draft" and body["editable"] is True
        assert body["declaration"]["employer_unit_name"] == "济南市群众艺术馆"
        stored = await Dossier.get(body["id"])
        assert stored.commitment.agreed_at is not None and len(stored.commitment.text_sha256) == 64
        mine = (await client.get("/api/dossiers", headers=applicant["headers"])).json()
        assert [d["id"] for d in mine] == [body["id"]]

    async def test_commitment_must_be_agreed(self, client, applicant):
        payload = declaration_payload(applicant["batch"], applicant["unit"], commitment_agreed=False)
        r = await client.post("/api/dossiers", json=payload, headers=applicant["headers"])
        assert r.status_code == 422 and r.json()["field"] == "commitment_agreed"
        assert "承诺书" in r.json()["message"]
        assert await dossier_count() == 0

    async def test_outside_the_window_names_the_window(self, client, applicant):
        closed = await create_batch(open_now=False)
        r = await client.post("/api/dossiers", json=declaration_payload(closed, applicant["unit"]),
                              headers=applicant["headers"])
        assert r.status_code == 409 and r.json()["code"] == "batch_closed"
        assert "申报时间为" in r.json()["message"] and " 至 " in r.json()["message"]
        assert await dossier_count() == 0

    @pytest.mark.parametrize("overrides, field", [
        ({"series": "gc", "title": "gc-3", "specialty": "gc-s01"}, "series"),
        ({"level": "4", "title": "qzwh-4"}, "level"),
        ({"title": "qzwh-2"}, "title"),
        ({"title": "gc-3"}, "title"),
        ({"specialty": "gc-s01"}, "specialty"),
        ({"specialty": "nope"}, "specialty"),
        ({"mode": "exceptional"}, "exceptional_basis"),
        ({"mode": "normal", "exceptional_basis": "award"}, "exceptional_basis"),
        ({"mode": "bogus"}, "mode"),
        ({"is_actual_unit": False}, "actual_unit_name"),
        ({"unit_rank": "6/5"}, "unit_rank"),
        ({"employer_unit_id": "0123456789abcdef01234567"}, "employer_unit_id"),
    ])
    async def test_bad_declaration(self, client, applicant, overrides, field):
        payload = declaration_payload(applicant["batch"], applicant["unit"], **overrides)
        r = await client.post("/api/dossiers", json=payload, headers=applicant["headers"])
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field
        assert await dossier_count() == 0

    async def test_exceptional_with_basis(self, client, applicant):
        payload = declaration_payload(applicant["batch"], applicant["unit"], mode="exceptional",
                                      exceptional_basis="award", unit_rank="2/5")
        r = await client.post("/api/dossiers", json=payload, headers=applicant["headers"])
        assert r.status_code == 201, r.text
        assert r.json()["declaration"]["unit_rank"] == "2/5"

    async def test_unapproved_unit_cannot_be_the_employer(self, client, applicant):
        pending, _ = await create_unit(status=UnitStatus.pending)
        r = await client.post("/api/dossiers", json=declaration_payload(applicant["batch"], pending),
                              headers=applicant["headers"])
        assert r.status_code == 422 and r.json()["code"] == "unit_not_approved"

    async def test_one_dossier_per_person_per_batch(self, client, applicant):
        payload = declaration_payload(applicant["batch"], applicant["unit"])
        assert (await client.post("/api/dossiers", json=payload, headers=applicant["headers"])).status_code == 201
        r = await client.post("/api/dossiers", json=payload, headers=applicant["headers"])
        assert r.status_code == 409 and r.json()["code"] == "dossier_exists"
        assert await dossier_count() == 1

    async def test_pressing_twice_at_once_makes_one(self, client, applicant):
        import asyncio

        payload = declaration_payload(applicant["batch"], applicant["unit"])
        results = await asyncio.gather(*[client.post("/api/dossiers", json=payload, headers=applicant["headers"])
                                         for _ in range(3)])
        assert sorted(r.status_code for r in results) == [201, 409, 409]
        assert await dossier_count() == 1

    async def test_a_voided_dossier_blocks_the_batch(self, client, applicant):
        payload = declaration_payload(applicant["batch"], applicant["unit"])
        created = (await client.post("/api/dossiers", json=payload, headers=applicant["headers"])).json()
        await force_dossier(created["id"], status="voided")
        r = await client.post("/api/dossiers", json=payload, headers=applicant["headers"])
        assert r.status_code == 409 and r.json()["code"] == "dossier_voided"

    async def test_update_declaration_needs_if_match(self, client, applicant):
        payload = declaration_payload(applicant["batch"], applicant["unit"])
        r = await client.post("/api/dossiers", json=payload, headers=applicant["headers"])
        url = f"/api/dossiers/{r.json()['id']}/declaration"
        change = {k: v for k, v in payload.items() if k not in ("batch_id", "commitment_agreed")}
        change["specialty"] = "qzwh-s02"
        assert (await client.put(url, json=change, headers=applicant["headers"])).status_code == 428
        r2 = await client.put(url, json=change, headers={**applicant["headers"], "If-Match": r.headers["ETag"]})
        assert r2.status_code == 200 and r2.json()["declaration"]["specialty"] == "qzwh-s02"
        r3 = await client.put(url, json=change, headers={**applicant["headers"], "If-Match": r.headers["ETag"]})
        assert r3.status_code == 412 and r3.json()["current_version"] == r2.json()["version"]


class TestBatches:
    async def test_open_batches_are_listed_with_their_window(self, client, applicant):
        closed = await create_batch(open_now=False)
        listed = {b["id"]: b for b in (await client.get("/api/batches")).json()}
        assert listed[str(applicant["batch"].id)]["is_open"] is True
        assert listed[str(closed.id)]["is_open"] is False
        only_open = [b["id"] for b in (await client.get("/api/batches", params={"open_only": True})).json()]
        assert only_open == [str(applicant["batch"].id)]

    async def test_only_sysadmin_creates_batches(self, client, applicant):
        from tests.factories import create_sysadmin, login

        body = {"year": 2027, "name": "2027年度群众文化系列评审", "series": ["qzwh"], "levels": ["3"],
                "region_code": "370100", "opens_at": "2027-03-01T08:00:00+08:00",
                "closes_at": "2027-04-01T17:00:00+08:00"}
        assert (await client.post("/api/batches", json=body, headers=applicant["headers"])).status_code == 403
        admin = await login(client, await create_sysadmin())
        r = await client.post("/api/batches", json=body, headers=admin)
        assert r.status_code == 201, r.text
        assert r.json()["rules"]["summary_max_chars"] == 2000
        assert r.json()["rules"]["list_limits"]["achievements"] == 15
        r = await client.post("/api/batches", json={**body, "series": ["nope"]}, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == "series"
        r = await client.post("/api/batches", json={**body, "closes_at": "2027-02-01T08:00:00+08:00"}, headers=admin)
        assert r.status_code == 422
        r = await client.post("/api/batches", json=body, headers=admin)
        assert r.status_code == 409 and r.json()["code"] == "batch_exists"
