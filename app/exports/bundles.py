"""Attachment bundles (附件包): one dossier, or a selection (a committee's batch, a meeting, a unit's
report), as one ZIP with a folder per applicant, the forms or a catalogue, and a manifest.

Files are numbered as the 材料目录 numbers them (by section, row and position: app.dossiers.numbering).
The attachments and the forms made ahead (app.exports.formcache) are planned before the first byte, file
sizes from fs.files, and stream from GridFS chunk by chunk (app.exports.zipfeed); forms not made yet are
made while the stream goes, a few at a time, so the first byte never waits for them. When every form was
ready the length is exact and the browser shows real progress. Reviewers get what was submitted: the latest
snapshot's attachments once the dossier has left the applicant's hands."""

from collections.abc import AsyncIterable
from typing import Any, NamedTuple

from bson import ObjectId

from app import db
from app.accounts.models import User
from app.clock import utcnow
from app.dossiers.enums import EDITABLE, STEP_ATTACHMENT_KINDS
from app.dossiers.models import Dossier, Snapshot
from app.dossiers.numbering import numbered
from app.exports.forms import FormMaker
from app.exports.zipfeed import Package
from app.files import service as files
from app.files.names import safe_name

FORMAT = "zhicheng-bundle/1"
GRIDFS_FIELDS = ("filename", "chunkSize", "uploadDate", "metadata")


class Item(NamedTuple):
    """A file to pack: its number (the one the catalogue prints), its section's label, the StoredFile as dict."""
    number: int
    label: str
    file: dict


def submitted_state(dossier: Dossier) -> Dossier | Snapshot:
    """What reviewers saw: the latest snapshot unless the dossier is back with its applicant."""
    if dossier.snapshots and dossier.status not in EDITABLE:
        return dossier.snapshots[-1]
    return dossier


def attachment_items(dossier: Dossier, extra: list[tuple[str, dict]] = ()) -> list[Item]:
    """The submitted attachments numbered as the catalogue numbers them (app.dossiers.numbering), then any
    `extra` (label, file) not among them (an archive's earlier snapshots, publicity proofs) after them."""
    state = submitted_state(dossier)
    items = [Item(n.number, n.label, n.ref.file.model_dump()) for n in numbered(state.sections, state.attachments)]
    seen = {item.file["file_id"] for item in items}
    for label, f in extra:
        if f["file_id"] not in seen:
            seen.add(f["file_id"])
            items.append(Item(len(items) + 1, label, f))
    return items


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


async def add_files(package: Package, dossier: Dossier, items: list[Item], *, prefix: str, forms_prefix: str,
                    forms: FormMaker, gridfs_info: bool = False, deferred: bool = False) -> dict[str, Any]:
    """Adds a dossier's files as NN-section-name (NN: the item's number), its forms or a CSV catalogue.
    Returns the dossier's manifest entry, naming files missing from GridFS and forms not made.
    gridfs_info: keep each file's GridFS name, chunk size, date and metadata, so it can be restored.
    deferred: forms not made ahead are made while the package streams (FormMaker.add_to)."""
    stored = await stored_files([item.file["file_id"] for item in items])
    entry: dict[str, Any] = {"id": str(dossier.id), "applicant_name": dossier.applicant_name,
                             "unit": dossier.declaration.employer_unit_name, "status": str(dossier.status),
                             "folder": prefix.rstrip("/")}
    catalogue, missing = [], []
    for number, label, f in items:
        doc = stored.get(f["file_id"])
        if doc is None:
            missing.append({"file_id": str(f["file_id"]), "filename": f["filename"], "section": label,
                            "number": number})
            continue
        path = package.add_gridfs(f"{prefix}{number:02d}-{safe_name(label, max_bytes=60)}-{f['filename']}",
                                  f["file_id"], doc["length"], f["sha256"], dossier_id=str(dossier.id), section=label,
                                  number=number, source="attachment",
                                  **({"gridfs": {k: doc.get(k) for k in GRIDFS_FIELDS}} if gridfs_info else {}))
        catalogue.append({"number": number, "section": label, "path": path, "filename": f["filename"],
                          "pages": f.get("pages", 1), "size": doc["length"], "sha256": f["sha256"],
                          "uploaded_at": (doc.get("metadata") or {}).get("uploaded_at") or doc.get("uploadDate")})
    if missing:
        entry["missing"] = missing
    await forms.add_to(package, dossier, prefix=forms_prefix, entry=entry, catalogue=catalogue, deferred=deferred)
    return entry


async def build_bundle(dossiers: AsyncIterable[Dossier], *, title: str, created_by: str,
                       selection: dict[str, Any] | None = None, forms: bool = True,
                       reader: User | None = None) -> tuple[Package, list]:
    """The bundle of the given dossiers (read one at a time) and the ids it covers. Forms made ahead are
    planned like the attachments; the others are made while the bundle streams, so its first bytes never
    wait for LibreOffice (and it has an exact length only when nothing was left to make). reader: whose
    download, for the ID numbers its forms print (None: the command line's, full)."""
    package = Package()
    maker = FormMaker(forms, reader=reader)
    folders: set[str] = set()
    entries, ids = [], []
    async for dossier in dossiers:
        folder, n = folder_name(dossier), 1
        while folder.lower() in folders:
            n += 1
            folder = f"{folder_name(dossier)}({n})"
        folders.add(folder.lower())
        prefix = f"{folder}/"
        entries.append(await add_files(package, dossier, attachment_items(dossier), prefix=prefix,
                                       forms_prefix=prefix, forms=maker, deferred=True))
        await add_step_attachments(package, dossier, prefix=f"{prefix}{STEP_FOLDER}")
        ids.append(dossier.id)
    created_at = utcnow()
    package.finish(lambda: {"format": FORMAT, "title": title, "created_at": created_at, "created_by": created_by,
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
