"""/api for exports: Excel tables, attachment bundles, archive packages and many dossiers' forms as one ZIP.

Every download is cut to the caller's read scope (a unit: its own and its subordinates'; a committee
office: its committee's); outside it a single dossier is a 404 and a selection is empty (also 404).
Large downloads carry an exact Content-Length, except a bundle whose forms are still being made: it starts at
once and is sent chunked."""

from collections.abc import AsyncIterator
from typing import Annotated, BinaryIO

from anyio import to_thread
from beanie import PydanticObjectId
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from app.accounts.deps import Client, CurrentUser
from app.accounts.enums import ARCHIVE_ROLES
from app.accounts.models import User
from app.catalog import batches
from app.clock import CHINA, utcnow
from app.config import get_settings
from app.dossiers.deps import Readable
from app.dossiers.models import Dossier
from app.errors import Forbidden, NotFound
from app.exports import archives, bundles, forms as form_zips, tables
from app.exports.selection import MAX_SELECTION, ExportFilter, archive_selection, record, selected, selection
from app.exports.zipfeed import Package
from app.files.names import XLSX, download_headers
from app.committee import meetings
from app.render import contexts as render_contexts, service as render, templates as render_templates

router = APIRouter(prefix="/api", tags=["exports"])

Selection = Annotated[ExportFilter, Query()]
FILE_BLOCK = 256 * 1024


def _headers(filename: str, length: int) -> dict[str, str]:
    return {"Content-Length": str(length), **download_headers(filename, inline=False)}


