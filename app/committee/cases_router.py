"""/api for cases (app.committee.cases): the public's objection and lookup, the lodger's 复查 and 投诉, the
office's list and handling. Thin: the service checks scope and rules."""

from typing import Annotated, Literal

from beanie import PydanticObjectId
from fastapi import APIRouter, Form, Query, status

from app.accounts.deps import Client, CurrentUser, OptionalAuth
from app.committee import cases
from app.committee.case_schemas import (AnswerIn, CaseForm, CaseListOut, CaseLookupOut, CaseOut, CloseIn, HandleIn,
                                        LodgedOut, ObjectionForm)
from app.committee.case_models import CASE_KIND_LABELS

router = APIRouter(prefix="/api", tags=["cases"])


def _lodged(case) -> LodgedOut:
    return LodgedOut(id=str(case.id), number=case.number, due_at=case.due_at,
                     message=f"{CASE_KIND_LABELS[case.kind]}已提交，案件编号 {case.number}，请凭编号和联系方式查询办理结果")


@router.post("/public/objections", response_model=LodgedOut, status_code=status.HTTP_201_CREATED,
             summary="对公示人员提出异议（公开，需图片验证码；实名、联系方式，可附证明材料）")
async def lodge_objection(data: Annotated[ObjectionForm, Form()], client: Client, auth: OptionalAuth) -> LodgedOut:
    return _lodged(await cases.lodge_objection(client=client, user=auth.user if auth else None, form=data))


@router.get("/public/cases", response_model=CaseLookupOut, summary="异议办理查询：案件编号 + 提交时的联系方式")
async def lookup_case(client: Client, number: str = Query(min_length=4, max_length=20),
                      contact: str = Query(min_length=5, max_length=80)) -> CaseLookupOut:
    return await cases.lookup(client=client, number=number, contact=contact)


@router.post("/dossiers/{dossier_id}/cases", response_model=LodgedOut, status_code=status.HTTP_201_CREATED,
             summary="申请复查（申报人，评审未通过后限期内）或投诉（可查看该申报的用户）")
async def lodge_case(dossier_id: PydanticObjectId, data: Annotated[CaseForm, Form()], user: CurrentUser) -> LodgedOut:
    return _lodged(await cases.lodge(actor=user, dossier_id=dossier_id, form=data))


@router.get("/cases", response_model=CaseListOut, summary="异议、复查、投诉（评委会办事机构）：未办结的按答复期限，超期在前")
async def list_cases(user: CurrentUser, committee_code: str | None = Query(default=None, max_length=40),
                     kind: Literal["objection", "review", "complaint"] | None = None,
                     status_: Literal["received", "handling", "answered", "closed"] | None = Query(None, alias="status"),
                     overdue: bool = False) -> CaseListOut:
    return await cases.listing(actor=user, committee_code=committee_code, kind=kind, status=status_,
                               overdue_only=overdue)


@router.get("/cases/mine", response_model=list[CaseOut], summary="我提出的异议、复查、投诉")
async def my_cases(user: CurrentUser) -> list[CaseOut]:
    return await cases.mine(actor=user)


@router.get("/cases/{case_id}", response_model=CaseOut, summary="案件详情（办事机构，或提出人本人）")
async def read_case(case_id: PydanticObjectId, user: CurrentUser) -> CaseOut:
    case, office = await cases.visible(user, case_id)
    if office:
        await cases.record(case)          # makes good a trail mirror that failed after its step
    return cases.out(case, office=office)


@router.post("/cases/{case_id}/handle", response_model=CaseOut, summary="办理：记录调查核实情况")
async def handle_case(case_id: PydanticObjectId, data: HandleIn, user: CurrentUser) -> CaseOut:
    case = await cases.handle(actor=user, case=await cases.for_office(user, case_id), data=data)
    return cases.out(case, office=True)


@router.post("/cases/{case_id}/answer", response_model=CaseOut, summary="答复：告知提出人")
async def answer_case(case_id: PydanticObjectId, data: AnswerIn, user: CurrentUser) -> CaseOut:
    case = await cases.answer(actor=user, case=await cases.for_office(user, case_id), data=data)
    return cases.out(case, office=True)


@router.post("/cases/{case_id}/close", response_model=CaseOut, summary="办结")
async def close_case(case_id: PydanticObjectId, data: CloseIn, user: CurrentUser) -> CaseOut:
    case = await cases.close(actor=user, case=await cases.for_office(user, case_id), data=data)
    return cases.out(case, office=True)


@router.get("/cases/{case_id}/proof", summary="案件的证明材料（办事机构，或提出人本人）")
async def case_proof(case_id: PydanticObjectId, user: CurrentUser):
    case, _ = await cases.visible(user, case_id)
    return await cases.proof(case)
