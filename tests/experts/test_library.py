"""The expert library over the API: records, the Excel import (all or nothing), export and template,
the commitment per term, the audit of views, and the roster's size rule."""

from datetime import timedelta

from openpyxl import load_workbook
import io

from app.accounts.enums import AuditKind
from app.accounts.models import AuditEvent
from app.experts.models import Expert
from tests.experts.kit import import_xlsx, library_experts, record, sheet_row, today, xlsx
from tests.factories import create_sysadmin, bearer


async def test_import_of_30_experts_then_list_export_and_template(client, world):
    r = await import_xlsx(client, world["as_office"], xlsx([sheet_row(i) for i in range(30)]))
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 30}
    listed = (await client.get("/api/expert-library", headers=world["as_office"])).json()
    assert len(listed) == 30
    assert {e["series"] for e in listed} == {"qzwh"} and {e["level"] for e in listed} == {"5"}   # names → codes
    assert all("*" in e["id_number"] and e["relatives"] == [] for e in listed)                  # masked in lists
    one = await Expert.find_one({"name": "专家01"})
    assert one.former_units[0].unit_name == "济南市文化馆" and one.coauthors == ["钱明远", "孙雅琴"]
    exported = await client.get("/api/expert-library/export.xlsx", headers=world["as_office"])
    assert exported.status_code == 200
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert len(rows) == 31 and all("*" in row[1] for row in rows[1:])
    template = await client.get("/api/expert-library/template.xlsx", headers=world["as_office"])
    assert template.status_code == 200 and "attachment" in template.headers["content-disposition"]


async def test_a_bad_file_stores_nothing_and_names_each_bad_row_and_column(client, world):
    rows = [sheet_row(i) for i in range(30)]
    rows[3][1] = "370102196501011230"                       # check digit wrong
    rows[7][4] = "不存在的系列"
    rows[12][11] = (today() + timedelta(days=4 * 365)).isoformat()   # a term of over 3 years
    rows[20][1] = rows[21][1]                                # the same ID number twice
    r = await import_xlsx(client, world["as_office"], xlsx(rows))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "import_invalid" and body["field"] == "file" and "未导入任何专家" in body["message"]
    found = {(e["row"], e["field"]) for e in body["errors"]}
    assert found == {(5, "id_number"), (9, "series"), (14, "term_end"), (23, "id_number")}
    assert len(body["errors"]) == 4
    assert await Expert.count() == 0
    assert (await import_xlsx(client, world["as_office"], b"not a workbook")).json()["code"] == "bad_file"


async def test_commitment_once_per_term_and_each_view_is_audited(client, world):
    [(expert, user, own)] = await library_experts(client, world, 1, commit=False)
    assert expert["committed_at"] is None
    r = await client.post(f"/api/expert-library/{expert['id']}/commitment", headers=own)     # the expert signs
    assert r.status_code == 200 and r.json()["committed_at"]
    again = await client.post(f"/api/expert-library/{expert['id']}/commitment", headers=world["as_office"])
    assert again.status_code == 409 and again.json()["code"] == "already_committed"
    before = await AuditEvent.find({"kind": AuditKind.expert_viewed}).count()
    for _ in range(2):
        r = await client.get(f"/api/expert-library/{expert['id']}", headers=world["as_office"])
        assert r.status_code == 200 and "*" not in r.json()["id_number"]
    assert await AuditEvent.find({"kind": AuditKind.expert_viewed}).count() == before + 2
    # another unit's applicant cannot see the record
    assert (await client.get(f"/api/expert-library/{expert['id']}", headers=world["as_applicant"])).status_code == 403


async def test_an_expired_term_cannot_sign_and_terms_over_three_years_are_refused(client, world):
    start = today() - timedelta(days=3 * 365)
    r = await client.post("/api/expert-library", headers=world["as_office"],
                          json=record(term_start=start.isoformat(), term_end=(today() - timedelta(days=1)).isoformat()))
    assert r.status_code == 201 and r.json()["expired"] is True
    signed = await client.post(f"/api/expert-library/{r.json()['id']}/commitment", headers=world["as_office"])
    assert signed.status_code == 409 and signed.json()["code"] == "term_expired"
    long = await client.post("/api/expert-library", headers=world["as_office"],
                             json=record(term_end=(today() + timedelta(days=4 * 365)).isoformat()))
    assert long.status_code == 422 and long.json()["field"] == "term_end" and "3年" in long.json()["message"]


async def test_roster_size_is_checked_when_saved(client, world):
    experts = await library_experts(client, world, 11, commit=False)
    ids = [e["id"] for e, _, _ in experts]
    code = world["committee"].code
    even = await client.put(f"/api/expert-rosters/{code}", json={"expert_ids": ids[:10]}, headers=world["as_office"])
    assert even.status_code == 422 and even.json()["code"] == "roster_size" and "奇数" in even.json()["message"]
    small = await client.put(f"/api/expert-rosters/{code}", json={"expert_ids": ids[:9]}, headers=world["as_office"])
    assert small.status_code == 422 and "不少于11人" in small.json()["message"]
    ok = await client.put(f"/api/expert-rosters/{code}", json={"expert_ids": ids}, headers=world["as_office"])
    assert ok.status_code == 200 and len(ok.json()["experts"]) == 11
    admin = await bearer(await create_sysadmin())
    r = await client.put("/api/expert-rules", json={"minimums": {"intermediate": 9}}, headers=admin)
    assert r.status_code == 200 and r.json()["minimums"]["intermediate"] == 9
    nine = await client.put(f"/api/expert-rosters/{code}", json={"expert_ids": ids[:9]}, headers=world["as_office"])
    assert nine.status_code == 200 and len(nine.json()["experts"]) == 9


async def test_two_imports_of_the_same_file_at_once_store_it_once(client, world):
    """The two requests interleave (each awaits a read per row): when both pass their checks before either
    stores, the unique index lets one in and the other is undone whole (409); when one stores first, the
    other's check names the rows (422). Either way the library holds each expert once."""
    import asyncio

    content = xlsx([sheet_row(i) for i in range(30)])
    first, second = await asyncio.gather(import_xlsx(client, world["as_office"], content),
                                         import_xlsx(client, world["as_office"], content))
    assert sorted([first.status_code, second.status_code]) in ([200, 409], [200, 422]), (first.text, second.text)
    assert await Expert.count() == 30
