"""The expert library's pages render for the office (Chinese, with the records) and are refused to others."""

from app.accounts.enums import AuditKind
from app.accounts.models import AuditEvent
from tests.committee.committee_kit import new_meeting, place_dossier, schedule
from tests.experts.kit import library_experts


async def test_library_record_roster_and_draw_pages(client, world):
    dossier = await place_dossier(world, name="李晓华")
    meeting = await new_meeting(client, world, [])
    await schedule(client, world, meeting["id"], [dossier.id])
    [(expert, _, own)] = await library_experts(client, world, 1)
    office = world["as_office"]
    page = await client.get("/committee/experts", headers=office)
    assert page.status_code == 200 and "专家库" in page.text and "库专家1" in page.text and expert["id_number"] in page.text
    before = await AuditEvent.find({"kind": AuditKind.expert_viewed}).count()
    record = await client.get(f"/committee/experts/{expert['id']}", headers=office)
    assert record.status_code == 200 and "评审承诺书" in record.text
    assert await AuditEvent.find({"kind": AuditKind.expert_viewed}).count() == before + 1
    roster = await client.get(f"/committee/rosters/{world['committee'].code}", headers=office)
    assert roster.status_code == 200 and "组成人员" in roster.text
    await client.post(f"/api/meetings/{meeting['id']}/draw", headers=office,
                      json={"series": "qzwh", "members": 1, "reserves": 0, "seed": 3, "confirm": True})
    draw = await client.get(f"/committee/meetings/{meeting['id']}/draw", headers=office)
    assert draw.status_code == 200 and "抽取结果" in draw.text and "库专家1" in draw.text
    for url in ("/committee/experts", f"/committee/experts/{expert['id']}",
                f"/committee/meetings/{meeting['id']}/draw"):
        refused = await client.get(url, headers=world["as_applicant"])
        assert refused.status_code in (403, 404) and "库专家1" not in refused.text