async def _file_blocks(handle: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while block := await to_thread.run_sync(handle.read, FILE_BLOCK):
            yield block
    finally:
        handle.close()


def _zip(package: Package, filename: str) -> StreamingResponse:
    """A package with forms still to make streams at once without a length (chunked); the others with theirs."""
    if not package.sized:
        return StreamingResponse(package.stream(width=get_settings().converter_workers), media_type="application/zip",
                                 headers=download_headers(filename, inline=False))
    return StreamingResponse(package.stream(), media_type="application/zip", headers=_headers(filename, len(package)))


def _stamp() -> str:
    return utcnow().astimezone(CHINA).strftime("%Y%m%d-%H%M")


class BatchFormsIn(BaseModel):
    ids: list[PydanticObjectId] = Field(min_length=1, max_length=500)
    form: str = Field(description="application | brief | catalogue | entrustment | certificate")
    format: str = Field(default="pdf", description="docx | pdf")


@router.post("/forms/batch", tags=["forms"], summary="批量下载多份申报的表格（ZIP）",
             description="只打包当前用户可查看的申报；未能生成的列在 ZIP 内的“说明.txt”中。")
async def forms_batch(data: BatchFormsIn, user: CurrentUser) -> StreamingResponse:
    render_templates.require_form(data.form)
    render.require_format(data.format)
    chosen = await form_zips.readable(user, data.ids)
    render.record_downloads(actor=user, dossiers=chosen, detail=f"forms:{data.form}.{data.format}")
    package = await form_zips.forms_zip(chosen, data.form, data.format, reader=user)
    name = f"{render_contexts.FORMS[data.form]}-{len(chosen)}份.zip"
    return StreamingResponse(package.stream(), media_type="application/zip", headers={
        **_headers(name, len(package)), "X-Forms-Missing": str(len(set(data.ids)) - len(chosen))})


@router.get("/exports/{table}/columns", summary="表格可选的列（键与中文表头）：overview 一览表、roster 花名册、results 评审结果花名册")
async def table_columns(table: str, _: CurrentUser) -> list[dict]:
    return tables.column_list(table)


@router.get("/exports/{table}.xlsx", summary="导出一览表、花名册或评审结果花名册（按审核队列的筛选条件；columns= 选择列）")
async def table_xlsx(table: str, user: CurrentUser, client: Client, f: Selection,
                     columns: list[str] | None = Query(None, description="列的键，逗号分隔或重复给出；不给则为默认列")
                     ) -> StreamingResponse:
    made = await tables.export(user=user, table=table, f=f, keys=columns, client=client)
    return StreamingResponse(_file_blocks(made.file), media_type=XLSX, headers=_headers(made.filename, made.size))


@router.get("/dossiers/{dossier_id}/bundle.zip", summary="下载一份申报的附件包（含材料目录与申报表、清单）")
async def dossier_bundle(user: CurrentUser, client: Client,
                         dossier: Annotated[Dossier, Depends(Readable("bundle", action="export"))],
                         forms: bool = Query(True, description="是否生成申报表与材料目录 PDF")) -> StreamingResponse:
    package, ids = await bundles.build_bundle(_one(dossier), title="附件包", created_by=user.name,
                                              selection={"dossier_id": str(dossier.id)}, forms=forms, reader=user)
    await record("bundle", user=user, client=client, selection={"dossier_id": str(dossier.id)}, count=1)
    return _zip(package, f"附件包-{bundles.folder_name(dossier)}.zip")


async def _one(dossier: Dossier) -> AsyncIterator[Dossier]:
    yield dossier


@router.get("/bundles.zip", summary="批量下载附件包：按筛选条件、评审会（meeting_id）或选中的申报（ids）")
async def selection_bundle(user: CurrentUser, client: Client, f: Selection,
                           meeting_id: PydanticObjectId | None = Query(None, description="评审会"),
                           ids: list[PydanticObjectId] | None = Query(None, max_length=MAX_SELECTION,
                                                                      description="选中的申报，可重复给出"),
                           forms: bool = Query(True, description="是否生成申报表与材料目录 PDF")
                           ) -> StreamingResponse:
    described = f.described()
    chosen_ids: list[PydanticObjectId] | None = None
    if meeting_id is not None:
        meeting = await meetings.for_files(user, meeting_id)
        chosen_ids = meeting.dossier_ids
        described["meeting_id"] = str(meeting_id)
    if ids:
        chosen_ids = [i for i in ids if chosen_ids is None or i in set(chosen_ids)]
        described["ids"] = len(ids)
    query = await selection(user, f, ids=chosen_ids)
    package, chosen = await bundles.build_bundle(await selected(query), title="附件包", created_by=user.name,
                                                 selection=described, forms=forms, reader=user)
    await record("bundle", user=user, client=client, selection=described, count=len(chosen), dossier_ids=chosen)
    return _zip(package, f"附件包-{_stamp()}.zip")


async def _archivist(user: CurrentUser) -> User:
    if not any(user.has_role(role) for role in ARCHIVE_ROLES):
        raise Forbidden("仅档案管理员可导出归档包", code="not_archivist")
    return user


Archivist = Annotated[User, Depends(_archivist)]


@router.get("/dossiers/{dossier_id}/archive.zip", summary="导出一份已办结申报的归档包（档案管理员）")
async def dossier_archive(user: Archivist, client: Client,
                          dossier: Annotated[Dossier, Depends(Readable("archive", action="export"))],
                          forms: bool = Query(True, description="是否生成 PDF/A 表单（申报表、简介表、材料目录、证书）")) -> StreamingResponse:
    archives.require_completed(dossier)
    package = await archives.build_package(dossier, created_by=user.name, forms=archives.ArchiveForms(forms))
    await record("archive", user=user, client=client, selection={"dossier_id": str(dossier.id)}, count=1)
    return _zip(package, archives.package_name(dossier))


@router.get("/archives.zip", summary="导出一个批次全部已办结申报的归档包（每份申报一个包）")
async def batch_archive(user: Archivist, client: Client,
                        batch_id: PydanticObjectId = Query(description="申报批次"),
                        forms: bool = Query(True, description="是否生成申报表与材料目录 PDF")) -> StreamingResponse:
    batch = await batches.stored(batch_id)
    if batch is None:
        raise NotFound("申报批次不存在", field="batch_id", code="batch_not_found")
    query = await archive_selection(user, batch_id)
    package, chosen = await archives.build_batch(await selected(query), created_by=user.name,
                                                 selection={"batch_id": str(batch_id)}, forms=forms)
    await record("archive", user=user, client=client, selection={"batch_id": str(batch_id)}, count=len(chosen),
                 dossier_ids=chosen)
    return _zip(package, f"归档-{batch.name}-{_stamp()}.zip")
