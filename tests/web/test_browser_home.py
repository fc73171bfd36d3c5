"""Through Debian's Chromium: the applicant's home says where the dossier is and leads to its next step; the
employer's home counts what waits (待审核 1), the count leads to the filtered queue, whose 申报职称 filter
cascades from the chosen series and level."""

import re

from playwright.async_api import expect

from app.accounts.models import User
from tests.routing import conftest as routing
from tests.web.browser import BROWSER, chromium_people, shot, sign_in

pytestmark = BROWSER
world = routing.world      # the fixture: employer → department → HR bureau → committee, one submitted dossier


async def test_the_applicant_and_the_employer_start_from_their_to_do(app, world, live):
    dossier_id = world["dossier_id"]
    employer = (await User.find_one({"unit_id": world["employer"].id, "kind": "unit"})).login
    async with chromium_people(live, "failure-home") as open_page:
        person = await open_page()
        await sign_in(person, world["applicant"].login)
        row = person.locator(f'#my-steps tr[data-dossier="{dossier_id}"]')
        await expect(row).to_contain_text("待审核")
        await expect(row).to_contain_text(world["employer"].name)
        await expect(person.get_by_role("navigation", name="常用功能")).to_contain_text("我的申报")
        await shot(person, "10-home-applicant")
        await row.get_by_role("link", name=re.compile("等待")).click()
        await person.wait_for_url(f"**/dossiers/{dossier_id}/track")

        unit = await open_page()
        await sign_in(unit, employer)
        pending = unit.locator(".todo-item", has_text="待审核")
        await expect(pending.locator(".todo-count")).to_have_text("1")
        await expect(unit.locator(".todo-item", has_text="待上报").locator(".todo-count")).to_have_text("0")
        await shot(unit, "11-home-unit")
        await pending.get_by_role("link").click()
        await unit.wait_for_url("**/review?tab=pending")
        await expect(unit.locator("#queue-table tbody tr")).to_have_count(1)

        title = unit.locator("#q-title")
        await expect(title.locator("option")).to_have_text(["请先选择职称系列"])
        await unit.locator("#q-series").select_option("qzwh")
        await unit.locator("#q-level").select_option("3")
        await expect(title.locator("option")).to_have_text(["全部", "馆员"])
        await unit.locator("#q-series").select_option("tszl")
        await unit.locator("#q-level").select_option("")
        await expect(title.locator("option", has_text=re.compile("^馆员$"))).to_have_count(1)
