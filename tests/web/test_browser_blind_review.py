"""Through Debian's Chromium: the committee office opens its 代表作送审 list, makes the anonymised copies of a
dossier's representative works, draws and sends them with a seed; a drawn reviewer opens their assignment (which
names neither the applicant nor the unit), scores it, and the office's page shows the score and the average."""

from playwright.async_api import expect

from app.accounts.models import User
from app.committee.models import BlindAssignment
from tests.committee.blind_kit import APPLICANT, reviewers, switch_on, works_dossier
from tests.routing.conftest import build_world
from tests.web.browser import BROWSER, chromium_people, sign_in

pytestmark = BROWSER


async def test_office_sends_works_and_a_reviewer_scores(app, live, client):
    world = await build_world()
    await switch_on(world["batch"])
    await reviewers(client, world, 4)
    dossier = await works_dossier(world)
    office = (await User.find_one({"name": "评办经办"})).login
    async with chromium_people(live, "failure-blind-review") as open_page:
        page = await open_page()
        await sign_in(page, office)
        await page.goto("/committee/blind-reviews")
        row = page.locator("#blind-list tbody tr", has_text=APPLICANT)
        await expect(row).to_contain_text("未送审")
        await row.get_by_role("link", name="送审").click()
        await page.get_by_role("button", name="生成匿名副本").click()
        await expect(page.locator("#blind-works tbody tr")).to_have_count(2)
        await expect(page.locator("#blind-works")).to_contain_text("全部页面已检查")
        await page.fill("#blind-send input[name=seed]", "11")
        await page.get_by_role("button", name="抽取专家并送审").click()
        await expect(page.locator("#blind-progress tbody tr")).to_have_count(3)
        await expect(page.locator("#blind-progress")).to_contain_text("待评分")
        await expect(page.locator("#blind-round")).to_contain_text("种子 11")

        assignment = await BlindAssignment.find_one({"dossier_id": dossier.id})
        reviewer = await User.get(assignment.user_id)
        expert_page = await open_page()
        await sign_in(expert_page, reviewer.login)
        await expert_page.goto("/expert/blind-reviews")
        await expect(expert_page.locator("#my-blind-reviews")).to_contain_text(assignment.code)
        await expert_page.get_by_role("link", name="评分").click()
        await expect(expert_page.locator("#blind-works")).to_contain_text("代表作2")
        content = await expert_page.content()
        assert APPLICANT not in content and dossier.declaration.employer_unit_name not in content
        for n, value in enumerate(("30", "25", "20")):
            await expert_page.fill(f"#score-form input[name=points] >> nth={n}", value)
        await expert_page.fill("#score-form textarea[name=opinion]", "选题新颖，论证充分。")
        await expert_page.get_by_role("button", name="提交评分").click()
        await expect(expert_page.locator("#score-result")).to_contain_text("总分 75")

        await page.reload()
        await expect(page.locator("#blind-summary")).to_contain_text("已评1人，平均75分，合格1人")
        await expect(page.locator("#blind-progress")).to_contain_text("选题新颖，论证充分。")
