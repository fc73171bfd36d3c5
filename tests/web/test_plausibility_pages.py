"""The plausibility warnings (app.dossiers.plausibility: unusual but possible dates) reach the applicant where
they can still act on them: the dossier page's completeness card, the section page and the 确认申报 dialog, as
warnings that never block the submission; and the reviewer's review page flags the same finding to verify."""

from app.accounts.models import User
from tests.factories import force_dossier
from tests.routing.conftest import act, world  # noqa: F401  (the fixture)
from tests.web.test_pages import HTML, cookie_login

# Born 1985-03-15 (the factories' ID number); 本科 in 2003 at 18: possible, unusual (degree_young, a warning).
YOUNG = {"start": "1999-09", "end": "2003-07"}
MESSAGE = "学历信息第1项：大学本科毕业（2003-07）时申报人不满19周岁，请核实"


async def young_degree(world, *, snapshot: bool = True) -> None:
    fields = {f"sections.education.rows.0.{k}": v for k, v in YOUNG.items()}
    if snapshot:
        fields |= {f"snapshots.0.sections.education.rows.0.{k}": v for k, v in YOUNG.items()}
    await force_dossier(world["dossier_id"], **fields)


async def page(client, user, path: str) -> str:
    await cookie_login(client, user)
    response = await client.get(path, headers=HTML)
    client.cookies.clear()
    assert response.status_code == 200, (path, response.status_code)
    return response.text


class TestApplicant:
    async def test_the_dossier_page_and_the_completeness_check_show_the_warning_without_blocking(self, client, world):
        await young_degree(world)
        dossier_id = world["dossier_id"]
        r = await client.get(f"/api/dossiers/{dossier_id}/completeness", headers=world["as_applicant"])
        education = next(s for s in r.json()["sections"] if s["section"] == "education")
        assert r.json()["complete"] is True and education["warnings"] == [MESSAGE] and education["missing"] == []

        text = await page(client, world["applicant"], f"/dossiers/{dossier_id}")
        assert 'id="plausibility-warnings"' in text and MESSAGE in text
        assert "data-complete" in text and "data-incomplete" not in text     # a warning is not something missing
        row = text[text.index('<tr data-section="education"'):]
        assert "请核实：" + MESSAGE in row[:row.index("</tr>")]

    async def test_the_submit_dialog_repeats_it_and_the_submission_goes_through(self, client, world):
        assert (await act(client, world, "as_employer", "return", opinion="请核对学历")).status_code == 200
        await young_degree(world, snapshot=False)
        dossier_id = world["dossier_id"]
        text = await page(client, world["applicant"], f"/dossiers/{dossier_id}")
        dialog = text[text.index('id="confirm-submit"'):]
        assert 'id="submit-warnings"' in dialog[:dialog.index("</dialog>")] and MESSAGE in dialog
        section = await page(client, world["applicant"], f"/dossiers/{dossier_id}/sections/education")
        note = section[section.index('id="section-warnings"'):]
        assert MESSAGE in note[:note.index("</div>")] and "hidden" not in note[:note.index(">")]
        r = await client.post(f"/api/dossiers/{dossier_id}/submit", headers=world["as_applicant"])
        assert r.status_code == 200, r.text

    async def test_a_coherent_dossier_shows_none(self, client, world):
        text = await page(client, world["applicant"], f"/dossiers/{world['dossier_id']}")
        assert 'id="plausibility-warnings"' not in text and "请核实：" not in text
        section = await page(client, world["applicant"], f"/dossiers/{world['dossier_id']}/sections/education")
        note = section[section.index('id="section-warnings"'):]
        assert "hidden" in note[:note.index(">")]


class TestReviewer:
    async def test_the_review_page_flags_the_same_warning_to_verify(self, client, world):
        await young_degree(world)
        employer = await User.find_one({"unit_id": world["employer"].id, "kind": "unit"})
        text = await page(client, employer, f"/review/{world['dossier_id']}")
        flags = text[text.index('id="flags"'):]
        flags = flags[:flags.index("</section>")]
        assert 'class="flag-warning" data-code="degree_young"' in flags and MESSAGE in flags
        assert "需核实" in flags
