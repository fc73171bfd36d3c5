"""A dossier's attachments: files in GridFS, references in the dossier.

GridFS is never inside a transaction, so the file is stored first and then referenced through the
dossier's one write path: the place and its limit are checked again against a fresh copy and the
reference lands only on that copy's version (re-read and re-checked when another write came first), so
parallel uploads cannot pass a limit. If the reference does not land, the file is deleted again; the
orphan sweep catches what a crash in between leaves behind."""

import secrets
from datetime import timedelta

import anyio
from beanie import PydanticObjectId
from fastapi import Response

from app.accounts.audit import ClientInfo
from app.accounts.models import User
from app.catalog.models import Batch
from app.clock import utcnow
from app.dossiers import sections as S
from app.dossiers import behalf, writes
from app.dossiers.models import AttachmentRef, Dossier
from app.dossiers.service import get_editable, get_readable, require_editable
from app.errors import Conflict, NotFound, ValidationFailed
from app.files import service as files
from app.files.models import StoredFile

PHOTO = "photo"
MAX_PER_ROW = 10


def _check_place(dossier: Dossier, section: str, row_id: str | None) -> None:
    if section not in S.SECTIONS and section not in S.ATTACHMENT_PLACES:
        raise ValidationFailed("没有这个分节", field="section", code="section_not_found")
    if section == "basic":
        if row_id != PHOTO and row_id not in S.ID_CARD_SIDES:
            raise ValidationFailed("基本信息只上传照片和身份证正反面", field="row_id", code="row_not_found")
        if row_id in S.ID_CARD_SIDES and dossier.attachments_of(section, row_id):
            raise ValidationFailed(f"身份证{S.ID_CARD_SIDES[row_id]}已上传，请替换或删除后再上传", field="file",
                                   code="too_many_files")
        return
    spec = S.SECTIONS.get(section)
    if spec is not None and spec.row:
        rows = dossier.sections.get(section, {}).get("rows", [])
        if row_id not in {row["id"] for row in rows}:
            raise ValidationFailed("请先保存该行信息，再上传证明材料", field="row_id", code="row_not_found")
        if len(dossier.attachments_of(section, row_id)) >= MAX_PER_ROW:
            raise ValidationFailed(f"每项最多上传{MAX_PER_ROW}个附件", field="file", code="too_many_files")
    elif row_id is not None:
        raise ValidationFailed("该分节的附件不对应具体行", field="row_id", code="row_not_found")


def _kinds(section: str, row_id: str | None, kinds: list[str]) -> list[str]:
    """The photo is a JPEG or PNG made 大一寸; ID card scans are images or PDFs, checked by content."""
    if section == "basic":
        return ["jpeg", "png"] if row_id == PHOTO else ["jpeg", "png", "pdf"]
    return kinds


async def _referenced(stored: StoredFile, writing) -> Dossier:
    """Runs the write that references a just-stored file; if it does not land, the file goes again
    (not when the failure came after the reference landed, e.g. a cancel while the row was stored)."""
    try:
        return await writing
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _discard(stored.file_id)
        raise


def _loader(actor: User, dossier_id: PydanticObjectId):
    async def load() -> Dossier:
        dossier = await get_editable(actor, dossier_id)
        require_editable(dossier)
        return dossier
    return load


