"""补证: the holder applies from their own certificate with a reason and proof, the office of the certificate's
committee approves (a new number replaces the old, which verifies as replaced) or refuses; one request pending
per certificate, under real interleavings too; out of scope is a 404 and a bad proof stores nothing."""

import asyncio
import io

import pytest
from bson import ObjectId
from pypdf import PdfReader

from app.accounts.models import User
from app.committee import reissue
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow, queue_keys
from app.notifications.models import InboxMessage
from tests.committee.committee_kit import place_dossier
from tests.committee.test_certificate_signature import check_file, reason_of
from tests.committee.test_certificates import issue
from tests.dossiers.test_races import Gate, gridfs_ids
from tests.factories import create_person, jpeg_bytes, login, pdf_bytes

VERIFY = "/api/certificates/verify"


@pytest.fixture
async def held(client, world):
    """A certificate issued to 王小明, who is signed in."""
    dossier = await place_dossier(world, status="publicized", name="王小明")
    assert (await issue(client, world, [dossier], issuing_body="济南市人力资源和社会保障局")).json()["done"] == 1
    holder = await User.get(dossier.applicant_id)
    return {"dossier": await Dossier.get(dossier.id), "as_holder": await login(client, holder),
            "url": f"/api/dossiers/{dossier.id}/reissue-requests"}


def apply(client, held, *, reason="lost", statement="2026年12月搬家时遗失，已登报声明作废",
          proof=("遗失声明.pdf", pdf_bytes(1), "application/pdf"), headers=None):
    data = {k: v for k, v in (("reason", reason), ("statement", statement)) if v is not None}
    return client.post(held["url"], data=data, files={"proof": proof} if proof else None,
                       headers=headers or held["as_holder"])


def decide(client, world, held, request_id, *, approve=True, answer=None, who="as_office"):
    body = {"approve": approve, **({"answer": answer} if answer is not None else {})}
    return client.post(f"{held['url']}/{request_id}/decision", json=body, headers=world[who])


class TestApproved:
    async def test_old_verifies_as_replaced_and_the_new_one_as_valid(self, client, world, held):
        old = held["dossier"].certificate
        r = await apply(client, held)
        assert r.status_code == 201, r.text
        asked = r.json()
        assert (asked["status"], asked["number"], asked["reason_label"]) == ("pending", old.number, "遗失")
        again = await apply(client, held)                       # pressing twice: the same one request
        assert again.status_code == 200 and again.json()["id"] == asked["id"]
        stored = await Dossier.get(held["dossier"].id)
        assert len(stored.reissue_requests) == 1 and stored.version == held["dossier"].version + 1
        assert stored.trail[-1].action == "request_reissue"

        queue = (await client.get("/api/reissue-requests", headers=world["as_office"])).json()
        assert [q["id"] for q in queue] == [asked["id"]] and queue[0]["holder_name"] == "王小明"
        proof = await client.get(asked["proof_url"], headers=world["as_office"])
        assert proof.status_code == 200 and proof.content.startswith(b"%PDF-")

        r = await decide(client, world, held, asked["id"], answer="经核实，同意补发")
        assert r.status_code == 200, r.text
        new_number = r.json()["new_number"]
        assert r.json()["status"] == "approved" and new_number not in (None, old.number)
        assert (await client.get("/api/reissue-requests", headers=world["as_office"])).json() == []
        stored = await Dossier.get(held["dossier"].id)
        new = stored.certificate
        assert (new.number, new.replaces, new.issued_on, new.document_number) == (
            new_number, old.number, old.issued_on, old.document_number)
        assert new.reissued_on is not None and new.verification_code != old.verification_code
        assert [c.number for c in stored.replaced_certificates] == [old.number]
        assert stored.replaced_certificates[0].replaced_by == new_number
        assert [t.action for t in stored.trail[-2:]] == ["request_reissue", "approve_reissue"]
        assert stored.trail[-1].detail["new_certificate_number"] == new_number

        was = (await client.get(VERIFY, params={"number": old.number, "code": old.verification_code})).json()
        assert (was["replaced"], was["replaced_by"], was["revoked"]) == (True, new_number, False)
        now = (await client.get(VERIFY, params={"number": new_number, "code": new.verification_code})).json()
        assert (now["replaced"], now["replaces"], now["revoked"]) == (False, old.number, False)
        assert now["reissued_on"] == new.reissued_on.isoformat()
        crossed = await client.get(VERIFY, params={"number": new_number, "code": old.verification_code})
        assert crossed.status_code == 404                        # each number keeps its own code
        page = await client.get("/verify", params={"number": old.number, "code": old.verification_code})
        assert "已补发" in page.text and new_number in page.text and "真实有效" not in page.text

        mine = (await client.get("/api/certificates/mine", headers=held["as_holder"])).json()
        assert [(m["certificate"]["number"], [c["number"] for c in m["replaced"]]) for m in mine] == [
            (new_number, [old.number])]
        told = await InboxMessage.find({"user_id": stored.applicant_id, "title": "补证申请已同意"}).to_list()
        assert len(told) == 1 and new_number in told[0].body

        # Revocation still works, on the new certificate; the old stays replaced.
        revoked = await client.post(f"/api/dossiers/{stored.id}/certificate/revocation", json={"reason": "经查弄虚作假"},
                                    headers=world["as_office"])
        assert revoked.status_code == 200 and revoked.json()["number"] == new_number
        assert (await client.get(VERIFY, params={"number": new_number, "code": new.verification_code})).json()["revoked"]
        assert (await client.get(VERIFY, params={"number": old.number, "code": old.verification_code})).json()["replaced"]
        after = await apply(client, held)                         # a revoked certificate is not reissued
        assert after.status_code == 409 and after.json()["code"] == "certificate_revoked"

    async def test_an_answered_request_cannot_be_answered_again(self, client, world, held):
        asked = (await apply(client, held, reason="damaged", proof=("损毁证书.jpg", jpeg_bytes(), "image/jpeg"))).json()
        assert (await decide(client, world, held, asked["id"])).status_code == 200
        again = await decide(client, world, held, asked["id"], approve=False, answer="重复")
        assert again.status_code == 409 and again.json()["code"] == "request_answered"
        missing = await decide(client, world, held, "nosuchrequest")
        assert missing.status_code == 404 and missing.json()["code"] == "request_not_found"


