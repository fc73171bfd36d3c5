"""Statistics (app.exports.statistics) against the hand-counted world of tests/stats_world.py: pass rates,
the figures by level and kind, the review nodes' median and slowest times, the scope of each role, and the
Excel workbook's numbers against the API's."""

import io

import openpyxl
import pytest

from app.exports import statistics
from tests import stats_world
from tests.factories import bearer

HOUR = 3600


@pytest.fixture
async def world(clean_database):
    return await stats_world.build()


async def get(client, user, path, **params):
    response = await client.get(path, params=params, headers=await bearer(user))
    return response


def by_key(body: dict) -> dict:
    return {r["key"]: (r["declarations"], r["passed"], r["not_passed"], r["rate"]) for r in body["rows"]}


async def test_hr_bureau_counts_its_region_by_level_and_kind(client, world):
    hr = world.users["hr"]
    for scope in (None, "region:3701"):
        params = {"scope": scope} if scope else {}
        r = await get(client, hr, "/api/statistics/figures", by="level", **params)
        assert r.status_code == 200, r.text
        body = r.json()
        # d1..d5: 5 declared, d1 d3 d4 passed, d2 not: 3/5 = 60 %; f1 (another city) is not counted
        assert body["total"] == {"declarations": 5, "passed": 3, "not_passed": 1, "rate": 60.0}
        assert by_key(body) == {"3": (2, 1, 1, 50.0), "2": (2, 2, 0, 100.0), "4": (1, 0, 0, 0.0)}
    kinds = (await get(client, hr, "/api/statistics/figures", by="kind")).json()
    assert by_key(kinds) == {"review": (3, 2, 1, 66.7), "initial": (2, 1, 0, 50.0)}
    units = (await get(client, hr, "/api/statistics/figures", by="unit")).json()
    assert by_key(units) == {str(world.units["E1"].id): (3, 1, 1, 33.3), str(world.units["E2"].id): (2, 2, 0, 100.0)}
    regions = (await get(client, hr, "/api/statistics/figures", by="region")).json()
    assert by_key(regions) == {"370102": (3, 1, 1, 33.3), "370103": (2, 2, 0, 100.0)}
    batches = (await get(client, hr, "/api/statistics/figures", by="batch")).json()
    assert by_key(batches) == {str(world.batches["review"]): (3, 2, 1, 66.7),
                               str(world.batches["initial"]): (2, 1, 0, 50.0)}


async def test_filters_narrow_the_figures(client, world):
    hr = world.users["hr"]
    narrowed = (await get(client, hr, "/api/statistics/figures", by="level", kind="initial")).json()
    assert by_key(narrowed) == {"2": (1, 1, 0, 100.0), "4": (1, 0, 0, 0.0)}
    one = (await get(client, hr, "/api/statistics/figures", by="kind", level="3",
                     batch_id=str(world.batches["review"]))).json()
    assert by_key(one) == {"review": (2, 1, 1, 50.0)}
    none = (await get(client, hr, "/api/statistics/figures", by="level", kind="recognition")).json()
    assert none["rows"] == [] and none["total"]["declarations"] == 0


async def test_node_times_median_and_slowest(client, world):
    r = await get(client, world.users["hr"], "/api/statistics/nodes")
    assert r.status_code == 200, r.text
    nodes = {n["node"]: (n["count"], n["median_seconds"], n["slowest_seconds"]) for n in r.json()["nodes"]}
    # unit: 24 48 12 6 72 h; department: 48 12 24; hr: 24 48; committee: 24 2 (f1's 1000 h is another city's)
    assert nodes == {"unit": (5, 24 * HOUR, 72 * HOUR), "department": (3, 24 * HOUR, 48 * HOUR),
                     "hr": (2, 36 * HOUR, 48 * HOUR), "committee": (2, 13 * HOUR, 24 * HOUR)}


