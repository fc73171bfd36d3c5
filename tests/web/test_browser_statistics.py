"""Through Debian's Chromium: the statistics page draws its charts (ECharts' canvas, under the service's CSP)
and its tables carry the API's numbers for the hand-counted world of tests/stats_world.py."""

from playwright.async_api import expect

from tests import stats_world
from tests.test_statistics import structure_world
from tests.factories import bearer
from tests.web.browser import BROWSER, chromium_page, shot, sign_in

pytestmark = BROWSER


async def _cells(page, table: str) -> list[list[str]]:
    return [[c.strip() for c in await row.locator("td").all_inner_texts()]
            for row in await page.locator(f"#{table} tbody tr").all()]


async def test_the_statistics_page_draws_charts_with_the_api_numbers(app, client, live, clean_database):
    world = await stats_world.build()
    await structure_world(client, world)
    hr = world.users["hr"]
    headers = await bearer(hr)
    async with chromium_page(live, "failure-statistics") as page:
        await sign_in(page, hr.login)
        for by in ("level", "kind", "unit", "region"):
            await page.goto(f"/statistics?by={by}")
            for chart in ("#chart-figures", "#chart-nodes"):
                await expect(page.locator(chart)).to_have_attribute("data-drawn", "true")
                await expect(page.locator(f"{chart} canvas").first).to_be_visible()
            api = (await client.get("/api/statistics/figures", params={"by": by}, headers=headers)).json()
            assert await _cells(page, "table-figures") == [
                [r["label"], str(r["declarations"]), str(r["passed"]), str(r["not_passed"]), str(r["rate"])]
                for r in api["rows"]]
            assert [c.strip() for c in await page.locator("#table-figures tfoot td").all_inner_texts()] == [
                str(api["total"][k]) for k in ("declarations", "passed", "not_passed", "rate")]
            await shot(page, f"50-statistics-{by}")
        nodes = (await client.get("/api/statistics/nodes", headers=headers)).json()["nodes"]
        assert await _cells(page, "table-nodes") == [
            [n["label"], str(n["count"]), str(n["median_days"]), str(n["slowest_days"])] for n in nodes]
        assert (await _cells(page, "table-nodes"))[0] == ["用人单位审核", "5", "1.0", "3.0"]
        # The structure ratios of the year: a chart and the API's lines in the table.
        await page.goto("/statistics?year=2026")
        await expect(page.locator("#chart-structure")).to_have_attribute("data-drawn", "true")
        structure = (await client.get("/api/statistics/structure", params={"year": 2026}, headers=headers)).json()
        assert await _cells(page, "table-structure") == [
            [u["unit_name"], line["label"], *(str(line[k]) for k in ("approved", "appointed", "vacant",
                                                                     "titled_not_appointed"))]
            for u in structure["units"] for line in u["lines"]]
        assert len(structure["units"]) == 2
        await shot(page, "50-statistics-structure")
        # The filter bar narrows the page as the API: 初定 only.
        await page.select_option("#s-kind", "initial")
        await page.get_by_role("button", name="查询").click()
        await page.wait_for_url("**kind=initial**")
        await expect(page.locator("#table-figures tfoot td").first).to_have_text("2")
        href = await page.locator("#stats-export").get_attribute("href")
        assert href.startswith("/api/statistics.xlsx?") and "kind=initial" in href
