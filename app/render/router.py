"""Forms over HTTP: one dossier's form as .docx or PDF and the per-batch replacement templates (system
administrators). Many dossiers' forms as one ZIP are an export (app.exports.router)."""

from typing import Annotated

from beanie import PydanticObjectId
from fastapi import APIRouter, Depends, File, Response, UploadFile, status

from app.accounts.deps import CurrentUser, SysAdmin
from app.dossiers import identity
from app.dossiers.deps import Readable
from app.dossiers.identity import Purpose
from app.dossiers.models import Dossier
from app.files.names import download_headers
from app.render import contexts, service, templates

router = APIRouter(tags=["forms"])
FORM_NAMES = "、".join(f"{key}（{label}）" for key, label in contexts.FORMS.items())


def _download(form: service.Form) -> Response:
    return Response(form.content, media_type=form.media_type, headers={
        **download_headers(form.filename, inline=False), "X-Form-Edition": "official" if form.official else "preview"})


async def _known_form(form: str, fmt: str) -> None:
    """Checked after sign-in and before the dossier is read, so a wrong form name leaves no access record."""
    templates.require_form(form)
    service.require_format(fmt)


@router.get("/api/dossiers/{dossier_id}/forms/{form}.{fmt}", summary="下载表格（docx 或 pdf；受理前为预览版）",
            description=f"form：{FORM_NAMES}。资格审查通过（受理）前的表格带“预览版”水印。")
async def download(form: str, fmt: str, user: CurrentUser, _: Annotated[None, Depends(_known_form)],
                   dossier: Annotated[Dossier, Depends(Readable("form:{form}.{fmt}", action="download"))]) -> Response:
    masked = not identity.reveals(user, Purpose.form, dossier)
    return _download(await service.make_form(dossier, form, fmt, masked=masked))


@router.get("/api/batches/{batch_id}/templates", summary="批次的表格模板（默认或已替换）")
async def list_templates(batch_id: PydanticObjectId, _: SysAdmin) -> list[dict]:
    return await templates.listing(batch_id)


@router.get("/api/batches/{batch_id}/templates/{form}.docx", summary="下载批次当前使用的表格模板")
async def template_file(batch_id: PydanticObjectId, form: str, _: SysAdmin) -> Response:
    templates.require_form(form)
    await templates.require_batch(batch_id)
    ref = await templates.current(batch_id, form)
    return Response(await templates.source_of(ref), media_type=service.MEDIA_TYPES["docx"], headers=download_headers(f"{contexts.FORMS[form]}模板.docx", inline=False))


@router.put("/api/batches/{batch_id}/templates/{form}", summary="上传替换模板（先检查变量，不合格则拒绝）")
async def replace_template(batch_id: PydanticObjectId, form: str, user: SysAdmin,
                           file: UploadFile = File(...)) -> dict:
    return await templates.replace(actor=user, batch_id=batch_id, form=form, upload=file)


@router.delete("/api/batches/{batch_id}/templates/{form}", status_code=status.HTTP_204_NO_CONTENT,
               summary="恢复默认模板")
async def reset_template(batch_id: PydanticObjectId, form: str, user: SysAdmin) -> None:
    await templates.reset(actor=user, batch_id=batch_id, form=form)
