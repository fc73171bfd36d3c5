"""End to end: submission → three nodes → accepted → meeting and votes → approved → publicity with
opinions up the route → closed → certificate → public verification."""

from datetime import date

import pytest

from app.dossiers.models import Dossier
from app.units.enums import UnitCategory
from tests.factories import create_unit
from tests.committee.committee_kit import (make_experts, new_meeting, present_and_open, relogin, schedule,
                                         set_china_date, vote)
from tests.routing.conftest import act


@pytest.mark.http_world      # end to end: the dossier is filled and submitted over HTTP, as a user does
async def test_from_submission_to_verified_certificate(client, world):
    dossier_id = world["dossier_id"]
    for node in ("as_employer", "as_department", "as_hr"):
        assert (await act(client, world, node, "pass", opinion="同意推荐")).status_code == 200
        assert (await act(client, world, node, "report")).status_code == 200
    r = await act(client, world, "as_office", "accept", opinion="资格审查通过")
    assert r.json()["status"] == "accepted"

    library, _ = await create_unit(name="济南市图书馆", parent=world["department"], region_code="370100",
                                   category=UnitCategory.city_affiliated)
    experts = await make_experts(client, library, 3)
    meeting = await new_meeting(client, world, [e for e, _ in experts])
    await schedule(client, world, meeting["id"], [dossier_id])
    await present_and_open(client, world, meeting["id"], [e for e, _ in experts])
    for _, headers in experts:
        assert (await vote(client, headers, meeting["id"], dossier_id, "yes")).status_code == 201
    r = await client.post(f"/api/meetings/{meeting['id']}/close", headers=world["as_office"])
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "approved"
    trail = (await client.get(f"/api/dossiers/{dossier_id}/trail", headers=world["as_applicant"])).json()
    assert trail[-1]["to_status_label"] == "评审通过" and "同意3票" in trail[-1]["opinion"]

    set_china_date(date(2026, 12, 28))                     # 5 working days over New Year's Day → 2027-01-04
    await relogin(client, world)
    r = await client.post("/api/publicity/publish", json={"ids": [dossier_id], "confirm": True},
                          headers=world["as_office"])
    assert r.json()["done"] == 1
    r = await client.post(f"/api/publicity/{dossier_id}/opinion", data={"opinion": "no_objection"},
                          headers=world["as_employer"])
    assert r.status_code == 200 and r.json()["ends_on"] == "2027-01-04"
    for who, unit in (("as_employer", "employer"), ("as_department", "department"), ("as_hr", "hr")):
        if who != "as_employer":
            r = await client.post("/api/publicity/reviews/batch", json={"ids": [dossier_id], "confirm": True},
                                  headers=world[who])
            assert r.json()["done"] == 1, r.text
        r = await client.post("/api/publicity/submit", json={"unit_id": str(world[unit].id), "confirm": True},
                              headers=world[who])
        assert r.json()["done"] == 1, r.text
    set_china_date(date(2027, 1, 5))
    await relogin(client, world)
    r = await client.post(f"/api/publicity/{dossier_id}/close", headers=world["as_office"])
    assert r.status_code == 200 and r.json()["status_label"] == "公示结束"

    r = await client.post("/api/certificates", headers=world["as_office"], json={
        "ids": [dossier_id], "document_number": "济人社职字〔2027〕3号", "issued_on": "2027-01-08",
        "issuing_body": "济南市人力资源和社会保障局", "confirm": True})
    assert r.json()["done"] == 1, r.text
    mine = (await client.get("/api/dossiers", headers=world["as_applicant"])).json()[0]
    assert mine["status_label"] == "已发证" and mine["certificate_number"] == "2027370100QZWHZ00001"
    certificate = (await client.get(f"/api/dossiers/{dossier_id}/certificate", headers=world["as_applicant"])).json()
    client.cookies.clear()
    r = await client.get("/api/certificates/verify",
                         params={"number": certificate["number"], "code": certificate["verification_code"]})
    assert r.status_code == 200 and r.json()["holder_name"] == "王*明" and r.json()["title_name"] == "馆员"
    dossier = await Dossier.get(dossier_id)
    assert [t.action for t in dossier.trail][-6:] == ["accept", "schedule", "decide", "publish", "close_publicity",
                                                      "certify"]
