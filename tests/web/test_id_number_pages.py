"""The pages that show an applicant's ID number follow the one rule (app.dossiers.identity): the review page
in full for the employer, the HR bureau and the committee office (recorded), masked for the supervising
department; the queue masked; the 待发证 tab, where the office issues certificates, in full. And the review
page flags the dates that cannot, or rarely, be true (app.dossiers.plausibility)."""

from bson import ObjectId

from app.accounts.models import User
from app.accounts.validators import mask_id_number
from app.dossiers import access
from app.dossiers.models import DossierAccess
from tests.exports.conftest import finish, up_to_committee
from tests.factories import force_dossier
from tests.routing.conftest import world  # noqa: F401  (the fixture)
from tests.web.test_pages import HTML, cookie_login


async def page(client, user, path: str) -> str:
    await cookie_login(client, user)
    response = await client.get(path, headers=HTML)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.text


async def account(role: str) -> User:
    return await User.find_one({"roles.role": role})


async def id_reads(world) -> dict[str, list]:
    await access.flush()
    return {r.user_name: [a.detail for a in r.actions if a.action == "id_number"]
            for r in await DossierAccess.find({"dossier_id": ObjectId(world["dossier_id"])}).to_list()
            if any(a.action == "id_number" for a in r.actions)}


class TestReviewPage:
    async def test_full_for_the_certifiers_masked_for_the_department(self, client, world):
        await up_to_committee(client, world)
        number, masked = world["applicant"].id_number, mask_id_number(world["applicant"].id_number)
        path = f"/review/{world['dossier_id']}"
        assert number in await page(client, await account("unit_handler"), path)
        dept = await page(client, await account("dept_handler"), path)
        assert masked in dept and number not in dept
        assert number in await page(client, await account("hr_handler"), path)
        assert number in await page(client, await account("committee_intermediate"), path)
        reads = await id_reads(world)
        assert set(reads) == {"济南市群众艺术馆", "济南市人力资源和社会保障局", "评办经办"}
        assert all(purposes == ["review"] for purposes in reads.values())

    async def test_the_queue_is_masked_and_the_certificate_tab_full(self, client, world):
        await up_to_committee(client, world)
        number, masked = world["applicant"].id_number, mask_id_number(world["applicant"].id_number)
        office = await account("committee_intermediate")
        queue = await page(client, office, "/committee?tab=accepted")
        assert masked in queue and number not in queue
        assert await id_reads(world) == {}
        await finish(world, status="publicized")
        issuing = await page(client, office, "/committee/certificates?tab=publicized")
        assert number in issuing
        assert await id_reads(world) == {"评办经办": ["certify"]}


class TestFlags:
    async def test_the_review_page_flags_impossible_and_unusual_dates(self, client, world):
        """Born 1985-03-15; the submitted snapshot (what reviewers read) says 本科 in 1998, at 13."""
        field = "snapshots.0.sections.education.rows.0"
        await force_dossier(world["dossier_id"], **{f"{field}.start": "1994-09", f"{field}.end": "1998-07"})
        text = await page(client, await account("unit_handler"), f"/review/{world['dossier_id']}")
        assert 'id="flags"' in text and "请核实的日期（" in text
        assert "学历信息第1项：大学本科毕业（1998-07）时申报人不满16周岁" in text
        assert 'class="flag-error" data-code="degree_too_young"' in text

    async def test_no_flags_for_a_coherent_dossier(self, client, world):
        assert 'id="flags"' not in await page(client, await account("unit_handler"), f"/review/{world['dossier_id']}")
