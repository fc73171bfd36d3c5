"""The new dossier fields on the pages: a typed specialty flagged to reviewers, the new sections' editors."""

from app.dossiers.models import Dossier
from tests.factories import force_dossier
from tests.routing.conftest import world  # noqa: F401  (the fixture)
from tests.web.test_review_pages import page, unit_account


async def test_reviewers_see_a_typed_specialty_flagged(client, world):
    employer = await unit_account(world["employer"])
    path = f"/review/{world['dossier_id']}"
    assert 'id="specialty-unlisted"' not in await page(client, employer, path)
    snapshots = len((await Dossier.get(world["dossier_id"])).snapshots)
    typed = {"declaration.specialty": "街舞", "declaration.specialty_unlisted": True}
    await force_dossier(world["dossier_id"], **typed,
                        **{f"snapshots.{snapshots - 1}.{key}": value for key, value in typed.items()})
    text = await page(client, employer, path)
    assert 'id="specialty-unlisted"' in text and "申报专业“街舞”为申报人手工录入" in text
    assert "街舞（手工录入，专业列表中没有，待核实）" in text


async def test_the_new_sections_have_editors(client, world):
    from tests.web.test_pages import cookie_login

    await force_dossier(world["dossier_id"], status="draft")
    await cookie_login(client, world["applicant"])
    for section, expected in (("previous_titles", "改系列前专业技术资格"), ("qualifications", "从业资格名称"),
                              ("technical_summary", "在技术项目中发挥的作用、解决的技术难题"),
                              ("work_history", "从事专业技术工作"), ("current_title", "聘任年限")):
        r = await client.get(f"/dossiers/{world['dossier_id']}/sections/{section}")
        assert r.status_code == 200 and expected in r.text, section
    r = await client.get(f"/dossiers/{world['dossier_id']}/sections/current_title")
    assert "按现有信息自动计算：" in r.text          # 聘任年限 from the appointment date
