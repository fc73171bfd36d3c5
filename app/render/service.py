"""Forms of dossiers: the template for the dossier's batch, the data, preview or official, .docx or
PDF, for one dossier (app.exports.forms zips them for many).

Before the committee office's qualification check passes (受理) every form is a preview and carries
the 预览版 watermark; from then on it is the official version, without one, and the only one that
prints the units' seals. Names of dictionary codes, batches, committees, photos, route units and seals
are fetched once for all the dossiers of a request, then the pure builders and the renderer run in
worker threads, and PDFs go through the warm LibreOffice pool.
"""

import asyncio
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import partial

from beanie import PydanticObjectId

from app.accounts.models import User
from app.catalog import batches as catalog_batches
from app.catalog.models import Batch, DictionaryEntry
from app.config import get_settings
from app.dossiers.enums import DossierStatus
from app.dossiers import access
from app.dossiers.models import Dossier
from app.errors import AppError, Conflict, NotFound
from app.files import service as files_service
from app.files.names import MAX_NAME_BYTES, safe_name
from app.render import contexts, convert, templates, watermark
from app.render import docx as docx_render
from app.render.contexts import FormSource, Lookups
from app.catalog.models import Committee
from app.committee import signing
from app.units.models import Unit

MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "pdf": "application/pdf"}
PHOTO_FORMS = frozenset({"application", "brief", "certificate"})
SEAL_KINDS = frozenset({"jpeg", "png", "gif"})


@dataclass
class Form:
    content: bytes
    filename: str
    media_type: str
    official: bool


def require_format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        raise NotFound("表格只能下载为 .docx 或 .pdf", field="format", code="format_not_found")
    return fmt


def require_available(dossier: Dossier, form: str) -> None:
    """A certificate exists once issued; an entrustment letter only for an entrusted review."""
    if form == "certificate" and (dossier.status != DossierStatus.certified
                                  or getattr(dossier, "certificate", None) is None):
        raise Conflict("尚未发证，不能生成证书", code="certificate_not_issued", field="form")
    if form == "entrustment" and not dossier.declaration.entrusted_review:
        raise Conflict("该申报未选择委托评审，没有评审委托函", code="not_entrusted", field="form")


def filename(dossier: Dossier, form: str, fmt: str) -> str:
    edition = "" if watermark.is_official(dossier.status) else "（预览版）"
    extension = f".{fmt}"
    return safe_name(f"{dossier.applicant_name}-{contexts.FORMS[form]}{edition}",
                     max_bytes=MAX_NAME_BYTES - len(extension)) + extension


async def _photo(source: FormSource) -> bytes | None:
    ref = next((a for a in source.attachments if a.section == "basic" and a.row_id == "photo"), None)
    return await _file(ref.file.file_id) if ref else None


async def _file(file_id) -> bytes | None:
    try:
        return b"".join([chunk async for chunk in await files_service.open_download(file_id)])
    except AppError:      # the file is gone: the form prints the placeholder
        return None


async def _units(dossiers: list[Dossier], form: str) -> dict[PydanticObjectId, contexts.NodeUnit]:
    """The employers and route units of the application forms, with the seal images of the official
    ones' units (a seal scanned as PDF cannot be placed and keeps the （盖章） placeholder)."""
    if form not in ("application", "brief"):     # the boxes' units and seals; the employer's nature and place
        return {}
    wanted = {d.declaration.employer_unit_id for d in dossiers} | {n.unit_id for d in dossiers for n in d.route}
    sealed = {n.unit_id for d in dossiers if form == "application" and watermark.is_official(d.status)
              for n in d.route}
    found = {}
    async for unit in Unit.get_pymongo_collection().find({"_id": {"$in": list(wanted)}},
                                                         {"category": 1, "ancestors": 1, "seal": 1, "nature": 1,
                                                          "region_code": 1}):
        seal = unit.get("seal") or {}
        image = unit["_id"] in sealed and seal.get("kind") in SEAL_KINDS
        found[unit["_id"]] = contexts.NodeUnit(category=unit.get("category"),
                                               ancestors=tuple(unit.get("ancestors") or ()),
                                               seal=await _file(seal["file_id"]) if image else None,
                                               nature=unit.get("nature"), region_code=unit.get("region_code"))
    return found


async def _issuing_seal(dossier: Dossier) -> bytes | None:
    """The seal image of the unit that issued the certificate, on the official version only (a PDF scan of
    a seal cannot be placed as a picture: the certificate then prints （印章））."""
    certificate = getattr(dossier, "certificate", None)
    if not (certificate and certificate.issuing_unit_id and watermark.is_official(dossier.status)):
        return None
    unit = await Unit.get(certificate.issuing_unit_id)
    if unit is None or unit.seal is None or unit.seal.kind not in SEAL_KINDS:
        return None
    return await _file(unit.seal.file_id)


