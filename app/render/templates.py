"""Which template renders a form: the default shipped in templates_docx/, or a replacement an
administrator uploaded for one batch (a province's own layout for this year's round).

Replacements live in their own GridFS bucket (out of reach of the attachments' orphan sweep) and are
referenced from one small document per (batch, form). Before one replaces anything it must open as a
.docx, parse as Jinja, use only variables the form's context builder provides, and render the demo
dossier without touching an unknown field; a bad one is refused with what is wrong named, and the
batch keeps what it had.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from beanie import PydanticObjectId
from gridfs import AsyncGridFSBucket
from jinja2 import StrictUndefined, UndefinedError
from pymongo import ASCENDING, ReturnDocument
from starlette.datastructures import UploadFile

from app import db
from app.accounts.models import User
from app.catalog.models import Batch
from app.clock import utcnow
from app.config import PROJECT_ROOT
from app.errors import NotFound, ValidationFailed
from app.render import contexts, demo
from app.render import docx as docx_render

log = logging.getLogger("app.render.templates")
DEFAULT_DIR = PROJECT_ROOT / "templates_docx"
COLLECTION = "batch_form_templates"
BUCKET = "form_templates"
MAX_BYTES = 10 * 1024 * 1024
_indexed = False


@dataclass(frozen=True)
class TemplateRef:
    """A template version: where it comes from and its content hash (the cache key)."""
    form: str
    sha256: str
    batch_id: PydanticObjectId | None = None        # None: the shipped default
    file_id: PydanticObjectId | None = None
    filename: str | None = None
    uploaded_at: datetime | None = None

    @property
    def key(self) -> tuple:
        return (str(self.batch_id) if self.batch_id else "default", self.form, self.sha256)


def require_form(form: str) -> str:
    if form not in contexts.FORMS:
        raise NotFound(f"没有“{form}”这种表格，可选：{'、'.join(contexts.FORMS)}", field="form", code="form_not_found")
    return form


_defaults: dict[str, tuple[int, int, bytes, str]] = {}


def default_source(form: str) -> tuple[bytes, str]:
    """The shipped template's bytes and hash, re-read when the file changes on disk (an administrator
    may edit templates_docx/ in place)."""
    path: Path = DEFAULT_DIR / f"{form}.docx"
    stat = path.stat()
    known = _defaults.get(form)
    if known is None or known[:2] != (stat.st_mtime_ns, stat.st_size):
        data = path.read_bytes()
        known = (stat.st_mtime_ns, stat.st_size, data, docx_render.CompiledTemplate.digest(data))
        _defaults[form] = known
    return known[2], known[3]


async def _collection():
    global _indexed
    collection = db.current().db[COLLECTION]
    if not _indexed:
        await collection.create_index([("batch_id", ASCENDING), ("form", ASCENDING)], unique=True)
        _indexed = True
    return collection


def _bucket() -> AsyncGridFSBucket:
    return AsyncGridFSBucket(db.current().db, bucket_name=BUCKET)


async def current(batch_id: PydanticObjectId, form: str) -> TemplateRef:
    stored = await (await _collection()).find_one({"batch_id": batch_id, "form": form})
    if stored is None:
        return TemplateRef(form=form, sha256=default_source(form)[1])
    return TemplateRef(form=form, sha256=stored["sha256"], batch_id=batch_id, file_id=stored["file_id"],
                       filename=stored["filename"], uploaded_at=stored["uploaded_at"])


async def source_of(ref: TemplateRef) -> bytes:
    if ref.file_id is None:
        return default_source(ref.form)[0]
    stream = await _bucket().open_download_stream(ref.file_id)
    return await stream.read()


async def compiled(ref: TemplateRef) -> docx_render.CompiledTemplate:
    """The compiled template for this version, compiled (off the event loop) on first use only."""
    found = docx_render.CACHE.get(ref.key)
    if found is None:
        found = await docx_render.in_thread(docx_render.compile_template, await source_of(ref))
        docx_render.CACHE.put(ref.key, found)
    return found


@cache
def known_variables(form: str) -> frozenset[str]:
    """What a template of this form may use: the builder's keys and Jinja's own globals."""
    context = contexts.build(form, demo.demo_source(), demo.demo_lookups())
    return frozenset(context) | frozenset(docx_render.environment().globals)


def check(form: str, source: bytes) -> docx_render.CompiledTemplate:
    """Refuses a template that would fail or print blanks where it means data; returns it compiled."""
    strict = docx_render.compile_template(source, undefined=StrictUndefined)
    unknown = sorted(strict.variables - known_variables(form))
    if unknown:
        raise ValidationFailed(f"模板使用了未知的变量：{'、'.join(unknown)}", field="file",
                               code="unknown_template_variables", unknown=unknown,
                               known=sorted(known_variables(form) - set(docx_render.environment().globals)))
    context = contexts.build(form, demo.demo_source(), demo.demo_lookups())
    try:
        strict.render(context)
    except UndefinedError as exc:
        field = re.search(r"has no attribute '([^']+)'", str(exc))
        name = field.group(1) if field else str(exc)
        raise ValidationFailed(f"模板使用了不存在的字段：{name}", field="file", code="unknown_template_fields",
                               unknown=[name]) from None
    except Exception as exc:  # noqa: BLE001 - whatever the template does wrong, it is refused, not stored
        raise ValidationFailed(f"模板试填示例数据时出错：{exc}", field="file", code="template_render_failed") from None
    return docx_render.compile_template(source)


async def _read_upload(upload: UploadFile) -> bytes:
    chunks, size = [], 0
    while chunk := await upload.read(256 * 1024):
        size += len(chunk)
        if size > MAX_BYTES:
            raise ValidationFailed("模板文件不能超过 10 MB", field="file", code="file_too_large")
        chunks.append(chunk)
    if not size:
        raise ValidationFailed("文件为空，请重新选择", field="file", code="file_empty")
    return b"".join(chunks)


async def require_batch(batch_id: PydanticObjectId) -> Batch:
    batch = await Batch.get(batch_id)
    if batch is None:
        raise NotFound("申报批次不存在", field="batch_id", code="batch_not_found")
    return batch


async def replace(*, actor: User, batch_id: PydanticObjectId, form: str, upload: UploadFile) -> dict:
    """Checks an uploaded template and makes it the batch's template for this form."""
    require_form(form)
    await require_batch(batch_id)
    source = await _read_upload(upload)
    compiled_template = await docx_render.in_thread(check, form, source)
    filename = Path(upload.filename or f"{form}.docx").name
    file_id = await _bucket().upload_from_stream(filename, source, metadata={
        "batch_id": batch_id, "form": form, "sha256": compiled_template.sha256, "uploaded_by": actor.id})
    record = {"batch_id": batch_id, "form": form, "file_id": file_id, "filename": filename,
              "sha256": compiled_template.sha256, "size": len(source), "uploaded_by": actor.id,
              "uploaded_by_name": actor.name, "uploaded_at": utcnow()}
    previous = await (await _collection()).find_one_and_update(
        {"batch_id": batch_id, "form": form}, {"$set": record}, upsert=True, return_document=ReturnDocument.BEFORE)
    if previous is not None:
        await _bucket().delete(previous["file_id"])
    ref = TemplateRef(form=form, sha256=compiled_template.sha256, batch_id=batch_id, file_id=file_id,
                      filename=filename, uploaded_at=record["uploaded_at"])
    docx_render.CACHE.put(ref.key, compiled_template)
    return describe(ref, variables=compiled_template.variables)


async def reset(*, actor: User, batch_id: PydanticObjectId, form: str) -> None:
    """Back to the shipped default."""
    require_form(form)
    await require_batch(batch_id)
    previous = await (await _collection()).find_one_and_delete({"batch_id": batch_id, "form": form})
    if previous is None:
        raise NotFound("该批次的这种表格使用的就是默认模板", field="form", code="template_not_replaced")
    await _bucket().delete(previous["file_id"])
    log.info("%s reset the %s template of batch %s to the default", actor.login, form, batch_id)


async def listing(batch_id: PydanticObjectId) -> list[dict]:
    await require_batch(batch_id)
    return [describe(await current(batch_id, form)) for form in contexts.FORMS]


def describe(ref: TemplateRef, *, variables: set[str] | None = None) -> dict:
    body = {"form": ref.form, "label": contexts.FORMS[ref.form], "source": "batch" if ref.file_id else "default",
            "filename": ref.filename or f"{ref.form}.docx", "sha256": ref.sha256,
            "uploaded_at": ref.uploaded_at.isoformat() if ref.uploaded_at else None}
    if variables is not None:
        body["variables"] = sorted(variables)
    return body
