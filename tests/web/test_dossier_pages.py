"""The applicant's and administrator's dossier pages: who sees them, what they show, what they leave editable."""

import re

import pytest

from app.catalog.kinds import KIND_DEFAULTS

from app.catalog.models import DictionaryEntry
from app.dossiers import sections as S
from app.dossiers import service as dossiers
from app.dossiers.schemas import DossierCreate
from app.web import section_forms
from tests.conftest import shared_world
from tests.factories import (bearer, create_batch, create_person, create_sysadmin, create_unit, declaration_payload,
                             fill_complete, force_dossier, login, pdf_bytes)
from tests.web.test_pages import HTML, cookie_login

EDITABLE_CONTROL = re.compile(r"<(input|select|textarea)\b")


def main_part(page: str) -> str:
    return page.split('<main class="wrap main">')[1].split("</main>")[0]


async def draft_setup(kind: str = "review") -> dict:
    """An applicant with a draft dossier in an open batch (of `kind`), and the approved employer unit: the draft
    made by the service a POST /api/dossiers calls, the applicant's session opened straight in the service."""
    person = await create_person(name="王小明")
    unit, unit_account = await create_unit(name="济南市群众艺术馆", region_code="370100")
    batch = await create_batch(notice="请于截止日前完成申报。", commitment_text="本人承诺所填信息真实准确，如有不实愿承担一切后果。",
                               kind=kind)
    created = await dossiers.create(actor=person, data=DossierCreate(**declaration_payload(batch, unit)))
    return {"person": person, "unit": unit, "unit_account": unit_account, "batch": batch,
            "headers": await bearer(person), "id": str(created.id)}


@pytest.fixture
async def setup(app):
    return await draft_setup()


@pytest.fixture(scope="class")
async def read_setup(app):
    """The `setup` once for a class of tests that only read it (anonymous requests write nothing)."""
    async with shared_world(draft_setup) as built:
        yield built


async def submit_complete(client, setup) -> None:
    await fill_complete(client, setup["headers"], setup["id"], setup["person"].id_number)
    r = await client.post(f"/api/dossiers/{setup['id']}/submit", headers=setup["headers"])
    assert r.status_code == 200, r.text


class TestAnonymousGate:
    @pytest.mark.parametrize("path", ["/batches", "/dossiers", "/dossiers/{id}", "/dossiers/{id}/sections/basic",
                                      "/batches/{batch}/commitment", "/batches/{batch}/declare",
                                      "/admin/batches", "/admin/batches/new", "/admin/dictionaries"])
    async def test_anonymous_is_sent_to_login(self, client, read_setup, path):
        path = path.format(id=read_setup["id"], batch=read_setup["batch"].id)
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2F")


class TestGate:
    async def test_another_applicants_dossier_is_not_found(self, client, setup):
        await cookie_login(client, await create_person(name="李其他"))
        for path in (f"/dossiers/{setup['id']}", f"/dossiers/{setup['id']}/sections/basic"):
            response = await client.get(path, headers=HTML)
            assert response.status_code == 404 and "申报材料不存在" in response.text

    async def test_the_employer_unit_does_not_get_the_applicants_pages(self, client, setup):
        await submit_complete(client, setup)
        await cookie_login(client, setup["unit_account"])
        assert (await client.get(f"/dossiers/{setup['id']}", headers=HTML)).status_code == 404

    async def test_unknown_section_and_bad_id(self, client, setup):
        await cookie_login(client, setup["person"])
        assert (await client.get(f"/dossiers/{setup['id']}/sections/secrets", headers=HTML)).status_code == 404
        assert (await client.get("/dossiers/not-an-id", headers=HTML)).status_code == 404

    async def test_admin_pages_are_for_the_sysadmin(self, client, setup):
        await cookie_login(client, setup["person"])
        for path in ("/admin/batches", "/admin/dictionaries", f"/admin/batches/{setup['batch'].id}"):
            response = await client.get(path, headers=HTML)
            assert response.status_code == 403 and "仅系统管理员" in response.text

    async def test_nav_and_tiles_by_role(self, client, setup):
        await cookie_login(client, setup["person"])
        home = (await client.get("/")).text
        assert 'href="/batches"' in home and 'href="/dossiers"' in home and "/admin/batches" not in home
        await cookie_login(client, await create_sysadmin())
        home = (await client.get("/")).text
        assert "批次管理" in home and "字典管理" in home and 'href="/dossiers"' not in home


