"""The generated forms a bundle or an archive carries (申报表, 简介表, 材料目录), the plain catalogue used when
they cannot be made, and one form of many dossiers as a ZIP (批量下载表格).

The forms come from app.render.service.form_pdf through the warm LibreOffice pool (with its own
timeouts). A bundle must not fail because of them: when the module or the converter is missing, the
dossier gets a CSV catalogue instead and the manifest says why. Once the converter is found missing,
unavailable or too slow the export stops asking, so a 500-dossier bundle does not wait 500 timeouts."""

import asyncio
import csv
import io

from beanie import PydanticObjectId

from app.accounts.models import User
from app.clock import local_text
from app.dossiers import identity
from app.dossiers import service as dossiers
from app.dossiers.identity import Purpose
from app.dossiers.models import Dossier
from app.errors import AppError, NotFound
from app.exports.zipfeed import Package

CATALOGUE_HEADER = ["序号", "分节", "包内文件", "原文件名", "页数", "大小（字节）", "SHA-256", "上传时间"]


class FormMaker:
    """Makes the forms of each dossier of one export, remembering when the converter is unavailable."""

    def __init__(self, wanted: bool = True, *, reader: User | None = None):
        self.unavailable: str | None = None if wanted else "本次导出未要求生成申报表与材料目录"
        self.templates: dict = {}       # (batch, form) → template version, for the forms cache's keys
        self.reader = reader            # whose download: the ID numbers its forms print (app.dossiers.identity)

    def masked(self, dossier: Dossier) -> bool:
        """Whether this dossier's forms print a masked ID number for the reader (a full one is recorded)."""
        return self.reader is not None and not identity.reveals(self.reader, Purpose.form, dossier)

    def _failed(self, exc: Exception, label: str, convert) -> str:
        """The note for a form that could not be made; the converter gone or too slow stops the export asking."""
        if isinstance(exc, (convert.ConverterUnavailable, convert.ConversionTimeout)):
            self.unavailable = f"{exc.message}：其余申报不再生成表单，以 CSV 材料目录代替"
            return self.unavailable
        return f"{label}生成失败：{getattr(exc, 'message', exc)}"

    async def make(self, dossier: Dossier) -> tuple[list[tuple[str, bytes]], str | None]:
        """[(file name, PDF bytes)] and, when something is missing, a note for the manifest."""
        if self.unavailable:
            return [], self.unavailable
        try:
            from app.render import contexts, convert, service as render
        except ImportError as exc:
            self.unavailable = f"表单生成模块不可用（{exc}），以 CSV 材料目录代替"
            return [], self.unavailable
        from app.exports import formcache

        made: list[tuple[str, bytes]] = []
        masked = self.masked(dossier)
        for form in await formcache.forms_of(dossier, self.templates):
            label = contexts.FORMS[form]
            try:
                pdf = (await render.form_pdf(dossier, form, masked=masked)).content
            except Exception as exc:    # this dossier's form failed; the bundle goes on without it
                return made, self._failed(exc, label, convert)
            made.append((f"{label}.pdf", pdf))
        return made, None

    async def add_to(self, package: Package, dossier: Dossier, *, prefix: str, entry: dict, catalogue: list[dict],
                     deferred: bool = False) -> None:
        """Adds the dossier's forms (or, without the 材料目录, the CSV catalogue) and notes what is missing in
        its manifest entry. deferred: forms made ahead are taken from the cache now (sized entries); the
        others are made, and cached, as a job of the package's stream instead of before its first byte."""
        if not deferred or self.unavailable:
            made, note = await self.make(dossier)
            self._put(package, dossier, prefix, entry, catalogue, made, note, ready=set())
            return
        try:
            from app.exports import formcache
            from app.render import contexts, convert
        except ImportError as exc:
            self.unavailable = f"表单生成模块不可用（{exc}），以 CSV 材料目录代替"
            self._put(package, dossier, prefix, entry, catalogue, [], self.unavailable, ready=set())
            return
        masked = self.masked(dossier)
        wanted = await formcache.keys(dossier, memo=self.templates,
                                      variant=formcache.MASKED_VARIANT if masked else formcache.VARIANT)
        have = await formcache.cached(wanted)
        for form, doc in have.items():
            package.add_gridfs(f"{prefix}{contexts.FORMS[form]}.pdf", doc["_id"], doc["length"],
                               doc["metadata"]["sha256"], bucket=formcache.BUCKET, dossier_id=str(dossier.id),
                               source="form")
        missing = [form for form in wanted if form not in have]
        if not missing:
            return

        async def job() -> None:
            made, note = [], None
            for form in missing:
                label = contexts.FORMS[form]
                if self.unavailable:
                    note = self.unavailable
                    break
                try:
                    made.append((f"{label}.pdf", await formcache.make(dossier, form, wanted[form], masked=masked)))
                except Exception as exc:    # noqa: BLE001 - this dossier's form failed; the bundle goes on
                    note = self._failed(exc, label, convert)
                    break
            self._put(package, dossier, prefix, entry, catalogue, made, note, ready=set(have))

        package.later(job)

    @staticmethod
    def _put(package: Package, dossier: Dossier, prefix: str, entry: dict, catalogue: list[dict],
             made: list[tuple[str, bytes]], note: str | None, *, ready: set[str]) -> None:
        for name, data in made:
            package.add_bytes(f"{prefix}{name}", data, dossier_id=str(dossier.id), source="form")
        if "catalogue" not in ready and not any(name.startswith("材料目录") for name, _ in made):
            package.add_bytes(f"{prefix}材料目录.csv", catalogue_csv(catalogue), dossier_id=str(dossier.id),
                              source="catalogue")
        if note:
            entry["forms_note"] = note


