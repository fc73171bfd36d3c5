"""Where the users find the requests and steps on the pages: the applicant's 删除流程 and 申请退回编辑 on the
dossier page and 申请修改学历 on the education section; the reviewer's answers, 流程附件 and 保存意见 on the
review page and the 申请待处理 tab."""

from tests.factories import bearer, complete_draft, create_person, force_dossier, pdf_bytes
from tests.routing.conftest import act, world  # noqa: F401  (the fixture)
from tests.web.test_review_pages import page, unit_account

CORRECTED = {"start": "2004-09", "end": "2008-07", "school": "山东师范大学", "major": "舞蹈学", "education_level": "21",
             "degree": "bachelor", "study_mode": "fulltime"}


class TestApplicantPages:
    async def test_a_draft_offers_the_deletion_and_a_deleted_one_says_so(self, client, world):
        applicant = await create_person(name="李四")
        dossier_id = await complete_draft(applicant, world["batch"], world["employer"])
        text = await page(client, applicant, f"/dossiers/{dossier_id}")
        assert f'data-api="/api/dossiers/{dossier_id}" data-method="DELETE"' in text and "删除流程（当年不再申报）" in text
        await force_dossier(dossier_id, status="abandoned")
        text = await page(client, applicant, f"/dossiers/{dossier_id}")
        assert 'id="abandoned-notice"' in text and 'data-method="DELETE"' not in text
        listing = await page(client, applicant, "/dossiers")
        assert dossier_id not in listing

    async def test_the_edit_request_form_then_the_pending_note_then_the_refusal(self, client, world):
        path = f"/dossiers/{world['dossier_id']}"
        assert "申请退回编辑" not in await page(client, world["applicant"], path)      # still withdrawable
        await act(client, world, "as_employer", "pass")
        text = await page(client, world["applicant"], path)
        assert f'data-api="/api/dossiers/{world["dossier_id"]}/edit-request"' in text
        await client.post(f"/api/dossiers/{world['dossier_id']}/edit-request", json={"reason": "附件传错"},
                          headers=world["as_applicant"])
        text = await page(client, world["applicant"], path)
        assert "等待答复" in text and "附件传错" in text
        review = await page(client, await unit_account(world["employer"]), f"/review/{world['dossier_id']}")
        assert 'id="edit-request"' in review and "/edit-request/decision" in review
        await client.post(f"/api/dossiers/{world['dossier_id']}/edit-request/decision",
                          json={"grant": False, "answer": "无需修改"}, headers=world["as_employer"])
        text = await page(client, world["applicant"], path)
        assert "未同意您的退回编辑申请：无需修改" in text

    async def test_a_carried_row_offers_the_change_request_and_the_unit_sees_it(self, client, world):
        applicant = await create_person(name="李四")
        dossier_id = await complete_draft(applicant, world["batch"], world["employer"])
        await force_dossier(dossier_id, **{"sections.education.rows.0.carried": True})
        text = await page(client, applicant, f"/dossiers/{dossier_id}/sections/education")
        assert 'id="education-requests"' in text and 'name="row.school"' in text
        await client.post(f"/api/dossiers/{dossier_id}/education-requests",
                          json={"row_id": "edu0000001", "row": CORRECTED, "reason": "学校填错"},
                          headers=await bearer(applicant))
        text = await page(client, applicant, f"/dossiers/{dossier_id}/sections/education")
        assert "已申请修改，待审核" in text
        employer = await unit_account(world["employer"])
        queue = await page(client, employer, "/review?tab=requests")
        assert "申请待处理" in queue and dossier_id in queue
        review = await page(client, employer, f"/review/{dossier_id}")
        assert "山东师范大学" in review and "/education-requests/" in review


class TestReviewPage:
    async def test_step_attachments_and_the_saved_opinion(self, client, world):
        employer = await unit_account(world["employer"])
        review = await page(client, employer, f"/review/{world['dossier_id']}")
        assert f'data-multipart="/api/dossiers/{world["dossier_id"]}/step-attachments"' in review
        assert 'data-save-opinion=' in review and "暂无流程附件" in review
        r = await client.post(f"/api/dossiers/{world['dossier_id']}/step-attachments", data={"kind": "publicity"},
                              files={"file": ("公示结果.pdf", pdf_bytes(1), "application/pdf")},
                              headers=world["as_employer"])
        assert r.status_code == 201
        await client.put(f"/api/dossiers/{world['dossier_id']}/opinion-draft",
                         json={"opinion": "拟同意，待负责人签字", "signer": "王科长"}, headers=world["as_employer"])
        review = await page(client, employer, f"/review/{world['dossier_id']}")
        assert 'data-trail="step_attachment"' in review and "公示材料：公示结果.pdf</a>" in review
        assert ">拟同意，待负责人签字</textarea>" in review and 'value="王科长"' in review
        track = await page(client, world["applicant"], f"/dossiers/{world['dossier_id']}/track")
        assert "公示材料：公示结果.pdf</a>" in track and "拟同意，待负责人签字" not in track

