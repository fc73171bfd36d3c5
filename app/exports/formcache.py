"""Forms made ahead: the PDFs a bundle carries, kept in their own GridFS bucket per dossier version.

A form is a function of the dossier's version (every change moves it, the status and so the 预览版 mark
included), the template's version and the variant (plain PDF; an archive may want another), so that is
its key, and a cached copy is never out of date for the version it names. The scheduler's `warm-forms`
job makes the forms of dossiers that changed since its last pass and are out of their applicant's hands
(a bundle of them is then planned with every size known: exact Content-Length); a bundle makes what is
still missing while it streams, and stores it for the next one. `sweep-form-cache` drops the copies of
versions that are no longer current. The state lives in the database (the files, the job's mark), so
any worker serves any bundle and a restart loses nothing but the work in flight.

Not in the key: dictionary and batch names looked up at render time, and the printing date; a copy keeps
those as they were when it was made, as a printed form would."""

import hashlib
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from gridfs import AsyncGridFSBucket

from app import db
from app.catalog import batches
from app.clock import utcnow
from app.dossiers.enums import EDITABLE, DossierStatus
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow
from app.render import contexts, convert, service as render, templates

log = logging.getLogger(__name__)

BUCKET = "formcache"
VARIANT = "pdf"
MASKED_VARIANT = "pdf-masked"     # the ID number masked, for readers app.dossiers.identity keeps it from
FORMS = contexts.BUNDLE_FORMS
# States whose forms a bundle is made of: the dossier has left its applicant and is not void.
WARM = [str(s) for s in DossierStatus if s not in EDITABLE and s != DossierStatus.voided]
WARM_READ = 50              # dossiers read per query of a pass
WARM_SECONDS = 90           # one pass of the job, below its lease (scheduler.JOB_LEASE_TTL)
MARK = "warm-forms"         # the job's place in the dossiers' updated_at order, in form_cache_state
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)

_indexed = False


def _files():
    return db.current().db[f"{BUCKET}.files"]


def _bucket() -> AsyncGridFSBucket:
    return AsyncGridFSBucket(db.current().db, bucket_name=BUCKET)


async def _ensure_index() -> None:
    global _indexed
    if not _indexed:
        await _files().create_index("filename")
        await _files().create_index("metadata.dossier_id")
        _indexed = True


def cache_key(dossier: Dossier, form: str, template_sha256: str, variant: str = VARIANT) -> str:
    return f"{dossier.id}/{dossier.version}/{form}/{variant}/{template_sha256}"


async def forms_of(dossier: Dossier, memo: dict | None = None) -> tuple[str, ...]:
    """The forms a bundle carries for the dossier: its batch's (an 初定 dossier's 初定表, not the 申报表).
    memo: as for keys, under ("forms", batch)."""
    memo = {} if memo is None else memo
    if ("forms", dossier.batch_id) not in memo:
        batch = await batches.recent(dossier.batch_id)
        memo[("forms", dossier.batch_id)] = contexts.bundle_forms(batch.rules.forms if batch else None)
    return memo[("forms", dossier.batch_id)]


async def keys(dossier: Dossier, forms: tuple[str, ...] | None = None, variant: str = VARIANT, *,
               memo: dict | None = None) -> dict[str, str]:
    """form → its cache key for the dossier as it is now (forms: its batch's unless given). memo: the
    templates already looked up by this export (batch, form), so a 500-dossier bundle asks once per batch,
    not once per dossier."""
    memo = {} if memo is None else memo
    forms = forms if forms is not None else await forms_of(dossier, memo)
    found = {}
    for form in forms:
        if (dossier.batch_id, form) not in memo:
            memo[(dossier.batch_id, form)] = (await templates.current(dossier.batch_id, form)).sha256
        found[form] = cache_key(dossier, form, memo[(dossier.batch_id, form)], variant)
    return found


async def cached(wanted: dict[str, str]) -> dict[str, dict[str, Any]]:
    """form → the fs.files-like document of its cached PDF (length, metadata.sha256), for those there."""
    await _ensure_index()
    found = {doc["filename"]: doc async for doc in _files().find({"filename": {"$in": list(wanted.values())}})}
    return {form: found[key] for form, key in wanted.items() if key in found}