async def test_each_role_counts_its_own_scope_and_no_other(client, world):
    total = lambda body: body["total"]["declarations"]  # noqa: E731
    unit = (await get(client, world.users["unit"], "/api/statistics/figures", by="level")).json()
    assert total(unit) == 3 and by_key(unit)["3"] == (2, 1, 1, 50.0)           # E1: d1 d2 d5
    department = (await get(client, world.users["department"], "/api/statistics/figures", by="unit")).json()
    assert total(department) == 5
    office = (await get(client, world.users["office"], "/api/statistics/figures", by="level")).json()
    assert office["scope"] == f"committee:{stats_world.CODE}" and by_key(office) == {"3": (2, 1, 1, 50.0)}
    foreign = world.users["foreign"]
    mine = (await get(client, foreign, "/api/statistics/figures", by="unit")).json()
    assert by_key(mine) == {str(world.units["F"].id): (1, 1, 0, 100.0)}
    nodes = (await get(client, foreign, "/api/statistics/nodes")).json()["nodes"]
    # 1000 h is counted to the day beyond three days (app.dossiers.counts): 41 days
    assert [(n["count"], n["slowest_seconds"]) for n in nodes if n["node"] == "unit"] == [(1, 41 * 24 * HOUR)]
    for path in ("/api/statistics/figures", "/api/statistics/nodes", "/api/statistics.xlsx"):
        refused = await get(client, foreign, path, scope=str(world.units["E1"].id))
        assert refused.status_code == 404 and refused.json()["code"] == "scope_not_found"
    scopes = (await get(client, foreign, "/api/statistics/scopes")).json()
    assert [s["key"] for s in scopes] == [str(world.units["F"].id)]


async def test_applicants_have_no_statistics(client, world):
    r = await get(client, world.users["applicant"], "/api/statistics/figures")
    assert r.status_code == 403 and r.json()["code"] == "statistics_forbidden"


async def test_a_bad_dimension_is_a_clear_422(client, world):
    r = await get(client, world.users["hr"], "/api/statistics/figures", by="colour")
    assert r.status_code == 422 and r.json()["field"] == "by"


async def test_the_figure_by_unit_keeps_the_largest_and_sums_the_rest_in_api_page_and_workbook(
        client, world, monkeypatch):
    """With a page of one unit (TOP_UNITS, 20 in use) the city's two employers show as the larger, E1 (3
    declarations), and "其他单位" holding E2's two; the workbook and the page's table carry the same rows."""
    monkeypatch.setattr(statistics, "TOP_UNITS", 1)
    hr = world.users["hr"]
    api = (await get(client, hr, "/api/statistics/figures", by="unit")).json()
    e1 = str(world.units["E1"].id)
    assert by_key(api) == {e1: (3, 1, 1, 33.3), "others": (2, 2, 0, 100.0)}
    assert api["rows"][-1]["label"] == "其他单位" and api["total"]["declarations"] == 5
    book = openpyxl.load_workbook(io.BytesIO((await get(client, hr, "/api/statistics.xlsx")).content))
    assert list(book["按用人单位"].iter_rows(min_row=2, values_only=True)) == [
        *((r["label"], r["declarations"], r["passed"], r["not_passed"], r["rate"]) for r in api["rows"]),
        ("合计", 5, 3, 1, 60.0)]
    page = (await get(client, hr, "/statistics", by="unit")).text
    assert 'data-key="others"><td>其他单位</td><td>2</td><td>2</td><td>0</td><td>100.0</td>' in page
    assert 'id="stats-top-units"' in page
    one = (await get(client, hr, "/api/statistics/figures", by="unit", employer_unit_id=str(world.units["E2"].id))).json()
    assert by_key(one) == {str(world.units["E2"].id): (2, 2, 0, 100.0)}     # one unit: no rest row


