"""Through Debian's Chromium: the committee office imports its experts from the Excel template (a bad file
first: nothing stored, each bad row listed), opens a record, then on a meeting's draw page previews the
candidates and conflicts, draws, replays the draw and swaps a member with a reason."""

from playwright.async_api import expect

from app.accounts.models import User
from app.experts.models import Expert
from tests.committee.committee_kit import new_meeting, place_dossier, schedule
from tests.experts.kit import library_experts, sheet_row, xlsx
from tests.routing.conftest import world  # noqa: F401  (the fixture: units, paths, committee, a submitted dossier)
from tests.web.browser import BROWSER, chromium_people, sign_in

pytestmark = BROWSER


async def test_library_import_and_meeting_draw(app, world, live, client, tmp_path):
    office = (await User.find_one({"name": "评办经办"})).login
    rows = [sheet_row(i) for i in range(6)]
    bad = [list(r) for r in rows]
    bad[2][1] = "123"
    (tmp_path / "bad.xlsx").write_bytes(xlsx(bad))
    (tmp_path / "good.xlsx").write_bytes(xlsx(rows))
    dossier = await place_dossier(world, name="李晓华")
    meeting = await new_meeting(client, world, [])
    await schedule(client, world, meeting["id"], [dossier.id])
    await library_experts(client, world, 5)
    async with chromium_people(live, "failure-experts") as open_page:
        page = await open_page()
        page.on("dialog", lambda dialog: dialog.accept())
        await sign_in(page, office)
        await page.goto("/committee/experts")
        await page.set_input_files("#expert-import input[type=file]", str(tmp_path / "bad.xlsx"))
        await page.get_by_role("button", name="导入", exact=True).click()
        await expect(page.locator("#expert-import .alert")).to_contain_text("未导入任何专家")
        await expect(page.locator("#expert-import .errors")).to_contain_text("第4行 身份证号")
        assert await Expert.count() == 5
        await page.set_input_files("#expert-import input[type=file]", str(tmp_path / "good.xlsx"))
        await page.get_by_role("button", name="导入", exact=True).click()
        await expect(page.locator("#experts")).to_contain_text("专家05")
        assert await Expert.count() == 11
        await page.get_by_role("link", name="专家03").click()
        await expect(page.locator("#commitment")).to_contain_text("评审承诺书")

        await page.goto(f"/committee/meetings/{meeting['id']}/draw")
        await page.fill("#draw input[name=members]", "3")
        await page.get_by_role("button", name="预览候选专家和回避情形").click()
        await expect(page.locator("#preview")).to_contain_text("可抽取的专家 5 人")
        await expect(page.locator("#preview")).to_contain_text("本聘期未签署评审承诺书")
        await page.get_by_role("button", name="抽取并邀请").click()
        await expect(page.locator("#result")).to_contain_text("评审专家")
        await page.get_by_role("button", name="复现抽取").click()
        await expect(page.locator("#replay")).to_have_text("复现结果与记录一致")
        await page.fill("#swap input[name=reason]", "因病不能到会")
        await page.get_by_role("button", name="换人", exact=True).click()
        await expect(page.locator("#result")).to_contain_text("因病不能到会")
