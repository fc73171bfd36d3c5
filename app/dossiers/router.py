from typing import Annotated, Any

from beanie import PydanticObjectId
from fastapi import APIRouter, Body, Depends, Form, Header, Query, Response, UploadFile, status

from app.accounts.deps import Client, CurrentUser, SysAdmin
from app.bounds import Counter
from app.catalog import batches
from app.accounts.models import User
from app.dossiers import attachments, derived, entry, identity, representative, rules, service
from app.dossiers import sections as S
from app.dossiers.deps import Readable, ReadableDossier
from app.dossiers.enums import EDITABLE
from app.dossiers.identity import Purpose
from app.dossiers.models import Dossier
from app.dossiers.schemas import (AccessOut, AttachmentOut, Change, DeclarationIn, DossierCreate, DossierOut,
                                  DossierSummary, EntryCreate, EntryOut, RepresentativeIn, SectionOut)
from app.preconditions import parse_if_match
from app.errors import NotFound

router = APIRouter(prefix="/api/dossiers", tags=["dossiers"])


def etag(dossier: Dossier) -> str:
    return f'"{dossier.version}"'


async def summaries(dossiers: list[Dossier], *, user: User) -> list[DossierSummary]:
    """The list rows, each with its batch's name and kind (an 初定 decision reads 初定通过); ID numbers as a
    list shows them to this reader (app.dossiers.identity)."""
    names = await batches.names([d.batch_id for d in dossiers])
    kinds = {i: getattr(await batches.recent(i), "kind", None) for i in {d.batch_id for d in dossiers}}
    return [DossierSummary.build(d, batch_name=names.get(d.batch_id), kind=kinds[d.batch_id],
                                 id_shown=identity.of_dossier(user, Purpose.list, d))
            for d in dossiers]


async def dossier_out(dossier: Dossier, *, user: User) -> DossierOut:
    """One dossier as this reader may see it: its ID number by app.dossiers.identity (a review)."""
    batch = await batches.recent(dossier.batch_id)
    return DossierOut.full(dossier, batch_name=batch.name if batch else None,
                           id_shown=identity.of_dossier(user, Purpose.review, dossier),
                           editable=dossier.status in EDITABLE, kind=batch.kind if batch else None)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DossierOut, summary="新建申报（同意承诺书并填写申报信息）")
async def create(data: DossierCreate, user: CurrentUser, response: Response) -> DossierOut:
    dossier = await service.create(actor=user, data=data)
    response.headers["ETag"] = etag(dossier)
    return await dossier_out(dossier, user=user)


@router.get("", response_model=list[DossierSummary], summary="我的申报")
async def my_dossiers(user: CurrentUser) -> list[DossierSummary]:
    return await summaries(await service.list_own(actor=user), user=user)


@router.post("/entries", status_code=status.HTTP_201_CREATED, response_model=EntryOut,
             summary="录入申报：单位经办人为本单位人员新建申报（选择人员，或按证件号码和姓名，无账号时新建子账号）")
async def enter(data: EntryCreate, user: CurrentUser, client: Client, response: Response) -> EntryOut:
    dossier, account = await entry.create(actor=user, data=data, client=client)
    response.headers["ETag"] = etag(dossier)
    return EntryOut(**(await dossier_out(dossier, user=user)).model_dump(), account=account)


@router.get("/entries", response_model=list[DossierSummary], summary="本单位录入的申报")
async def entered(unit_id: PydanticObjectId, user: CurrentUser) -> list[DossierSummary]:
    return await summaries(await entry.listing(actor=user, unit_id=unit_id), user=user)


@router.get("/{dossier_id}", response_model=DossierOut, summary="申报材料")
async def read(user: CurrentUser, dossier: ReadableDossier, response: Response) -> DossierOut:
    response.headers["ETag"] = etag(dossier)
    return await dossier_out(dossier, user=user)


@router.put("/{dossier_id}/declaration", response_model=DossierOut, summary="修改申报信息（需 If-Match）")
async def update_declaration(dossier_id: PydanticObjectId, data: DeclarationIn, user: CurrentUser,
                             response: Response, if_match: str | None = Header(None)) -> DossierOut:
    dossier = await service.update_declaration(actor=user, dossier_id=dossier_id, data=data,
                                               expected_version=parse_if_match(if_match))
    response.headers["ETag"] = etag(dossier)
    return await dossier_out(dossier, user=user)


@router.put("/{dossier_id}/representative-works", response_model=DossierOut,
            summary="标记代表作（已上传的PDF附件，件数以批次规则为限；需 If-Match）")
async def mark_representative_works(dossier_id: PydanticObjectId, data: RepresentativeIn, user: CurrentUser,
                                    response: Response, if_match: str | None = Header(None)) -> DossierOut:
    dossier = await representative.mark(actor=user, dossier_id=dossier_id, attachment_ids=data.attachment_ids,
                                        expected_version=parse_if_match(if_match))
    response.headers["ETag"] = etag(dossier)
    return await dossier_out(dossier, user=user)


