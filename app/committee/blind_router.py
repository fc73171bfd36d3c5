"""/api for 代表作送审: the office starts a round (anonymised copies), replaces a copy, sends it (the draw), and
lists and reads rounds; reviewers list their assignments, read one, open its anonymised works, score and declare a
conflict. Readers of a round beyond the office: the meeting's experts, the administrator, and after publication the
applicant and units (app.committee.blind.readable_round)."""

from beanie import PydanticObjectId
from fastapi import APIRouter, Response, UploadFile, status

from app.accounts.deps import CurrentUser
from app.committee import blind, blind_reviewing
from app.committee.schemas import BlindConflictIn, BlindScoreIn, BlindSendIn
from app.files import service as files

router = APIRouter(prefix="/api", tags=["committee"])


@router.get("/blind-reviews", summary="代表作送审：本评委会须送审的申报及送审进度")
async def office_list(user: CurrentUser) -> list[dict]:
    blind.require_office_role(user)
    return await blind.office_list(user)


@router.post("/dossiers/{dossier_id}/blind-review", status_code=status.HTTP_201_CREATED,
             summary="开始代表作送审：生成匿名副本（去除元数据、遮盖姓名），报告无法检查的页")
async def start(dossier_id: PydanticObjectId, user: CurrentUser) -> dict:
    dossier, _ = await blind.office_dossier(user, dossier_id)
    return await blind.view(await blind.start(actor=user, dossier=dossier), office=True)


@router.get("/dossiers/{dossier_id}/blind-review",
            summary="代表作送审结果：评分与意见（评委会办事机构、上会专家；结果发布后申报人和单位）")
async def read(dossier_id: PydanticObjectId, user: CurrentUser) -> dict:
    dossier, office = await blind.readable_round(user, dossier_id)
    return await blind.view(dossier, office=office)


@router.put("/dossiers/{dossier_id}/blind-review/works/{work_id}",
            summary="上传办事机构处理后的代表作副本（PDF，送审前）")
async def replace_work(dossier_id: PydanticObjectId, work_id: str, user: CurrentUser, file: UploadFile) -> dict:
    dossier, _ = await blind.office_dossier(user, dossier_id)
    return await blind.view(await blind.replace_work(dossier=dossier, work_id=work_id, upload=file), office=True)


@router.get("/dossiers/{dossier_id}/blind-review/works/{work_id}", summary="办事机构查看代表作匿名副本")
async def office_work(dossier_id: PydanticObjectId, work_id: str, user: CurrentUser) -> Response:
    dossier, _ = await blind.office_dossier(user, dossier_id)
    return await files.download_response(blind.work_file(dossier, work_id), inline=True)


@router.post("/dossiers/{dossier_id}/blind-review/send",
             summary="送审：按回避规则随机抽取送审专家（记录种子），通知专家并开始计算评审期限")
async def send(dossier_id: PydanticObjectId, data: BlindSendIn, user: CurrentUser) -> dict:
    dossier, committee = await blind.office_dossier(user, dossier_id)
    written = await blind.send(actor=user, dossier=dossier, committee=committee, seed=data.seed,
                               specialties=data.specialties, levels=data.levels)
    return await blind.view(written, office=True)


@router.post("/dossiers/{dossier_id}/blind-review/supplement",
             summary="补充送审：送审专家申明回避且备选用完或逾期未评分时，按所缺人数重新抽取（排除本轮已送审的专家，记录种子）")
async def supplement(dossier_id: PydanticObjectId, data: BlindSendIn, user: CurrentUser) -> dict:
    dossier, committee = await blind.office_dossier(user, dossier_id)
    written = await blind.supplement(actor=user, dossier=dossier, committee=committee, seed=data.seed,
                                     specialties=data.specialties, levels=data.levels)
    return await blind.view(written, office=True)


@router.get("/blind-assignments", summary="我的代表作送审评审任务")
async def my_assignments(user: CurrentUser) -> list[dict]:
    return [blind_reviewing.listed(a) for a in await blind_reviewing.mine(user)]


@router.get("/blind-assignments/{assignment_id}", summary="评审任务：送审编号、代表作匿名副本、评分表")
async def assignment(assignment_id: PydanticObjectId, user: CurrentUser) -> dict:
    return await blind_reviewing.view(await blind_reviewing.assignment_of(user, assignment_id))


@router.get("/blind-assignments/{assignment_id}/works/{work_id}", summary="查看代表作匿名副本（PDF）")
async def assignment_work(assignment_id: PydanticObjectId, work_id: str, user: CurrentUser) -> Response:
    found = await blind_reviewing.assignment_of(user, assignment_id)
    return await files.download_response(await blind_reviewing.work_file(found, work_id), inline=True)


@router.post("/blind-assignments/{assignment_id}/score",
             summary="提交评分与评审意见（截止前一次；重复提交同一评分视为已提交，不同评分 409）")
async def score(assignment_id: PydanticObjectId, data: BlindScoreIn, user: CurrentUser) -> dict:
    found = await blind_reviewing.assignment_of(user, assignment_id)
    return await blind_reviewing.score(actor=user, assignment=found, points=data.points, opinion=data.opinion)


@router.post("/blind-assignments/{assignment_id}/conflict", summary="申明回避：由备选专家依次递补")
async def declare_conflict(assignment_id: PydanticObjectId, data: BlindConflictIn, user: CurrentUser) -> dict:
    found = await blind_reviewing.assignment_of(user, assignment_id)
    return await blind_reviewing.declare_conflict(actor=user, assignment=found, reason=data.reason)