async def add(*, actor: User, dossier_id: PydanticObjectId, section: str, row_id: str | None,
              upload) -> tuple[AttachmentRef, Dossier]:
    """Stores the file and references it; a photo replaces the one there in the same write.
    Returns the reference and the dossier after the write (its new version)."""
    load = _loader(actor, dossier_id)
    dossier = await load()
    _check_place(dossier, section, row_id)       # refused before the upload is read when already clear
    batch = await Batch.get(dossier.batch_id)
    if section in S.SECTIONS and section not in batch.rules.sections:     # not a section of the batch's kind
        raise ValidationFailed("本批次的申报不包含该分节", field="section", code="section_not_found")
    rule = batch.rules.attachment_rule(section)
    photo = section == "basic" and row_id == PHOTO
    stored = await files.store_upload(upload, allowed=_kinds(section, row_id, rule.kinds),
                                      max_bytes=rule.max_bytes, field="file", photo=photo,
                                      metadata={"owner": "dossier", "dossier_id": dossier.id, "section": section})
    ref = AttachmentRef(id=secrets.token_hex(6), section=section, row_id=row_id, file=stored, uploaded_by=actor.id)
    replaced: list[AttachmentRef] = []

    async def plan(fresh: Dossier) -> writes.Change:
        _check_place(fresh, section, row_id)
        replaced[:] = fresh.attachments_of("basic", PHOTO) if photo else []
        entry = behalf.entered(actor, fresh, f"上传附件“{stored.filename}”（{S.section_label(section)}）",
                               section=section, attachment=ref.id)
        if replaced:    # one photo: the new one takes the old one's place
            kept = [a.model_dump() for a in fresh.attachments if a not in replaced]
            return writes.Change({"$set": {"attachments": [*kept, ref.model_dump()]}}, entry)
        return writes.Change({"$push": {"attachments": ref.model_dump()}}, entry)

    written = await _referenced(stored, writes.retrying(load, plan))
    await release(replaced)
    return ref, written


def _find(dossier: Dossier, attachment_id: str, *, doing: str) -> tuple[int, AttachmentRef]:
    for index, ref in enumerate(dossier.attachments):
        if ref.id == attachment_id:
            if ref.carried:
                raise Conflict(f"往年申报使用的学历材料不能{doing}", code="carried_attachment")
            return index, ref
    raise NotFound("附件不存在", field="attachment_id", code="attachment_not_found")


async def delete(*, actor: User, dossier_id: PydanticObjectId, attachment_id: str) -> Dossier:
    """Removes the reference (its file unless a snapshot still shows it); returns the dossier after."""
    removed: list[AttachmentRef] = []

    async def plan(fresh: Dossier) -> writes.Change:
        _, ref = _find(fresh, attachment_id, doing="删除")
        removed[:] = [ref]
        update = {"$pull": {"attachments": {"id": ref.id}}}
        if ref.id in fresh.representative_works:     # a deleted work is no longer marked (代表作)
            update["$set"] = {"representative_works": [i for i in fresh.representative_works if i != ref.id]}
        return writes.Change(update, behalf.entered(actor, fresh, f"删除附件“{ref.file.filename}”",
                                                    section=ref.section))

    written = await writes.retrying(_loader(actor, dossier_id), plan)
    await release(removed)
    return written


async def replace(*, actor: User, dossier_id: PydanticObjectId, attachment_id: str,
                  upload) -> tuple[AttachmentRef, Dossier]:
    """A new file for the same reference (same id, section and row); the old file is released."""
    load = _loader(actor, dossier_id)
    dossier = await load()
    _, old = _find(dossier, attachment_id, doing="替换")
    batch = await Batch.get(dossier.batch_id)
    rule = batch.rules.attachment_rule(old.section)
    photo = old.section == "basic" and old.row_id == PHOTO
    stored = await files.store_upload(upload, allowed=_kinds(old.section, old.row_id, rule.kinds),
                                      max_bytes=rule.max_bytes, field="file", photo=photo,
                                      metadata={"owner": "dossier", "dossier_id": dossier.id, "section": old.section})
    now = utcnow()
    replaced: list[AttachmentRef] = []

    async def plan(fresh: Dossier) -> writes.Change:
        index, current = _find(fresh, attachment_id, doing="替换")
        replaced[:] = [current]
        return writes.Change({"$set": {f"attachments.{index}.file": stored.model_dump(),
                                       f"attachments.{index}.uploaded_at": now}},
                             behalf.entered(actor, fresh, f"替换附件“{current.file.filename}”为“{stored.filename}”",
                                            section=current.section))

    written = await _referenced(stored, writes.retrying(load, plan))
    await release(replaced)
    return replaced[0].model_copy(update={"file": stored, "uploaded_at": now}), written


