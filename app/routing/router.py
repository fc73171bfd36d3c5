from typing import Annotated

from beanie import PydanticObjectId
from fastapi import APIRouter, Depends, Form, Header, Query, Response, UploadFile, status

from app.accounts.deps import Client, CurrentUser
from app.dossiers import identity
from app.dossiers.deps import Readable
from app.dossiers.enums import ACTION_LABELS, STATUS_LABELS
from app.dossiers.identity import Purpose
from app.dossiers.models import Dossier
from app.dossiers.router import dossier_out, etag
from app.dossiers.schemas import DossierOut, DossierSummary
from app.errors import AppError, ValidationFailed
from app.preconditions import parse_if_match
from app.routing import applicant, machine, paths, queues, requests, service, supervision
from app.routing.schemas import (BatchActionRequest, EditAnswerIn, EditRequestIn, EducationAnswerIn,
                                 EducationRequestIn, OpinionDraftIn, OpinionDraftOut, PathOut, QueuePage,
                                 StepAttachmentOut, TrailItem, trail_items)

router = APIRouter(prefix="/api", tags=["routing"])


@router.post("/dossiers/{dossier_id}/submit", response_model=DossierOut, summary="确认申报")
async def submit(dossier_id: PydanticObjectId, user: CurrentUser, response: Response,
                 if_match: str | None = Header(None)) -> DossierOut:
    expected = parse_if_match(if_match) if if_match else None
    dossier = await applicant.submit(actor=user, dossier_id=dossier_id, expected_version=expected)
    response.headers["ETag"] = etag(dossier)
    return await dossier_out(dossier, user=user)


@router.post("/dossiers/{dossier_id}/withdraw", response_model=DossierOut, summary="撤回（首个审核节点处理前）")
async def withdraw(dossier_id: PydanticObjectId, user: CurrentUser, response: Response) -> DossierOut:
    dossier = await applicant.withdraw(actor=user, dossier_id=dossier_id)
    response.headers["ETag"] = etag(dossier)
    return await dossier_out(dossier, user=user)


@router.delete("/dossiers/{dossier_id}", response_model=DossierOut,
               summary="删除流程（当年不再申报）：仅填报中、退回修改或审核不通过的申报；审核记录保留")
async def abandon(dossier_id: PydanticObjectId, user: CurrentUser, response: Response) -> DossierOut:
    dossier = await requests.abandon(actor=user, dossier_id=dossier_id)
    response.headers["ETag"] = etag(dossier)
    return await dossier_out(dossier, user=user)


@router.post("/dossiers/{dossier_id}/edit-request", response_model=DossierOut,
             summary="申请退回编辑（已开始审核、不能撤回时；同一时间只有一项待处理）")
async def request_edit(dossier_id: PydanticObjectId, data: EditRequestIn, user: CurrentUser,
                       response: Response) -> DossierOut:
    dossier = await requests.request_edit(actor=user, dossier_id=dossier_id, reason=data.reason)
    response.headers["ETag"] = etag(dossier)
    return await dossier_out(dossier, user=user)


@router.post("/dossiers/{dossier_id}/edit-request/decision", summary="答复退回编辑申请：同意（退回申报人）或不同意（须填原因）")
async def answer_edit(dossier_id: PydanticObjectId, data: EditAnswerIn, user: CurrentUser,
                      client: Client) -> dict:
    dossier = await requests.answer_edit(actor=user, dossier_id=dossier_id, data=data, client=client)
    return _acted(dossier)


@router.post("/dossiers/{dossier_id}/education-requests", response_model=DossierOut,
             summary="申请修改学历（往年申报沿用的学历；同一行同一时间只有一项待处理）")
async def request_education_change(dossier_id: PydanticObjectId, data: EducationRequestIn,
                                   user: CurrentUser, response: Response) -> DossierOut:
    dossier = await requests.request_education_change(actor=user, dossier_id=dossier_id, data=data)
    response.headers["ETag"] = etag(dossier)
    return await dossier_out(dossier, user=user)


@router.post("/dossiers/{dossier_id}/education-requests/{request_id}/decision",
             summary="审批修改学历申请：同意（学历随之更正）或不同意（须填原因）")
async def answer_education_change(dossier_id: PydanticObjectId, request_id: str, data: EducationAnswerIn,
                                  user: CurrentUser, client: Client) -> dict:
    dossier = await requests.answer_education_change(actor=user, dossier_id=dossier_id, request_id=request_id,
                                                     data=data, client=client)
    return _acted(dossier)


@router.post("/dossiers/{dossier_id}/step-attachments", status_code=status.HTTP_201_CREATED,
             response_model=StepAttachmentOut, summary="流程附件上传：推荐材料、公示材料、委托材料、单位意见附件；批次要求时上传签字盖章的评审表（sealed_form，PDF ≤4MB）")
async def add_step_attachment(dossier_id: PydanticObjectId, user: CurrentUser, client: Client, file: UploadFile,
                              kind: str = Form(...)) -> StepAttachmentOut:
    attachment, _ = await requests.add_step_attachment(actor=user, dossier_id=dossier_id, kind=kind, upload=file,
                                                       client=client)
    return StepAttachmentOut.build(attachment)


@router.get("/dossiers/{dossier_id}/step-attachments", response_model=list[StepAttachmentOut],
            summary="流程附件（下载：GET /api/dossiers/{id}/attachments/{attachment_id}）")
async def step_attachments(dossier: Annotated[Dossier, Depends(Readable("step_attachments"))]
                           ) -> list[StepAttachmentOut]:
    return [StepAttachmentOut.build(a) for a in dossier.step_attachments]


