"""Download buttons: each page carries data-download addresses of the right APIs, for the right roles only."""

from types import SimpleNamespace

from app.accounts.enums import Role
from app.accounts.models import RoleGrant
from app.web.pages import dossier_forms
from tests.factories import create_person
from tests.committee.committee_kit import (
    make_experts,
    new_meeting,
    place_dossier,
    schedule,
)
from tests.routing.conftest import world  # noqa: F401  (the fixture)
from tests.web.test_dossier_pages import main_part
from tests.web.test_review_pages import office_account, page, unit_account

FORM_KEYS = ("application", "brief", "catalogue")


def assert_form_buttons(text: str, dossier_id) -> None:
    for form in FORM_KEYS:
        for fmt in ("pdf", "docx"):
            assert f'data-download="/api/dossiers/{dossier_id}/forms/{form}.{fmt}"' in text, (form, fmt)


class TestFormsOfADossier:
    def test_entrustment_and_certificate_only_when_they_exist(self):
        plain = SimpleNamespace(status="submitted", declaration=SimpleNamespace(entrusted_review=False),
                                certificate=None)
        assert [f for f, _ in dossier_forms(plain)] == list(FORM_KEYS)
        done = SimpleNamespace(status="certified", declaration=SimpleNamespace(entrusted_review=True),
                               certificate=object())
        assert [f for f, _ in dossier_forms(done)] == [*FORM_KEYS, "entrustment", "certificate"]

    async def test_applicant_dossier_and_tracking_pages(self, client, world):
        dossier_id = world["dossier_id"]
        for path in (f"/dossiers/{dossier_id}", f"/dossiers/{dossier_id}/track"):
            text = main_part(await page(client, world["applicant"], path))
            assert_form_buttons(text, dossier_id)
            assert "预览版" in text and "data-preview-note" in text
            assert "entrustment" not in text and "forms/certificate" not in text

    async def test_official_forms_carry_no_preview_note(self, client, world):
        accepted = await place_dossier(world, status="accepted", name="赵一鸣")
        text = main_part(await page(client, await office_account(), f"/review/{accepted.id}"))
        assert_form_buttons(text, accepted.id)
        assert "data-preview-note" not in text


class TestUnitPages:
    async def test_review_page_forms(self, client, world):
        employer = await unit_account(world["employer"])
        text = main_part(await page(client, employer, f"/review/{world['dossier_id']}"))
        assert_form_buttons(text, world["dossier_id"])

    async def test_queue_and_report_exports_follow_the_filters(self, client, world):
        employer = await unit_account(world["employer"])
        batch_id = world["batch"].id
        text = main_part(await page(client, employer, f"/review?batch_id={batch_id}&name=王"))
        assert f'data-download="/api/exports/overview.xlsx?view=pending&amp;batch_id={batch_id}"' in text
        assert f'data-download="/api/exports/roster.xlsx?view=pending&amp;batch_id={batch_id}"' in text
        assert 'data-download="/api/forms/batch" data-method="POST"' in text and 'data-picks="#queue-table"' in text
        text = main_part(await page(client, employer, "/report"))
        assert 'data-download="/api/exports/overview.xlsx?view=passed' in text
        assert 'data-download="/api/exports/roster.xlsx?view=passed' in text

    async def test_applicant_pages_have_no_unit_exports(self, client, world):
        text = main_part(await page(client, world["applicant"], f"/dossiers/{world['dossier_id']}"))
        assert "/api/exports/" not in text and "/api/forms/batch" not in text and "bundle" not in text


class TestCommitteePages:
    async def test_meeting_bundles_and_results_roster(self, client, world):
        accepted = await place_dossier(world, status="accepted", name="赵一鸣")
        office = await office_account()
        experts = await make_experts(client, world["department"], 3)
        meeting = await new_meeting(client, world, [e for e, _ in experts])
        await schedule(client, world, meeting["id"], [accepted.id])
        text = main_part(await page(client, office, f"/committee/meetings/{meeting['id']}"))
        assert f'data-download="/api/bundles.zip?meeting_id={meeting["id"]}"' in text and "下载材料包" in text
        assert f'data-download="/api/dossiers/{accepted.id}/bundle.zip"' in text
        text = main_part(await page(client, office, "/committee/results"))
        assert 'data-download="/api/exports/results.xlsx' in text and "评审结果花名册" in text


class TestArchives:
    async def test_archivist_tile_nav_and_page(self, client, world):
        archivist = await create_person(name="档案员", roles=[RoleGrant(role=Role.archivist)])
        home = await page(client, archivist, "/")
        assert 'class="tile" href="/archives"' in home and 'href="/archives"' in home.split("<main")[0]
        text = main_part(await page(client, archivist, "/archives"))
        row = text[text.index(f'data-batch="{world["batch"].id}"'):]
        row = row[:row.index("</tr>")]
        # nothing finished in the batch: the export is disabled with the reason, not a 404 on click
        assert "导出档案" in row and "disabled" in row and "暂无已办结的申报" in row and "data-download" not in row

    async def test_applicant_sees_no_archive_tile_and_is_refused(self, client, world):
        home = await page(client, world["applicant"], "/")
        assert "/archives" not in home
        text = await page(client, world["applicant"], "/archives", status=403)
        assert "<h1>出错了</h1>" in text and "archives.zip" not in text

    async def test_anonymous_is_sent_to_login(self, client):
        response = await client.get("/archives")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
