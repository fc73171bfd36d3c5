"""The dossiers' small rows: written with every change, never overwritten by an older state, repaired by
reconcile, and selecting exactly what the dossiers themselves would. (Every test also ends with all rows
in step: see clean_database.)"""

from datetime import datetime, timedelta, timezone

from bson import ObjectId

from app.accounts.models import User
from app.dossiers import counts, rows
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow
from app.errors import AppError
from app.dossiers import scope as dossier_scope
from app.exports.selection import ExportFilter, selection
from app.routing import queues
from tests.factories import create_person, create_sysadmin, declaration_payload, force_dossier, login
from tests.committee.committee_kit import place_dossier
from tests.routing.conftest import act, world  # noqa: F401  (world is a fixture used by these tests)
from tests.routing.test_queues_paths import second_dossier


async def row(dossier_id) -> dict:
    return await DossierRow.get_pymongo_collection().find_one({"_id": ObjectId(dossier_id)})


class TestRefresh:
    async def test_facts_follow_sections_and_reviews(self, client, world):
        before = await row(world["dossier_id"])
        dossier = await Dossier.get(world["dossier_id"])
        assert before["facts"]["status"] == "待审核" and before["facts"]["gender"] == dossier.sections["basic"]["gender"]
        assert before["facts"]["opinion_employer"] is None
        await act(client, world, "as_employer", "pass", opinion="同意推荐", signer="张主任")
        after = await row(world["dossier_id"])
        assert after["version"] == before["version"] + 1 and after["facts"]["status"] == "通过未上报"
        assert after["facts"]["opinion_employer"].startswith("济南市群众艺术馆通过：同意推荐（张主任，")

    async def test_an_older_state_never_overwrites_a_newer_row(self, client, world):
        dossier_id = ObjectId(world["dossier_id"])
        collection = DossierRow.get_pymongo_collection()
        current = await row(dossier_id)
        await collection.update_one({"_id": dossier_id}, {"$set": {"version": current["version"] + 1,
                                                                   "facts.name": "更新的写入"}})
        await rows.refresh(dossier_id)          # a refresh that read the dossier before the newer write
        assert (await row(dossier_id))["facts"]["name"] == "更新的写入"
        await collection.delete_one({"_id": dossier_id})
        await rows.refresh(dossier_id)
        assert (await row(dossier_id))["facts"]["name"] == "王小明"
        # a row deleted behind the write path's back was counted still: the nightly recount repairs that
        assert await counts.rebuild() > 0 and await counts.rebuild() == 0

    async def test_reconcile_repairs_missing_stale_orphaned_and_old_rows(self, client, world):
        other = await second_dossier(client, world)
        third = await place_dossier(world)
        collection = DossierRow.get_pymongo_collection()
        await collection.delete_one({"_id": ObjectId(world["dossier_id"])})
        await Dossier.get_pymongo_collection().update_one({"_id": ObjectId(other)}, {"$set": {"status": "voided"},
                                                                                     "$inc": {"version": 1}})
        await collection.update_one({"_id": third.id}, {"$set": {"schema_version": rows.SCHEMA - 1}})
        await collection.insert_one({"_id": ObjectId(), "version": 1, "schema_version": rows.SCHEMA})
        assert await rows.reconcile() == 4
        assert (await row(other))["facts"]["status"] == "已作废"
        assert await rows.reconcile() == 0
        assert await rows.reconcile(everything=True) == 3
        assert await counts.rebuild() > 0       # the rows deleted and changed behind the write path's back

    async def test_a_row_left_at_an_older_version_by_a_draft_save_is_brought_up_by_reconcile(self, client, world):
        headers = await login(client, await create_person(name="李小红"))
        created = await client.post("/api/dossiers", json=declaration_payload(world["batch"], world["employer"]),
                                    headers=headers)
        draft = created.json()["id"]
        before = await row(draft)
        opened = await client.get(f"/api/dossiers/{draft}", headers=headers)
        saved = await client.put(f"/api/dossiers/{draft}/sections/summary", json={"text": "改写的总结。"},
                                 headers={**headers, "If-Match": opened.headers["ETag"]})
        assert saved.status_code == 200, saved.text
        assert (await row(draft))["version"] == before["version"] < int(saved.headers["ETag"].strip('"'))
        assert await rows.reconcile() == 1
        assert (await row(draft))["version"] == int(saved.headers["ETag"].strip('"'))


