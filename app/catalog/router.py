import json

from beanie import PydanticObjectId
from fastapi import APIRouter, Header, Query, Response, UploadFile, status

from app.accounts.deps import OptionalAuth, SysAdmin
from app.accounts.enums import Role
from app.bounds import Year
from app.catalog import batches, service
from app.catalog.batches import BatchIn, BatchOut
from app.preconditions import parse_if_match
from app.errors import NotFound, ValidationFailed
from app.files import service as files

router = APIRouter(prefix="/api", tags=["catalog"])


@router.get("/catalog/export", summary="导出字典（JSON，可再导入）")
async def export(_: SysAdmin, names: list[str] | None = Query(None, alias="dictionary")) -> Response:
    body = json.dumps(await service.export_dictionaries(names), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="dictionaries.json"'})


@router.post("/catalog/import", summary="导入字典（JSON 文件，整体校验后写入）")
async def import_file(_: SysAdmin, file: UploadFile) -> dict:
    raw = await file.read(5 * 1024 * 1024 + 1)
    if len(raw) > 5 * 1024 * 1024:
        raise ValidationFailed("字典文件不能超过 5 MB", field="file", code="file_too_large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed("字典文件不是有效的 UTF-8 JSON", field="file", code="bad_import") from None
    imported = await service.import_dictionaries(data)
    if "committees" in data:
        from app.catalog.committees import sync_committees

        await sync_committees()
    return {"imported": imported}


@router.get("/catalog", summary="字典列表（名称与条目数）")
async def dictionaries(_: SysAdmin) -> list[dict]:
    return await service.dictionary_names()


@router.put("/catalog/{dictionary}/{code}", summary="新增或修改字典条目（未给出的字段保持原值）")
async def put_entry(dictionary: str, code: str, _: SysAdmin, entry: dict) -> dict:
    return await service.put_entry(dictionary, code, entry)


@router.get("/catalog/{dictionary}", summary="字典（可按上级代码级联；系统管理员 all=true 含停用条目）")
async def dictionary(dictionary: str, auth: OptionalAuth, parent: str | None = None, all: bool = False) -> list[dict]:
    everything = all and auth is not None and auth.user.has_role(Role.sysadmin)
    return [{"code": e.code, "name": e.name, "parent": e.parent, **({"extra": e.extra} if e.extra else {}),
             **({"enabled": e.enabled} if everything else {})}
            for e in await service.entries(dictionary, parent=parent, include_disabled=everything)]


@router.get("/batches", response_model=list[BatchOut], summary="申报批次")
async def list_batches(auth: OptionalAuth, year: Year | None = None, open_only: bool = False) -> list[BatchOut]:
    return [BatchOut.build(b) for b in await batches.listing(actor=auth.user if auth else None, year=year,
                                                             open_only=open_only)]


@router.post("/batches", status_code=status.HTTP_201_CREATED, response_model=BatchOut, summary="新建申报批次")
async def create_batch(data: BatchIn, user: SysAdmin, response: Response) -> BatchOut:
    batch = await batches.create(actor=user, data=data)
    response.headers["ETag"] = f'"{batch.version}"'
    return BatchOut.build(batch)


@router.get("/batches/{batch_id}", response_model=BatchOut, summary="申报批次详情与通知")
async def get_batch(batch_id: PydanticObjectId, auth: OptionalAuth, response: Response) -> BatchOut:
    batch = await batches.get(batch_id, actor=auth.user if auth else None)
    response.headers["ETag"] = f'"{batch.version}"'
    return BatchOut.build(batch)


@router.put("/batches/{batch_id}", response_model=BatchOut, summary="修改申报批次（需 If-Match）")
async def update_batch(batch_id: PydanticObjectId, data: BatchIn, user: SysAdmin, response: Response,
                       if_match: str | None = Header(None)) -> BatchOut:
    batch = await batches.get(batch_id, actor=user)
    batch = await batches.update(actor=user, batch=batch, data=data, expected_version=parse_if_match(if_match))
    response.headers["ETag"] = f'"{batch.version}"'
    return BatchOut.build(batch)


@router.post("/batches/{batch_id}/notice-attachments", response_model=BatchOut, summary="上传通知附件")
async def add_notice_attachment(batch_id: PydanticObjectId, user: SysAdmin, file: UploadFile) -> BatchOut:
    batch = await batches.get(batch_id, actor=user)
    stored = await files.store_upload(file, allowed={"pdf", "jpeg", "png"}, max_bytes=20 * 1024 * 1024,
                                      field="file", metadata={"owner": "batch", "batch_id": batch.id})
    return BatchOut.build(await batches.add_notice_attachment(batch, stored))


@router.delete("/batches/{batch_id}/notice-attachments/{file_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="删除通知附件")
async def delete_notice_attachment(batch_id: PydanticObjectId, file_id: PydanticObjectId, user: SysAdmin) -> None:
    batch = await batches.get(batch_id, actor=user)
    await batches.remove_notice_attachment(batch, file_id)
    await files.delete_file(file_id)


@router.get("/batches/{batch_id}/notice-attachments/{file_id}", summary="下载通知附件")
async def notice_attachment(batch_id: PydanticObjectId, file_id: PydanticObjectId, auth: OptionalAuth) -> Response:
    batch = await batches.get(batch_id, actor=auth.user if auth else None)
    for stored in batch.notice_attachments:
        if stored.file_id == file_id:
            return await files.download_response(stored, inline=False)
    raise NotFound("附件不存在", field="file_id", code="attachment_not_found")


