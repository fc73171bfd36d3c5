"""Who sees an applicant's ID number in full (app.dossiers.identity; the table in docs/SECURITY.md): the rule
itself over every role and purpose with no database, then each place that shows or exports one — the API,
the queue, the tables, a rendered form's text — and the access record each full number leaves."""

from types import SimpleNamespace

import pytest
from beanie import PydanticObjectId
from bson import ObjectId

from app.accounts.enums import Role
from app.accounts.models import RoleGrant, User
from app.accounts.validators import mask_id_number
from app.dossiers import access, identity
from app.dossiers.identity import Purpose
from app.dossiers.models import Dossier, DossierAccess
from app.exports.forms import FormMaker
from app.exports.models import ExportEvent
from tests.committee.committee_kit import make_experts, new_meeting, place_dossier, schedule
from tests.exports.conftest import workbook
from tests.factories import create_unit
from tests.render.test_templates import text_of
from tests.routing.conftest import act, world  # noqa: F401  (world is a fixture used by these tests)

EMPLOYER, OTHER_UNIT, APPLICANT = PydanticObjectId(), PydanticObjectId(), PydanticObjectId()
ALL = tuple(Purpose)
WORK = (Purpose.review, Purpose.certify, Purpose.form, Purpose.export)
FILING = (Purpose.form, Purpose.export)


def holder(*grants: tuple[Role, PydanticObjectId | None]) -> User:
    """A user holding these grants, never stored: the rule reads only the id and the roles."""
    return User.model_construct(id=PydanticObjectId(), roles=[RoleGrant(role=r, unit_id=u) for r, u in grants])


# (who, the purposes where they see the full number): every other purpose shows them a mask.
TABLE = [
    ("the applicant", User.model_construct(id=APPLICANT, roles=[RoleGrant(role=Role.applicant)]), ALL),
    ("the employer's handler", holder((Role.unit_handler, EMPLOYER)), WORK),
    ("the employer's administrator", holder((Role.unit_admin, EMPLOYER)), WORK),
    ("a handler of another unit", holder((Role.unit_handler, OTHER_UNIT)), ()),
    ("a unit above the employer", holder((Role.unit_admin, OTHER_UNIT)), ()),
    ("the supervising department", holder((Role.dept_handler, OTHER_UNIT), (Role.unit_admin, OTHER_UNIT)), ()),
    ("the HR bureau", holder((Role.hr_handler, OTHER_UNIT), (Role.unit_admin, OTHER_UNIT)), WORK),
    ("the senior committee office", holder((Role.committee_senior, OTHER_UNIT)), WORK),
    ("the intermediate committee office", holder((Role.committee_intermediate, OTHER_UNIT)), WORK),
    ("the junior committee office", holder((Role.committee_junior, OTHER_UNIT)), WORK),
    ("an expert", holder((Role.expert, OTHER_UNIT)), ()),
    ("an archivist", holder((Role.archivist, OTHER_UNIT)), FILING),
    ("a system administrator", holder((Role.sysadmin, None)), FILING),
]


class TestRule:
    @pytest.mark.parametrize("who, user, full", TABLE, ids=[row[0] for row in TABLE])
    @pytest.mark.parametrize("purpose", ALL)
    def test_the_table(self, who, user, full, purpose):
        assert identity.full_for(user, purpose, applicant_id=APPLICANT, employer_unit_id=EMPLOYER) is (purpose in full)

    @pytest.mark.parametrize("purpose", ALL)
    def test_an_expert_never_sees_a_full_number_whatever_else_they_are_asked_for(self, purpose):
        expert = holder((Role.expert, EMPLOYER), (Role.expert, OTHER_UNIT))
        assert not identity.full_for(expert, purpose, applicant_id=APPLICANT, employer_unit_id=EMPLOYER)

    def test_the_command_line_files_full_numbers_and_lists_none(self):
        assert [p for p in ALL if identity.full_for(None, p, applicant_id=APPLICANT, employer_unit_id=EMPLOYER)] \
            == list(FILING)

    def test_a_row_a_projection_and_a_dossier_are_read_alike(self):
        """The tables pass rows as dicts; pages pass Dossiers or queue projections. (The applicant's and a
        mask leave no access record, so this stays off the database.)"""
        applicant = User.model_construct(id=APPLICANT, roles=[])
        dept = holder((Role.dept_handler, OTHER_UNIT))
        as_row = {"_id": ObjectId(), "applicant_id": APPLICANT, "declaration": {"employer_unit_id": EMPLOYER}}
        as_object = SimpleNamespace(id=ObjectId(), applicant_id=APPLICANT, id_number="370102198503150011",
                                    declaration=SimpleNamespace(employer_unit_id=EMPLOYER))
        assert identity.reveals(applicant, Purpose.list, as_row) and not identity.reveals(dept, Purpose.export, as_row)
        assert identity.of_dossier(applicant, Purpose.list, as_object) == "370102198503150011"
        assert identity.of_dossier(dept, Purpose.review, as_object) == "370***********0011"


def dossier_url(world) -> str:
    return f"/api/dossiers/{world['dossier_id']}"


async def id_number_reads(world) -> dict[str, list]:
    """Reader name → the purposes of the full numbers recorded on the dossier's access records."""
    await access.flush()
    found = {}
    for record in await DossierAccess.find({"dossier_id": ObjectId(world["dossier_id"])}).to_list():
        purposes = [a.detail for a in record.actions if a.action == "id_number"]
        if purposes:
            found[record.user_name] = purposes
    return found


