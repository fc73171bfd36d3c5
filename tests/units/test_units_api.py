"""Unit registration, top-down creation, the read scope and permission applications, through the API."""

from app import db
from app.accounts.models import AuditEvent, User
from app.units.models import PermissionApplication, Unit
from app.units.enums import UnitCategory, UnitStatus
from tests.factories import (create_hr_bureau, create_person, create_sysadmin, create_unit, login,
                             unit_payload)


async def counts() -> tuple[int, int]:
    return await Unit.find_all().count(), await User.find_all().count()


class TestRegisterUnit:
    async def test_valid_registration_under_the_region_hr_bureau(self, client):
        bureau, _ = await create_hr_bureau(region_code="370102")
        payload = unit_payload()
        r = await client.post("/api/units", json=payload)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "registered" and body["credit_code_valid"] is True
        assert body["parent_id"] == str(bureau.id)
        account = await User.find_one(User.login_key == payload["login"])
        assert {(g.role, g.unit_id) for g in account.roles} == {("unit_admin", account.unit_id),
                                                                ("unit_handler", account.unit_id)}
        assert await AuditEvent.find_one({"kind": "unit_register", "unit_id": account.unit_id})
        await login(client, payload["login"])

    async def test_bad_credit_code_is_refused_and_nothing_stored(self, client):
        payload = unit_payload()
        payload["credit_code"] = payload["credit_code"][:17] + ("0" if payload["credit_code"][17] != "0" else "1")
        r = await client.post("/api/units", json=payload)
        assert r.status_code == 422
        assert r.json()["field"] == "credit_code" and r.json()["code"] == "credit_code_invalid"
        assert await counts() == (0, 0)
        r = await client.post("/api/units", json={**payload, "credit_code": "91370102MA3C0000I5"})
        assert r.status_code == 422 and "不允许的字符" in r.json()["message"]

    async def test_bad_credit_code_may_go_to_manual_review(self, client):
        await create_hr_bureau()
        payload = unit_payload(manual_review=True)
        payload["credit_code"] = "ABCDEFG"
        r = await client.post("/api/units", json=payload)
        assert r.status_code == 201, r.text
        assert r.json()["credit_code_valid"] is False
        headers = await login(client, payload["login"])
        r = await client.post(f"/api/units/{r.json()['id']}/permission-application", headers=headers)
        assert r.status_code == 201
        assert r.json()["auto_check_passed"] is False
        assert any("人工审核" in p for p in r.json()["auto_check_problems"])

    async def test_duplicate_code_under_the_same_department_names_the_account(self, client):
        await create_hr_bureau()
        first = unit_payload()
        assert (await client.post("/api/units", json=first)).status_code == 201
        again = unit_payload(credit_code=first["credit_code"])
        r = await client.post("/api/units", json=again)
        assert r.status_code == 409
        body = r.json()
        assert body["code"] == "unit_exists" and first["login"] in body["message"] and first["name"] in body["message"]
        assert await Unit.find_all().count() == 2    # the bureau and the first unit

    async def test_same_code_under_another_department_is_allowed(self, client):
        bureau, _ = await create_hr_bureau()
        department, _ = await create_unit(parent=bureau, category=UnitCategory.county_department)
        first = unit_payload()
        assert (await client.post("/api/units", json=first)).status_code == 201
        r = await client.post("/api/units", json=unit_payload(credit_code=first["credit_code"],
                                                              parent_id=str(department.id)))
        assert r.status_code == 201

    async def test_hr_bureaus_cannot_register_themselves(self, client):
        r = await client.post("/api/units", json=unit_payload(category="city_hr_bureau"))
        assert r.status_code == 422 and r.json()["field"] == "category"
        assert await counts() == (0, 0)

    async def test_unknown_dictionary_codes(self, client):
        for field, value in (("region_code", "999999"), ("nature", "zz"), ("industry", "ZZ")):
            r = await client.post("/api/units", json=unit_payload(**{field: value}))
            assert r.status_code == 422 and r.json()["field"] == field, field
        assert await counts() == (0, 0)

    async def test_taken_login_stores_no_unit(self, client):
        await create_person(login="takenname")
        r = await client.post("/api/units", json=unit_payload(login="takenname"))
        assert r.status_code == 409 and r.json()["field"] == "login"
        assert await Unit.find_all().count() == 0

    async def test_weak_password(self, client):
        r = await client.post("/api/units", json=unit_payload(password="12345678"))
        assert r.status_code == 422 and r.json()["field"] == "password"
        assert await counts() == (0, 0)


