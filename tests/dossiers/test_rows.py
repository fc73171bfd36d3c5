"""The dossiers' small rows: written with every change, never overwritten by an older state, repaired by
reconcile, and selecting exactly what the dossiers themselves would. (Every test also ends with all rows
in step: see clean_database.)"""

from bson import ObjectId

from app.accounts.models import User
from app.dossiers import rows
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow
from app.errors import AppError
from app.exports.selection import ExportFilter, selection_query
from tests.factories import create_sysadmin, force_dossier
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


class TestReconcilePass:
    async def test_a_pass_stopped_after_a_step_resumes_from_its_checkpoint_writing_each_row_once(
            self, client, world, monkeypatch):
        monkeypatch.setattr(rows, "STEP", 2)
        ids = sorted(ObjectId() for _ in range(7))
        await Dossier.get_pymongo_collection().insert_many([
            {"_id": i, "applicant_id": ObjectId(), "batch_id": ObjectId(), "version": 1, "applicant_name": f"旧档{n}",
             "status": "submitted"} for n, i in enumerate(ids)])
        orphan = max(ids[-1], ObjectId())
        await DossierRow.get_pymongo_collection().insert_one({"_id": orphan, "version": 1, "schema_version": 1})
        saved = []

        async def save(passed):
            saved.append(passed)

        first = await rows.reconcile(save=save, stop=lambda: True)
        assert first == 2 and len(saved) == 1                       # one step of two, then stopped
        rest = await rows.reconcile(after=saved[0])
        assert first + rest == 8                                    # 7 rows written, the orphan removed
        assert await DossierRow.get_pymongo_collection().find_one({"_id": orphan}) is None
        assert await rows.reconcile() == 0


class TestSelection:
    async def test_every_scope_and_view_selects_the_same_dossiers_from_rows(self, client, world):
        await act(client, world, "as_employer", "pass")
        await act(client, world, "as_employer", "report")
        await act(client, world, "as_department", "return", opinion="退回补充")
        await second_dossier(client, world)
        await place_dossier(world, status="accepted")
        await force_dossier((await place_dossier(world, name="赵一鸣")).id, status="certified")
        await create_sysadmin()
        compared = 0
        for user in await User.find_all().to_list():
            for view in (None, "pending", "passed", "turned_down", "reported", "committee", "all"):
                try:
                    query = await selection_query(user, ExportFilter(view=view, batch_id=world["batch"].id))
                except AppError:
                    continue
                on_dossiers = {d["_id"] for d in await Dossier.get_pymongo_collection().find(query, {"_id": 1})
                               .to_list()}
                on_rows = {d["_id"] for d in await DossierRow.get_pymongo_collection().find(query, {"_id": 1})
                           .to_list()}
                assert on_rows == on_dossiers, (user.name, view)
                compared += bool(on_rows)
        assert compared >= 10
