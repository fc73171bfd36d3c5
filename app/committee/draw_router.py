"""/api for drawing a meeting's experts from the library: preview and draw, the record, its replay and
swaps. Office only (committee.deps.OfficeMeeting): 404 outside scope, 403 for the expert and administrator."""

from fastapi import APIRouter

from app.committee import drawing
from app.committee.deps import OfficeMeeting
from app.accounts.deps import CurrentUser
from app.experts.schemas import DrawIn, SwapIn

router = APIRouter(prefix="/api", tags=["committee"])


@router.post("/meetings/{meeting_id}/draw",
             summary="随机抽取评审专家：confirm=false 预览候选专家和回避情形，confirm=true 抽取并邀请（筹备中）")
async def draw(office: OfficeMeeting, data: DrawIn, user: CurrentUser) -> dict:
    meeting, committee = office
    return await drawing.run(actor=user, meeting=meeting, committee=committee, data=data)


@router.get("/meetings/{meeting_id}/draw", summary="抽取记录：种子、规则、候选名单、回避情形、结果、备选与换人")
async def read_draw(office: OfficeMeeting) -> dict:
    return await drawing.view(office[0])


@router.post("/meetings/{meeting_id}/draw/replay", summary="按记录的种子、规则和候选名单复现抽取")
async def replay_draw(office: OfficeMeeting) -> dict:
    return await drawing.replay(office[0])


@router.post("/meetings/{meeting_id}/draw/swap", summary="换人：须写明原因，由备选专家依次递补（筹备中）")
async def swap(office: OfficeMeeting, data: SwapIn, user: CurrentUser) -> dict:
    return await drawing.swap(actor=user, meeting=office[0], data=data)