async def reported_to_hr(client, world) -> None:
    for node in ("as_employer", "as_department"):
        assert (await act(client, world, node, "pass", opinion="同意", signer="张主任")).status_code == 200
        assert (await act(client, world, node, "report")).status_code == 200


class TestApi:
    async def test_the_applicant_reads_their_own_number_and_nothing_is_recorded(self, client, world):
        r = await client.get(dossier_url(world), headers=world["as_applicant"])
        assert r.json()["id_number"] == world["applicant"].id_number
        assert (await client.get("/api/dossiers", headers=world["as_applicant"])).json()[0]["id_number"] == \
            world["applicant"].id_number
        assert await id_number_reads(world) == {}

    async def test_the_employer_reads_it_in_full_at_review_and_the_read_is_recorded(self, client, world):
        r = await client.get(dossier_url(world), headers=world["as_employer"])
        assert r.json()["id_number"] == world["applicant"].id_number
        await client.get(dossier_url(world), headers=world["as_employer"])      # twice: still one record
        assert await id_number_reads(world) == {"济南市群众艺术馆": ["review"]}

    async def test_the_queue_shows_masks_even_to_the_employer(self, client, world):
        r = await client.get("/api/review/queue?view=pending", headers=world["as_employer"])
        assert [i["id_number"] for i in r.json()["items"]] == [mask_id_number(world["applicant"].id_number)]
        assert await id_number_reads(world) == {}

    async def test_the_department_sees_masks_and_the_bureau_and_office_full_numbers(self, client, world):
        await reported_to_hr(client, world)
        masked = mask_id_number(world["applicant"].id_number)
        assert (await client.get(dossier_url(world), headers=world["as_department"])).json()["id_number"] == masked
        assert (await client.get(dossier_url(world), headers=world["as_hr"])).json()["id_number"] == \
            world["applicant"].id_number
        assert (await act(client, world, "as_hr", "pass", opinion="同意", signer="李")).status_code == 200
        assert (await act(client, world, "as_hr", "report")).status_code == 200
        assert (await client.get(dossier_url(world), headers=world["as_office"])).json()["id_number"] == \
            world["applicant"].id_number
        reads = await id_number_reads(world)
        assert "济南市文化和旅游局" not in reads and reads["评办经办"] == ["review"]


class TestExports:
    async def test_the_roster_is_masked_for_the_department_and_full_for_the_bureau(self, client, world):
        await reported_to_hr(client, world)
        wanted = "/api/exports/roster.xlsx?columns=name,id_number"
        dept = workbook(await client.get(wanted, headers=world["as_department"]))
        assert [list(r) for r in dept.iter_rows(values_only=True)][1] == \
            ["王小明", mask_id_number(world["applicant"].id_number)]
        event = await ExportEvent.find_one({"kind": "roster"})
        assert not event.revealed_ids
        assert await id_number_reads(world) == {}
        hr = workbook(await client.get(wanted, headers=world["as_hr"]))
        assert [list(r) for r in hr.iter_rows(values_only=True)][1] == ["王小明", world["applicant"].id_number]
        assert await ExportEvent.find_one({"kind": "roster", "revealed_ids": True}) is not None
        assert (await id_number_reads(world))["济南市人力资源和社会保障局"] == ["export"]

    async def test_a_table_without_the_id_column_records_no_reveal(self, client, world):
        await reported_to_hr(client, world)
        await client.get("/api/exports/roster.xlsx?columns=name", headers=world["as_hr"])
        assert await id_number_reads(world) == {}


class TestForms:
    async def test_a_rendered_form_prints_what_the_reader_may_see(self, client, world):
        await reported_to_hr(client, world)
        number = world["applicant"].id_number
        url = f"/api/dossiers/{world['dossier_id']}/forms/application.docx"
        dept = text_of((await client.get(url, headers=world["as_department"])).content)
        assert mask_id_number(number) in dept and number not in dept
        hr = text_of((await client.get(url, headers=world["as_hr"])).content)
        assert number in hr
        own = text_of((await client.get(url, headers=world["as_applicant"])).content)
        assert number in own
        assert (await id_number_reads(world)) == {"济南市人力资源和社会保障局": ["form"]}

    async def test_a_bundles_forms_are_masked_for_the_department_only(self, client, world):
        """The bundle's forms are made by FormMaker for its reader (cached apart: the masked variant)."""
        await reported_to_hr(client, world)
        dossier = await Dossier.get(ObjectId(world["dossier_id"]))
        dept = await User.find_one({"roles.role": "dept_handler"})
        hr = await User.find_one({"roles.role": "hr_handler"})
        assert FormMaker(reader=dept).masked(dossier) and not FormMaker(reader=hr).masked(dossier)
        assert not FormMaker().masked(dossier)          # the command line's archive: full


class TestExperts:
    async def test_an_expert_of_the_meeting_reads_masks_in_the_answer_and_the_form(self, client, world):
        accepted = await place_dossier(world, name="赵一鸣")
        other, _ = await create_unit(name="济南市其他单位")
        (expert, headers), = await make_experts(client, other, 1)
        meeting = await new_meeting(client, world, [expert])
        await schedule(client, world, meeting["id"], [accepted.id])
        masked = mask_id_number(accepted.id_number)
        r = await client.get(f"/api/dossiers/{accepted.id}", headers=headers)
        assert r.status_code == 200 and r.json()["id_number"] == masked
        form = text_of((await client.get(f"/api/dossiers/{accepted.id}/forms/application.docx", headers=headers)).content)
        assert masked in form and accepted.id_number not in form
        await access.flush()
        record = await DossierAccess.find_one({"dossier_id": accepted.id, "user_id": expert.id})
        assert record is not None and "id_number" not in [a.action for a in record.actions]
