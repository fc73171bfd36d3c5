"""Races on one dossier, really interleaved: a writer is held at the one write path after it has read its
copy and checked its rules, another change lands meanwhile, then the held (now stale) write goes on.
Whatever the order, the snapshot is exactly the attachments of the submitted version, every upload
answered 201 is kept, the limits hold, and a refused upload leaves no bytes in GridFS."""

import asyncio
from collections.abc import Callable

import pytest
from bson import ObjectId

from app import db
from app.dossiers import writes
from app.dossiers.models import Dossier
from tests.factories import complete_draft, jpeg_bytes, pdf_bytes
from tests.routing.conftest import act, world  # noqa: F401  (world is a fixture used below)


class Gate:
    """Holds the first `count` dossier writes whose update matches `holds` until all of them have
    arrived and the test releases them; later writes (the retries) pass straight through."""

    def __init__(self, monkeypatch, holds: Callable[[dict], bool], count: int = 1):
        self.arrived, self.released = asyncio.Event(), asyncio.Event()
        self.held = 0
        self.calls = 0
        real = writes.attempt

        async def gated(dossier_id, update, **kwargs):
            if holds(update):
                self.calls += 1
                if self.held < count:
                    self.held += 1
                    if self.held == count:
                        self.arrived.set()
                    await self.released.wait()
            return await real(dossier_id, update, **kwargs)

        monkeypatch.setattr(writes, "attempt", gated)

    async def run(self, *held, meanwhile=None):
        """Starts the held requests, waits until they all hold a stale copy, lets `meanwhile` land,
        then releases them; returns (held answers, meanwhile's answer)."""
        tasks = [asyncio.create_task(request) for request in held]
        await asyncio.wait_for(self.arrived.wait(), 30)
        between = await meanwhile if meanwhile is not None else None
        self.released.set()
        return await asyncio.gather(*tasks), between


def submitting(update: dict) -> bool:
    return "snapshots" in update.get("$push", {})


def attaching(update: dict) -> bool:
    return "attachments" in update.get("$push", {}) or "attachments" in update.get("$set", {})


def detaching(update: dict) -> bool:
    return "attachments" in update.get("$pull", {})


async def gridfs_ids() -> set:
    """The ids of the files in GridFS; every chunk belongs to one of them (no bytes without a file)."""
    files = {f["_id"] async for f in db.current().db["fs.files"].find({}, {"_id": 1})}
    chunks = {c["files_id"] async for c in db.current().db["fs.chunks"].find({}, {"files_id": 1})}
    assert chunks <= files
    return files


@pytest.fixture
async def complete(client, applicant):
    """A complete draft: photo, one education proof, one title proof (written straight in; the races
    are about what happens next)."""
    dossier_id = await complete_draft(applicant["person"], applicant["batch"], applicant["unit"])
    return {"id": dossier_id, "url": f"/api/dossiers/{dossier_id}", **applicant}


def upload(client, dossier, *, section="education", row_id="edu0000001", name="证书.pdf", content=None,
           mime="application/pdf"):
    data = {"section": section, **({"row_id": row_id} if row_id else {})}
    return client.post(f"{dossier['url']}/attachments", data=data, headers=dossier["headers"],
                       files={"file": (name, content if content is not None else pdf_bytes(1), mime)})


def submit(client, dossier):
    return client.post(f"{dossier['url']}/submit", headers=dossier["headers"])


async def assert_snapshot_is_the_submitted_version(dossier_id) -> Dossier:
    """The frozen attachments are exactly those of the version submitted, and every file they list exists."""
    stored = await Dossier.get(ObjectId(dossier_id))
    snapshot = stored.snapshots[-1]
    assert stored.version == snapshot.version + 1          # the submit was the only write after that version
    assert [a.id for a in snapshot.attachments] == [a.id for a in stored.attachments]
    assert {a.file.file_id for a in snapshot.attachments} <= await gridfs_ids()
    return stored


class TestSubmitAgainstUpload:
    async def test_an_upload_landing_first_is_in_the_snapshot(self, client, complete, monkeypatch):
        gate = Gate(monkeypatch, submitting)
        (submitted,), uploaded = await gate.run(submit(client, complete), meanwhile=upload(client, complete))
        assert uploaded.status_code == 201 and submitted.status_code == 200, submitted.text
        assert gate.calls == 2                             # the stale submit missed, read again, froze again
        stored = await assert_snapshot_is_the_submitted_version(complete["id"])
        assert uploaded.json()["id"] in {a.id for a in stored.snapshots[0].attachments}
        assert stored.snapshots[0].version == uploaded.json()["dossier_version"]
        assert [t.action for t in stored.trail] == ["submit"]

    async def test_an_upload_held_behind_the_submit_is_refused_and_leaves_no_bytes(self, client, complete,
                                                                                    monkeypatch):
        before = await gridfs_ids()
        gate = Gate(monkeypatch, attaching)
        (uploaded,), submitted = await gate.run(upload(client, complete), meanwhile=submit(client, complete))
        assert submitted.status_code == 200
        assert uploaded.status_code == 409 and uploaded.json()["code"] == "not_editable"
        stored = await assert_snapshot_is_the_submitted_version(complete["id"])
        assert len(stored.attachments) == 3
        assert await gridfs_ids() == before


