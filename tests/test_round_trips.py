"""Database round trips per step of the applicant and the reviewer, counted with a command listener on the
real database (a count, not a timing), and the access records written off the request's path.

The counts include the session's look-up. Batches and dictionary codes are the process's recent copies
(app.catalog); the first request of a process that reads a batch pays one more find."""

import asyncio
import os

import pytest
from bson import ObjectId
from pymongo import monitoring
from pymongo.errors import PyMongoError

from app import clock, db
from app.dossiers import access, queue_counts, rows, writes
from app.accounts.models import LoginFailure
from app.dossiers.models import Dossier, DossierAccess
from app.dossiers.rows import DossierRow
from app.units.enums import UnitCategory
from tests.factories import (PASSWORD, bearer, complete_draft, complete_sections, create_batch, create_path, create_person,
                             create_sysadmin, create_unit, solved_captcha, submitted_dossier)


class _Commands(monitoring.CommandListener):
    """The commands sent to the test database while `on`, as (command, collection)."""

    def __init__(self):
        self.on = False
        self.seen: list[tuple[str, str]] = []

    def started(self, event):
        if self.on and event.database_name == os.environ["ZC_DATABASE"]:
            self.seen.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


# Registered when the module is collected, before the session's app opens its client.
COMMANDS = _Commands()
monitoring.register(COMMANDS)

SESSION = ("aggregate", "sessions")


async def counted(request):
    """The response of `request` and the commands it sent."""
    COMMANDS.seen, COMMANDS.on = [], True
    try:
        response = await request
    finally:
        COMMANDS.on = False
    return response, COMMANDS.seen


@pytest.fixture
async def steps(client):
    """An employer under a department (an active path between them), an applicant's complete draft, and
    sessions for the applicant, the employer's account and an administrator."""
    hr, _ = await create_unit(name="济南市人力资源和社会保障局", category=UnitCategory.city_hr_bureau,
                              region_code="370100", nature="01")
    department, _ = await create_unit(name="济南市文化和旅游局", parent=hr, category=UnitCategory.city_department,
                                      region_code="370100")
    employer, employer_account = await create_unit(name="济南市群众艺术馆", parent=department,
                                                   category=UnitCategory.city_affiliated, region_code="370100")
    await create_path(unit=employer, target=department)
    person = await create_person(name="王小明")
    batch = await create_batch()
    dossier_id = await complete_draft(person, batch, employer)
    return {"url": f"/api/dossiers/{dossier_id}", "id": ObjectId(dossier_id), "person": person,
            "batch": batch, "employer_unit": employer,
            "applicant": await bearer(person), "employer": await bearer(employer_account),
            "employer_account": employer_account,
            "admin": await bearer(await create_sysadmin())}


def if_match(headers: dict, response) -> dict:
    return {**headers, "If-Match": response.headers["ETag"]}


class TestLogin:
    async def test_a_plain_login_reads_three_and_writes_the_session_and_its_audit(self, client, steps):
        """No failure counted, no lock, a hash of today's cost: nothing else to write (was 7)."""
        person = steps["person"]
        answered, seen = await counted(client.post("/api/auth/login", json={"login": person.login,
                                                                            "password": PASSWORD}))
        assert answered.status_code == 200, answered.text
        assert sorted(seen) == sorted([("find", "login_failures"), ("find", "users"), ("find", "users"),
                                       ("insert", "sessions"), ("insert", "audit_events")])

    async def test_a_login_after_a_failure_clears_it(self, client, steps):
        person = steps["person"]
        wrong = await client.post("/api/auth/login", json={"login": person.login, "password": "不对的密码1"})
        assert wrong.status_code == 401
        assert await LoginFailure.find_one({"login_key": person.login.lower()}) is not None
        captcha = await solved_captcha()
        answered, seen = await counted(client.post("/api/auth/login", json={"login": person.login,
                                                                            "password": PASSWORD, **captcha}))
        assert answered.status_code == 200, answered.text
        assert ("delete", "login_failures") in seen
        assert await LoginFailure.find_one({"login_key": person.login.lower()}) is None


