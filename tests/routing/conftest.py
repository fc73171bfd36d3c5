import pytest

from app.units.enums import UnitCategory
from tests.factories import (bearer, create_batch, create_committee, create_path, create_person, create_unit,
                             declaration_payload, fill_complete, grant, login, submitted_dossier)


@pytest.fixture
async def world(request, client):
    """HR bureau (hosting the committee office) ← department ← employer, paths all active, and an
    applicant whose complete dossier has just been submitted to the employer.

    Built through the services and written straight into the database, every party holding a session
    made here (a tenth of the time of the HTTP flow); a test marked `http_world` gets the same world
    built the way a user builds it: logins, sections and uploads over HTTP, then the submit."""
    return await build_world(client if request.node.get_closest_marker("http_world") else None)


async def build_world(http=None) -> dict:
    """The `world` above; over HTTP through the client `http` when one is given."""
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
    parties = {"as_applicant": applicant, "as_employer": employer_account, "as_department": dept_account,
               "as_hr": hr_account, "as_office": office_handler}
    if http is not None:
        headers = await login(http, applicant)
        r = await http.post("/api/dossiers", json=declaration_payload(batch, employer), headers=headers)
        dossier_id = r.json()["id"]
        await fill_complete(http, headers, dossier_id, applicant.id_number)
        assert (await http.post(f"/api/dossiers/{dossier_id}/submit", headers=headers)).status_code == 200
        sessions = {"as_applicant": headers} | {who: await login(http, user) for who, user in parties.items()
                                                if who != "as_applicant"}
    else:
        dossier_id = await submitted_dossier(applicant, batch, employer)
        sessions = {who: await bearer(user) for who, user in parties.items()}
    return {
        "hr": hr, "department": department, "employer": employer, "committee": committee, "batch": batch,
        "applicant": applicant, "dossier_id": dossier_id, **sessions,
    }


async def act(client, world, who: str, action: str, **body):
    return await client.post(f"/api/dossiers/{world['dossier_id']}/actions", json={"action": action, **body},
                             headers=world[who])