async def lookups(dossiers: list[Dossier], form: str) -> dict[PydanticObjectId, Lookups]:
    """Everything the builders need besides the dossier, for all of them at once."""
    settings = get_settings()
    sources = {d.id: FormSource.of(d) for d in dossiers}
    batches = {b.id: b for b in await Batch.find({"_id": {"$in": list({d.batch_id for d in dossiers})}}).to_list()}
    committee_of = {d.id: d.committee_code or getattr(batches.get(d.batch_id), "committee", None)
                    for d in dossiers}
    committee_codes = {code for code in committee_of.values() if code}
    units = await _units(dossiers, form)
    wanted = set().union(*(contexts.codes_in(s) for s in sources.values()))
    wanted |= {("committees", code) for code in committee_codes}
    wanted |= {pair for u in units.values() for pair in (("unit_natures", u.nature), ("regions", u.region_code))
               if pair[1]}
    by_dictionary: dict[str, list[str]] = defaultdict(list)
    for dictionary, code in wanted:
        by_dictionary[dictionary].append(code)
    names: dict[tuple[str, str], str] = {}
    if by_dictionary:
        query = {"$or": [{"dictionary": d, "code": {"$in": codes}} for d, codes in by_dictionary.items()]}
        entries = DictionaryEntry.get_pymongo_collection().find(query, {"dictionary": 1, "code": 1, "name": 1})
        async for entry in entries:
            names[(entry["dictionary"], entry["code"])] = entry["name"]
    async for committee in Committee.get_pymongo_collection().find({"code": {"$in": list(committee_codes)}},
                                                                  {"code": 1, "name": 1}):
        names[("committees", committee["code"])] = committee["name"]
    found = {}
    for dossier in dossiers:
        batch = batches.get(dossier.batch_id)
        code = committee_of[dossier.id]
        found[dossier.id] = Lookups(
            names=names, batch_name=batch.name if batch else "",
            committee_name=names.get(("committees", code), code or ""),
            commitment_text=batch.commitment_text if batch else "", public_base_url=settings.public_base_url,
            bundle_forms=contexts.bundle_forms(batch.rules.forms if batch else None),
            photo=await _photo(sources[dossier.id]) if form in PHOTO_FORMS else None, units=units,
            issuing_seal=await _issuing_seal(dossier) if form == "certificate" else None)
    return found


async def _docx(dossier: Dossier, form: str, lookup: Lookups, *, stamped: bool, masked: bool = False) -> bytes:
    compiled = await templates.compiled(await templates.current(dossier.batch_id, form))
    mark = watermark.PREVIEW_TEXT if stamped else None

    def render() -> bytes:
        return compiled.render(contexts.build(form, FormSource.of(dossier, masked=masked), lookup), watermark=mark)

    return await docx_render.in_thread(render)


async def form_docx(dossier: Dossier, form: str, *, lookup: Lookups | None = None, masked: bool = False) -> Form:
    """The form as .docx; a preview carries Word's own watermark shape. masked: the ID number masked, for a
    reader app.dossiers.identity keeps it from."""
    require_available(dossier, form)
    lookup = lookup or (await lookups([dossier], form))[dossier.id]
    if lookup.issuing_seal:     # an editable certificate would be a forger's kit: the seal is on the signed PDF only
        lookup = replace(lookup, issuing_seal=None)
    official = watermark.is_official(dossier.status)
    content = await _docx(dossier, form, lookup, stamped=not official, masked=masked)
    return Form(content, filename(dossier, form, "docx"), MEDIA_TYPES["docx"], official)


async def form_pdf(dossier: Dossier, form: str, *, lookup: Lookups | None = None, pdfa: bool = False,
                   masked: bool = False) -> Form:
    """The form as PDF: the .docx (without Word's watermark shape) through LibreOffice, then stamped
    with pypdf if it is a preview. pdfa: PDF/A-2b for an archive package, which only takes official
    forms (pypdf's stamp would rewrite the file and lose its PDF/A identification)."""
    require_available(dossier, form)
    lookup = lookup or (await lookups([dossier], form))[dossier.id]
    official = watermark.is_official(dossier.status)
    if pdfa and not official:
        raise Conflict("只有正式版表格可以生成 PDF/A 归档文件", code="not_official", field="form")
    pdf = await convert.current().convert(await _docx(dossier, form, lookup, stamped=False, masked=masked), pdfa=pdfa)
    if not official:
        pdf = await docx_render.in_thread(watermark.stamp_pdf, pdf, await preview_stamp())
    if form == "certificate":        # its PAdES signature is what makes an edited copy detectable
        c = dossier.certificate
        pdf = await docx_render.in_thread(partial(signing.sign, pdf, number=c.number, issuing_body=c.issuing_body,
                                                  settings=get_settings()))
    return Form(pdf, filename(dossier, form, "pdf"), MEDIA_TYPES["pdf"], official)


_stamp: tuple[str, bytes] | None = None
_stamp_lock = asyncio.Lock()


async def preview_stamp() -> bytes:
    """The translucent 预览版 page, made once per version of templates_docx/watermark.docx."""
    global _stamp
    source, sha256 = templates.default_source("watermark")
    async with _stamp_lock:
        if _stamp is None or _stamp[0] != sha256:
            page = await convert.current().convert(source)
            _stamp = (sha256, await docx_render.in_thread(watermark.prepare_stamp, page))
    return _stamp[1]


async def require_in_batch(dossier: Dossier, form: str) -> None:
    """A form the dossier's batch does not list (its kind's: app.catalog.kinds) is not there."""
    batch = await catalog_batches.recent(dossier.batch_id)
    if batch is not None and form not in batch.rules.forms:
        raise NotFound(f"本批次（{batch.name}）的申报没有{contexts.FORMS[form]}", field="form", code="form_not_found")


async def make_form(dossier: Dossier, form_name: str, fmt: str, *, lookup: Lookups | None = None,
                    masked: bool = False) -> Form:
    await require_in_batch(dossier, form_name)
    return await (form_pdf if fmt == "pdf" else form_docx)(dossier, form_name, lookup=lookup, masked=masked)


def record_downloads(*, actor: User, dossiers: list[Dossier], detail: str) -> None:
    """Who downloaded whose forms (the applicant's own downloads are not recorded, as for reads)."""
    for dossier in dossiers:
        if dossier.applicant_id != actor.id:
            access.record(dossier_id=dossier.id, user_id=actor.id, user_name=actor.name, action="download",
                          detail=detail)
