"""The read scope as data: the keys a dossier gives from its route, reports and meeting (pure), the
queue keys of its row (pure), and the backfill of dossiers stored before the keys existed."""

from bson import ObjectId

import app.committee  # noqa: F401  (registers the meeting's experts as readers, as the app does)
from app.dossiers import scope
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow, queue_keys
from tests.factories import create_person, submitted_dossier
from tests.routing.conftest import world  # noqa: F401  (a fixture)

APPLICANT, EMPLOYER, DEPARTMENT, BUREAU, MEETING = (ObjectId() for _ in range(5))
UNITS = {EMPLOYER: {"ancestors": [BUREAU, DEPARTMENT], "region_code": "370102"},
         DEPARTMENT: {"ancestors": [BUREAU], "region_code": "370100"}}


def dossier(**fields) -> dict:
    return {"applicant_id": APPLICANT, "status": "submitted", "route_unit_ids": [EMPLOYER], "reported_to": [],
            **fields}


class TestReaderIds:
    def test_a_submitted_dossier_is_read_by_its_units_above_and_their_regions(self):
        keys = scope.reader_ids(dossier(), UNITS)
        assert keys == [APPLICANT, EMPLOYER, BUREAU, DEPARTMENT, "region:3", "region:37", "region:370",
                        "region:3701", "region:37010", "region:370102"]

    def test_a_bureau_prefix_is_among_the_keys_of_every_unit_in_its_region(self):
        from app.units.service import region_prefix

        keys = scope.reader_ids(dossier(), UNITS)
        assert f"region:{region_prefix('370100')}" in keys and f"region:{region_prefix('370000')}" in keys
        assert f"region:{region_prefix('370200')}" not in keys

    def test_a_draft_again_is_its_applicants_alone(self):
        assert scope.reader_ids(dossier(status="draft"), UNITS) == [APPLICANT]

    def test_a_dossier_deleted_for_the_year_is_its_applicants_record_alone(self):
        doc = dossier(status="abandoned", reported_to=["c1"], returned_by=[EMPLOYER], meeting_id=MEETING)
        assert scope.reader_ids(doc, UNITS) == [APPLICANT]

    def test_a_pending_education_request_lets_the_employer_and_those_above_read_a_draft(self):
        pending = {"unit_id": EMPLOYER, "status": "pending"}
        keys = scope.reader_ids(dossier(status="draft", route_unit_ids=[], education_requests=[pending]), UNITS)
        assert keys[:4] == [APPLICANT, EMPLOYER, BUREAU, DEPARTMENT]
        answered = dict(pending, status="approved")
        assert scope.reader_ids(dossier(status="draft", education_requests=[answered]), UNITS) == [APPLICANT]

    def test_committees_and_the_meeting_read_it_whatever_its_state(self):
        keys = scope.reader_ids(dossier(status="certified", reported_to=["c1"], meeting_id=MEETING), UNITS)
        assert keys[-2:] == ["committee:c1", f"meeting:{MEETING}"]

    def test_a_unit_unknown_here_still_reads_it_itself(self):
        assert scope.reader_ids(dossier(), {}) == [APPLICANT, EMPLOYER]

    def test_may_read_is_an_intersection(self):
        doc = {"reader_ids": [APPLICANT, "committee:c1"]}
        assert scope.may_read(None, doc) and scope.may_read(["committee:c1"], doc)
        assert not scope.may_read([EMPLOYER, "committee:c2"], doc) and not scope.may_read([], doc)


