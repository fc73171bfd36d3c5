"""A committee office reads what was reported to its committee and nothing else its office unit holds or
sits above: one dossier goes up the real path to the committee, another of the same employer stays with
the employer; the office's reads, queues, tables and bundles show the first only."""

import io
import zipfile

from bson import ObjectId

from app.dossiers import rows, writes
from app.dossiers.models import Commitment, Declaration, Dossier, RouteNode
from app.dossiers.rows import DossierRow
from app.clock import utcnow
from tests.factories import create_person
from tests.routing.conftest import act


async def report_to_committee(client, world) -> None:
    for node in ("as_employer", "as_department", "as_hr"):
        assert (await act(client, world, node, "pass")).status_code == 200
        assert (await act(client, world, node, "report")).status_code == 200


async def unreported(world) -> Dossier:
    """A dossier submitted to the same employer, under the office's unit, never reported anywhere."""
    applicant = await create_person(name="司马未报")
    employer = world["employer"]
    dossier = Dossier(applicant_id=applicant.id, applicant_name=applicant.name, id_number=applicant.id_number,
                      batch_id=world["batch"].id, year=world["batch"].year, status="submitted",
                      declaration=Declaration(level="3", series="qzwh", title="qzwh-3", specialty="qzwh-s01",
                                              mode="normal", employer_unit_id=employer.id,
                                              employer_unit_name=employer.name),
                      commitment=Commitment(agreed_at=utcnow(), text_sha256="0" * 64), current_unit_id=employer.id,
                      route=[RouteNode(unit_id=employer.id, unit_name=employer.name)], route_unit_ids=[employer.id],
                      submitted_at=utcnow())
    await dossier.insert()
    await writes.refresh(dossier.id)
    return dossier


def zip_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join([*archive.namelist(), *(archive.read(n).decode("utf-8", "ignore")
                                                 for n in archive.namelist())])


class TestReportedToIsData:
    async def test_the_report_to_a_committee_records_it_on_the_dossier_and_its_row(self, client, world):
        await report_to_committee(client, world)
        dossier = await Dossier.get(ObjectId(world["dossier_id"]))
        row = await DossierRow.get(dossier.id)
        assert dossier.reported_to == row.reported_to == [world["committee"].code]
        assert f"committee:{world['committee'].code}" in dossier.reader_ids == row.reader_ids

    async def test_a_report_between_units_records_no_committee(self, client, world):
        assert (await act(client, world, "as_employer", "pass")).status_code == 200
        assert (await act(client, world, "as_employer", "report")).status_code == 200
        assert (await Dossier.get(ObjectId(world["dossier_id"]))).reported_to == []

    async def test_the_rows_index_it(self, world):
        """The read key it becomes is indexed on the rows, where selections read (the dossiers are read by
        _id and their keys checked)."""
        info = await DossierRow.get_pymongo_collection().index_information()
        assert any(spec["key"][0][0] == "reader_ids" for spec in info.values())


class TestOfficeReads:
    async def test_reported_yes_unreported_no(self, client, world):
        other = await unreported(world)
        before = await client.get(f"/api/dossiers/{world['dossier_id']}", headers=world["as_office"])
        assert before.status_code == 404          # still at the employer: not the committee's yet
        await report_to_committee(client, world)
        assert (await client.get(f"/api/dossiers/{world['dossier_id']}", headers=world["as_office"])).status_code == 200
        for suffix in ("", "/trail", "/sections/basic", "/forms/application.docx", "/bundle.zip?forms=false"):
            r = await client.get(f"/api/dossiers/{other.id}{suffix}", headers=world["as_office"])
            assert r.status_code == 404, (suffix, r.status_code)
            assert "司马未报" not in r.text

    async def test_a_dossier_returned_by_the_committee_stays_readable_to_it(self, client, world):
        await report_to_committee(client, world)
        r = await act(client, world, "as_office", "return", opinion="请补充材料")
        assert r.status_code == 200 and r.json()["status"] == "submitted"
        assert (await client.get(f"/api/dossiers/{world['dossier_id']}", headers=world["as_office"])).status_code == 200

    async def test_the_office_sees_its_own_unit_only(self, client, world):
        tree = (await client.get("/api/units/tree", headers=world["as_office"])).json()
        assert [(n["name"], n["children"]) for n in tree] == [(world["hr"].name, [])]
        r = await client.get(f"/api/units/{world['employer'].id}", headers=world["as_office"])
        assert r.status_code == 404


class TestOfficeLists:
    async def test_queue_tables_and_bundles_hold_the_reported_dossier_only(self, client, world):
        await unreported(world)
        await report_to_committee(client, world)
        queue = (await client.get("/api/review/queue", params={"view": "committee"}, headers=world["as_office"])).json()
        assert [i["applicant_name"] for i in queue["items"]] == ["王小明"]
        table = await client.get("/api/exports/overview.xlsx", headers=world["as_office"])
        assert table.status_code == 200
        assert "王小明" in zip_text(table.content) and "司马未报" not in zip_text(table.content)
        bundle = await client.get("/api/bundles.zip", params={"forms": "false"}, headers=world["as_office"])
        assert bundle.status_code == 200
        assert "王小明" in zip_text(bundle.content) and "司马未报" not in zip_text(bundle.content)
        preview = await client.post("/api/review/batch", json={"action": "pass", "confirm": False,
                                                                "ids": [world["dossier_id"], str((await Dossier.find_one(
                                                                    {"applicant_name": "司马未报"})).id)]},
                                    headers=world["as_office"])
        assert [p["applicant_name"] for p in preview.json()["preview"]] == ["王小明"]

    async def test_before_the_report_the_office_lists_nothing(self, client, world):
        await unreported(world)
        bundle = await client.get("/api/bundles.zip", params={"forms": "false"}, headers=world["as_office"])
        assert bundle.status_code == 404 and bundle.json()["code"] == "nothing_selected"


class TestBackfill:
    async def test_dossiers_stored_before_the_field_get_it_from_their_committee_facts(self, client, world):
        from app.committee.committees import backfill_reported_to
        from tests.committee.committee_kit import place_dossier

        held = await place_dossier(world, status="accepted", name="李旧档")
        stray = await unreported(world)
        collection = Dossier.get_pymongo_collection()
        await collection.update_many({}, {"$unset": {"reported_to": ""}})
        assert await backfill_reported_to() == 3          # with the world's own, still at its employer
        assert (await Dossier.get(held.id)).reported_to == [world["committee"].code]
        assert (await Dossier.get(stray.id)).reported_to == (await Dossier.get(world["dossier_id"])).reported_to == []
        assert (await DossierRow.get(held.id)).reported_to == [world["committee"].code]
        assert await backfill_reported_to() == 0
        r = await client.get(f"/api/dossiers/{held.id}", headers=world["as_office"])
        assert r.status_code == 200
