"""/api for the committee's side: settings, meetings and votes, publicity, certificates and their
public verification. Errors: anonymous 401, outside scope 404, wrong state 409, bad input 422."""

from typing import Annotated

from beanie import PydanticObjectId
from fastapi import APIRouter, Depends, Form, Header, Query, Response, UploadFile, status

from app.accounts.deps import Client, CurrentUser, SysAdmin
from app.catalog.models import Committee
from app.committee import certificates, committees, meetings, publicity, reissue, schemas, votes
from app.committee.deps import OfficeMeeting, VisibleMeeting
from app.committee.models import MEETING_STATUS_LABELS, VOTE_LABELS, Meeting, Vote
from app.dossiers.deps import Readable
from app.dossiers.models import Dossier
from app.dossiers.enums import STATUS_LABELS
from app.errors import NotFound
from app.preconditions import parse_if_match
from app.routing.service import BatchResult

router = APIRouter(prefix="/api", tags=["committee"])


@router.get("/committees", response_model=list[schemas.CommitteeOut], summary="评委会及其评审规则（办事机构经办人、系统管理员）")
async def list_committees(user: CurrentUser) -> list[schemas.CommitteeOut]:
    return await committees.out(await committees.listing(user))


@router.put("/committees/{code}", response_model=schemas.CommitteeOut,
            summary="设置评委会：办事机构、到会与通过比例、公示工作日、复查与答复期限、证书编号规则、发证机关（未给出的项保持不变；"
                    "带 If-Match 时，设置已被他人修改则 412）")
async def update_committee(code: str, data: schemas.CommitteeSettings, _: SysAdmin, response: Response,
                           if_match: str | None = Header(None)) -> schemas.CommitteeOut:
    committee = await committees.update(code=code, data=data,
                                        expected_version=parse_if_match(if_match) if if_match else None)
    response.headers["ETag"] = f'"{committee.version}"'
    return (await committees.out([committee]))[0]


@router.get("/experts", summary="评审专家（可按姓名前缀查找）")
async def list_experts(user: CurrentUser, q: str | None = Query(None, max_length=30)) -> list[dict]:
    return await committees.experts(user, q)


# --- meetings and votes ----------------------------------------------------------------------------

async def _office_view(user, committee: Committee, meeting: Meeting) -> schemas.MeetingOut:
    """The meeting just written, as its office sees it (the route loaded it through OfficeMeeting)."""
    return await meetings.out(meeting, committee, viewer=user, office=True)


@router.post("/meetings", status_code=status.HTTP_201_CREATED, response_model=schemas.MeetingOut, summary="新建评审会")
async def create_meeting(data: schemas.MeetingIn, user: CurrentUser) -> schemas.MeetingOut:
    return await meetings.view(user, await meetings.create(actor=user, data=data))


@router.get("/meetings", summary="评审会（本办事机构的，或受邀参加的）")
async def list_meetings(user: CurrentUser, committee_code: str | None = Query(None, max_length=60),
                        status_: str | None = Query(None, alias="status", pattern="^(planned|voting|closing|closed)$")
                        ) -> list[dict]:
    found = await meetings.listing(actor=user, committee_code=committee_code, status=status_)
    return [{"id": str(m.id), "committee_code": m.committee_code, "name": m.name, "held_on": m.held_on,
             "location": m.location, "status": m.status, "status_label": MEETING_STATUS_LABELS[m.status],
             "members": len(m.member_ids), "present": len(m.present_ids), "dossiers": len(m.dossier_ids)}
            for m in found]


@router.get("/meetings/{meeting_id}", response_model=schemas.MeetingOut, summary="评审会详情")
async def read_meeting(visible: VisibleMeeting, user: CurrentUser) -> schemas.MeetingOut:
    meeting, committee, office = visible
    return await meetings.out(meeting, committee, viewer=user, office=office)


