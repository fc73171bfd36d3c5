"""Plain async factories that build real records through the services or the models."""

import io
import itertools

from app.accounts import captcha
from app.accounts.enums import AccountKind, Role
from app.accounts.models import RoleGrant, User
from app.accounts.secrets import hash_password
from app.accounts.validators import credit_code_check_char, resident_id_check_char
from app.units import service as units_service
from app.units.enums import UnitCategory, UnitStatus
from app.units.models import Unit

PASSWORD = "Passw0rd!x"
_seq = itertools.count(1)


def resident_id(birth: str = "19850315", region: str = "370102") -> str:
    first17 = f"{region}{birth}{next(_seq) % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def credit_code() -> str:
    first17 = f"91370102MA{next(_seq):07d}"
    return first17 + credit_code_check_char(first17)


def person_payload(**overrides) -> dict:
    n = next(_seq)
    payload = {"login": f"person{n}", "name": "王小明", "id_type": "resident", "id_number": resident_id(),
               "phone": f"139{n:08d}", "email": f"p{n}@example.cn", "password": PASSWORD}
    payload.update(overrides)
    return payload


def unit_payload(**overrides) -> dict:
    n = next(_seq)
    payload = {"name": f"济南测试科技有限公司{n}", "credit_code": credit_code(), "category": "county_private_enterprise",
               "nature": "05", "industry": "I", "region_code": "370102", "address": "济南市历下区经十路1号",
               "legal_representative": "赵法人", "contact_name": "钱联系", "contact_phone": f"137{n:08d}",
               "contact_email": f"unit{n}@example.cn", "login": f"unit{n}", "password": PASSWORD}
    payload.update(overrides)
    return payload


async def create_person(*, roles: list[RoleGrant] | None = None, **overrides) -> User:
    data = person_payload(**overrides)
    user = User(login=data["login"], login_key=data["login"].lower(), kind=AccountKind.person, name=data["name"],
                id_type=data["id_type"], id_number=data["id_number"], phone=data["phone"], email=data["email"],
                password_hash=await hash_password(data["password"]),
                roles=roles if roles is not None else [RoleGrant(role=Role.applicant)])
    await user.insert()
    return user


async def create_unit(*, parent: Unit | None = None, status: UnitStatus = UnitStatus.approved,
                      category: UnitCategory = UnitCategory.county_private_enterprise, region_code: str = "370102",
                      **overrides) -> tuple[Unit, User]:
    """A unit with its unit account (unit_admin and the category's handler role)."""
    n = next(_seq)
    unit = Unit(name=overrides.pop("name", f"测试单位{n}"), credit_code=overrides.pop("credit_code", credit_code()),
                category=category, nature=overrides.pop("nature", "05"), region_code=region_code,
                legal_representative="赵法人", contact_name="钱联系", contact_phone=f"136{n:08d}",
                parent_id=parent.id if parent else None,
                ancestors=(parent.ancestors + [parent.id]) if parent else [], status=status, **overrides)
    await unit.insert()
    account = await units_service.unit_account(unit=unit, login=f"unitacct{n}", password=PASSWORD, must_change=False)
    await account.insert()
    return unit, account


async def create_hr_bureau(*, region_code: str = "370102", parent: Unit | None = None,
                           category: UnitCategory = UnitCategory.county_hr_bureau) -> tuple[Unit, User]:
    return await create_unit(parent=parent, category=category, region_code=region_code, nature="01")


async def create_sysadmin() -> User:
    return await create_person(roles=[RoleGrant(role=Role.sysadmin)])