class TestQueueKeys:
    def test_a_dossier_deleted_for_the_year_is_in_no_queue(self):
        assert queue_keys({"status": "abandoned", "returned_by": [EMPLOYER], "committee_code": None}) == []

    def test_requests_wait_for_the_holder_and_the_employer(self):
        from datetime import datetime, timedelta

        submitted = datetime(2026, 3, 1)
        asked = {"status": "pending", "asked_at": submitted + timedelta(days=1), "unit_id": EMPLOYER}
        doc = {"status": "passed", "current_unit_id": DEPARTMENT, "submitted_at": submitted, "edit_request": asked,
               "education_requests": [{"status": "pending", "unit_id": EMPLOYER}]}
        assert [k for k in queue_keys(doc) if k.startswith("requests:")] == [f"requests:{DEPARTMENT}",
                                                                              f"requests:{EMPLOYER}"]
        before_resubmission = dict(doc, edit_request=dict(asked, asked_at=submitted - timedelta(days=1)),
                                   education_requests=[])
        assert not [k for k in queue_keys(before_resubmission) if k.startswith("requests:")]

    def test_pending_at_a_unit(self):
        keys = queue_keys({"status": "submitted", "current_unit_id": DEPARTMENT, "reported_by": [EMPLOYER]})
        assert set(keys) == {f"all:{DEPARTMENT}", f"reported:{EMPLOYER}", f"all:{EMPLOYER}", f"pending:{DEPARTMENT}",
                             f"all:{DEPARTMENT}:submitted", f"reported:{EMPLOYER}:submitted",
                             f"all:{EMPLOYER}:submitted"}

    def test_at_a_committee_after_a_return(self):
        keys = queue_keys({"status": "accepted", "current_unit_id": BUREAU, "committee_code": "c1",
                           "reported_by": [BUREAU], "returned_by": [DEPARTMENT]})
        assert set(keys) == {f"turned_down:{DEPARTMENT}", f"reported:{BUREAU}", f"all:{BUREAU}", f"all:{DEPARTMENT}",
                             "committee:c1", f"turned_down:{DEPARTMENT}:accepted", f"reported:{BUREAU}:accepted",
                             f"all:{BUREAU}:accepted", f"all:{DEPARTMENT}:accepted", "committee:c1:accepted"}

    def test_a_draft_is_in_no_queue(self):
        assert queue_keys({"status": "draft", "current_unit_id": None}) == []


class TestBackfill:
    async def test_dossiers_without_keys_get_them_once(self, client, world):
        second = await submitted_dossier(await create_person(name="李四"), world["batch"], world["employer"])
        ids = [ObjectId(world["dossier_id"]), ObjectId(second)]
        expected = {i: (await Dossier.get_pymongo_collection().find_one({"_id": i}))["reader_ids"] for i in ids}
        await Dossier.get_pymongo_collection().update_many({"_id": {"$in": ids}}, {"$unset": {"reader_ids": ""}})
        await DossierRow.get_pymongo_collection().update_many({"_id": {"$in": ids}}, {"$unset": {"reader_ids": ""}})
        assert (await client.get(f"/api/dossiers/{world['dossier_id']}", headers=world["as_employer"])).status_code == 404
        assert await scope.backfill(batch=1) == 2
        for i in ids:
            assert (await Dossier.get_pymongo_collection().find_one({"_id": i}))["reader_ids"] == expected[i]
            assert (await DossierRow.get_pymongo_collection().find_one({"_id": i}))["reader_ids"] == expected[i]
        assert (await client.get(f"/api/dossiers/{world['dossier_id']}", headers=world["as_employer"])).status_code == 200
        assert await scope.backfill() == 0

    async def test_the_dossiers_carry_no_reader_ids_index(self, world):
        """Lists read the rows by reader_ids; on the dossiers the multikey index only cost every save."""
        indexes = await Dossier.get_pymongo_collection().index_information()
        assert indexes and not [name for name, index in indexes.items() if index["key"][0][0] == "reader_ids"]


class TestKeptBy:
    def test_a_section_save_keeps_the_keys(self):
        assert scope.kept_by({"sections", "updated_at", "version", "trail"}, dossier(reader_ids=[]))

    def test_a_status_step_between_reviews_keeps_them(self):
        assert scope.kept_by({"status", "reviewer_acted"}, dossier(status="passed", reader_ids=[APPLICANT, EMPLOYER]))

    def test_a_withdrawal_a_report_or_a_meeting_recomputes_them(self):
        held = [APPLICANT, EMPLOYER]
        assert not scope.kept_by({"status"}, dossier(status="draft", reader_ids=held))
        assert not scope.kept_by({"status", "route_unit_ids"}, dossier(reader_ids=held))
        assert not scope.kept_by({"status"}, dossier(route_unit_ids=[EMPLOYER, DEPARTMENT], reader_ids=held))
        assert not scope.kept_by({"meeting_id"}, dossier(reader_ids=held))