class TestSubmitAgainstDelete:
    async def test_a_delete_landing_first_is_not_in_the_snapshot(self, client, complete, monkeypatch):
        extra = (await upload(client, complete, name="学位证书.pdf")).json()
        gate = Gate(monkeypatch, submitting)
        deleting = client.delete(f"{complete['url']}/attachments/{extra['id']}", headers=complete["headers"])
        (submitted,), deleted = await gate.run(submit(client, complete), meanwhile=deleting)
        assert deleted.status_code == 204 and submitted.status_code == 200
        stored = await assert_snapshot_is_the_submitted_version(complete["id"])
        assert extra["id"] not in {a.id for a in stored.snapshots[0].attachments}
        assert len(stored.snapshots[0].attachments) == 3

    async def test_a_delete_held_behind_the_submit_is_refused_and_the_file_stays(self, client, complete,
                                                                                 monkeypatch):
        proof = (await Dossier.get(ObjectId(complete["id"]))).attachments_of("education")[0]
        gate = Gate(monkeypatch, detaching)
        deleting = client.delete(f"{complete['url']}/attachments/{proof.id}", headers=complete["headers"])
        (deleted,), submitted = await gate.run(deleting, meanwhile=submit(client, complete))
        assert submitted.status_code == 200
        assert deleted.status_code == 409 and deleted.json()["code"] == "not_editable"
        stored = await assert_snapshot_is_the_submitted_version(complete["id"])
        assert proof.id in {a.id for a in stored.snapshots[0].attachments}
        download = await client.get(f"{complete['url']}/attachments/{proof.id}", headers=complete["headers"])
        assert download.status_code == 200

    async def test_deleting_a_required_proof_first_makes_the_held_submit_incomplete(self, client, complete,
                                                                                    monkeypatch):
        proof = (await Dossier.get(ObjectId(complete["id"]))).attachments_of("education")[0]
        gate = Gate(monkeypatch, submitting)
        deleting = client.delete(f"{complete['url']}/attachments/{proof.id}", headers=complete["headers"])
        (submitted,), deleted = await gate.run(submit(client, complete), meanwhile=deleting)
        assert deleted.status_code == 204
        assert submitted.status_code == 422 and submitted.json()["code"] == "incomplete"
        stored = await Dossier.get(ObjectId(complete["id"]))
        assert stored.status == "draft" and stored.snapshots == [] and stored.trail == []


class TestLimits:
    async def test_six_parallel_photos_keep_one(self, client, complete, monkeypatch):
        gate = Gate(monkeypatch, attaching, count=6)
        photos = [upload(client, complete, section="basic", row_id="photo", name=f"照片{i}.jpg", mime="image/jpeg",
                         content=jpeg_bytes((300, 400), (10 * i, 20, 30))) for i in range(6)]
        answers, _ = await gate.run(*photos)
        assert [r.status_code for r in answers] == [201] * 6
        assert gate.calls > 6                              # five of them held a stale copy and tried again
        stored = await Dossier.get(ObjectId(complete["id"]))
        kept = stored.attachments_of("basic", "photo")
        assert len(kept) == 1 and kept[0].id in {r.json()["id"] for r in answers}
        assert stored.version == max(r.json()["dossier_version"] for r in answers)
        photo_files = await db.current().db["fs.files"].count_documents({"metadata.section": "basic"})
        assert photo_files == 1

    async def test_eight_parallel_uploads_to_a_row_holding_five_stop_at_ten(self, client, complete, monkeypatch):
        for n in range(4):                                  # the row holds its proof and four more: five
            assert (await upload(client, complete, name=f"证明{n}.pdf")).status_code == 201
        before = await gridfs_ids()
        gate = Gate(monkeypatch, attaching, count=8)
        answers, _ = await gate.run(*[upload(client, complete, name=f"并发{i}.pdf") for i in range(8)])
        codes = sorted((r.status_code, r.json()["code"] if r.status_code >= 400 else None) for r in answers)
        assert codes == [(201, None)] * 5 + [(422, "too_many_files")] * 3
        stored = await Dossier.get(ObjectId(complete["id"]))
        row = stored.attachments_of("education", "edu0000001")
        assert len(row) == 10
        assert {a.id for a in row} >= {r.json()["id"] for r in answers if r.status_code == 201}
        assert await gridfs_ids() == before | {a.file.file_id for a in row}      # the refused three left nothing

    async def test_an_upload_to_a_row_removed_meanwhile_is_refused_and_leaves_no_bytes(self, client, complete,
                                                                                       monkeypatch):
        before = await gridfs_ids()
        etag = (await client.get(complete["url"], headers=complete["headers"])).headers["ETag"]
        gate = Gate(monkeypatch, attaching)
        removing = client.put(f"{complete['url']}/sections/education", json={"rows": []},
                              headers={**complete["headers"], "If-Match": etag})
        (uploaded,), removed = await gate.run(upload(client, complete), meanwhile=removing)
        assert removed.status_code == 200
        assert uploaded.status_code == 422 and uploaded.json()["code"] == "row_not_found"
        proof = {a.file.file_id for a in (await Dossier.get(ObjectId(complete["id"]))).attachments}
        assert await gridfs_ids() == {i for i in before if i in proof}      # the row's proof went with it too