async def login(client, user_or_login, password: str = PASSWORD) -> dict:
    """Logs in through the API and returns bearer headers."""
    name = user_or_login if isinstance(user_or_login, str) else user_or_login.login
    response = await client.post("/api/auth/login", json={"login": name, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()   # API tests speak bearer; a leftover cookie would make later calls ambiguous
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def solved_captcha(purpose: str = "login") -> dict:
    """A real captcha issued by the service; the test knows the answer the picture shows."""
    captcha_id, answer, _ = await captcha.issue(purpose)
    return {"captcha_id": str(captcha_id), "captcha_answer": answer}


async def create_batch(*, open_now: bool = True, **overrides):
    """A batch for 群众文化 助理级/中级 in 济南, open from yesterday for a month unless told otherwise."""
    from datetime import timedelta

    from app.catalog.batches import DEFAULT_COMMITMENT
    from app.catalog.models import Batch
    from app.clock import utcnow

    now = utcnow()
    window = (now - timedelta(days=1), now + timedelta(days=30)) if open_now else (
        now - timedelta(days=60), now - timedelta(days=30))
    fields = {"year": now.year, "name": f"测试批次{next(_seq)}", "series": ["qzwh"], "levels": ["2", "3"],
              "committee": "370100-qzwh-intermediate", "region_code": "370100", "opens_at": window[0],
              "closes_at": window[1], "commitment_text": DEFAULT_COMMITMENT, **overrides}
    batch = Batch(**fields)
    await batch.insert()
    return batch


def declaration_payload(batch, unit, **overrides) -> dict:
    payload = {"batch_id": str(batch.id), "commitment_agreed": True, "level": "3", "series": "qzwh",
               "title": "qzwh-3", "specialty": "qzwh-s01", "mode": "normal", "employer_unit_id": str(unit.id),
               "is_actual_unit": True, "entrusted_review": False}
    payload.update(overrides)
    return payload


def pdf_bytes(pages: int = 1) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (800, 1000), color: tuple[int, int, int] = (180, 200, 220)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def complete_sections(id_number: str) -> dict:
    """Bodies of every required section that pass the default rules, for a resident ID holder."""
    from app.accounts.validators import birth_date_from_resident_id, gender_from_resident_id

    return {
        "basic": {"gender": gender_from_resident_id(id_number),
                  "birth_date": birth_date_from_resident_id(id_number).isoformat(), "ethnicity": "01",
                  "politics": "01", "phone": "13800000001", "work_start": "2008-07", "profession_start": "2008-07"},
        "education": {"rows": [
            {"id": "edu0000001", "start": "2004-09", "end": "2008-07", "school": "山东艺术学院", "major": "舞蹈学",
             "education_level": "21", "degree": "bachelor", "study_mode": "fulltime", "full_time": True,
             "highest": True, "qualifying": True, "verification_code": "A1B2C3D4E5F6G7"}]},
        "current_title": {"title_name": "助理馆员", "level": "2", "obtained_on": "2013-12-20",
                          "approving_body": "济南市人力资源和社会保障局", "hired": True, "hired_on": "2014-01-01"},
        "assessments": {"rows": [{"id": f"asm00000{y}", "year": y, "grade": "excellent" if y % 2 else "pass",
                                  "appraising_unit": "济南市群众艺术馆"} for y in range(2021, 2026)]},
        "work_history": {"rows": [
            {"id": "wrk0000001", "start": "2008-07", "end": "2015-06", "unit": "历下区文化馆", "post": "舞蹈辅导"},
            {"id": "wrk0000002", "start": "2015-07", "end": None, "unit": "济南市群众艺术馆", "post": "舞蹈辅导"}]},
        "achievements": {"rows": [
            {"id": "ach0000001", "name": "济南市社区广场舞创编与推广", "category": "promotion", "level": "municipal",
             "rank": "1/3", "achieved_on": "2023-10"}]},
        "summary": {"text": "任现职以来，本人长期从事群众舞蹈辅导与创编工作，组织培训百余场。"},
    }


async def fill_complete(client, headers: dict, dossier_id: str, id_number: str) -> str:
    """Saves every required section and uploads the photo and required proofs; returns the ETag."""
    url = f"/api/dossiers/{dossier_id}"
    etag = (await client.get(url, headers=headers)).headers["ETag"]
    for name, body in complete_sections(id_number).items():
        r = await client.put(f"{url}/sections/{name}", json=body, headers={**headers, "If-Match": etag})
        assert r.status_code == 200, (name, r.text)
        etag = r.headers["ETag"]
    uploads = [("basic", "photo", ("照片.jpg", jpeg_bytes(), "image/jpeg")),
               ("education", "edu0000001", ("学历证书.pdf", pdf_bytes(2), "application/pdf")),
               ("current_title", None, ("资格证书.pdf", pdf_bytes(1), "application/pdf"))]
    for section, row_id, file in uploads:
        data = {"section": section, **({"row_id": row_id} if row_id else {})}
        r = await client.post(f"{url}/attachments", data=data, files={"file": file}, headers=headers)
        assert r.status_code == 201, (section, r.text)
        etag = r.headers["ETag"]      # an upload moves the dossier's version too
    return etag


async def bearer(user) -> dict:
    """Bearer headers of a session opened straight in the service (what a login leaves, minus the HTTP
    round trip and the password check)."""
    from app.accounts import service as accounts_service
    from app.accounts.audit import ClientInfo

    _, token = await accounts_service.open_session(user=user, client=ClientInfo(ip="203.0.113.7", user_agent="tests"))
    return {"Authorization": f"Bearer {token}"}


async def complete_draft(applicant, batch, unit) -> str:
    """The draft `fill_complete` leaves, for tests that are not about filling it, written in one insert:
    the sections parsed as a save stores them, the photo and proofs stored as an upload stores them."""
    import secrets

    from beanie import PydanticObjectId
    from starlette.datastructures import UploadFile

    from app.catalog import batches
    from app.clock import utcnow
    from app.dossiers import writes
    from app.dossiers.models import AttachmentRef, Commitment, Declaration, Dossier
    from app.dossiers.sections import parse_section
    from app.files import service as files

    dossier_id = PydanticObjectId()
    refs = []
    for section, row_id, filename, data in (("basic", "photo", "照片.jpg", jpeg_bytes()),
                                            ("education", "edu0000001", "学历证书.pdf", pdf_bytes(2)),
                                            ("current_title", None, "资格证书.pdf", pdf_bytes(1))):
        photo = section == "basic"
        stored = await files.store_upload(UploadFile(io.BytesIO(data), filename=filename), max_bytes=1 << 22,
                                          allowed=["jpeg"] if photo else ["pdf"], field="file", photo=photo,
                                          metadata={"owner": "dossier", "dossier_id": dossier_id, "section": section})
        refs.append(AttachmentRef(id=secrets.token_hex(6), section=section, row_id=row_id, file=stored,
                                  uploaded_by=applicant.id))
    declaration = Declaration(level="3", series="qzwh", title="qzwh-3", specialty="qzwh-s01", mode="normal",
                              employer_unit_id=unit.id, employer_unit_name=unit.name,
                              employer_region_code=unit.region_code)
    sections = {name: parse_section(name, body).model_dump(mode="json")
                for name, body in complete_sections(applicant.id_number).items()}
    await writes.insert(Dossier(
        id=dossier_id, applicant_id=applicant.id, applicant_name=applicant.name, id_number=applicant.id_number,
        batch_id=batch.id, year=batch.year, declaration=declaration, sections=sections, attachments=refs,
        commitment=Commitment(agreed_at=utcnow(), text_sha256=batches.commitment_digest(batch.commitment_text))))
    return str(dossier_id)


async def submitted_dossier(applicant, batch, unit) -> str:
    """A complete draft submitted through the service: snapshot, route, trail and row are the real ones."""
    from bson import ObjectId

    from app.routing import applicant as applicant_steps

    dossier_id = await complete_draft(applicant, batch, unit)
    await applicant_steps.submit(actor=applicant, dossier_id=ObjectId(dossier_id))
    return dossier_id


async def create_committee(*, office_unit, code: str = "370100-qzwh-intermediate", **overrides):
    from app.catalog.models import Committee

    fields = {"code": code, "name": "济南市群众文化系列中级职称评审委员会", "series": ["qzwh"], "levels": ["2", "3"],
              "region_code": "370100", "tier": "intermediate", "office_unit_id": office_unit.id, **overrides}
    committee = Committee(**fields)
    await committee.insert()
    return committee


async def create_path(*, unit, target=None, committee=None, series: str = "qzwh", level: str = "3"):
    """An active path from unit to target unit or committee."""
    from app.routing.models import Path

    path = Path(unit_id=unit.id, unit_name=unit.name, series=series, level=level,
                target_kind="committee" if committee else "unit",
                target_unit_id=None if committee else target.id, committee_code=committee.code if committee else None,
                target_name=committee.name if committee else target.name, status="active", applied_by=unit.id)
    await path.insert()
    return path


async def grant(user, role: str, unit) -> None:
    await User.get_pymongo_collection().update_one(
        {"_id": user.id}, {"$push": {"roles": RoleGrant(role=role, unit_id=unit.id).model_dump()}})


async def force_dossier(dossier_id, **fields) -> None:
    """Puts a dossier straight into a state the workflow would take many steps to reach; its row follows."""
    from bson import ObjectId

    from app.dossiers import writes
    from app.dossiers.models import Dossier

    await Dossier.get_pymongo_collection().update_one({"_id": ObjectId(dossier_id)}, {"$set": fields})
    writes.forget(ObjectId(dossier_id))      # the version did not move: the app's copy would lie
    await writes.refresh(ObjectId(dossier_id))


def png_bytes(size: tuple[int, int] = (300, 300), color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


async def attach_seal(unit, data: bytes, filename: str = "公章.png"):
    """Stores a seal scan for a unit the way a unit's upload stores it (UNIT_DOCUMENTS["seal"])."""
    from starlette.datastructures import UploadFile

    from app.files import service as files
    from app.units.service import UNIT_DOCUMENT_KINDS

    stored = await files.store_upload(UploadFile(io.BytesIO(data), filename=filename), max_bytes=1 << 22,
                                      allowed=UNIT_DOCUMENT_KINDS, field="file",
                                      metadata={"owner": "unit", "unit_id": unit.id, "kind": "seal"})
    await Unit.get_pymongo_collection().update_one({"_id": unit.id}, {"$set": {"seal": stored.model_dump()},
                                                                     "$inc": {"version": 1}})
    return stored
