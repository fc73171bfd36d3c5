"""Helpers for the blind-review (代表作送审) tests: the batch's rule switched on, a dossier at the committee with
representative works whose text names its applicant, and a library of reviewers with accounts."""

import io

import pikepdf
from pypdf import PdfReader

from app.catalog import batches
from app.catalog.models import Batch
from app.dossiers.models import AttachmentRef
from app.files import service as files
from tests.committee.committee_kit import place_dossier
from tests.experts.kit import library_experts

APPLICANT = "Wang Xiaoming"          # latin, so the test PDF's standard font shows it and pypdf reads it back


def paper(text: str) -> bytes:
    """A one-page PDF showing `text` in Helvetica, its author in the metadata."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page = pdf.add_blank_page()
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
    pdf.docinfo["/Author"] = APPLICANT
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def text_of(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


async def switch_on(batch, **rule) -> None:
    """The batch's blind-review rule for level 3 (the world's dossiers), with `rule` over the defaults."""
    body = {"levels": ["3"], "reviewers": 3, "reserves": 1, "deadline_days": 14, "remind_days_before": 3, **rule}
    await Batch.get_pymongo_collection().update_one({"_id": batch.id}, {"$set": {"rules.blind_review": body}})
    batches.forget_recent(batch.id)


async def _bytes(data: bytes):
    yield data


async def works_dossier(world, *, status: str = "accepted", name: str = APPLICANT, **fields):
    """A dossier at the committee whose applicant marked two papers as representative works, each naming them."""
    from beanie import PydanticObjectId

    dossier_id = PydanticObjectId()
    refs = []
    for n in (1, 2):
        stored = await files.store_upload(_bytes(paper(f"Study {n} by {name}, folk dance in Jinan.")), allowed={"pdf"},
                                          max_bytes=1 << 20, field="file", filename=f"{name} paper {n}.pdf",
                                          metadata={"owner": "dossier", "dossier_id": dossier_id})
        refs.append(AttachmentRef(id=f"paper0000{n}", section="papers", file=stored,
                                  uploaded_by=world["applicant"].id))
    fields.setdefault("representative_works", [r.id for r in refs])
    return await place_dossier(world, status=status, name=name, id=dossier_id, attachments=refs, **fields)


async def reviewers(client, world, n: int = 4) -> list[tuple]:
    """n committed library experts with accounts, off every route: (record json, user, headers)."""
    return await library_experts(client, world, n)