@router.put("/dossiers/{dossier_id}/opinion-draft", response_model=OpinionDraftOut,
            summary="保存意见（暂不办理，稍后继续；不记入审核记录）")
async def save_opinion(dossier_id: PydanticObjectId, data: OpinionDraftIn, user: CurrentUser,
                       client: Client) -> OpinionDraftOut:
    draft, _ = await requests.save_opinion(actor=user, dossier_id=dossier_id, data=data, client=client)
    return OpinionDraftOut.build(draft)


@router.get("/dossiers/{dossier_id}/opinion-draft", response_model=OpinionDraftOut | None,
            summary="本单位保存的审核意见（当前由本单位办理时）")
async def opinion_draft(user: CurrentUser, dossier: Annotated[Dossier, Depends(Readable("opinion_draft"))]
                        ) -> OpinionDraftOut | None:
    draft = await requests.opinion_draft(actor=user, dossier=dossier)
    return OpinionDraftOut.build(draft) if draft else None


def _acted(dossier: Dossier) -> dict:
    return {"id": str(dossier.id), "status": dossier.status, "status_label": STATUS_LABELS[dossier.status],
            "version": dossier.version, "trail": trail_items(dossier.trail[-1:])[0]}


@router.post("/dossiers/{dossier_id}/actions", summary="审核操作：通过、上报、返回修改、拒绝、作废、已阅、受理")
async def act(dossier_id: PydanticObjectId, data: service.ActionRequest, user: CurrentUser, client: Client) -> dict:
    dossier = await service.act(actor=user, dossier_id=dossier_id, request=data, client=client)
    return _acted(dossier)


@router.get("/dossiers/{dossier_id}/available-actions", summary="当前用户可执行的审核操作")
async def available(user: CurrentUser, dossier: Annotated[Dossier, Depends(Readable("actions"))]) -> list[dict]:
    try:
        acting = await service.acting_as(user, dossier)
    except AppError:
        return []
    return [{"action": a, "label": ACTION_LABELS[a],
             "reason_required": machine.decide(dossier.status, a, acting.kind).reason_required}
            for a in machine.allowed_actions(dossier.status, acting.kind)]


@router.get("/dossiers/{dossier_id}/trail", response_model=list[TrailItem], summary="审核记录")
async def trail(dossier: Annotated[Dossier, Depends(Readable("trail"))]) -> list[TrailItem]:
    return trail_items(dossier.trail)


@router.get("/dossiers/{dossier_id}/flow", summary="流程图：经过的节点、当前节点与后续节点")
async def flow(dossier: Annotated[Dossier, Depends(Readable("flow"))]) -> dict:
    return await service.flow(dossier=dossier)


@router.get("/review/queue", response_model=QueuePage, summary="审核队列（待审核、被退回、通过未上报、审核不通过、已上报、受理点待发证）")
async def queue(user: CurrentUser, f: Annotated[queues.QueueFilter, Query()]) -> QueuePage:
    items, total = await queues.page(user, f)
    shown = [DossierSummary.build(i, id_shown=identity.of_dossier(user, Purpose.list, i)) for i in items]
    return QueuePage(items=shown, total=total, page=f.page, size=f.size)


@router.post("/review/batch", response_model=service.BatchResult,
             summary="批量操作：confirm=false 先预览涉及的申报，confirm=true 执行")
async def batch(data: BatchActionRequest, user: CurrentUser) -> service.BatchResult:
    if (data.ids is None) == (data.filter is None):
        raise ValidationFailed("请选择申报或给出筛选条件之一", field="ids", code="selection_required")
    ids = data.ids if data.ids is not None else await queues.matching_ids(user, data.filter)
    return await service.batch(actor=user, action=data.action, ids=ids, confirm=data.confirm,
                               opinion=data.opinion, signer=data.signer, handler_name=data.handler_name,
                               handler_phone=data.handler_phone)


@router.post("/paths", status_code=status.HTTP_201_CREATED, response_model=PathOut, summary="申请上报路径")
async def apply_path(data: paths.PathApplication, user: CurrentUser) -> PathOut:
    return PathOut.build(await paths.apply(actor=user, data=data))


@router.get("/paths", response_model=list[PathOut], summary="路径申请（本单位的，或 incoming=true 时待我审核的）")
async def list_paths(user: CurrentUser, unit_id: PydanticObjectId | None = None, incoming: bool = False,
                     status_: str | None = Query(None, alias="status")) -> list[PathOut]:
    return [PathOut.build(p) for p in await paths.listing(actor=user, unit_id=unit_id, incoming=incoming,
                                                          status=status_)]


@router.post("/paths/{path_id}/decision", response_model=PathOut, summary="审核路径申请")
async def decide_path(path_id: PydanticObjectId, data: paths.PathDecision, user: CurrentUser) -> PathOut:
    return PathOut.build(await paths.decide(actor=user, path_id=path_id, data=data))


@router.get("/paths/graph", summary="某系列某级别的路径图")
async def path_graph(series: str, level: str, _: CurrentUser) -> dict:
    return await paths.graph(series=series, level=level)


@router.put("/units/{unit_id}/supervisor", summary="修改归口部门（已上报未受理的申报退回本单位）")
async def change_supervisor(unit_id: PydanticObjectId, data: supervision.SupervisorChange, user: CurrentUser,
                            client: Client) -> dict:
    unit, recalled = await supervision.change_supervisor(actor=user, unit_id=unit_id, data=data, client=client)
    return {"unit_id": str(unit.id), "parent_id": str(unit.parent_id), "recalled": recalled}
