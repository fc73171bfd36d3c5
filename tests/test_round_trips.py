"""Round trips per applicant and reviewer step (draft: measuring)."""

import os

import pytest
from pymongo import monitoring

from tests.factories import (bearer, create_batch, create_committee, create_path, create_person, create_unit,
                             complete_draft, declaration_payload, fill_complete, grant, submitted_dossier)
from app.units.enums import UnitCategory


class _Commands(monitoring.CommandListener):
    def __init__(self):
        self.on = False
        self.seen = []

    def started(self, event):
        if self.on and event.database_name == os.environ["ZC_DATABASE"]:
            self.seen.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


COMMANDS = _Commands()
monitoring.register(COMMANDS)


async def counted(call):
    COMMANDS.seen = []
    COMMANDS.on = True
    try:
        r = await call
    finally:
        COMMANDS.on = False
    return r, list(COMMANDS.seen)


async def test_measure(client):
    hr, hr_account = await create_unit(name="济南市人力资源和社会保障局", category=UnitCategory.city_hr_bureau,
                                       region_code="370100", nature="01")
    department, dept_account = await create_unit(name="济南市文化和旅游局", parent=hr,
                                                 category=UnitCategory.city_department, region_code="370100")
    employer, employer_account = await create_unit(name="济南市群众艺术馆", parent=department,
                                                   category=UnitCategory.city_affiliated, region_code="370100")
    await create_path(unit=employer, target=department)
    person = await create_person(name="王小明")
    batch = await create_batch()
    headers = await bearer(person)
    dossier_id = await complete_draft(person, batch, employer)
    url = f"/api/dossiers/{dossier_id}"
    r, seen = await counted(client.get(url, headers=headers))
    print("open", len(seen), seen)
    etag = r.headers["ETag"]
    r, seen = await counted(client.put(f"{url}/sections/summary", json={"text": "任现职以来，本人长期从事群众舞蹈辅导。"},
                                       headers={**headers, "If-Match": etag}))
    print("save", r.status_code, len(seen), seen)
    r, seen = await counted(client.put(f"{url}/sections/basic", json=(await client.get(f"{url}/sections/basic", headers=headers)).json()["data"],
                                       headers={**headers, "If-Match": r.headers["ETag"]}))
    print("save basic", r.status_code, len(seen), seen)
    r, seen = await counted(client.post(f"{url}/submit", headers={**headers, "If-Match": r.headers["ETag"]}))
    print("submit", r.status_code, len(seen), seen)
    unit_headers = await bearer(employer_account)
    r, seen = await counted(client.get(url, headers=unit_headers))
    print("review open", r.status_code, len(seen), seen)
    r, seen = await counted(client.post(f"{url}/actions", json={"action": "pass", "opinion": "同意"}, headers=unit_headers))
    print("pass", r.status_code, len(seen), seen)
    assert 0