class TestBatchPages:
    async def test_batches_with_notice_and_declare_button(self, client):
        open_batch = await create_batch(name="2026年群众文化中级评审", notice="申报通知正文")
        closed = await create_batch(name="2025年已截止批次", open_now=False)
        await cookie_login(client, await create_person())
        page = (await client.get("/batches")).text
        assert "<h1>申报批次</h1>" in page
        assert page.index("正在受理") < page.index(open_batch.name) < page.index("其他批次") < page.index(closed.name)
        assert "群众文化" in page and "助理级" in page and "中级" in page and "申报通知正文" in page
        assert "济南市群众文化系列中级职称评审委员会" in page
        assert f'href="/batches/{open_batch.id}/commitment"' in page
        assert f'href="/batches/{closed.id}/commitment"' not in page
        assert "已截止" in page

    async def test_notice_attachments_are_download_links(self, client):
        batch = await create_batch()
        admin_headers = await login(client, await create_sysadmin())
        r = await client.post(f"/api/batches/{batch.id}/notice-attachments", headers=admin_headers,
                              files={"file": ("申报通知.pdf", pdf_bytes(), "application/pdf")})
        assert r.status_code == 200, r.text
        file_id = r.json()["notice_attachments"][0]["file_id"]
        await cookie_login(client, await create_person())
        page = (await client.get("/batches")).text
        assert f'href="/api/batches/{batch.id}/notice-attachments/{file_id}"' in page and "申报通知.pdf" in page

    async def test_existing_dossier_is_linked_instead_of_declaring_again(self, client, setup):
        await cookie_login(client, setup["person"])
        page = (await client.get("/batches")).text
        assert f'href="/dossiers/{setup["id"]}"' in page
        assert f'href="/batches/{setup["batch"].id}/commitment"' not in page
        commitment = (await client.get(f"/batches/{setup['batch'].id}/commitment")).text
        assert "您在本批次已有申报" in commitment and "data-agree-gate" not in commitment

    async def test_commitment_page_holds_the_button_until_agreed(self, client):
        batch = await create_batch(commitment_text="本人承诺所填信息真实准确，如有不实愿承担一切后果。")
        await cookie_login(client, await create_person())
        page = (await client.get(f"/batches/{batch.id}/commitment")).text
        assert "本人承诺所填信息真实准确" in page and "我已阅读并同意" in page
        assert f'action="/batches/{batch.id}/declare"' in page
        assert re.search(r'<button type="submit" class="btn btn-primary" disabled>', page)

    async def test_declare_needs_the_commitment_first(self, client):
        batch = await create_batch()
        await cookie_login(client, await create_person())
        response = await client.get(f"/batches/{batch.id}/declare")
        assert response.status_code == 303 and response.headers["location"] == f"/batches/{batch.id}/commitment"

    async def test_declaration_form_offers_the_batch_choices(self, client):
        batch = await create_batch(levels=["2", "3"], specialties=["qzwh-s01"])
        await cookie_login(client, await create_person())
        page = (await client.get(f"/batches/{batch.id}/declare?agreed=1")).text
        assert 'data-api="/api/dossiers"' in page and 'data-next="/dossiers/{id}"' in page
        assert f'name="batch_id" value="{batch.id}"' in page
        assert 'name="commitment_agreed" value="true" data-type="boolean"' in page
        levels = page.split('name="level"')[1].split("</select>")[0]
        assert '<option value="2">助理级</option>' in levels and 'value="4"' not in levels
        series = page.split('name="series"')[1].split("</select>")[0]
        assert '<option value="qzwh" selected>群众文化</option>' in series and 'value="gc"' not in series
        specialties = page.split('name="specialty"')[1].split("</select>")[0]
        assert specialties.count("<option value=\"qzwh-") == 1   # only the batch's specialty
        assert 'data-batch-specialties=\'["qzwh-s01"]\'' in page
        assert 'data-when="mode=exceptional"' in page and 'name="exceptional_basis"' in page
        assert 'data-when="is_actual_unit=false"' in page and "data-unit-search" in page
        assert "工作单位（用人单位）<span class=\"req\"" in page

    async def test_closed_batch_has_no_form(self, client):
        batch = await create_batch(open_now=False)
        await cookie_login(client, await create_person())
        page = (await client.get(f"/batches/{batch.id}/declare?agreed=1")).text
        assert "不在申报时间内" in page and 'data-api="/api/dossiers"' not in page