class TestSections:
    async def test_two_saves_with_the_same_if_match_one_is_refused(self, client, complete, monkeypatch):
        etag = (await client.get(complete["url"], headers=complete["headers"])).headers["ETag"]
        gate = Gate(monkeypatch, lambda update: "sections.summary" in update.get("$set", {}))

        def save(text):
            return client.put(f"{complete['url']}/sections/summary", json={"text": text},
                              headers={**complete["headers"], "If-Match": etag})

        (first,), second = await gate.run(save("先读后写的总结"), meanwhile=save("后读先写的总结"))
        assert second.status_code == 200
        assert first.status_code == 412 and first.json()["code"] == "stale_version"
        assert first.json()["current_version"] == int(etag.strip('"')) + 1
        stored = await Dossier.get(ObjectId(complete["id"]))
        assert stored.sections["summary"]["text"] == "后读先写的总结"


class TestWithdrawAgainstReview:
    async def test_a_review_landing_first_forbids_the_withdrawal(self, client, world, monkeypatch):
        gate = Gate(monkeypatch, lambda update: update.get("$set", {}).get("status") == "draft")
        withdrawing = client.post(f"/api/dossiers/{world['dossier_id']}/withdraw", headers=world["as_applicant"])
        (withdrawn,), passed = await gate.run(withdrawing, meanwhile=act(client, world, "as_employer", "pass"))
        assert passed.status_code == 200
        assert withdrawn.status_code == 409 and withdrawn.json()["code"] == "not_withdrawable"
        stored = await Dossier.get(ObjectId(world["dossier_id"]))
        assert stored.status == "passed" and [t.action for t in stored.trail] == ["submit", "pass"]

    async def test_a_withdrawal_landing_first_refuses_the_review(self, client, world, monkeypatch):
        gate = Gate(monkeypatch, lambda update: update.get("$set", {}).get("reviewer_acted") is True)
        withdrawing = client.post(f"/api/dossiers/{world['dossier_id']}/withdraw", headers=world["as_applicant"])
        (passed,), withdrawn = await gate.run(act(client, world, "as_employer", "pass"), meanwhile=withdrawing)
        assert withdrawn.status_code == 200
        assert passed.status_code == 409 and passed.json()["code"] == "conflict"
        stored = await Dossier.get(ObjectId(world["dossier_id"]))
        assert stored.status == "draft" and [t.action for t in stored.trail] == ["submit", "withdraw"]


async def test_a_dossier_write_outside_the_write_path_is_caught(client, complete):
    """The suite's guard (tests/conftest.py) sees a write of the dossiers collection from app code that
    does not go through app/dossiers/writes.py."""
    from tests import conftest

    rogue = compile("async def rogue(i):\n    await Dossier.get_pymongo_collection().update_one("
                    "{'_id': i}, {'$set': {'sections.summary': {'text': 'x'}}})\n",
                    conftest._StrayDossierWrites.APP + "dossiers/rogue.py", "exec")
    scope = {"Dossier": Dossier}
    exec(rogue, scope)
    await scope["rogue"](ObjectId(complete["id"]))
    writes.forget(ObjectId(complete["id"]))     # the rogue write did not move the version either
    caught, conftest._stray_writes.strays[:] = list(conftest._stray_writes.strays), []
    assert caught == [f"update from {conftest._StrayDossierWrites.APP}dossiers/rogue.py:2"]
