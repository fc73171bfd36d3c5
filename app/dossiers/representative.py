"""代表作: the applicant marks up to the batch's limit of their uploaded papers, achievements or other proofs as
the representative works the committee office may send to blind review (app.committee.blind). The marks are a
list of attachment ids on the dossier, written through the one write path with If-Match like a section, and
checked against the dossier's attachments in that write; deleting a marked attachment unmarks it in the same
write (app.dossiers.attachments.delete)."""

from beanie import PydanticObjectId

from app.accounts.models import User
from app.catalog import batches
from app.dossiers import behalf, writes
from app.dossiers.models import Dossier
from app.dossiers.service import get_editable, require_editable
from app.errors import ValidationFailed
from app.files.models import FileKind

# Where representative works come from: the sections holding publications, results and other proofs.
WORK_SECTIONS = ("papers", "achievements", "awards", "other")


def check(dossier: Dossier, attachment_ids: list[str], limit: int) -> list[str]:
    """Pure: the marks as stored (in the order given, without repeats), or ValidationFailed."""
    ids = list(dict.fromkeys(attachment_ids))
    if len(ids) > limit:
        raise ValidationFailed(f"代表作最多标记{limit}件", field="attachment_ids", code="too_many_works")
    known = {a.id: a for a in dossier.attachments}
    for i in ids:
        ref = known.get(i)
        if ref is None or ref.section not in WORK_SECTIONS:
            raise ValidationFailed("代表作须是已上传的论文、业绩成果、获奖或其他材料附件", field="attachment_ids",
                                   code="not_a_work")
        if ref.file.kind is not FileKind.pdf:
            raise ValidationFailed(f"代表作须为PDF文件（“{ref.file.filename}”不是）", field="attachment_ids",
                                   code="work_not_pdf")
    return ids


async def mark(*, actor: User, dossier_id: PydanticObjectId, attachment_ids: list[str],
               expected_version: int) -> Dossier:
    """Stores the marks at the version the editor read (412 when it moved)."""
    dossier = await get_editable(actor, dossier_id)
    require_editable(dossier)
    batch = await batches.recent(dossier.batch_id)
    ids = check(dossier, attachment_ids, batch.rules.blind_review.max_works)
    entry = behalf.entered(actor, dossier, f"标记代表作{len(ids)}件", section="representative_works")
    return await writes.write(dossier.id, {"$set": {"representative_works": ids}},
                              expected_version=expected_version, trail_entry=entry)