class TestDossierPages:
    async def test_my_dossiers(self, client, setup):
        await cookie_login(client, setup["person"])
        page = (await client.get("/dossiers")).text
        assert setup["batch"].name in page and "填报中" in page and "济南市群众艺术馆" in page
        assert f'href="/dossiers/{setup["id"]}"' in page and "馆员" in page

    async def test_dossier_home_shows_declaration_completeness_and_submit(self, client, setup):
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}")).text
        assert "群众文化" in page and "正常晋升" in page and "济南市群众艺术馆" in page
        assert "data-incomplete" in page and "请上传大一寸照片" in page and "请填写工作经历" in page
        assert f'href="/dossiers/{setup["id"]}/sections/work_history"' in page
        assert f'data-api="/api/dossiers/{setup["id"]}/submit"' in page
        assert "提交后申报材料将锁定，不能再修改" in page
        assert f'data-api="/api/dossiers/{setup["id"]}/declaration" data-method="PUT" data-etag="&#34;1&#34;"' in page
        assert "与上次提交比较" not in page and "撤回申报" not in page

    async def test_complete_dossier_says_so(self, client, setup):
        await fill_complete(client, setup["headers"], setup["id"], setup["person"].id_number)
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}")).text
        assert "材料齐全，可以确认申报" in page and "data-incomplete" not in page

    async def test_submitted_dossier_offers_withdrawal_and_no_editing(self, client, setup):
        await submit_complete(client, setup)
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}")).text
        assert "已提交" in page and f'data-api="/api/dossiers/{setup["id"]}/withdraw"' in page
        assert "/submit" not in page and "修改申报信息" not in page

    async def test_submitted_sections_have_no_editable_inputs(self, client, setup):
        await submit_complete(client, setup)
        await cookie_login(client, setup["person"])
        for section in S.SECTIONS:
            response = await client.get(f"/dossiers/{setup['id']}/sections/{section}")
            if section not in KIND_DEFAULTS["review"]["sections"]:      # an 初定 or 认定 section: not there
                assert response.status_code == 404
                continue
            assert response.status_code == 200
            main = main_part(response.text)
            assert "只能查看，不能修改" in main
            assert not EDITABLE_CONTROL.search(main), (section, EDITABLE_CONTROL.search(main))
            assert "data-delete-file" not in main and "data-edit-row" not in main and "data-upload " not in main
        education = main_part((await client.get(f"/dossiers/{setup['id']}/sections/education")).text)
        assert "山东艺术学院" in education and "学历证书.pdf" in education

    async def test_changes_since_the_last_submission(self, client, setup):
        await submit_complete(client, setup)
        url = f"/api/dossiers/{setup['id']}"
        r = await client.post(f"{url}/withdraw", headers=setup["headers"])
        etag = r.headers["ETag"]
        r = await client.put(f"{url}/sections/summary", json={"text": "修改后的工作总结。"},
                             headers={**setup["headers"], "If-Match": etag})
        assert r.status_code == 200, r.text
        rows = {"rows": [{"id": "asm00000" + str(y), "year": y, "grade": "pass", "appraising_unit": "济南市群众艺术馆"}
                         for y in range(2022, 2026)]}
        r = await client.put(f"{url}/sections/assessments", json=rows,
                             headers={**setup["headers"], "If-Match": r.headers["ETag"]})
        assert r.status_code == 200, r.text
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}")).text
        changes = page.split('id="changes"')[1]
        assert "与上次提交比较" in page and "当前内容与第1次提交比较" in changes
        assert "任现职以来工作总结" in changes and "修改后的工作总结。" in changes
        assert "删除" in changes and "考核年度：2021" in changes and "考核等次：优秀" in changes
        assert "合格" in changes   # 2023: excellent → pass, shown by name


    async def test_a_resubmitted_dossier_compares_its_last_two_submissions(self, client, setup):
        await submit_complete(client, setup)
        url = f"/api/dossiers/{setup['id']}"
        etag = (await client.post(f"{url}/withdraw", headers=setup["headers"])).headers["ETag"]
        r = await client.put(f"{url}/sections/summary", json={"text": "第二次提交的工作总结。"},
                             headers={**setup["headers"], "If-Match": etag})
        assert r.status_code == 200, r.text
        assert (await client.post(f"{url}/submit", headers=setup["headers"])).status_code == 200
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}")).text
        assert "第2次提交与第1次提交比较" in page and "第二次提交的工作总结。" in page