class TestApplicant:
    async def test_open_save_and_submit(self, client, steps):
        url, headers = steps["url"], steps["applicant"]
        opened, seen = await counted(client.get(url, headers=headers))
        assert opened.status_code == 200
        assert seen == [SESSION, ("find", "dossiers"), ("find", "batches")]          # 3 (was 5)
        opened, seen = await counted(client.get(url, headers=headers))
        assert seen == [SESSION, ("find", "dossiers")]                                # the batch is recent: 2

        saved, seen = await counted(client.put(f"{url}/sections/summary", json={"text": "任现职以来从事群众舞蹈辅导。"},
                                               headers=if_match(headers, opened)))
        assert saved.status_code == 200, saved.text
        assert seen == [SESSION, ("update", "dossiers")]     # 2 (was 8): a draft's row holds nothing of its summary
        basic = complete_sections(steps["person"].id_number)["basic"]
        saved, seen = await counted(client.put(f"{url}/sections/basic", json=basic, headers=if_match(headers, saved)))
        assert saved.status_code == 200, saved.text
        assert seen.count(("find", "dictionaries")) == 2      # the first save with codes reads their dictionaries
        saved, seen = await counted(client.put(f"{url}/sections/basic", json=basic, headers=if_match(headers, saved)))
        assert seen == [SESSION, ("update", "dossiers")]      # then they are recent, and the row's facts stay as they were
        saved, seen = await counted(client.put(f"{url}/sections/basic", json={**basic, "phone": "13900000001"},
                                               headers=if_match(headers, saved)))
        assert saved.status_code == 200, saved.text
        assert seen == [SESSION, ("update", "dossiers"), ("update", "dossier_rows")]   # a fact the tables show moved
        assert (await DossierRow.get(steps["id"])).facts["phone"] == "13900000001"

        submitted, seen = await counted(client.post(f"{url}/submit", headers=if_match(headers, saved)))
        assert submitted.status_code == 200, submitted.text
        # 7 commands (was 10), 4 trips: the row, its queue entry (inserted: a draft has none, and an insert misses
        # when one is there), the queue counts and the statistics' counts (app.dossiers.counts and queue_counts,
        # taken back if the write they count missed) are sent together
        assert seen[:3] == [SESSION, ("find", "units"), ("update", "dossiers")]
        assert sorted(seen[3:]) == [("insert", "dossier_queue"), ("update", "dossier_rows"), ("update", "queue_counts"),
                                    ("update", "statistics_counts")]
        stored = await Dossier.get(steps["id"])
        assert stored.status == "submitted" and stored.snapshots[0].version == int(saved.headers["ETag"].strip('"'))
        assert (await DossierRow.get(steps["id"])).version == stored.version     # in a queue: its row is current

    async def test_a_save_this_process_has_no_copy_of_reads_first(self, client, steps):
        """Another process served the page: one read before the write, still no read after it."""
        url, headers = steps["url"], steps["applicant"]
        opened = await client.get(url, headers=headers)
        writes.forget(steps["id"])
        saved, seen = await counted(client.put(f"{url}/sections/summary", json={"text": "工作总结。"},
                                               headers=if_match(headers, opened)))
        assert saved.status_code == 200
        assert seen == [SESSION, ("find", "dossiers"), ("update", "dossiers")]      # the draft's row holds no summary

    async def test_a_stale_etag_costs_one_read_and_is_412(self, client, steps):
        url, headers = steps["url"], steps["applicant"]
        opened = await client.get(url, headers=headers)
        await client.put(f"{url}/sections/summary", json={"text": "第一次。"}, headers=if_match(headers, opened))
        stale, seen = await counted(client.put(f"{url}/sections/summary", json={"text": "第二次。"},
                                               headers=if_match(headers, opened)))
        assert stale.status_code == 412 and stale.json()["code"] == "stale_version"
        assert seen == [SESSION, ("find", "dossiers")]

    async def test_a_copy_another_process_made_stale_misses_and_the_fresh_read_answers(self, client, steps):
        """This process remembers version N; another process wrote N+1 meanwhile. The conditional write
        at N misses, and the answer is the fresh read's: 412 with the current version, nothing written."""
        url, headers = steps["url"], steps["applicant"]
        opened = await client.get(url, headers=headers)
        collection = Dossier.get_pymongo_collection()
        await collection.update_one({"_id": steps["id"]}, {"$set": {"sections.summary": {"text": "别处写的。"}},
                                                           "$inc": {"version": 1}})
        await rows.refresh(steps["id"])
        r, seen = await counted(client.put(f"{url}/sections/summary", json={"text": "这里写的。"},
                                           headers=if_match(headers, opened)))
        assert r.status_code == 412 and r.json()["current_version"] == int(opened.headers["ETag"].strip('"')) + 1
        assert seen == [SESSION, ("update", "dossiers"), ("find", "dossiers")]
        assert (await collection.find_one({"_id": steps["id"]}))["sections"]["summary"] == {"text": "别处写的。"}

    async def test_a_submitted_copy_is_not_editable_even_if_remembered_editable(self, client, steps):
        """A change that did not move the version (a restore) is caught by the status in the write's filter."""
        url, headers = steps["url"], steps["applicant"]
        opened = await client.get(url, headers=headers)
        await Dossier.get_pymongo_collection().update_one({"_id": steps["id"]}, {"$set": {"status": "submitted"}})
        await rows.refresh(steps["id"])
        r = await client.put(f"{url}/sections/summary", json={"text": "改。"}, headers=if_match(headers, opened))
        assert r.status_code == 409 and r.json()["code"] == "not_editable"
        writes.forget(steps["id"])

    async def test_a_remembered_copy_of_someone_elses_or_a_deleted_dossier_is_404(self, client, steps):
        url, headers = steps["url"], steps["applicant"]
        opened = await client.get(url, headers=headers)
        stranger = await bearer(await create_person())
        r = await client.put(f"{url}/sections/summary", json={"text": "改。"}, headers=if_match(stranger, opened))
        assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"
        await Dossier.get_pymongo_collection().delete_one({"_id": steps["id"]})
        await rows.refresh(steps["id"])
        r, seen = await counted(client.put(f"{url}/sections/summary", json={"text": "改。"},
                                           headers=if_match(headers, opened)))
        assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"
        assert seen == [SESSION, ("update", "dossiers"), ("find", "dossiers")]