class TestRefused:
    async def test_refused_with_a_reason_and_the_certificate_stays(self, client, world, held):
        old = held["dossier"].certificate
        asked = (await apply(client, held)).json()
        bare = await decide(client, world, held, asked["id"], approve=False, answer="  ")
        assert bare.status_code == 422 and bare.json()["field"] == "answer"
        r = await decide(client, world, held, asked["id"], approve=False, answer="遗失声明未登报，请补充后重新申请")
        assert r.status_code == 200 and r.json()["status"] == "refused", r.text
        stored = await Dossier.get(held["dossier"].id)
        assert stored.certificate.number == old.number and stored.replaced_certificates == []
        assert stored.trail[-1].action == "refuse_reissue"
        valid = (await client.get(VERIFY, params={"number": old.number, "code": old.verification_code})).json()
        assert not valid["replaced"] and not valid["revoked"]
        told = await InboxMessage.find({"user_id": stored.applicant_id, "title": "补证申请未同意"}).to_list()
        assert len(told) == 1 and "未登报" in told[0].body
        assert (await apply(client, held)).status_code == 201    # a new request after a refusal


class TestRefusals:
    async def test_someone_elses_certificate_is_not_there(self, client, world, held):
        stranger = await login(client, await create_person(name="陌生人"))
        assert (await apply(client, held, headers=stranger)).status_code == 404
        assert (await apply(client, held, headers=world["as_employer"])).status_code == 404   # reads, not holds
        assert (await client.post(held["url"], data={"reason": "lost", "statement": "x"})).status_code == 401
        asked = (await apply(client, held)).json()
        r = await client.post(f"{held['url']}/{asked['id']}/decision", json={"approve": True}, headers=stranger)
        assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"
        assert (await client.get(asked["proof_url"], headers=stranger)).status_code == 404
        r = await decide(client, world, held, asked["id"], who="as_employer")
        assert r.status_code == 403 and r.json()["code"] == "not_issuing_office"
        assert (await client.get("/api/reissue-requests", headers=stranger)).status_code == 403
        r = await decide(client, world, held, asked["id"], approve=True)
        assert r.status_code == 200                               # the office still can

    @pytest.mark.parametrize("proof, code", [
        (("遗失声明.pdf", b"just some text, not a document", "application/pdf"), "file_type_not_allowed"),
        (("遗失声明.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/octet-stream"), "file_type_not_allowed"),
        (("遗失声明.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\n", "application/pdf"), "pdf_broken"),
        (("遗失声明.gif", b"GIF89a" + b"\x00" * 64, "image/gif"), None),
        (("遗失声明.pdf", b"", "application/pdf"), None)])
    async def test_a_bad_proof_is_refused_and_nothing_is_stored(self, client, held, proof, code):
        before = await gridfs_ids()
        r = await apply(client, held, proof=proof)
        assert r.status_code == 422 and r.json()["field"] == "proof", r.text
        if code:
            assert r.json()["code"] == code
        stored = await Dossier.get(held["dossier"].id)
        assert stored.reissue_requests == [] and stored.version == held["dossier"].version
        assert await gridfs_ids() == before

    async def test_bad_fields(self, client, held):
        for bad, field in (({"reason": "stolen"}, "reason"), ({"statement": "   "}, "statement"),
                           ({"proof": None}, "proof"), ({"reason": None}, "reason")):
            r = await apply(client, held, **bad)
            assert r.status_code == 422 and r.json()["field"] == field, (bad, r.text)
        assert (await Dossier.get(held["dossier"].id)).reissue_requests == []

    async def test_only_an_issued_certificate(self, client, world):
        dossier = await place_dossier(world, status="publicized", name="待发证")
        headers = await login(client, await User.get(dossier.applicant_id))
        r = await client.post(f"/api/dossiers/{dossier.id}/reissue-requests", headers=headers,
                              data={"reason": "lost", "statement": "遗失"},
                              files={"proof": ("遗失声明.pdf", pdf_bytes(1), "application/pdf")})
        assert r.status_code == 409 and r.json()["code"] == "certificate_not_issued"