class TestSectionPages:
    @pytest.mark.parametrize("section", list(S.SECTIONS))
    async def test_every_section_renders_its_form(self, client, setup, section):
        kind = next(k for k, rules in KIND_DEFAULTS.items() if section in rules["sections"])
        if kind != "review":                  # the sections of 初定 and 认定 in a batch of theirs
            setup = await draft_setup(kind)
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}/sections/{section}")).text
        assert f"<h1>{S.SECTIONS[section].label}</h1>" in page
        assert '<script src="/static/dossier.js" defer></script>' in page
        url = f"/api/dossiers/{setup['id']}/sections/{section}"
        if S.SECTIONS[section].single:
            assert f'data-api="{url}" data-method="PUT" data-etag="&#34;1&#34;"' in page
        else:
            assert f'data-section-list data-url="{url}" data-etag="&#34;1&#34;"' in page
            assert "<template data-new-row>" in page and "添加一项" in page

    async def test_basic_is_prefilled_with_dictionary_selects_and_photo(self, client, setup):
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}/sections/basic")).text
        id_number = setup["person"].id_number
        birth = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
        # gender and birth date come from the ID number: shown read-only, never sent with the form
        assert f'id="f-birth_date" type="text" value="{birth}" readonly' in page
        assert 'name="birth_date"' not in page and 'name="gender"' not in page
        assert 'name="work_start" type="month"' in page and 'name="profession_years"' in page
        assert 'data-row-id="id_front"' in page and 'data-row-id="id_back"' in page
        assert '<option value="01">汉族</option>' in page and '<option value="01">中共党员</option>' in page
        assert 'data-section="basic" data-row-id="photo" data-photo' in page and "未上传照片" in page
        assert 'accept=".jpg,.jpeg,image/jpeg,.png,image/png"' in page

    async def test_list_rows_keep_their_ids_and_attachments(self, client, setup):
        await fill_complete(client, setup["headers"], setup["id"], setup["person"].id_number)
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}/sections/education")).text
        assert '<tbody data-row data-row-id="edu0000001">' in page
        assert 'name="id" value="edu0000001"' in page
        assert "学历证书.pdf" in page and "?inline=true" in page and "2页" in page
        assert '<option value="21" selected>大学本科</option>' in page
        assert 'name="end" type="month" value="2008-07"' in page

    async def test_summary_counts_against_the_batch_limit(self, client, setup):
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}/sections/summary")).text
        assert 'data-counter-for="f-text" data-limit="2000"' in page

    async def test_carried_education_is_read_only(self, client, setup):
        await submit_complete(client, setup)
        later = await create_batch(year=setup["batch"].year + 1)
        r = await client.post("/api/dossiers", json=declaration_payload(later, setup["unit"]), headers=setup["headers"])
        assert r.status_code == 201, r.text
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{r.json()['id']}/sections/education")).text
        row = page.split('data-row-id="edu0000001"', 1)[1].split("</tbody>")[0]
        assert "往年申报使用，不能修改或删除" in row and "data-edit-row" not in row and "data-delete-row" not in row
        assert 'data-carried data-row-json="{' in page
        assert not EDITABLE_CONTROL.search(row.split('class="row-files"')[0])
        assert "往年申报材料" in row

    async def test_returned_dossier_is_editable_again(self, client, setup):
        await submit_complete(client, setup)
        await force_dossier(setup["id"], status="returned")
        await cookie_login(client, setup["person"])
        page = (await client.get(f"/dossiers/{setup['id']}/sections/summary")).text
        assert "<textarea" in page
        home = (await client.get(f"/dossiers/{setup['id']}")).text
        assert "退回修改" in home and "/submit" in home


class TestSectionForms:
    @pytest.mark.parametrize("section", list(S.SECTIONS))
    def test_every_schema_field_has_an_input(self, section):
        model = section_forms.model_of(section)
        typed = set(model.model_fields) - section_forms.HIDDEN_ROW_FIELDS - {"guide_sha256"}   # sent by 我已阅读并确认
        assert {f.name for f in section_forms.FORMS[section].fields} == typed

    def test_required_marks_follow_the_schema(self):
        education = {f.name: f for f in section_forms.FORMS["education"].fields}
        assert section_forms.is_required("education", education["school"])
        assert section_forms.is_required("education", education["end"])      # a validator demands it
        assert not section_forms.is_required("education", education["degree"])


