"""A dossier's attachments: files in GridFS, references in the dossier.

GridFS is never inside a transaction, so the file is stored first and then referenced with one
conditional write; if that write does not land, the file is deleted again. The orphan sweep catches
what a crash in between leaves behind."""

import secrets
from datetime import timedelta

from beanie import PydanticObjectId
from fastapi import Response

from app.accounts.audit import ClientInfo
from app.accounts.models import User
from app.catalog.models import Batch
from app.clock import utcnow
from app.dossiers import sections as S
from app.dossiers.enums import EDITABLE
from app.dossiers.models import AttachmentRef, Dossier
from app.dossiers.service import get_own, get_readable, require_editable
from app.errors import Conflict, NotFound, ValidationFailed
from app.files import service as files

PHOTO = "photo"
MAX_PER_ROW = 10


def _check_place(dossier: Dossier, section: str, row_id: str | None) -> None:
    if section not in S.SECTIONS and section not in S.ATTACHMENT_PLACES:
        raise ValidationFailed("没有这个分节", field="section", code="section_not_found")
    if section == "basic":
        if row_id != PHOTO:
            raise ValidationFailed("基本信息只上传照片", field="row_id", code="row_not_found")
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


def _place_filter(section: str, row_id: str | None) -> dict:
    """The row must still exist when the reference lands (a concurrent save may have removed it)."""
    spec = S.SECTIONS.get(section)
    if spec is not None and spec.row:
        return {f"sections.{section}.rows.id": row_id}
    return {}


async def add(*, actor: User, dossier_id: PydanticObjectId, section: str, row_id: str | None,
              upload) -> AttachmentRef:
    dossier = await get_own(actor, dossier_id)
    require_editable(dossier)
    _check_place(dossier, section, row_id)
    batch = await Batch.get(dossier.batch_id)
    rule = batch.rules.attachment_rule(section)
    photo = section == "basic"
    stored = await files.store_upload(upload, allowed=["jpeg", "png"] if photo else rule.kinds,
                                      max_bytes=rule.max_bytes, field="file", photo=photo,
                                      metadata={"owner": "dossier", "dossier_id": dossier.id, "section": section})
    ref = AttachmentRef(id=secrets.token_hex(6), section=section, row_id=row_id, file=stored, uploaded_by=actor.id)
    collection = Dossier.get_pymongo_collection()
    result = await collection.update_one(
        {"_id": dossier.id, "applicant_id": actor.id, "status": {"$in": list(EDITABLE)},
         **_place_filter(section, row_id)},
        {"$push": {"attachments": ref.model_dump()}, "$set": {"updated_at": utcnow()}})
    if result.matched_count != 1:
        await files.delete_file(stored.file_id)   # never referenced
        raise Conflict("申报材料已提交或该行已删除，附件未保存", code="not_editable")
    if photo:   # one photo: the new one replaces the old
        for old in dossier.attachments_of("basic", PHOTO):
            await _remove(dossier, old)
    return ref


async def _remove(dossier: Dossier, ref: AttachmentRef) -> None:
    result = await Dossier.get_pymongo_collection().update_one(
        {"_id": dossier.id, "status": {"$in": list(EDITABLE)}},
        {"$pull": {"attachments": {"id": ref.id, "carried": False}}, "$set": {"updated_at": utcnow()}})
    if result.modified_count == 1:
        await release([ref])


def _find(dossier: Dossier, attachment_id: str) -> AttachmentRef:
    for ref in dossier.attachments:
        if ref.id == attachment_id:
            return ref
    raise NotFound("附件不存在", field="attachment_id", code="attachment_not_found")


async def delete(*, actor: User, dossier_id: PydanticObjectId, attachment_id: str) -> None:
    dossier = await get_own(actor, dossier_id)
    require_editable(dossier)
    ref = _find(dossier, attachment_id)
    if ref.carried:
        raise Conflict("往年申报使用的学历材料不能删除", code="carried_attachment")
    await _remove(dossier, ref)