class TestRaces:
    async def test_two_presses_held_at_the_write_make_one_request(self, client, held, monkeypatch):
        """Both read the dossier with no request and stored their proof; the second write misses, re-reads,
        finds the first one's request and answers with it, its own proof removed."""
        before = await gridfs_ids()
        gate = Gate(monkeypatch, lambda u: "reissue_requests" in u.get("$push", {}), count=2)
        (first, second), _ = await gate.run(apply(client, held), apply(client, held))
        assert sorted([first.status_code, second.status_code]) == [200, 201], (first.text, second.text)
        assert first.json()["id"] == second.json()["id"]
        stored = await Dossier.get(held["dossier"].id)
        assert len(stored.reissue_requests) == 1
        assert await gridfs_ids() - before == {stored.reissue_requests[0].proof.file_id}

    async def test_an_approval_racing_a_refusal_answers_once(self, client, world, held, monkeypatch):
        asked = (await apply(client, held)).json()
        gate = Gate(monkeypatch, lambda u: any(k.startswith("reissue_requests.") for k in u.get("$set", {})))
        (approved,), refused = await gate.run(decide(client, world, held, asked["id"]),
                                              meanwhile=decide(client, world, held, asked["id"], approve=False,
                                                               answer="材料不全"))
        assert refused.status_code == 200
        assert approved.status_code == 409 and approved.json()["code"] == "request_answered"
        stored = await Dossier.get(held["dossier"].id)
        assert stored.reissue_requests[0].status == "refused" and stored.replaced_certificates == []
        assert stored.certificate.number == held["dossier"].certificate.number

    async def test_two_approvals_at_once_replace_once(self, client, world, held):
        asked = (await apply(client, held)).json()
        answers = await asyncio.gather(*(decide(client, world, held, asked["id"]) for _ in range(3)))
        assert sorted(a.status_code for a in answers) == [200, 409, 409]
        stored = await Dossier.get(held["dossier"].id)
        assert len(stored.replaced_certificates) == 1 and stored.certificate.replaces == held["dossier"].certificate.number


async def test_the_queue_key_follows_the_pending_request(client, world, held):
    row = await DossierRow.get(held["dossier"].id)
    assert not [k for k in row.queue_keys if k.startswith("reissue:")]
    asked = (await apply(client, held)).json()
    row = await DossierRow.get(held["dossier"].id)
    assert reissue.queue_key(world["committee"].code) in row.queue_keys
    await decide(client, world, held, asked["id"], approve=False, answer="不符合")
    row = await DossierRow.get(ObjectId(held["dossier"].id))
    assert not [k for k in row.queue_keys if k.startswith("reissue:")]


def test_queue_keys_of_requests():
    """Only a pending request puts the dossier in its committee's reissue queue."""
    doc = {"status": "certified", "reissue_requests": [{"status": "refused", "committee_code": "c1"},
                                                        {"status": "pending", "committee_code": "c1"}]}
    assert queue_keys(doc) == ["reissue:c1"]
    doc["reissue_requests"][1]["status"] = "approved"
    assert queue_keys(doc) == []