async def make(dossier: Dossier, form: str, key: str, *, masked: bool = False) -> bytes:
    """Renders the form and keeps it under its key. Two workers making the same one store it twice,
    harmlessly: a lookup takes either, the sweep removes both with their version."""
    pdf = (await render.form_pdf(dossier, form, masked=masked)).content
    await _ensure_index()
    await _bucket().upload_from_stream(key, pdf, metadata={
        "dossier_id": dossier.id, "version": dossier.version, "form": form, "made_at": utcnow(),
        "sha256": hashlib.sha256(pdf).hexdigest()})
    return pdf


async def read(doc: dict[str, Any]) -> bytes:
    stream = await _bucket().open_download_stream(doc["_id"])
    return await stream.read()


async def _warm_one(dossier_id: Any) -> int | None:
    """The missing forms of one dossier made; None when the converter is unavailable (try again later)."""
    dossier = await Dossier.get(dossier_id)
    if dossier is None or str(dossier.status) not in WARM:
        return 0
    wanted = await keys(dossier)
    have = await cached(wanted)
    made = 0
    for form in (f for f in wanted if f not in have):
        try:
            await make(dossier, form, wanted[form])
            made += 1
        except (convert.ConverterUnavailable, convert.ConversionTimeout):
            return None
        except Exception:   # noqa: BLE001 - one dossier's form must not stop the others'
            log.exception("form %s of dossier %s not made ahead", form, dossier.id)
    return made


async def changed_since(mark: dict) -> list[dict]:
    """The next rows after the mark in (updated_at, _id) order: first those of the mark's own time, then the
    later ones, each one range on the (updated_at, _id) index (an $or of the two, or a status $in beside the
    range, is a scan on SecantusDB; the caller passes over the rows not to warm)."""
    rows = DossierRow.get_pymongo_collection()
    after = [{"updated_at": {"$gte": mark["at"]}}] if mark["id"] is None else [
        {"updated_at": mark["at"], "_id": {"$gt": mark["id"]}}, {"updated_at": {"$gt": mark["at"]}}]
    for window in after:
        found = await rows.find(window, {"_id": 1, "updated_at": 1, "status": 1}).sort(
            [("updated_at", 1), ("_id", 1)]).limit(WARM_READ).to_list()
        if found:
            return found
    return []


async def warm(*, budget: float = WARM_SECONDS) -> int:
    """Makes the missing forms of the dossiers changed since the last pass (in updated_at order, one at a
    time, so the other converters stay free for people waiting on a form, for up to `budget` seconds),
    moving the mark past each; returns how many forms it made. A dossier that changes again comes round
    again with its new time. When the converter is unavailable the pass stops and the mark stays, so the
    next pass tries that dossier again."""
    state = db.current().db["form_cache_state"]
    deadline = time.monotonic() + budget
    made = 0
    while time.monotonic() < deadline:
        mark = (await state.find_one({"_id": MARK})) or {"at": EPOCH, "id": None}
        rows = await changed_since(mark)
        if not rows:
            break
        for row in rows:
            if time.monotonic() >= deadline:
                break
            if row.get("status") in WARM:       # a draft's row is passed over: its forms are not final
                result = await _warm_one(row["_id"])
                if result is None:
                    return made
                made += result
            await state.update_one({"_id": MARK}, {"$set": {"at": row["updated_at"], "id": row["_id"]}}, upsert=True)
    return made


async def sweep(*, grace: timedelta = timedelta(hours=1)) -> int:
    """Removes cached forms of versions that are no longer current (and of dossiers gone) once older than
    the grace period (a bundle planned a moment ago may still be streaming one); returns how many."""
    await _ensure_index()
    versions: dict[Any, set[int]] = {}
    async for doc in _files().find({}, {"metadata.dossier_id": 1, "metadata.version": 1}):
        versions.setdefault(doc["metadata"]["dossier_id"], set()).add(doc["metadata"]["version"])
    current = {d["_id"]: d["version"] async for d in Dossier.get_pymongo_collection().find(
        {"_id": {"$in": list(versions)}}, {"version": 1})}
    removed, bucket, cutoff = 0, _bucket(), utcnow() - grace
    for dossier_id, seen in versions.items():
        stale = [v for v in seen if v != current.get(dossier_id)]
        if not stale:
            continue
        async for doc in _files().find({"metadata.dossier_id": dossier_id, "metadata.version": {"$in": stale},
                                        "uploadDate": {"$lt": cutoff}}, {"_id": 1}):
            await bucket.delete(doc["_id"])
            removed += 1
    return removed