class TestAdminPages:
    async def test_batch_list_and_forms(self, client):
        batch = await create_batch(name="管理页测试批次", published=False)
        await cookie_login(client, await create_sysadmin())
        page = (await client.get("/admin/batches")).text
        assert "管理页测试批次" in page and "未发布" in page and f'href="/admin/batches/{batch.id}"' in page
        new = (await client.get("/admin/batches/new")).text
        assert 'data-api="/api/batches" data-method="POST" data-next="/admin/batches/{id}"' in new
        assert 'name="rules.required_sections" value="summary" data-type="list" checked' in new
        assert 'name="rules.attachments.achievements.max_bytes"' in new and 'value="10"' in new
        assert 'type="datetime-local" data-type="local-time"' in new
        edit = (await client.get(f"/admin/batches/{batch.id}")).text
        assert f'data-api="/api/batches/{batch.id}" data-method="PUT" data-etag=\'"{batch.version}"\'' in edit
        assert '<option value="qzwh" selected>群众文化</option>' in edit
        assert 'name="levels" value="3" data-type="list" checked' in edit
        assert "上传通知附件" in edit and f'data-url="/api/batches/{batch.id}/notice-attachments"' in edit
        local = batch.opens_at.astimezone(__import__("app.clock", fromlist=["CHINA"]).CHINA).strftime("%Y-%m-%dT%H:%M")
        assert f'value="{local}"' in edit

    async def test_dictionaries_list_every_entry(self, client):
        await DictionaryEntry(dictionary="web_test_dict", code="b", name="停用的条目", enabled=False, sort=1).insert()
        await DictionaryEntry(dictionary="web_test_dict", code="a", name="启用的条目", sort=0).insert()
        await cookie_login(client, await create_sysadmin())
        page = (await client.get("/admin/dictionaries?name=web_test_dict")).text
        assert "<h1>字典管理</h1>" in page and 'href="/api/catalog/export"' in page
        assert page.index("启用的条目") < page.index("停用的条目") and "停用" in page
        assert 'href="/admin/dictionaries?name=titles"' in page and "data-import-form" in page
        await DictionaryEntry.find({"dictionary": "web_test_dict"}).delete()


class TestReviewersChanges:
    """A resubmission at the unit: what changed is at the top of the review page, the 工作总结 first and marked,
    its words taken out and put in highlighted, an added file named with its row."""

    async def test_changes_come_first_summary_marked_words_highlighted_file_with_its_row(self, client, setup):
        await submit_complete(client, setup)
        url, headers = f"/api/dossiers/{setup['id']}", setup["headers"]
        long_text = "任现职以来，本人长期从事群众舞蹈辅导与创编工作，组织培训{}余场，辅导基层文艺团队。"
        for times, upload in (("100", False), ("150", True)):
            etag = (await client.post(f"{url}/withdraw", headers=headers)).headers["ETag"]
            r = await client.put(f"{url}/sections/summary", json={"text": long_text.format(times)},
                                 headers={**headers, "If-Match": etag})
            assert r.status_code == 200, r.text
            if upload:
                r = await client.post(f"{url}/attachments", headers=headers, data={"section": "education",
                                      "row_id": "edu0000001"}, files={"file": ("学位证书.pdf", pdf_bytes(1), "application/pdf")})
                assert r.status_code == 201, r.text
            assert (await client.post(f"{url}/submit", headers=headers)).status_code == 200
        await cookie_login(client, setup["unit_account"])
        page = main_part((await client.get(f"/review/{setup['id']}", headers=HTML)).text)
        assert page.index('id="changes"') < page.index('id="overview"')
        changes = page[page.index('id="changes"'):page.index('id="overview"')]
        assert "第3次提交与第2次提交比较" in changes
        first = changes[changes.index("<li"):changes.index("</li>")]
        assert "change-key" in first and "重点" in first and "任现职以来工作总结" in first
        assert '<del title="删去">100</del><ins title="新增">150</ins>' in first
        added = changes[changes.index("学位证书.pdf") - 600:changes.index("学位证书.pdf")]
        assert "学历信息" in added and "第1项（山东艺术学院）" in added and "附件" in added
