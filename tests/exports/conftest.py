"""The routing `world` (a submitted dossier, its employer, department and HR bureau with the committee
office) and helpers to open what the exports return."""

import io
import zipfile
from datetime import date

import openpyxl
import pytest
from bson import ObjectId

from app.dossiers.models import Certificate, VoteSummary
from app.dossiers.writes import to_bson
from tests.factories import create_person, force_dossier, grant, login
from tests.routing.conftest import act, world  # noqa: F401  (world is a fixture used by these tests)


def workbook(response):
    assert response.status_code == 200, response.text
    assert int(response.headers["content-length"]) == len(response.content)
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def unzip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert int(response.headers["content-length"]) == len(response.content)
    return zipfile.ZipFile(io.BytesIO(response.content))


async def up_to_committee(client, world) -> None:
    """Employer, department and bureau pass (with opinions) and report; the office accepts."""
    for node in ("as_employer", "as_department", "as_hr"):
        assert (await act(client, world, node, "pass", opinion=f"{node}同意推荐", signer="张主任")).status_code == 200
        assert (await act(client, world, node, "report")).status_code == 200
    assert (await act(client, world, "as_office", "accept", opinion="资格审查通过")).status_code == 200


async def finish(world, status: str = "certified") -> None:
    """Closes the dossier as the committee's workflow would leave it (votes, certificate), written directly."""
    meeting_id = ObjectId()
    votes = VoteSummary(meeting_id=meeting_id, members=9, eligible=9, present=8, yes=7, no=1, abstain=0, recused=0,
                        not_voted=0, quorum_required=6, pass_required=6, passed=status == "certified",
                        rule="到会≥2/3，同意≥到会2/3")
    certificate = Certificate(number="2026ZC00001", verification_code="AB12CD", document_number="济职改〔2026〕1号",
                              issued_on=date(2026, 11, 20), issuing_body="济南市人力资源和社会保障局",
                              committee_code=world["committee"].code, committee_name=world["committee"].name,
                              holder_name="王小明", title_name="馆员", specialty_name="舞蹈", issued_by=ObjectId())
    await force_dossier(world["dossier_id"], status=status, meeting_id=meeting_id, votes=to_bson(votes),
                        certificate=to_bson(certificate) if status == "certified" else None)


@pytest.fixture
async def archivist(client, world) -> dict:
    """An archivist of the HR bureau: reads everything that went up through it."""
    person = await create_person(name="档案员", roles=[])
    await grant(person, "archivist", world["hr"])
    return await login(client, person)
