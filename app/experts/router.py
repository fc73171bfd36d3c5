"""/api for the expert library (专家库), its spreadsheets, commitments, committee rosters and their size
rules. Committee office handlers keep their unit's library; other parties get 403 on the lists and 404
on a record; the experts' identities never reach applicants or their units."""

from beanie import PydanticObjectId
from fastapi import APIRouter, Form, Query, Response, UploadFile, status

from app.accounts.deps import Client, CurrentUser, SysAdmin
from app.errors import Conflict, ValidationFailed
from app.experts import excel, rosters, service
from app.experts.deps import KeptExpert
from app.experts.schemas import ExpertIn, ExpertOut, RosterIn, RulesIn
from app.files.names import XLSX, XLSX_FILE, download_headers

router = APIRouter(prefix="/api", tags=["experts"])
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _out(expert, *, masked: bool) -> ExpertOut:
    return ExpertOut.build(expert, today=service.china_today(), masked=masked)


@router.get("/expert-library", response_model=list[ExpertOut], summary="专家库（身份证号脱敏）")
async def list_experts(user: CurrentUser, q: str | None = Query(None, max_length=30),
                       series: str | None = Query(None, max_length=20)) -> list[ExpertOut]:
    return [_out(e, masked=True) for e in await service.listing(user, q=q, series=series)]


@router.post("/expert-library", status_code=status.HTTP_201_CREATED, response_model=ExpertOut, summary="新增专家")
async def create_expert(data: ExpertIn, user: CurrentUser, client: Client) -> ExpertOut:
    return _out(await service.create(actor=user, data=data, client=client), masked=False)


@router.get("/expert-library/template.xlsx", summary="专家导入模板", response_class=Response, responses=XLSX_FILE)
async def template(user: CurrentUser) -> Response:
    service.keeper_units(user)
    return Response(await excel.template(), media_type=XLSX, headers=download_headers("专家导入模板.xlsx", inline=False))


@router.get("/expert-library/export.xlsx", summary="导出专家库（身份证号脱敏）", response_class=Response,
            responses=XLSX_FILE)
async def export(user: CurrentUser) -> Response:
    return Response(await excel.export(user), media_type=XLSX, headers=download_headers("专家库.xlsx", inline=False))


@router.post("/expert-library/import", summary="从 Excel 导入专家：整表校验，任一行有误则不导入并列出各行各列的错误")
async def import_experts(user: CurrentUser, client: Client, file: UploadFile,
                         keeper_unit_id: PydanticObjectId | None = Form(None)) -> dict:
    raw = await file.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationFailed("导入文件不能超过 5 MB", field="file", code="file_too_large")
    count = await excel.import_file(actor=user, content=raw, keeper_unit_id=keeper_unit_id, client=client)
    return {"imported": count}


@router.get("/expert-library/{expert_id}", response_model=ExpertOut, summary="专家详情（每次查看记入审计日志）")
async def read_expert(expert: KeptExpert, user: CurrentUser, client: Client) -> ExpertOut:
    await service.viewed(actor=user, expert=expert, client=client)
    return _out(expert, masked=False)


@router.put("/expert-library/{expert_id}", response_model=ExpertOut, summary="修改专家信息（version 为读取时的版本）")
async def update_expert(expert: KeptExpert, data: ExpertIn, user: CurrentUser, client: Client,
                        version: int = Query(ge=0)) -> ExpertOut:
    if version != expert.version:
        raise Conflict("专家信息已被他人修改，请刷新后重试", code="conflict")
    return _out(await service.update(actor=user, expert=expert, data=data, client=client), masked=False)


@router.post("/expert-library/{expert_id}/commitment", response_model=ExpertOut,
             summary="签署本聘期评审承诺书（专家本人，或办事机构登记纸质承诺书）")
async def sign_commitment(expert_id: PydanticObjectId, user: CurrentUser, client: Client) -> ExpertOut:
    expert = await service.for_commitment(user, expert_id)
    return _out(await service.sign_commitment(actor=user, expert=expert, client=client), masked=True)


@router.get("/expert-rules", summary="评委会组成人员最少人数（按评委会级别）")
async def read_rules(user: CurrentUser) -> dict:
    service.keeper_units(user)
    return {"minimums": (await rosters.rules()).minimums}


@router.put("/expert-rules", summary="设置评委会组成人员最少人数（系统管理员）")
async def set_rules(data: RulesIn, _: SysAdmin) -> dict:
    return {"minimums": (await rosters.set_rules(data)).minimums}


async def _roster_out(committee) -> dict:
    roster = await rosters.roster_of(committee)
    members = await rosters.members(committee)
    today = service.china_today()
    return {"committee_code": committee.code, "committee_name": committee.name, "tier": committee.tier,
            "minimum": (await rosters.rules()).minimums.get(committee.tier),
            "version": roster.version if roster else None,
            "experts": [_out(e, masked=True).model_dump(include={"id", "name", "unit_name", "series", "level",
                                                                  "term_end", "expired", "committed_at"})
                        | {"drawable": service.not_drawable(e, today) is None} for e in members]}


@router.get("/expert-rosters/{code}", summary="评委会组成人员（从专家库中选定）")
async def read_roster(code: str, user: CurrentUser) -> dict:
    return await _roster_out(await rosters.committee_run_by(user, code))


@router.put("/expert-rosters/{code}", summary="保存评委会组成人员：奇数，且不少于该级别的最少人数")
async def save_roster(code: str, data: RosterIn, user: CurrentUser) -> dict:
    committee = await rosters.committee_run_by(user, code)
    await rosters.save(actor=user, committee=committee, data=data)
    return await _roster_out(committee)