class TestMoved:
    """Which writes leave a row to write (pure: no database)."""
    DRAFT = {"applicant_id": ObjectId(), "applicant_name": "王小明", "id_number": "370102198503150011",
             "status": "draft", "version": 3, "declaration": {"level": "3"},
             "sections": {"basic": {"phone": "13800000001"}, "summary": {"text": "从事群众舞蹈辅导。"}}}

    def test_a_draft_write_that_moves_only_version_and_time_leaves_the_row(self):
        after = {**self.DRAFT, "version": 4, "updated_at": "later", "sections": {**self.DRAFT["sections"],
                                                                                 "summary": {"text": "改写。"}}}
        assert not rows.moved(rows.row_of(self.DRAFT), after)

    def test_a_fact_a_table_shows_or_a_copied_field_makes_a_new_row(self):
        phone = {**self.DRAFT, "version": 4, "sections": {**self.DRAFT["sections"], "basic": {"phone": "13900000002"}}}
        assert rows.moved(rows.row_of(self.DRAFT), phone)
        assert rows.moved(rows.row_of(self.DRAFT), {**self.DRAFT, "version": 4, "declaration": {"level": "2"}})

    def test_a_dossier_in_a_queue_always_makes_a_new_row(self):
        unit = ObjectId()
        held = {**self.DRAFT, "status": "submitted", "current_unit_id": unit}
        assert rows.queue_keys(held) and rows.moved(rows.row_of(held), {**held, "version": 4})


def _step(action: str, to_status: str) -> dict:
    return {"action": action, "to_status": to_status}


class TestNewQueueKeys:
    """被退回 (sent_back) and a 受理点's 待发证 (to_certify), read from the dossier alone (pure)."""
    UNIT, ABOVE = ObjectId(), ObjectId()

    def keys(self, status: str, *trail: dict, **fields) -> list[str]:
        return rows.queue_keys({"status": status, "current_unit_id": self.UNIT, "trail": list(trail), **fields})

    def test_returned_from_above_until_reported_again(self):
        returned = (_step("submit", "submitted"), _step("report", "submitted"), _step("return", "submitted"))
        assert f"sent_back:{self.UNIT}" in self.keys("submitted", *returned)
        assert f"sent_back:{self.UNIT}:passed" in self.keys("passed", *returned, _step("pass", "passed"))
        assert f"sent_back:{self.UNIT}" in self.keys("submitted", *returned, _step("read", "submitted"))
        assert not [k for k in self.keys("submitted", *returned, _step("pass", "passed"), _step("report", "submitted"))
                    if k.startswith("sent_back:")]

    def test_not_a_first_submission_a_recall_nor_a_return_to_the_applicant(self):
        for trail in ((_step("submit", "submitted"),), (_step("report", "submitted"), _step("recall", "passed")),
                      (_step("return", "submitted"), _step("submit", "submitted"))):
            assert not [k for k in self.keys("submitted", *trail) if k.startswith("sent_back:")], trail
        assert not [k for k in rows.queue_keys({"status": "returned", "current_unit_id": None,
                                                "trail": [_step("return", "returned")]}) if k.startswith("sent_back:")]

    def test_to_certify_is_a_grant_without_a_committee(self):
        assert f"to_certify:{self.UNIT}" in self.keys("approved", _step("grant_title", "approved"))
        assert not [k for k in self.keys("approved", committee_code="370100-qzwh") if k.startswith("to_certify:")]
        assert not [k for k in self.keys("certified") if k.startswith("to_certify:")]


class TestReconcilePass:
    async def test_a_pass_stopped_after_a_window_resumes_from_its_checkpoint_writing_each_row_once(
            self, client, world, monkeypatch):
        """Applicants a month apart fall in windows of their own (a window spans a week at most)."""
        monkeypatch.setattr(rows, "STEP", 2)
        applicants = [ObjectId.from_datetime(datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(days=30 * n))
                      for n in range(7)]
        await Dossier.get_pymongo_collection().insert_many([
            {"_id": ObjectId(), "applicant_id": a, "batch_id": ObjectId(), "version": 1, "applicant_name": f"旧档{n}",
             "status": "submitted"} for n, a in enumerate(applicants)])
        orphan = ObjectId()
        await DossierRow.get_pymongo_collection().insert_one({"_id": orphan, "version": 1, "schema_version": 1})
        saved = []

        async def save(passed):
            saved.append(passed)

        first = await rows.reconcile(save=save, stop=lambda: True)
        assert first == 1 and applicants[0] < saved[0] <= applicants[1]     # one window, then stopped
        rest = await rows.reconcile(after=saved[0])
        assert first + rest == 8                                    # 7 rows written, the orphan removed
        assert await DossierRow.get_pymongo_collection().find_one({"_id": orphan}) is None
        assert await rows.reconcile() == 0

    async def test_a_window_reads_its_own_dossiers_not_the_collection(self, client, world):
        """What bounds the pass's memory: a window's read of the dossiers examines the window alone."""
        ids = [ObjectId.from_datetime(datetime(2025, 3, 1, tzinfo=timezone.utc) + timedelta(hours=n)) for n in range(6)]
        await Dossier.get_pymongo_collection().insert_many([
            {"_id": ObjectId(), "applicant_id": a, "batch_id": ObjectId(), "version": 1, "applicant_name": "旧档",
             "status": "submitted"} for a in ids])
        collection = Dossier.get_pymongo_collection()
        window = {"applicant_id": {"$gte": ids[1], "$lt": ids[3]}}
        plan = await collection.database.command("explain", {"find": collection.name, "filter": window},
                                                 verbosity="executionStats")
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"])
        assert plan["executionStats"]["totalDocsExamined"] == 2
        await rows.reconcile()


