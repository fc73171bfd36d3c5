"""The 补证 reads, explained on the real database: the office's queue reads its committee's queue key on the
rows' index and then the few dossiers by _id; the holder's 我的证书 reads their dossiers on the applicant index;
verifying a replaced number reads the replaced certificates' index.
No collection scan, and no more documents examined than the answer needs."""

from app import db
from app.accounts.models import User
from app.clock import utcnow
from app.committee import certificates, reissue
from app.dossiers.models import Certificate, ReissueRequest
from app.dossiers.writes import to_bson
from app.files.models import FileKind, StoredFile
from tests.committee.committee_kit import place_dossier
from tests.factories import force_dossier
from tests.test_query_plans import as_find, reads

CERTIFIED, PENDING = 30, 4


def certificate(n: int, committee) -> Certificate:
    return Certificate(number=f"Q{n:05d}", verification_code="ABCDEFGH", document_number="济人社职字〔2026〕1号",
                       issued_on=utcnow().date(), issuing_body="济南市人社局", committee_code=committee.code,
                       committee_name=committee.name, holder_name=f"持证人{n}", title_name="馆员", specialty_name="舞蹈",
                       issued_by=committee.office_unit_id)


def request(n: int, committee) -> ReissueRequest:
    proof = StoredFile(file_id=committee.office_unit_id, filename="遗失声明.pdf", content_type="application/pdf",
                       size=1, sha256="0" * 64, kind=FileKind.pdf)
    return ReissueRequest(id=f"req{n:09d}", number=f"Q{n:05d}", reason="lost", statement="遗失", proof=proof,
                          committee_code=committee.code, asked_by=committee.office_unit_id)


async def explained(work, what: str, collections=("dossiers", "dossier_rows")) -> int:
    """Runs `work`, explains each read it made of these collections; returns how many."""
    database = db.current().db
    names = {f"{database.name}.{c}" for c in collections}
    commands = [c for c in await reads(work) if {"find", "count", "aggregate"} & c.keys()]
    checked = 0
    for command in commands:
        find = {**as_find(command), **({"hint": command["hint"]} if "hint" in command else {})}
        if f"{database.name}.{find['find']}" not in names:
            continue
        plan = await database.command("explain", find, verbosity="executionStats")
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), (what, find)
        hinted = {"hint": find["hint"]} if "hint" in find else {}
        matching = await database[find["find"]].count_documents(find.get("filter") or {}, **hinted)
        assert plan["executionStats"]["totalDocsExamined"] <= max(matching, PENDING), (what, find)
        checked += 1
    return checked


async def test_the_queue_and_my_certificates_read_indexes(world):
    committee = world["committee"]
    placed = []
    for n in range(CERTIFIED):
        dossier = await place_dossier(world, status="certified", name=f"持证人{n}")
        fields = {"certificate": to_bson(certificate(n, committee))}
        if n < PENDING:
            fields["reissue_requests"] = [to_bson(request(n, committee))]
        if n % 3 == 0:
            fields["replaced_certificates"] = [to_bson(certificate(1000 + n, committee).model_copy(
                update={"replaced_by": f"Q{n:05d}", "replaced_at": utcnow()}))]
        await force_dossier(dossier.id, **fields)
        placed.append(dossier)
    office = await User.find_one({"roles.role": "committee_intermediate"})

    async def queue():
        found = await reissue.queue(actor=office)
        assert [r.number for r in found] == [f"Q{n:05d}" for n in range(PENDING)]

    assert await explained(queue, "queue") == 2          # the rows by key, the dossiers by _id
    holder = await User.get(placed[0].applicant_id)

    async def mine():
        assert [h["certificate"].number for h in await reissue.holdings(actor=holder)] == ["Q00000"]

    assert await explained(mine, "holdings") == 1

    async def verify_replaced():
        found = await certificates.registered("Q01003")
        assert (found.number, found.replaced_by) == ("Q01003", "Q00003")

    assert await explained(verify_replaced, "a replaced number") == 2     # not current, then among the replaced