async def download(*, user: User, dossier_id: PydanticObjectId, attachment_id: str, inline: bool,
                   client: ClientInfo) -> Response:
    """Current attachments, those of an earlier submission that reviewers saw (kept in its snapshot), or the
    reviewers' step attachments (流程附件)."""
    dossier = await get_readable(user, dossier_id, client=client, action="download", detail=attachment_id)
    for refs in [dossier.attachments] + [s.attachments for s in reversed(dossier.snapshots)] + [
            dossier.step_attachments]:
        for ref in refs:
            if ref.id == attachment_id:
                return await files.download_response(ref.file, inline=inline)
    raise NotFound("附件不存在", field="attachment_id", code="attachment_not_found")


async def release(refs: list[AttachmentRef]) -> None:
    """Deletes the files of references just removed, unless a snapshot or another dossier (a carried
    education proof) still points at them: what a reviewer once saw stays viewable."""
    for ref in refs:
        await _discard(ref.file.file_id)


async def _discard(file_id: PydanticObjectId) -> None:
    """Deletes a file unless a dossier's attachments or snapshots refer to it: one read on each field's index (a
    `$or` of the two was a scan of every dossier on SecantusDB)."""
    collection = Dossier.get_pymongo_collection()
    in_use = await collection.find_one({"attachments.file.file_id": file_id}, {"_id": 1}) \
        or await collection.find_one({"snapshots.attachments.file.file_id": file_id}, {"_id": 1})
    if in_use is None:
        await files.delete_file(file_id)


def _publicity_proofs(publicity: dict) -> set:
    """Objection proofs: the current opinion's and those of opinions an upper unit turned down."""
    opinions = [publicity.get("opinion") or {}] + list(publicity.get("rejected") or [])
    return {o["proof"]["file_id"] for o in opinions if o.get("proof")}


async def sweep_orphans(*, grace: timedelta = timedelta(hours=1)) -> int:
    """Removes GridFS files that no dossier, unit, batch or case refers to any more."""
    from app.units.models import Unit

    referenced: set = set()
    projection = {"attachments.file.file_id": 1, "snapshots.attachments.file.file_id": 1, "publicity": 1,
                  "step_attachments.file.file_id": 1, "reissue_requests.proof.file_id": 1,
                  "blind_reviews.works.anonymised.file_id": 1}
    async for dossier in Dossier.get_pymongo_collection().find({}, projection):
        referenced |= {a["file"]["file_id"] for a in dossier.get("attachments", [])}
        referenced |= {a["file"]["file_id"] for a in dossier.get("step_attachments", [])}
        referenced |= {r["proof"]["file_id"] for r in dossier.get("reissue_requests", [])}
        referenced |= {w["anonymised"]["file_id"] for w in (dossier.get("blind_reviews") or {}).get("works", [])
                       if w.get("anonymised")}
        for snapshot in dossier.get("snapshots", []):
            referenced |= {a["file"]["file_id"] for a in snapshot.get("attachments", [])}
        referenced |= _publicity_proofs(dossier.get("publicity") or {})
    async for unit in Unit.get_pymongo_collection().find({}, {"licence.file_id": 1, "seal.file_id": 1}):
        referenced |= {unit[k]["file_id"] for k in ("licence", "seal") if unit.get(k)}
    async for batch in Batch.get_pymongo_collection().find({}, {"notice_attachments.file_id": 1}):
        referenced |= {f["file_id"] for f in batch.get("notice_attachments", [])}
    # cases' proofs (app.committee.cases), read by collection name: that domain sits above this one
    async for case in Dossier.get_pymongo_collection().database["cases"].find({"proof": {"$ne": None}},
                                                                               {"proof.file_id": 1}):
        referenced.add(case["proof"]["file_id"])
    return await files.orphan_sweep(referenced, older_than=grace)