@router.put("/meetings/{meeting_id}/members", response_model=schemas.MeetingOut, summary="设置评审专家（筹备中）")
async def set_members(office: OfficeMeeting, data: schemas.MembersIn, user: CurrentUser) -> schemas.MeetingOut:
    meeting, committee = office
    return await _office_view(user, committee, await meetings.set_members(meeting=meeting, data=data))


@router.put("/meetings/{meeting_id}/present", response_model=schemas.MeetingOut, summary="到会登记")
async def set_present(office: OfficeMeeting, data: schemas.PresentIn, user: CurrentUser) -> schemas.MeetingOut:
    meeting, committee = office
    return await _office_view(user, committee, await meetings.set_present(meeting=meeting, data=data))


@router.post("/meetings/{meeting_id}/dossiers", response_model=BatchResult,
             summary="安排申报上会：confirm=false 先预览，confirm=true 执行")
async def schedule(office: OfficeMeeting, data: schemas.ScheduleIn, user: CurrentUser) -> BatchResult:
    meeting, committee = office
    return await meetings.schedule(actor=user, meeting=meeting, committee=committee, data=data)


@router.delete("/meetings/{meeting_id}/dossiers/{dossier_id}", response_model=schemas.MeetingOut,
               summary="移出评审会（筹备中）")
async def unschedule(office: OfficeMeeting, dossier_id: PydanticObjectId, user: CurrentUser) -> schemas.MeetingOut:
    meeting, committee = office
    return await _office_view(user, committee,
                              await meetings.unschedule(actor=user, meeting=meeting, dossier_id=dossier_id))


@router.post("/meetings/{meeting_id}/open", response_model=schemas.MeetingOut, summary="开始表决")
async def open_voting(office: OfficeMeeting, user: CurrentUser) -> schemas.MeetingOut:
    meeting, committee = office
    return await _office_view(user, committee, await meetings.open_voting(meeting, committee))


def _vote_out(vote: Vote) -> dict:
    return {"id": str(vote.id), "dossier_id": str(vote.dossier_id), "expert_id": str(vote.expert_id),
            "expert_name": vote.expert_name, "choice": vote.choice, "choice_label": VOTE_LABELS[vote.choice],
            "on_behalf": vote.on_behalf, "at": vote.at}


@router.post("/meetings/{meeting_id}/votes", status_code=status.HTTP_201_CREATED,
             summary="表决：专家本人投票，或办事机构代录纸质选票（expert_id）")
async def cast_vote(meeting_id: PydanticObjectId, data: schemas.VoteIn, user: CurrentUser) -> dict:
    return _vote_out(await votes.cast(actor=user, meeting_id=meeting_id, data=data))


@router.post("/meetings/{meeting_id}/close", response_model=schemas.MeetingOut,
             summary="结束评审会：按评委会规则计票，逐个作出评审结果")
async def close_meeting(office: OfficeMeeting, user: CurrentUser,
                        data: schemas.CloseIn | None = None) -> schemas.MeetingOut:
    meeting, committee = office
    return await _office_view(user, committee, await votes.close(
        actor=user, meeting=meeting, committee=committee, chair_id=data.chair_id if data else None))


# --- publicity -------------------------------------------------------------------------------------

@router.post("/publicity/publish", response_model=BatchResult, summary="发布评审结果进入公示（批量，先预览后执行）")
async def publish(data: schemas.PublishIn, user: CurrentUser) -> BatchResult:
    return await publicity.publish(actor=user, data=data)


@router.get("/publicity", response_model=list[schemas.PublicityRow],
            summary="公示上报：单位（unit_id）或评委会（committee_code）查看公示意见")
async def publicity_list(user: CurrentUser, f: Annotated[schemas.PublicityFilter, Query()],
                         unit_id: PydanticObjectId | None = None,
                         committee_code: str | None = Query(None, max_length=60)) -> list[schemas.PublicityRow]:
    return await publicity.listing(actor=user, unit_id=unit_id, committee_code=committee_code, f=f)


