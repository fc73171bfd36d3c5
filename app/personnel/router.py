from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile, status

from app.accounts.deps import CurrentUser
from app.clock import CHINA, utcnow
from app.errors import ValidationFailed
from app.files.names import XLSX, XLSX_FILE, download_headers
from app.personnel import service
from app.personnel.deps import KeptRecord, KeptUnit, OwnUnit, RatioUnit, Record, SupervisedUnit
from app.personnel.enums import RecordStatus
from app.personnel.schemas import (AppointIn, EndIn, FigureOut, ImportPreview, ImportResult, QuotaIn, RatiosOut,
                                   RecordIn, RecordOut, RecordPatch, StatusIn)

router = APIRouter(prefix="/api", tags=["personnel"])
IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _xlsx(content: bytes, name: str) -> Response:
    return Response(content, media_type=XLSX, headers=download_headers(name, inline=False))


@router.get("/units/{unit_id}/personnel", summary="本单位人员信息")
async def list_personnel(unit: OwnUnit, status_: Annotated[RecordStatus | None, Query(alias="status")] = None,
                         q: Annotated[str | None, Query(max_length=50)] = None,
                         page: Annotated[int, Query(ge=1, le=10000)] = 1) -> dict:
    total, records = await service.list_records(unit=unit, status=status_, q=q, skip=(page - 1) * 50)
    return {"total": total, "items": [RecordOut.build(r) for r in records]}


@router.post("/units/{unit_id}/personnel", status_code=status.HTTP_201_CREATED, response_model=RecordOut,
             summary="新增人员信息")
async def create_personnel(unit: KeptUnit, data: RecordIn, user: CurrentUser) -> RecordOut:
    return RecordOut.build(await service.create_record(actor=user, unit=unit, data=data))


@router.get("/units/{unit_id}/personnel/template.xlsx", summary="人员信息导入模板",
            response_class=Response, responses=XLSX_FILE)
async def personnel_template(unit: OwnUnit) -> Response:
    return _xlsx(await service.template(), "人员信息导入模板.xlsx")


@router.get("/units/{unit_id}/personnel/export.xlsx", summary="导出人员信息",
            response_class=Response, responses=XLSX_FILE)
async def export_personnel(unit: OwnUnit) -> Response:
    return _xlsx(await service.export(unit=unit), f"{unit.name}人员信息.xlsx")


async def _upload(file: UploadFile) -> bytes:
    content = await file.read(IMPORT_MAX_BYTES + 1)
    if len(content) > IMPORT_MAX_BYTES:
        raise ValidationFailed("导入文件不能超过5MB", field="file", code="file_too_large")
    return content


@router.post("/units/{unit_id}/personnel/import", response_model=ImportResult,
             summary="导入人员信息（整表校验；已有人员按身份证号更新）")
async def import_personnel(unit: KeptUnit, file: UploadFile, user: CurrentUser) -> ImportResult:
    return await service.import_records(actor=user, unit=unit, content=await _upload(file))


@router.post("/units/{unit_id}/personnel/import/preview", response_model=ImportPreview,
             summary="预览导入：将新增与更新的人员及字段（不保存）")
async def preview_personnel_import(unit: KeptUnit, file: UploadFile) -> ImportPreview:
    return await service.preview_import(unit=unit, content=await _upload(file))


@router.patch("/personnel/{record_id}", response_model=RecordOut, summary="修改人员信息（记录修改历史）")
async def edit_personnel(record: KeptRecord, data: RecordPatch, user: CurrentUser) -> RecordOut:
    return RecordOut.build(await service.edit_record(actor=user, record=record, data=data))


@router.get("/personnel/{record_id}", response_model=RecordOut, summary="人员信息与聘任记录")
async def get_personnel(record: Record) -> RecordOut:
    return RecordOut.build(record)


@router.post("/personnel/{record_id}/status", response_model=RecordOut, summary="变更在岗状态")
async def set_status(record: KeptRecord, data: StatusIn, user: CurrentUser) -> RecordOut:
    return RecordOut.build(await service.set_status(actor=user, record=record, data=data))


@router.post("/personnel/{record_id}/appointments", response_model=RecordOut, summary="聘任或变更聘任")
async def appoint(record: KeptRecord, data: AppointIn, user: CurrentUser) -> RecordOut:
    return RecordOut.build(await service.appoint(actor=user, record=record, data=data))


@router.post("/personnel/{record_id}/appointments/end", response_model=RecordOut, summary="解聘")
async def end_appointment(record: KeptRecord, data: EndIn, user: CurrentUser) -> RecordOut:
    return RecordOut.build(await service.end_appointment(actor=user, record=record, data=data))


@router.get("/units/{unit_id}/post-ratios", response_model=RatiosOut, summary="岗位结构比例（核定、已聘、空缺）")
async def unit_ratios(unit: RatioUnit, year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> RatiosOut:
    view = await service.ratio_view(unit=unit, year=year or utcnow().astimezone(CHINA).year)
    return RatiosOut(unit_id=str(unit.id), unit_name=unit.name, year=view["year"], quota_set=view["quota"] is not None,
                     quota_text=view["quota_text"], figures=[FigureOut.build(f) for f in view["figures"]])


@router.put("/units/{unit_id}/post-quotas/{year}", response_model=RatiosOut, summary="核定岗位数（主管部门、人社部门）")
async def set_quota(unit: SupervisedUnit, year: int, data: QuotaIn, user: CurrentUser) -> RatiosOut:
    await service.set_quota(actor=user, unit=unit, year=year, data=data)
    view = await service.ratio_view(unit=unit, year=year)
    return RatiosOut(unit_id=str(unit.id), unit_name=unit.name, year=year, quota_set=True,
                     quota_text=view["quota_text"], figures=[FigureOut.build(f) for f in view["figures"]])


@router.get("/post-ratios", summary="可见范围内各单位的岗位结构比例")
async def ratios_overview(user: CurrentUser, year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> list[RatiosOut]:
    year = year or utcnow().astimezone(CHINA).year
    return [RatiosOut(unit_id=str(u["unit_id"]), unit_name=u["unit_name"], year=year, quota_set=True,
                      quota_text=u["quota_text"], figures=[FigureOut.build(f) for f in u["figures"]])
            for u in await service.overview(actor=user, year=year)]