def section_out(dossier: Dossier, name: str, data: Any) -> SectionOut:
    return SectionOut(section=name, label=S.section_label(name), version=dossier.version, data=data,
                      attachments=[AttachmentOut.build(a) for a in dossier.attachments_of(name)])


async def known_section(section: str) -> str:
    """Checked before the dossier is read, so an unknown section leaves no access record."""
    if section not in S.SECTIONS:
        raise NotFound("没有这个分节", field="section", code="section_not_found")
    return section


@router.get("/{dossier_id}/sections/{section}", response_model=SectionOut, summary="读取分节（返回 ETag）")
async def read_section(user: CurrentUser, section: Annotated[str, Depends(known_section)],
                       dossier: Annotated[Dossier, Depends(Readable("{section}"))], response: Response) -> SectionOut:
    data = dossier.sections.get(section)
    if section == "basic" and dossier.applicant_id == user.id:
        data = service.prefill(dossier, user)
    if section == "basic":
        data = derived.basic_as_read(data, dossier.id_number)
    response.headers["ETag"] = etag(dossier)
    return section_out(dossier, section, data)


@router.put("/{dossier_id}/sections/{section}", response_model=SectionOut,
            summary="保存分节（需 If-Match；版本过期返回 412）")
async def save_section(dossier_id: PydanticObjectId, section: str, user: CurrentUser, response: Response,
                       payload: Any = Body(...), if_match: str | None = Header(None)) -> SectionOut:
    dossier, dropped = await service.save_section(actor=user, dossier_id=dossier_id, name=section, payload=payload,
                                                  expected_version=parse_if_match(if_match))
    await attachments.release(dropped)
    response.headers["ETag"] = etag(dossier)
    return section_out(dossier, section, dossier.sections.get(section))


@router.get("/{dossier_id}/completeness", summary="完整性检查：各分节尚缺什么")
async def completeness(dossier: Annotated[Dossier, Depends(Readable("completeness"))]) -> dict:
    report = await service.completeness(dossier)
    return {"complete": not rules.missing_items(report), "sections": [s.model_dump() for s in report]}


@router.get("/{dossier_id}/changes", response_model=list[Change],
            summary="两次提交之间的变化（不带参数：最近一次提交与当前内容比较）")
async def changes(dossier: Annotated[Dossier, Depends(Readable("changes"))],
                  before: Counter | None = Query(None, alias="from"),
                  after: Counter | None = Query(None, alias="to")
                  ) -> list[Change]:
    if before is None and dossier.snapshots:
        before = dossier.snapshots[-1].number if after is None else after - 1
    if before is None:
        return []
    return service.changes(dossier, before=before, after=after)


@router.get("/{dossier_id}/readers", response_model=list[AccessOut],
            summary="谁查阅、下载或导出了这份申报（按日汇总，管理员审计）")
async def readers(dossier_id: PydanticObjectId, _: SysAdmin) -> list[AccessOut]:
    return [AccessOut.build(record) for record in await service.readers(dossier_id)]


@router.post("/{dossier_id}/attachments", status_code=status.HTTP_201_CREATED, response_model=AttachmentOut,
             summary="上传附件（按分节和行；返回申报材料的新 ETag）")
async def upload(dossier_id: PydanticObjectId, user: CurrentUser, file: UploadFile, response: Response,
                 section: str = Form(...), row_id: str | None = Form(None)) -> AttachmentOut:
    ref, dossier = await attachments.add(actor=user, dossier_id=dossier_id, section=section,
                                         row_id=row_id or None, upload=file)
    response.headers["ETag"] = etag(dossier)
    return AttachmentOut.build(ref, dossier_version=dossier.version)


@router.get("/{dossier_id}/attachments/{attachment_id}", summary="下载或预览附件")
async def download(dossier_id: PydanticObjectId, attachment_id: str, user: CurrentUser, client: Client,
                   inline: bool = False) -> Response:
    return await attachments.download(user=user, dossier_id=dossier_id, attachment_id=attachment_id,
                                      inline=inline, client=client)


@router.put("/{dossier_id}/attachments/{attachment_id}", response_model=AttachmentOut,
            summary="替换附件（返回申报材料的新 ETag）")
async def replace(dossier_id: PydanticObjectId, attachment_id: str, user: CurrentUser, file: UploadFile,
                  response: Response) -> AttachmentOut:
    ref, dossier = await attachments.replace(actor=user, dossier_id=dossier_id, attachment_id=attachment_id,
                                             upload=file)
    response.headers["ETag"] = etag(dossier)
    return AttachmentOut.build(ref, dossier_version=dossier.version)


@router.delete("/{dossier_id}/attachments/{attachment_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="删除附件（ETag 头为申报材料的新版本）")
async def delete(dossier_id: PydanticObjectId, attachment_id: str, user: CurrentUser, response: Response) -> None:
    dossier = await attachments.delete(actor=user, dossier_id=dossier_id, attachment_id=attachment_id)
    response.headers["ETag"] = etag(dossier)