async def test_the_workbook_carries_the_api_numbers(client, world):
    hr = world.users["hr"]
    r = await get(client, hr, "/api/statistics.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    for by, title in statistics.DIMENSIONS.items():
        api = (await get(client, hr, "/api/statistics/figures", by=by)).json()
        sheet = list(book[f"按{title}"].iter_rows(min_row=2, values_only=True))
        expected = [(row["label"], row["declarations"], row["passed"], row["not_passed"], row["rate"])
                    for row in api["rows"]]
        total = api["total"]
        assert sheet == [*expected, ("合计", total["declarations"], total["passed"], total["not_passed"], total["rate"])]
    nodes = (await get(client, hr, "/api/statistics/nodes")).json()["nodes"]
    sheet = list(book["各环节用时"].iter_rows(min_row=2, values_only=True))
    assert [(s[0], s[1], s[4], s[5]) for s in sheet] == [
        (n["label"], n["count"], n["median_seconds"], n["slowest_seconds"]) for n in nodes]
    assert sheet[0][1:4] == (5, 1.0, 3.0)                 # 用人单位审核: 5 dossiers, median 1 day, slowest 3


def test_durations_are_pure():
    got = statistics.durations({"unit": [10, 30, 20, 40], "hr": []})
    assert [(n["node"], n["count"], n["median_seconds"], n["slowest_seconds"]) for n in got] == [
        ("unit", 4, 25, 40), ("department", 0, 0, 0), ("hr", 0, 0, 0), ("committee", 0, 0, 0)]
    assert statistics.rate(2, 3) == 66.7 and statistics.rate(0, 0) == 0.0


async def structure_world(client, world) -> None:
    """The bureau approves E1 1 副高 and 2 中级 posts, E2 10 posts at 1:3:6; E1 keeps three people: a 中级 title
    appointed 中级, a 中级 title not appointed, a 副高 title not appointed."""
    from tests.personnel.test_personnel_api import id_number

    hr, e1 = await bearer(world.users["hr"]), await bearer(world.users["unit"])
    for unit, body in ((world.units["E1"], {"counts": {"deputy_senior": 1, "intermediate": 2}}),
                       (world.units["E2"], {"ratio": [1, 3, 6], "total": 10})):
        r = await client.put(f"/api/units/{unit.id}/post-quotas/2026", json=body, headers=hr)
        assert r.status_code == 200, r.text
    for n, (level, title) in enumerate((("3", "馆员"), ("3", "馆员"), ("4", "副研究馆员"))):
        r = await client.post(f"/api/units/{world.units['E1'].id}/personnel", headers=e1, json={
            "name": f"职工{n}", "id_number": id_number(n),
            "titles": [{"series": "qzwh", "level": level, "title_name": title}]})
        assert r.status_code == 201, r.text
        if n == 0:
            r = await client.post(f"/api/personnel/{r.json()['id']}/appointments", headers=e1, json={
                "level": "intermediate", "starts_on": "2026-03-01", "document_number": "馆人〔2026〕1号"})
            assert r.status_code == 200, r.text


async def test_structure_ratios_across_the_units_in_scope(client, world):
    await structure_world(client, world)
    r = await get(client, world.users["hr"], "/api/statistics/structure", year=2026)
    assert r.status_code == 200, r.text
    body = r.json()
    lines = {(u["unit_name"], line["label"]): (line["approved"], line["appointed"], line["vacant"],
                                               line["titled_not_appointed"]) for u in body["units"] for line in u["lines"]}
    assert lines[("济南市群艺馆", "副高级")] == (1, 0, 1, 1)
    assert lines[("济南市群艺馆", "中级")] == (2, 1, 1, 1)
    assert lines[("济南市图书馆", "高级")] == (1, 0, 1, 0) and lines[("济南市图书馆", "初级")] == (6, 0, 6, 0)
    totals = {t["label"]: (t["approved"], t["appointed"], t["vacant"]) for t in body["totals"]}
    assert totals["中级"] == (5, 1, 4) and totals["高级"] == (1, 0, 1)      # E1 2 + E2 3 (10 at 1:3:6)
    mine = (await get(client, world.users["unit"], "/api/statistics/structure", year=2026)).json()
    assert [u["unit_name"] for u in mine["units"]] == ["济南市群艺馆"]        # E1 sees itself only
    foreign = (await get(client, world.users["foreign"], "/api/statistics/structure", year=2026)).json()
    assert foreign["units"] == [] and foreign["totals"] == []
    book = openpyxl.load_workbook(io.BytesIO((await get(client, world.users["hr"], "/api/statistics.xlsx",
                                                        year=2026)).content))
    sheet = list(book["岗位结构比例"].iter_rows(min_row=2, values_only=True))
    assert sheet == [*[(u["unit_name"], line["label"], line["approved"], line["appointed"], line["vacant"],
                        line["titled_not_appointed"]) for u in body["units"] for line in u["lines"]],
                     *[("合计", t["label"], t["approved"], t["appointed"], t["vacant"], t["titled_not_appointed"])
                       for t in body["totals"]]]


async def test_structure_narrowed_to_one_unit_keeps_to_the_scope(client, world):
    await structure_world(client, world)
    e2 = str(world.units["E2"].id)
    mine = (await get(client, world.users["hr"], "/api/statistics/structure", year=2026, employer_unit_id=e2)).json()
    assert [u["unit_id"] for u in mine["units"]] == [e2]
    foreign = (await get(client, world.users["foreign"], "/api/statistics/structure", year=2026,
                         employer_unit_id=e2)).json()
    assert foreign["units"] == []