async def replace(*, actor: User, dossier_id: PydanticObjectId, attachment_id: str, upload) -> AttachmentRef:
    dossier = await get_own(actor, dossier_id)
    require_editable(dossier)
    old = _find(dossier, attachment_id)
    if old.carried:
        raise Conflict("往年申报使用的学历材料不能替换", code="carried_attachment")
    batch = await Batch.get(dossier.batch_id)
    rule = batch.rules.attachment_rule(old.section)
    photo = old.section == "basic"
    stored = await files.store_upload(upload, allowed=["jpeg", "png"] if photo else rule.kinds,
                                      max_bytes=rule.max_bytes, field="file", photo=photo,
                                      metadata={"owner": "dossier", "dossier_id": dossier.id, "section": old.section})
    now = utcnow()
    result = await Dossier.get_pymongo_collection().update_one(
        {"_id": dossier.id, "applicant_id": actor.id, "status": {"$in": list(EDITABLE)},
         "attachments": {"$elemMatch": {"id": old.id, "file.file_id": old.file.file_id}}},
        {"$set": {"attachments.$.file": stored.model_dump(), "attachments.$.uploaded_at": now, "updated_at": now}})
    if result.matched_count != 1:
        await files.delete_file(stored.file_id)
        raise Conflict("附件已被删除或替换，或申报材料已提交", code="not_editable")
    await release([old])
    return old.model_copy(update={"file": stored, "uploaded_at": now})


async def download(*, user: User, dossier_id: PydanticObjectId, attachment_id: str, inline: bool,
                   client: ClientInfo) -> Response:
    """Current attachments, or those of an earlier submission that reviewers saw (kept in its snapshot)."""
    dossier = await get_readable(user, dossier_id, client=client, action="download", detail=attachment_id)
    for refs in [dossier.attachments] + [s.attachments for s in reversed(dossier.snapshots)]:
        for ref in refs:
            if ref.id == attachment_id:
                return await files.download_response(ref.file, inline=inline)
    raise NotFound("附件不存在", field="attachment_id", code="attachment_not_found")


async def release(refs: list[AttachmentRef]) -> None:
    """Deletes the files of references just removed, unless a snapshot or another dossier (a carried
    education proof) still points at them: what a reviewer once saw stays viewable."""
    for ref in refs:
        file_id = ref.file.file_id
        in_use = await Dossier.find_one({"$or": [{"attachments.file.file_id": file_id},
                                                 {"snapshots.attachments.file.file_id": file_id}]})
        if in_use is None:
            await files.delete_file(file_id)


def _publicity_proofs(publicity: dict) -> set:
    """Objection proofs: the current opinion's and those of opinions an upper unit turned down."""
    opinions = [publicity.get("opinion") or {}] + list(publicity.get("rejected") or [])
    return {o["proof"]["file_id"] for o in opinions if o.get("proof")}


async def sweep_orphans(*, grace: timedelta = timedelta(hours=1)) -> int:
    """Removes GridFS files that no dossier, unit or batch refers to any more."""
    from app.units.models import Unit

    referenced: set = set()
    projection = {"attachments.file.file_id": 1, "snapshots.attachments.file.file_id": 1, "publicity": 1}
    async for dossier in Dossier.get_pymongo_collection().find({}, projection):
        referenced |= {a["file"]["file_id"] for a in dossier.get("attachments", [])}
        for snapshot in dossier.get("snapshots", []):
            referenced |= {a["file"]["file_id"] for a in snapshot.get("attachments", [])}
        referenced |= _publicity_proofs(dossier.get("publicity") or {})
    async for unit in Unit.get_pymongo_collection().find({}, {"licence.file_id": 1, "seal.file_id": 1}):
        referenced |= {unit[k]["file_id"] for k in ("licence", "seal") if unit.get(k)}
    async for batch in Batch.get_pymongo_collection().find({}, {"notice_attachments.file_id": 1}):
        referenced |= {f["file_id"] for f in batch.get("notice_attachments", [])}
    return await files.orphan_sweep(referenced, older_than=grace)