async def registered_unit(client, **overrides) -> tuple[dict, dict, str]:
    payload = unit_payload(**overrides)
    r = await client.post("/api/units", json=payload)
    assert r.status_code == 201, r.text
    return payload, await login(client, payload["login"]), r.json()["id"]


class TestPermissionApplication:
    async def test_apply_reject_edit_reapply_approve(self, client):
        bureau, bureau_account = await create_hr_bureau()
        payload, headers, unit_id = await registered_unit(client)
        r = await client.post(f"/api/units/{unit_id}/permission-application", headers=headers)
        assert r.status_code == 201 and r.json()["auto_check_passed"] is True
        assert r.json()["reviewer_unit_id"] == str(bureau.id)
        assert (await client.post(f"/api/units/{unit_id}/permission-application", headers=headers)
                ).json()["code"] == "application_pending"
        hr = await login(client, bureau_account)
        queue = (await client.get("/api/permission-applications", params={"for_review": True, "status": "pending"},
                                  headers=hr)).json()
        assert [a["unit_id"] for a in queue] == [unit_id]
        application_id = queue[0]["id"]
        r = await client.post(f"/api/permission-applications/{application_id}/decision", json={"approve": False},
                              headers=hr)
        assert r.status_code == 422 and r.json()["field"] == "reason"
        assert (await Unit.get(unit_id)).status == UnitStatus.pending
        r = await client.post(f"/api/permission-applications/{application_id}/decision",
                              json={"approve": False, "reason": "法人代表与营业执照不符"}, headers=hr)
        assert r.status_code == 200 and r.json()["status"] == "rejected"
        unit = (await client.get(f"/api/units/{unit_id}", headers=headers)).json()
        assert unit["status"] == "rejected"
        mine = (await client.get("/api/permission-applications", headers=headers)).json()
        assert mine[0]["reason"] == "法人代表与营业执照不符"
        edit = {k: v for k, v in payload.items() if k not in ("login", "password", "category")}
        edit["legal_representative"] = "孙正确"
        r = await client.put(f"/api/units/{unit_id}", json=edit, headers=headers)
        assert r.status_code == 200, r.text
        r = await client.post(f"/api/units/{unit_id}/permission-application", headers=headers)
        assert r.status_code == 201
        second = r.json()["id"]
        r = await client.post(f"/api/permission-applications/{second}/decision", json={"approve": True}, headers=hr)
        assert r.json()["status"] == "approved"
        assert (await Unit.get(unit_id)).status == UnitStatus.approved
        r = await client.post(f"/api/permission-applications/{second}/decision", json={"approve": True}, headers=hr)
        assert r.status_code == 409 and r.json()["code"] == "already_decided"
        assert (await client.post(f"/api/units/{unit_id}/permission-application", headers=headers)
                ).json()["code"] == "already_approved"
        assert await AuditEvent.find({"kind": "permission_decided"}).count() == 2

    async def test_another_regions_bureau_cannot_decide(self, client):
        await create_hr_bureau(region_code="370102")
        _, other_account = await create_hr_bureau(region_code="370202")
        _, headers, unit_id = await registered_unit(client)
        application_id = (await client.post(f"/api/units/{unit_id}/permission-application", headers=headers)
                          ).json()["id"]
        other = await login(client, other_account)
        r = await client.post(f"/api/permission-applications/{application_id}/decision", json={"approve": True},
                              headers=other)
        assert r.status_code == 404
        assert (await client.get("/api/permission-applications", params={"for_review": True}, headers=other)
                ).json() == []
        assert (await Unit.get(unit_id)).status == UnitStatus.pending

    async def test_county_unit_goes_to_the_city_bureau_when_the_county_has_none(self, client):
        city, city_account = await create_hr_bureau(region_code="370100", category=UnitCategory.city_hr_bureau)
        _, headers, unit_id = await registered_unit(client, region_code="370105")
        r = await client.post(f"/api/units/{unit_id}/permission-application", headers=headers)
        assert r.json()["reviewer_unit_id"] == str(city.id)

    async def test_name_taken_is_flagged_by_the_auto_check(self, client):
        await create_hr_bureau()
        await create_unit(name="济南重名科技有限公司")
        _, headers, unit_id = await registered_unit(client, name="济南重名科技有限公司")
        r = await client.post(f"/api/units/{unit_id}/permission-application", headers=headers)
        assert r.json()["auto_check_passed"] is False
        assert any("名称" in p for p in r.json()["auto_check_problems"])

    async def test_pending_unit_cannot_be_edited(self, client):
        await create_hr_bureau()
        payload, headers, unit_id = await registered_unit(client)
        await client.post(f"/api/units/{unit_id}/permission-application", headers=headers)
        edit = {k: v for k, v in payload.items() if k not in ("login", "password", "category")}
        r = await client.put(f"/api/units/{unit_id}", json=edit, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "application_pending"

    async def test_anonymous(self, client):
        r = await client.post("/api/permission-applications/0123456789abcdef01234567/decision",
                              json={"approve": True})
        assert r.status_code == 401


class TestActingBeforeApproval:
    async def test_unapproved_unit_cannot_act(self, client):
        await create_hr_bureau()
        person = await create_person()
        _, headers, unit_id = await registered_unit(client)
        for path, body in ((f"/api/units/{unit_id}/staff", {"id_number": person.id_number}),
                           (f"/api/units/{unit_id}/sub-accounts",
                            {"accounts": [{"name": "赵六", "id_number": "11010519491231002X"}]})):
            r = await client.post(path, json=body, headers=headers)
            assert r.status_code == 403 and r.json()["code"] == "unit_not_approved", path
        assert await User.find_all().count() == 3      # bureau account, person, unit account

    async def test_unapproved_units_are_not_found_by_search(self, client):
        await create_hr_bureau()
        await registered_unit(client, name="济南未开通科技有限公司")
        await create_unit(name="济南已开通科技有限公司")
        names = [u["name"] for u in (await client.get("/api/units", params={"q": "济南"})).json()]
        assert "济南已开通科技有限公司" in names and "济南未开通科技有限公司" not in names
        names = [u["name"] for u in (await client.get("/api/units", params={"q": "开通科技"})).json()]
        assert names == ["济南已开通科技有限公司"]


class TestTopDownCreation:
    def child(self, **overrides) -> dict:
        payload = unit_payload(**{"category": "city_department", "region_code": "370100", "nature": "01",
                                  **overrides})
        payload.pop("password")
        return payload

    async def test_city_bureau_creates_a_department_that_starts_approved(self, client):
        bureau, account = await create_hr_bureau(region_code="370100", category=UnitCategory.city_hr_bureau)
        headers = await login(client, account)
        r = await client.post(f"/api/units/{bureau.id}/children", json=self.child(), headers=headers)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["unit"]["status"] == "approved" and body["unit"]["parent_id"] == str(bureau.id)
        assert body["unit"]["created_via"] == "top_down"
        credentials = body["account"]
        new_headers = await login(client, credentials["login"], credentials["initial_password"])
        r = await client.get(f"/api/units/{body['unit']['id']}", headers=new_headers)
        assert r.json()["code"] == "password_change_required"
        stored = await User.find_one(User.login_key == credentials["login"])
        assert stored.has_role("dept_handler", stored.unit_id) and stored.must_change_password
        created = await Unit.get(body["unit"]["id"])
        assert created.ancestors == [bureau.id]

    async def test_category_outside_the_tier_is_refused(self, client):
        bureau, account = await create_hr_bureau(region_code="370100", category=UnitCategory.city_hr_bureau)
        headers = await login(client, account)
        r = await client.post(f"/api/units/{bureau.id}/children",
                              json=self.child(category="county_affiliated"), headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "category"
        assert "市(州)部门单位" in r.json()["message"]
        assert await Unit.find_all().count() == 1

    async def test_another_units_tree_is_not_found(self, client):
        bureau, _ = await create_hr_bureau(region_code="370100", category=UnitCategory.city_hr_bureau)
        _, stranger = await create_unit(region_code="370202")
        r = await client.post(f"/api/units/{bureau.id}/children", json=self.child(),
                              headers=await login(client, stranger))
        assert r.status_code == 404

    async def test_sysadmin_creates_anything(self, client):
        root, _ = await create_hr_bureau(region_code="370000", category=UnitCategory.province_hr_bureau)
        headers = await login(client, await create_sysadmin())
        r = await client.post(f"/api/units/{root.id}/children",
                              json=self.child(category="city_hr_bureau", nature="01"), headers=headers)
        assert r.status_code == 201


class TestScope:
    async def test_units_outside_scope_are_404_and_subtree_is_visible(self, client):
        city, city_account = await create_hr_bureau(region_code="370100", category=UnitCategory.city_hr_bureau)
        department, dept_account = await create_unit(parent=city, category=UnitCategory.city_department,
                                                     region_code="370100")
        affiliated, _ = await create_unit(parent=department, category=UnitCategory.city_affiliated,
                                          region_code="370100")
        elsewhere, _ = await create_unit(region_code="370202")
        dept = await login(client, dept_account)
        assert (await client.get(f"/api/units/{affiliated.id}", headers=dept)).status_code == 200
        assert (await client.get(f"/api/units/{city.id}", headers=dept)).status_code == 404
        assert (await client.get(f"/api/units/{elsewhere.id}", headers=dept)).status_code == 404
        hr = await login(client, city_account)
        assert (await client.get(f"/api/units/{affiliated.id}", headers=hr)).status_code == 200
        assert (await client.get(f"/api/units/{elsewhere.id}", headers=hr)).status_code == 404
        tree = (await client.get("/api/units/tree", headers=hr)).json()
        assert tree[0]["name"] == city.name
        assert tree[0]["children"][0]["children"][0]["name"] == affiliated.name

    async def test_applicant_sees_no_units(self, client):
        unit, _ = await create_unit()
        headers = await login(client, await create_person())
        assert (await client.get(f"/api/units/{unit.id}", headers=headers)).status_code == 404
        assert (await client.get("/api/units/tree", headers=headers)).json() == []


async def test_permission_application_is_not_half_stored_on_a_race(client):
    """Two presses of 提交申请 at once: one application, the other refused."""
    import asyncio

    await create_hr_bureau()
    _, headers, unit_id = await registered_unit(client)
    results = await asyncio.gather(*[client.post(f"/api/units/{unit_id}/permission-application", headers=headers)
                                     for _ in range(2)])
    assert sorted(r.status_code for r in results) == [201, 409]
    assert await PermissionApplication.find_all().count() == 1


class TestUnitDocuments:
    async def test_licence_scan_upload_replace_and_download(self, client):
        import io

        from pypdf import PdfWriter

        def pdf(pages: int) -> bytes:
            writer = PdfWriter()
            for _ in range(pages):
                writer.add_blank_page(width=595, height=842)
            out = io.BytesIO()
            writer.write(out)
            return out.getvalue()

        _, headers, unit_id = await registered_unit(client)
        r = await client.put(f"/api/units/{unit_id}/documents/licence", headers=headers,
                             files={"file": ("营业执照.pdf", pdf(1), "application/pdf")})
        assert r.status_code == 200, r.text
        assert r.json()["has_licence"] is True
        first = (await Unit.get(unit_id)).licence
        assert first.pages == 1 and first.filename == "营业执照.pdf"
        r = await client.put(f"/api/units/{unit_id}/documents/licence", headers=headers,
                             files={"file": ("licence.pdf", pdf(2), "application/pdf")})
        assert r.status_code == 200
        bucket_files = db.current().db["fs.files"]
        assert await bucket_files.count_documents({"_id": first.file_id}) == 0      # the old scan is gone
        r = await client.get(f"/api/units/{unit_id}/documents/licence", headers=headers)
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        r = await client.put(f"/api/units/{unit_id}/documents/seal", headers=headers,
                             files={"file": ("seal.pdf", b"<html>not a pdf</html>", "application/pdf")})
        assert r.status_code == 422 and r.json()["code"] == "file_type_not_allowed"
        assert await bucket_files.count_documents({}) == 1
        other = await login(client, (await create_unit())[1])
        assert (await client.get(f"/api/units/{unit_id}/documents/licence", headers=other)).status_code == 404


async def test_an_edit_overtaken_between_its_read_and_its_write_is_refused(client, monkeypatch):
    """Two edits of one unit, the second landing while the first checks its input: the first named no
    version (no If-Match), so it answers 409 conflict, not 412 stale_version, and the second edit stands."""
    from app.units import service as units_service

    payload, headers, unit_id = await registered_unit(client)
    edit = {k: v for k, v in payload.items() if k not in ("login", "password", "category")}
    check, overtaking = units_service._check_unit_info, []

    async def overtaken(data, **kwargs):
        if not overtaking:
            overtaking.append(client.put(f"/api/units/{unit_id}", json={**edit, "legal_representative": "后读先写"},
                                         headers=headers))
            overtaking[0] = await overtaking[0]
        return await check(data, **kwargs)

    monkeypatch.setattr(units_service, "_check_unit_info", overtaken)
    first = await client.put(f"/api/units/{unit_id}", json={**edit, "legal_representative": "先读后写"},
                             headers=headers)
    assert overtaking[0].status_code == 200, overtaking[0].text
    assert first.status_code == 409 and first.json()["code"] == "conflict"
    assert (await Unit.get(unit_id)).legal_representative == "后读先写"