async def readable(user: User, ids: list[PydanticObjectId]) -> list[Dossier]:
    """The dossiers asked for that the user may read, in the order asked; 404 when none is."""
    found = await dossiers.readable_many(user, list(dict.fromkeys(ids)))
    if not found:
        raise NotFound("所选申报均不存在或无权查看", field="ids", code="dossier_not_found")
    return found


async def forms_zip(dossiers: list[Dossier], form: str, fmt: str, *, reader: User) -> Package:
    """One form of many dossiers as one ZIP (批量下载表格), made a few at a time and spooled to disk, so the
    download has an exact length. A dossier whose form cannot be made is named, with the reason, in 说明.txt
    at the end instead of failing the lot."""
    from app.config import get_settings
    from app.render import docx, service as render     # imported late, as in FormMaker: bundles work without it

    found = await render.lookups(dossiers, form)
    width = get_settings().converter_workers if fmt == "pdf" else docx.THREADS
    package, problems = Package(), []

    async def make(dossier: Dossier) -> "render.Form | AppError":
        try:
            return await render.make_form(dossier, form, fmt, lookup=found[dossier.id],
                                          masked=not identity.reveals(reader, Purpose.form, dossier))
        except AppError as exc:
            return exc

    for start in range(0, len(dossiers), width):
        group = dossiers[start:start + width]
        for dossier, result in zip(group, await asyncio.gather(*map(make, group))):
            if isinstance(result, AppError):
                problems.append(f"{dossier.applicant_name}（{dossier.id}）：{result.message}")
            else:
                package.add_bytes(result.filename, result.content, dossier_id=str(dossier.id))
    if problems:
        package.add_bytes("说明.txt", ("以下申报未能生成表格：\n" + "\n".join(problems) + "\n").encode("utf-8"))
    return package


def catalogue_csv(rows: list[dict]) -> bytes:
    """材料目录 as CSV (UTF-8 with BOM so Excel opens the Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CATALOGUE_HEADER)
    for row in rows:
        writer.writerow([row["number"], row["section"], row["path"], row["filename"], row["pages"], row["size"], row["sha256"],
                         local_text(row["uploaded_at"]) if row.get("uploaded_at") else ""])
    return out.getvalue().encode("utf-8-sig")
