"""Gender and birth date are the resident ID number's for every reader, also in a dossier stored before they
were derived (typed then, perhaps wrongly): the API, the row the tables read and the forms."""

from bson import ObjectId

from app.accounts.validators import birth_date_from_resident_id, gender_from_resident_id
from app.dossiers.rows import DossierRow
from tests.factories import force_dossier
from tests.render.test_templates import text_of
from tests.routing.conftest import world  # noqa: F401  (the fixture)


async def test_an_old_typed_gender_and_birth_date_read_as_the_id_numbers(client, world):
    number = world["applicant"].id_number
    wrong = "女" if gender_from_resident_id(number) == "男" else "男"
    await force_dossier(world["dossier_id"], **{"sections.basic.gender": wrong,
                                               "sections.basic.birth_date": "1999-09-09"})
    right = {"gender": gender_from_resident_id(number), "birth_date": birth_date_from_resident_id(number).isoformat()}
    url = f"/api/dossiers/{world['dossier_id']}"
    section = (await client.get(f"{url}/sections/basic", headers=world["as_applicant"])).json()["data"]
    assert {k: section[k] for k in right} == right
    whole = (await client.get(url, headers=world["as_employer"])).json()["sections"]["basic"]
    assert {k: whole[k] for k in right} == right
    row = await DossierRow.get(ObjectId(world["dossier_id"]))
    assert {k: row.facts[k] for k in right} == right
    form = text_of((await client.get(f"{url}/forms/application.docx", headers=world["as_applicant"])).content)
    assert "1999" not in form and right["birth_date"][:4] in form