class TestReviewer:
    async def test_open_and_pass(self, client, steps):
        url = steps["url"]
        await client.post(f"{url}/submit", headers=steps["applicant"])
        opened, seen = await counted(client.get(url, headers=steps["employer"]))
        assert opened.status_code == 200
        # The session, the scope's units (app.dossiers.service.readable_query) and the dossier; the access
        # record is not written by the request.
        assert [c for c in seen if c[1] != "units"] == [SESSION, ("find", "dossiers")]
        passed, seen = await counted(client.post(f"{url}/actions", json={"action": "pass", "opinion": "同意"},
                                                 headers=steps["employer"]))
        assert passed.status_code == 200, passed.text
        dossier_part = [c for c in seen if c[1] in ("sessions", "dossiers", "dossier_rows", "dossier_queue",
                                                    "queue_counts", "dossier_access_days")]
        assert dossier_part[:3] == [SESSION, ("find", "dossiers"), ("update", "dossiers")]
        assert sorted(dossier_part[3:]) == [("update", "dossier_queue"), ("update", "dossier_rows"),
                                            ("update", "queue_counts")]


class TestRebuild:
    async def test_a_refresh_of_many_sends_their_entries_in_one_bulk_write_and_counts_them_in_one(self, client,
                                                                                                  steps):
        """The entries' writes are conditioned on the entries read (a miss would cost a read and a write more
        for that dossier alone), and in the common case none misses: one bulk write of the entries (the
        updates, and the inserts of dossiers new to a queue, one command each), a delete of its own for an
        entry whose dossier is gone, one of the counts."""
        await client.post(f"{steps['url']}/submit", headers=steps["applicant"])
        ids = [steps["id"]] + [ObjectId(await submitted_dossier(await create_person(name=f"申报人{n}"), steps["batch"],
                                                                steps["employer_unit"])) for n in range(4)]
        collection = Dossier.get_pymongo_collection()
        await collection.update_many({"_id": {"$in": ids[:3]}}, {"$set": {"status": "passed"}, "$inc": {"version": 1}})
        await collection.delete_one({"_id": ids[3]})        # a repair behind the write path's back
        lost = await rows.QueueEntry.get_pymongo_collection().find_one_and_delete({"_id": ids[4]})
        await queue_counts.add(queue_counts.changes([lost], [None]))      # an entry lost with its count
        _, seen = await counted(rows.refresh(*ids))
        assert sorted(c for c in seen if c[1] in ("dossier_queue", "queue_counts")) == [
            ("delete", "dossier_queue"), ("find", "dossier_queue"), ("insert", "dossier_queue"),
            ("update", "dossier_queue"), ("update", "queue_counts")]
        assert await rows.QueueEntry.get_pymongo_collection().count_documents({}) == 4
        await writes.refresh(ids[3])        # and its row (the statistics' counters), as the repair would