async def old_scope(user: User) -> dict | None:
    """The read scope as it was computed per request before it became data (the units of the user's
    subtree and region, the committees, the meetings): the oracle the read keys must agree with."""
    import re

    from app.accounts.enums import UNIT_READER_ROLES, Role
    from app.catalog.committees import committee_codes
    from app.committee.models import Meeting
    from app.units.enums import HR_BUREAU_CATEGORIES
    from app.units.models import Unit
    from app.units.service import region_prefix

    if user.has_role(Role.sysadmin):
        return None
    clauses: list[dict] = [{"applicant_id": user.id}]
    if own := user.unit_ids_for(*UNIT_READER_ROLES):
        units = [{"_id": {"$in": own}}, {"ancestors": {"$in": own}}]
        for bureau in await Unit.find({"_id": {"$in": user.unit_ids_for(Role.hr_handler)}}).to_list():
            if bureau.category in HR_BUREAU_CATEGORIES:
                units.append({"region_code": {"$regex": "^" + re.escape(region_prefix(bureau.region_code))}})
        ids = [u["_id"] for u in await Unit.get_pymongo_collection().find({"$or": units}, {"_id": 1}).to_list()]
        clauses.append({"route_unit_ids": {"$in": ids}, "status": {"$ne": "draft"}})
    clauses.append({"reported_to": {"$in": await committee_codes(user)}})
    meetings = await Meeting.get_pymongo_collection().find({"member_ids": user.id}, {"_id": 1}).to_list()
    if user.has_role(Role.expert):
        clauses.append({"meeting_id": {"$in": [m["_id"] for m in meetings]}})
    return {"$or": clauses}


async def spread(client, world) -> None:
    """Dossiers at every kind of place: returned between units, at a unit, accepted by the committee."""
    await act(client, world, "as_employer", "pass")
    await act(client, world, "as_employer", "report")
    await act(client, world, "as_department", "return", opinion="退回补充")
    await second_dossier(client, world)
    await place_dossier(world, status="accepted")


class TestSelection:
    async def test_read_keys_select_what_the_per_request_scope_selected(self, client, world):
        await spread(client, world)
        await force_dossier((await place_dossier(world, name="赵一鸣")).id, status="certified")
        await create_sysadmin()
        compared = 0
        for user in await User.find_all().to_list():
            scope = await old_scope(user)
            query = {"batch_id": world["batch"].id, **({} if scope is None else {"$and": [scope]})}
            expected = {d["_id"] for d in await Dossier.get_pymongo_collection().find(query, {"_id": 1}).to_list()}
            chosen = await selection(user, ExportFilter(batch_id=world["batch"].id))
            assert {r["_id"] async for r in chosen.rows({"_id": 1})} == expected, user.name
            compared += bool(expected)
        assert compared >= 6

    async def test_every_view_selects_its_queue_within_the_scope(self, client, world):
        await spread(client, world)
        compared = 0
        for user in await User.find_all().to_list():
            for view in ("pending", "sent_back", "passed", "turned_down", "reported", "to_certify", "committee", "all"):
                try:
                    chosen = await selection(user, ExportFilter(view=view))
                    items, total = await queues.page(user, queues.QueueFilter(view=view, size=200))
                except AppError:
                    continue
                selected = [r async for r in chosen.rows({"_id": 1})]
                assert {r["_id"] for r in selected} == {i.id for i in items} and total == len(items), (user.name, view)
                assert all(dossier_scope.may_read(chosen.keys, r) for r in selected)
                compared += bool(items)
        assert compared >= 5
