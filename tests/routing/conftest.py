import pytest

from app.units.enums import UnitCategory
from tests.factories import (create_batch, create_committee, create_path, create_person, create_unit,
                             declaration_payload, fill_complete, grant, login)


@pytest.fixture
async def world(client):
    """HR bureau (hosting the committee office) ← department ← employer, paths all active, and an
    applicant whose complete dossier has just been submitted to the employer."""
    hr, hr_account = await create_unit(name="济南市人力资源和社会保障局", category=UnitCategory.city_hr_bureau,
                                       region_code="370100", nature="01")
    department, dept_account = await create_unit(name="济南市文化和旅游局", parent=hr,
                                                 category=UnitCategory.city_department, region_code="370100")
    employer, employer_account = await create_unit(name="济南市群众艺术馆", parent=department,
                                                   category=UnitCategory.city_affiliated, region_code="370100")
    committee = await create_committee(office_unit=hr)
    office_handler = await create_person(name="评办经办")
    await grant(office_handler, "committee_intermediate", hr)
    await create_path(unit=employer, target=department)
    await create_path(unit=department, target=hr)
    await create_path(unit=hr, committee=committee)
    applicant = await create_person(name="王小明")
    batch = await create_batch()
    headers = await login(client, applicant)
    r = await client.post("/api/dossiers", json=declaration_payload(batch, employer), headers=headers)
    dossier_id = r.json()["id"]
    await fill_complete(client, headers, dossier_id, applicant.id_number)
    assert (await client.post(f"/api/dossiers/{dossier_id}/submit", headers=headers)).status_code == 200
    return {
        "hr": hr, "department": department, "employer": employer, "committee": committee, "batch": batch,
        "applicant": applicant, "dossier_id": dossier_id,
        "as_applicant": headers, "as_employer": await login(client, employer_account),
        "as_department": await login(client, dept_account), "as_hr": await login(client, hr_account),
        "as_office": await login(client, office_handler),
    }


async def act(client, world, who: str, action: str, **body):
    return await client.post(f"/api/dossiers/{world['dossier_id']}/actions", json={"action": action, **body},
                             headers=world[who])
