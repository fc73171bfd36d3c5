"""录入申报's pages: who gets the entry page, the editor pages for the unit's handler and the applicant, and the
review page's 上报 contact fields, sealed 评审表 upload and trail lines."""

from bson import ObjectId

from app.catalog import batches
from app.catalog.models import Batch
from app.dossiers.models import Dossier
from tests.dossiers.test_entry import ENTRIES, a_unit, an_employee, entry_payload
from tests.factories import create_batch, create_person, pdf_bytes
from tests.routing.conftest import act, world  # noqa: F401  (the fixture)
from tests.routing.test_sealed_form_and_contact import upload
from tests.web.test_review_pages import page, unit_account


async def test_the_entry_page_is_for_a_units_handlers_and_their_own_unit(client):
    mine = await a_unit()
    other = await a_unit(name="济南市另一单位")
    batch = await create_batch()
    html = await page(client, mine["handler"], "/unit/entries")
    assert batch.name in html and "本单位尚未录入申报" in html
    html = await page(client, mine["handler"], f"/unit/entries?batch={batch.id}")
    assert 'data-api="/api/dossiers/entries"' in html and mine["unit"].name in html     # the unit is the employer
    await page(client, mine["handler"], f"/unit/entries?unit={other['unit'].id}", status=404)
    await page(client, await create_person(name="普通申报人"), "/unit/entries", status=403)


async def test_the_editor_pages_serve_the_handler_for_the_applicant(client):
    world = await a_unit()
    employee = await an_employee(client, world)
    batch = await create_batch()
    r = await client.post(ENTRIES, json=entry_payload(batch, world["unit"], user_id=str(employee.id)),
                          headers=world["headers"])
    dossier_id = r.json()["id"]
    html = await page(client, world["handler"], f"/dossiers/{dossier_id}")
    assert "代 张员工 填写" in html and "申请退回编辑" not in html
    html = await page(client, world["handler"], f"/dossiers/{dossier_id}/sections/basic")
    assert employee.id_number[6:10] in html              # the birth date prefilled from the applicant's ID
    html = await page(client, employee, f"/dossiers/{dossier_id}")
    assert "代为录入" in html and "李经办" in html
    html = await page(client, world["handler"], "/unit/entries")
    assert f'data-dossier="{dossier_id}"' in html
    outsider = await a_unit(name="济南市另一单位")
    await page(client, outsider["handler"], f"/dossiers/{dossier_id}", status=404)


async def test_the_review_page_asks_for_the_contact_and_the_sealed_form_where_the_batch_does(client, world):
    employer = await unit_account(world["employer"])
    html = await page(client, employer, f"/review/{world['dossier_id']}")
    assert 'value="sealed_form"' not in html and "sealed-form-note" not in html
    await Batch.get_pymongo_collection().update_one({"_id": world["batch"].id}, {"$set": {
        "rules.sealed_form_required": True, "rules.report_contact_required": True}})
    batches.forget_recent(world["batch"].id)
    assert (await act(client, world, "as_employer", "pass")).status_code == 200
    html = await page(client, employer, f"/review/{world['dossier_id']}")
    assert 'value="sealed_form"' in html and "尚未上传" in html
    assert 'name="handler_name"' in html and 'name="handler_phone"' in html and "本批次必填" in html
    assert (await upload(client, world, pdf_bytes(1))).status_code == 201
    r = await act(client, world, "as_employer", "report", handler_name="钱经办", handler_phone="13800001111")
    assert r.status_code == 200, r.text
    html = await page(client, await unit_account(world["department"]), f"/review/{world['dossier_id']}")
    assert "单位经办人：钱经办 13800001111" in html
    stored = await Dossier.get(ObjectId(world["dossier_id"]))
    assert [a.kind for a in stored.step_attachments] == ["sealed_form"]