@router.post("/publicity/{dossier_id}/opinion", response_model=schemas.PublicityRow,
             summary="本单位公示意见：无异议，或有异议（须填原因并上传证明，multipart/form-data）")
async def record_opinion(dossier_id: PydanticObjectId, data: Annotated[schemas.OpinionForm, Form()],
                         user: CurrentUser) -> schemas.PublicityRow:
    return publicity.row(await publicity.record_opinion(actor=user, dossier_id=dossier_id, data=data), user)


@router.post("/publicity/opinions/batch", response_model=BatchResult, summary="批量无异议（先预览后执行）")
async def batch_no_objection(data: schemas.IdsIn, user: CurrentUser) -> BatchResult:
    return await publicity.batch_no_objection(actor=user, data=data)


@router.post("/publicity/{dossier_id}/review", response_model=schemas.PublicityRow,
             summary="审核下级单位的公示意见：审核通过，或审核不通过（须填原因，退回重新填写）")
async def review_opinion(data: schemas.ReviewIn, user: CurrentUser,
                         dossier: Annotated[Dossier, Depends(Readable("publicity_review"))]) -> schemas.PublicityRow:
    return publicity.row(await publicity.review(actor=user, dossier=dossier, data=data), user)


@router.post("/publicity/reviews/batch", response_model=BatchResult, summary="批量审核通过（先预览后执行）")
async def batch_pass(data: schemas.IdsIn, user: CurrentUser) -> BatchResult:
    return await publicity.batch_pass(actor=user, data=data)


@router.post("/publicity/submit", response_model=BatchResult, summary="汇总提交公示意见至上级单位或评委会")
async def submit_publicity(data: schemas.SubmitIn, user: CurrentUser) -> BatchResult:
    return await publicity.submit(actor=user, data=data)


@router.post("/publicity/close", response_model=BatchResult, summary="批量结束公示（先预览后执行）")
async def batch_close(data: schemas.IdsIn, user: CurrentUser) -> BatchResult:
    return await publicity.batch_close(actor=user, data=data)


@router.post("/publicity/{dossier_id}/close", summary="结束公示（公示期满且意见已汇总至评委会）")
async def close_publicity(user: CurrentUser,
                          dossier: Annotated[Dossier, Depends(Readable("close_publicity"))]) -> dict:
    dossier = await publicity.close(actor=user, dossier=dossier)
    return {"id": str(dossier.id), "status": dossier.status, "status_label": STATUS_LABELS[dossier.status]}


@router.get("/publicity/{dossier_id}/proofs/{file_id}", summary="有异议的证明材料")
async def publicity_proof(dossier_id: PydanticObjectId, file_id: PydanticObjectId, user: CurrentUser):
    return await publicity.proof(actor=user, dossier_id=dossier_id, file_id=file_id)


# --- certificates ----------------------------------------------------------------------------------

@router.post("/certificates", response_model=BatchResult, summary="发证：生成证书编号与验证码（批量，先预览后执行）")
async def issue_certificates(data: schemas.IssueIn, user: CurrentUser) -> BatchResult:
    return await certificates.issue(actor=user, data=data)


@router.get("/certificates/verify", response_model=schemas.VerificationOut,
            summary="证书查验（公开）：证书编号 + 验证码")
async def verify_certificate(client: Client, number: str = Query(min_length=1, max_length=60, description="证书编号"),
                             code: str = Query(min_length=1, max_length=20, description="验证码")
                             ) -> schemas.VerificationOut:
    return await certificates.verify(number=number, code=code, client=client)


@router.post("/certificates/verify-file", response_model=schemas.FileVerificationOut,
             summary="上传电子证书 PDF 查验：电子签名是否有效、内容是否与登记一致、是否已撤销（无需登录）")
async def verify_certificate_file(file: UploadFile, client: Client) -> schemas.FileVerificationOut:
    return await certificates.verify_file(upload=file, client=client)


