"""Attachment bundles (附件包): one dossier, or a selection (a committee's batch, a meeting, a unit's
report), as one ZIP with a folder per applicant, the forms or a catalogue, and a manifest.

Everything is planned before the first byte — file sizes from fs.files, generated files made and
hashed — so the length is exact and the browser shows real progress; then the attachments stream
from GridFS chunk by chunk (app.exports.zipfeed). Reviewers get what was submitted: the latest
snapshot's attachments once the dossier has left the applicant's hands."""

from collections.abc import AsyncIterable
from typing import Any

from bson import ObjectId

from app import db
from app.clock import utcnow
from app.dossiers import sections as S
from app.dossiers.enums import EDITABLE, STEP_ATTACHMENT_KINDS
from app.dossiers.models import AttachmentRef, Dossier
from app.exports.forms import FormMaker, catalogue_csv
from app.exports.zipfeed import Package
from app.files import service as files
from app.files.names import safe_name

FORMAT = "zhicheng-bundle/1"
GRIDFS_FIELDS = ("filename", "chunkSize", "uploadDate", "metadata")


def submitted_attachments(dossier: Dossier) -> list[AttachmentRef]:
    """What reviewers saw: the latest snapshot unless the dossier is back with its applicant."""
    if dossier.snapshots and dossier.status not in EDITABLE:
        return dossier.snapshots[-1].attachments
    return dossier.attachments


def folder_name(dossier: Dossier) -> str:
    """'unit-name-ID tail': sorts by unit in a file manager, names the person, tells namesakes apart."""
    tail = (dossier.id_number or "")[-4:] or str(dossier.id)[-4:]
    return safe_name(f"{dossier.declaration.employer_unit_name}-{dossier.applicant_name}-{tail}", max_bytes=240)


async def stored_files(file_ids: list[ObjectId]) -> dict[ObjectId, dict]:
    """fs.files documents by id: the true length (a sized ZIP must not be told a wrong one) and metadata."""
    if not file_ids:
        return {}
    collection = db.current().db[f"{files.BUCKET}.files"]
    return {doc["_id"]: doc async for doc in collection.find({"_id": {"$in": file_ids}})}


async def add_files(package: Package, dossier: Dossier, items: list[tuple[str, dict]], *, prefix: str,
                    forms_prefix: str, forms: FormMaker, gridfs_info: bool = False) -> dict[str, Any]:
    """Adds a dossier's files (items: (section label, StoredFile as dict)), its forms or a CSV catalogue.
    Returns the dossier's manifest entry, naming files missing from GridFS and forms not made.
    gridfs_info: keep each file's GridFS name, chunk size, date and metadata, so it can be restored."""
    stored = await stored_files([f["file_id"] for _, f in items])
    entry: dict[str, Any] = {"id": str(dossier.id), "applicant_name": dossier.applicant_name,
                             "unit": dossier.declaration.employer_unit_name, "status": str(dossier.status),
                             "folder": prefix.rstrip("/")}
    catalogue, missing = [], []
    for n, (label, f) in enumerate(items, 1):
        doc = stored.get(f["file_id"])
        if doc is None:
            missing.append({"file_id": str(f["file_id"]), "filename": f["filename"], "section": label})
            continue
        path = package.add_gridfs(f"{prefix}{n:02d}-{safe_name(label, max_bytes=60)}-{f['filename']}", f["file_id"],
                                  doc["length"], f["sha256"], dossier_id=str(dossier.id), section=label,
                                  source="attachment", **({"gridfs": {k: doc.get(k) for k in GRIDFS_FIELDS}}
                                                          if gridfs_info else {}))
        catalogue.append({"section": label, "path": path, "filename": f["filename"], "pages": f.get("pages", 1),
                          "size": doc["length"], "sha256": f["sha256"],
                          "uploaded_at": (doc.get("metadata") or {}).get("uploaded_at") or doc.get("uploadDate")})
    made, note = await forms.make(dossier)
    for name, data in made:
        package.add_bytes(f"{forms_prefix}{name}", data, dossier_id=str(dossier.id), source="form")
    if not any(name.startswith("材料目录") for name, _ in made):
        package.add_bytes(f"{forms_prefix}材料目录.csv", catalogue_csv(catalogue), dossier_id=str(dossier.id),
                          source="catalogue")
    if note:
        entry["forms_note"] = note
    if missing:
        entry["missing"] = missing
    return entry


def attachment_items(refs: list[AttachmentRef]) -> list[tuple[str, dict]]:
    return [(S.section_label(ref.section), ref.file.model_dump()) for ref in refs]


async def build_bundle(dossiers: AsyncIterable[Dossier], *, title: str, created_by: str,
                       selection: dict[str, Any] | None = None, forms: bool = True) -> tuple[Package, list]:
    """The bundle of the given dossiers (read one at a time) and the ids it covers."""
    package = Package()
    maker = FormMaker(forms)
    folders: set[str] = set()
    entries, ids = [], []
    async for dossier in dossiers:
        folder, n = folder_name(dossier), 1
        while folder.lower() in folders:
            n += 1
            folder = f"{folder_name(dossier)}({n})"
        folders.add(folder.lower())
        prefix = f"{folder}/"
        entries.append(await add_files(package, dossier, attachment_items(submitted_attachments(dossier)),
                                       prefix=prefix, forms_prefix=prefix, forms=maker))
        await add_step_attachments(package, dossier, prefix=f"{prefix}{STEP_FOLDER}")
        ids.append(dossier.id)
    package.finish({"format": FORMAT, "title": title, "created_at": utcnow(), "created_by": created_by,
                    "selection": selection or {}, "dossiers": entries,
                    "notes": sorted({e["forms_note"] for e in entries if "forms_note" in e})})
    return package, ids


# --- 流程附件: the reviewing units' own files, in a folder of their own beside the applicant's ---

STEP_FOLDER = "流程附件/"


async def add_step_attachments(package: Package, dossier: Dossier, *, prefix: str) -> None:
    """Adds the dossier's step attachments (推荐材料, 公示材料 …) as '<n>-<kind>-<unit>-<file>' under prefix."""
    if not dossier.step_attachments:
        return
    stored = await stored_files([a.file.file_id for a in dossier.step_attachments])
    for n, attachment in enumerate(dossier.step_attachments, 1):
        doc = stored.get(attachment.file.file_id)
        if doc is None:
            continue
        label = safe_name(f"{STEP_ATTACHMENT_KINDS.get(attachment.kind, attachment.kind)}-{attachment.unit_name or ''}",
                          max_bytes=90)
        package.add_gridfs(f"{prefix}{n:02d}-{label}-{attachment.file.filename}", attachment.file.file_id,
                           doc["length"], attachment.file.sha256, dossier_id=str(dossier.id), section="流程附件",
                           source="step_attachment")