class TestTheReissuedDocument:
    async def test_the_pdf_says_reissued_and_each_copy_verifies_as_what_it_is(self, client, world, held,
                                                                             converter_pool):
        """Real LibreOffice and pyHanko: the old PDF, downloaded before, now verifies as replaced; the new one
        is signed for its new number, says 补发 with the date and the number it replaces, and verifies valid."""
        url = f"/api/dossiers/{held['dossier'].id}/forms/certificate.pdf"
        before = await client.get(url, headers=held["as_holder"])
        assert before.status_code == 200, before.text
        assert "补发" not in text_of(before.content)
        asked = (await apply(client, held)).json()
        new_number = (await decide(client, world, held, asked["id"])).json()["new_number"]
        after = await client.get(url, headers=held["as_holder"])
        assert after.status_code == 200, after.text
        text, old = text_of(after.content), held["dossier"].certificate
        reissued_on = (await Dossier.get(held["dossier"].id)).certificate.reissued_on
        assert "专业技术资格证书（补发）" in text and new_number in text
        assert f"本证书于{reissued_on.year}年{reissued_on.month}月{reissued_on.day}日补发" in text
        assert f"原证书（编号{old.number}）作废" in text
        assert reason_of(after.content) == f"专业技术资格证书 {new_number}"

        body = (await check_file(client, after.content)).json()
        assert (body["verdict"], body["certificate"]["number"], body["certificate"]["replaces"]) == (
            "valid", new_number, old.number)
        body = (await check_file(client, before.content)).json()
        assert (body["verdict"], body["signature_valid"]) == ("replaced", True)
        assert body["verdict_label"].endswith(f"补发新证（新证书编号{new_number}），原证书作废")
        page = await client.post("/verify", files={"file": ("证书.pdf", before.content, "application/pdf")})
        assert 'data-verdict="replaced"' in page.text and new_number in page.text


def text_of(pdf: bytes) -> str:
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


class TestPages:
    async def test_the_holder_applies_from_the_list_and_the_office_decides_on_its_page(self, client, world, held):
        number = held["dossier"].certificate.number
        listed = await client.get("/certificates", headers=held["as_holder"])
        assert listed.status_code == 200 and f'data-certificate="{number}"' in listed.text
        link = f'/certificates/{held["dossier"].id}/reissue'
        assert f'href="{link}" data-reissue-link>申请补证' in listed.text
        page = await client.get(link, headers=held["as_holder"])
        assert page.status_code == 200 and "补证申请表" in page.text and "遗失声明" in page.text
        assert f'data-multipart="{held["url"]}"' in page.text and number in page.text
        stranger = await login(client, await create_person(name="陌生人"))
        assert (await client.get(link, headers=stranger)).status_code == 404
        assert (await client.get(link, headers=world["as_office"])).status_code == 404    # not their certificate

        asked = (await apply(client, held)).json()
        page = await client.get(link, headers=held["as_holder"])
        assert 'id="reissue-pending"' in page.text and "补证申请表" not in page.text
        assert "补证审批中" in (await client.get("/certificates", headers=held["as_holder"])).text

        queue = await client.get("/committee/reissue", headers=world["as_office"])
        assert queue.status_code == 200 and f'data-request="{asked["id"]}"' in queue.text
        assert (await client.get("/committee/reissue", headers=world["as_employer"])).status_code == 403
        decision = f"/committee/reissue/{held['dossier'].id}"
        page = await client.get(decision, headers=world["as_office"])
        assert page.status_code == 200 and asked["proof_url"] in page.text
        assert f'data-api="{held["url"]}/{asked["id"]}/decision"' in page.text
        assert (await client.get(decision, headers=stranger)).status_code in (403, 404)

        new_number = (await decide(client, world, held, asked["id"])).json()["new_number"]
        listed = (await client.get("/certificates", headers=held["as_holder"])).text
        assert f'data-certificate="{new_number}"' in listed and f'data-replaced="{number}"' in listed
        assert "已补发（作废）" in listed
        track = (await client.get(f"/dossiers/{held['dossier'].id}/track", headers=held["as_holder"])).text
        assert new_number in track and f"原证书 <span class=\"mono\">{number}</span> 作废" in track


async def test_the_orphan_sweep_keeps_a_request_proof(client, held):
    """The proof is referenced from the dossier's request: the nightly sweep of unreferenced files leaves it."""
    from datetime import timedelta

    from app.dossiers.attachments import sweep_orphans

    asked = (await apply(client, held)).json()
    file_id = (await Dossier.get(held["dossier"].id)).reissue_requests[0].proof.file_id
    await sweep_orphans(grace=timedelta(0))
    assert file_id in await gridfs_ids()
    assert (await client.get(asked["proof_url"], headers=held["as_holder"])).status_code == 200