@router.post("/dossiers/{dossier_id}/certificate/revocation", response_model=schemas.VerificationOut,
             summary="撤销证书（评委会办事机构，须填写原因；证书仍在登记中，查验显示已撤销）")
async def revoke_certificate(data: schemas.RevokeIn, user: CurrentUser,
                             dossier: Annotated[Dossier, Depends(Readable())]) -> schemas.VerificationOut:
    revoked = await certificates.revoke(actor=user, dossier=dossier, data=data)
    return certificates.register_entry(revoked.certificate)


@router.get("/dossiers/{dossier_id}/certificate", summary="本申报的证书信息（含验证码）")
async def dossier_certificate(dossier: Annotated[Dossier, Depends(Readable("certificate"))]) -> dict:
    if dossier.certificate is None:
        raise NotFound("该申报尚未发证", field="dossier_id", code="certificate_not_found")
    return dossier.certificate.model_dump(mode="json", exclude={"issued_by"})


# --- 补证 (reissue) ---------------------------------------------------------------------------------

@router.get("/certificates/mine", summary="我的证书：本人的现行证书与已被补发替换的证书，及补证申请")
async def my_certificates(user: CurrentUser) -> list[dict]:
    return [{"dossier_id": h["dossier_id"],
             "certificate": h["certificate"].model_dump(mode="json", exclude={"issued_by", "revoked_by"}),
             "replaced": [c.model_dump(mode="json", exclude={"issued_by", "revoked_by"}) for c in h["replaced"]],
             "pending_request_id": h["pending"].id if h["pending"] else None}
            for h in await reissue.holdings(actor=user)]


@router.post("/dossiers/{dossier_id}/reissue-requests", response_model=schemas.ReissueRequestOut,
             status_code=status.HTTP_201_CREATED,
             summary="补证申请：本人证书遗失或损毁，上传遗失声明或损毁证书扫描件（multipart/form-data；"
                     "已有待审批的申请时返回该申请，200）")
async def apply_reissue(dossier_id: PydanticObjectId, data: Annotated[schemas.ReissueForm, Form()], user: CurrentUser,
                        response: Response) -> schemas.ReissueRequestOut:
    request, dossier, created = await reissue.apply(actor=user, dossier_id=dossier_id, data=data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return reissue.request_out(dossier, request)


@router.get("/dossiers/{dossier_id}/reissue-requests", response_model=list[schemas.ReissueRequestOut],
            summary="本申报证书的补证申请（申报人与评委会办事机构）")
async def list_reissue(dossier: Annotated[Dossier, Depends(Readable("reissue_requests"))]
                       ) -> list[schemas.ReissueRequestOut]:
    return [reissue.request_out(dossier, r) for r in dossier.reissue_requests]


@router.get("/reissue-requests", response_model=list[schemas.ReissueRequestOut],
            summary="待审批的补证申请（发证的评委会办事机构）")
async def reissue_queue(user: CurrentUser) -> list[schemas.ReissueRequestOut]:
    return await reissue.queue(actor=user)


@router.post("/dossiers/{dossier_id}/reissue-requests/{request_id}/decision",
             response_model=schemas.ReissueRequestOut,
             summary="审批补证申请：同意（生成新证书编号补发，原证书显示已补发）或不同意（须填原因）")
async def decide_reissue(request_id: str, data: schemas.ReissueAnswerIn, user: CurrentUser,
                         dossier: Annotated[Dossier, Depends(Readable("reissue_decision"))]
                         ) -> schemas.ReissueRequestOut:
    written = await reissue.decide(actor=user, dossier=dossier, request_id=request_id, data=data)
    return reissue.request_out(written, reissue.find_request(written, request_id))


@router.get("/dossiers/{dossier_id}/reissue-requests/{request_id}/proof", summary="补证申请的证明材料")
async def reissue_proof(request_id: str,
                        dossier: Annotated[Dossier, Depends(Readable("reissue_proof", action="download"))]):
    return await reissue.proof(dossier=dossier, request_id=request_id)