class TestAccessRecords:
    async def test_two_reads_a_day_are_one_record_the_next_day_another(self, client, steps):
        url = steps["url"]
        await client.post(f"{url}/submit", headers=steps["applicant"])
        for _ in range(2):
            assert (await client.get(url, headers=steps["employer"])).status_code == 200
        assert (await client.get(f"{url}/sections/summary", headers=steps["employer"])).status_code == 200
        await access.flush()
        (record,) = await DossierAccess.find({"dossier_id": steps["id"]}).to_list()
        assert record.times == 3 and record.first_at < record.last_at and record.ip == "203.0.113.7"
        # the employer sees the full ID number on the dossier: noted on the same record, not counted as a read
        assert [(a.action, a.detail) for a in record.actions] == [("read", None), ("id_number", "review"),
                                                                  ("read", "summary")]
        clock.advance(24 * 3600)
        assert (await client.get(url, headers=await bearer(steps["employer_account"]))).status_code == 200
        await access.flush()
        records = await DossierAccess.find({"dossier_id": steps["id"]}).sort("day").to_list()
        assert [r.times for r in records] == [3, 1] and records[0].day < records[1].day
        assert await DossierAccess.find({"user_id": steps["person"].id}).count() == 0      # not the applicant's

    async def test_the_record_is_written_after_the_response_without_being_asked(self, client, steps):
        url = steps["url"]
        await client.post(f"{url}/submit", headers=steps["applicant"])
        opened, seen = await counted(client.get(url, headers=steps["employer"]))
        assert opened.status_code == 200 and not [c for c in seen if c[1] == "dossier_access_days"]
        for _ in range(int(10 / 0.05)):           # the flusher writes it within FLUSH_SECONDS
            if await DossierAccess.find_one({"dossier_id": steps["id"]}):
                break
            await asyncio.sleep(0.05)
        record = await DossierAccess.find_one({"dossier_id": steps["id"]})
        assert record is not None and record.times == 1

    async def test_stopping_writes_what_is_noted(self, client, steps):
        access.record(dossier_id=steps["id"], user_id=steps["person"].id, user_name="审核人", action="read")
        await access.stop()
        assert (await DossierAccess.find_one({"dossier_id": steps["id"]})).times == 1

    async def test_a_record_the_database_refuses_is_kept_and_written_later(self, client, steps):
        """A real refusal: a stored record whose count is not a number makes the upsert's $inc fail."""
        collection = DossierAccess.get_pymongo_collection()
        key = {"dossier_id": steps["id"], "user_id": steps["person"].id, "day": access.day_of(clock.utcnow())}
        await collection.insert_one({**key, "times": "坏"})
        access.record(dossier_id=steps["id"], user_id=steps["person"].id, user_name="审核人", action="read")
        with pytest.raises(PyMongoError):
            await access.flush()
        await collection.delete_one(key)
        assert await access.flush() == 1
        assert (await DossierAccess.find_one(key)).times == 1

    async def test_the_administrator_sees_who_read_it_through_an_index(self, client, steps):
        url = steps["url"]
        await client.post(f"{url}/submit", headers=steps["applicant"])
        await client.get(url, headers=steps["employer"])
        await access.flush()
        r = await client.get(f"{url}/readers", headers=steps["admin"])
        assert r.status_code == 200
        assert [(x["user_name"], x["times"], x["actions"]) for x in r.json()] == [
            ("济南市群众艺术馆", 1, [{"action": "read", "detail": None}, {"action": "id_number", "detail": "review"}])]
        assert (await client.get(f"{url}/readers", headers=steps["employer"])).status_code == 403
        plan = await db.current().db.command("explain", {
            "find": "dossier_access_days", "filter": {"dossier_id": steps["id"]},
            "sort": {"day": -1, "user_id": 1}, "limit": 500}, verbosity="queryPlanner")
        winning = str(plan["queryPlanner"]["winningPlan"])
        assert "IXSCAN" in winning and "COLLSCAN" not in winning, winning


class TestDictionaryCodes:
    async def test_saves_that_find_the_copy_old_at_once_read_it_once(self, client, steps):
        """A deadline's saves all check the same dictionaries when the process's copy runs out: one read."""
        from app.catalog import service as catalog

        catalog.forget_codes()
        answers, seen = await counted(asyncio.gather(*(catalog.is_code("ethnicities", code)
                                                       for code in ("01", "zz") * 10)))
        assert seen == [("find", "dictionaries")]
        assert answers == [True, False] * 10
        answers, seen = await counted(asyncio.gather(catalog.is_code("ethnicities", "01")))
        assert seen == [] and answers == [True]          # then the copy answers
