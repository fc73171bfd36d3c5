from typing import Annotated, Literal

from beanie import PydanticObjectId
from fastapi import APIRouter, Depends, Query, Response, UploadFile, status

from app.accounts.deps import Client, CurrentUser
from app.accounts.enums import ROLE_LABELS, Role
from app.accounts.models import User
from app.accounts.schemas import UserOut
from app.errors import NotFound
from app.files import service as files
from app.config import get_settings
from app.units import invitations, service, staff
from app.units.enums import UNIT_CATEGORY_LABELS, ApplicationStatus
from app.units.models import Unit
from app.units.schemas import (ApplicationOut, ChildUnitCreation, ChildUnitOut, Credentials, InvitationOut,
                               InvitationSent, PermissionDecision, RoleChange, StaffLink, StaffUpdate,
                               SubAccountBatch, UnitBrief, UnitOut, UnitRegistration, UnitTreeNode, UnitUpdate)

router = APIRouter(prefix="/api", tags=["units"])


async def administered_member(unit_id: PydanticObjectId, user_id: PydanticObjectId,
                              user: CurrentUser) -> tuple[Unit, User]:
    """The unit the caller administers and one of its staff: the pair every staff route acts on."""
    unit = await service.get_administered_unit(user, unit_id)
    return unit, await staff.get_staff_member(unit=unit, user_id=user_id)


Member = Annotated[tuple[Unit, User], Depends(administered_member)]


def staff_out(user, unit_names) -> UserOut:
    """Staff lists mask ID numbers: a unit administrator needs to recognise people, not copy their IDs."""
    return UserOut.build(user, unit_names=unit_names)


@router.post("/units", status_code=status.HTTP_201_CREATED, response_model=UnitOut, summary="单位注册")
async def register_unit(data: UnitRegistration, client: Client) -> UnitOut:
    unit, _ = await service.register_unit(data=data, client=client)
    return UnitOut.build(unit)


@router.get("/units", response_model=list[UnitBrief], summary="模糊查询已开通单位")
async def search_units(q: str = Query("", max_length=50), limit: int = Query(20, ge=1, le=50)) -> list[UnitBrief]:
    return [UnitBrief(id=str(u.id), name=u.name, region_code=u.region_code,
                      category_label=UNIT_CATEGORY_LABELS[u.category])
            for u in await service.search_approved(q, limit=limit)]


@router.get("/units/tree", response_model=list[UnitTreeNode], summary="单位树（可见范围内）")
async def unit_tree(user: CurrentUser) -> list[UnitTreeNode]:
    return await service.tree(actor=user)


@router.get("/units/{unit_id}", response_model=UnitOut, summary="单位信息")
async def get_unit(unit_id: PydanticObjectId, user: CurrentUser) -> UnitOut:
    return UnitOut.build(await service.get_readable_unit(user, unit_id))


@router.put("/units/{unit_id}", response_model=UnitOut, summary="修改单位信息")
async def update_unit(unit_id: PydanticObjectId, data: UnitUpdate, user: CurrentUser, client: Client) -> UnitOut:
    unit = await service.get_administered_unit(user, unit_id)
    return UnitOut.build(await service.update_unit(actor=user, unit=unit, data=data, client=client))


@router.post("/units/{unit_id}/children", status_code=status.HTTP_201_CREATED, response_model=ChildUnitOut,
             summary="创建下级单位及其账号")
async def create_child(unit_id: PydanticObjectId, data: ChildUnitCreation, user: CurrentUser,
                       client: Client) -> ChildUnitOut:
    parent = await service.get_readable_unit(user, unit_id)
    unit, account = await service.create_child_unit(actor=user, parent=parent, data=data, client=client)
    return ChildUnitOut(unit=UnitOut.build(unit), account=account)


@router.post("/units/{unit_id}/permission-application", status_code=status.HTTP_201_CREATED,
             response_model=ApplicationOut, summary="提交权限申请")
async def apply_permission(unit_id: PydanticObjectId, user: CurrentUser, client: Client) -> ApplicationOut:
    unit = await service.get_administered_unit(user, unit_id)
    return ApplicationOut.build(await service.apply_for_permission(actor=user, unit=unit, client=client))


@router.get("/permission-applications", response_model=list[ApplicationOut], summary="权限申请列表")
async def list_applications(user: CurrentUser, status_: ApplicationStatus | None = Query(None, alias="status"),
                            for_review: bool = False) -> list[ApplicationOut]:
    return [ApplicationOut.build(a) for a in
            await service.list_applications(actor=user, status=status_, for_review=for_review)]


@router.post("/permission-applications/{application_id}/decision", response_model=ApplicationOut,
             summary="审核权限申请（人社部门）")
async def decide(application_id: PydanticObjectId, data: PermissionDecision, user: CurrentUser,
                 client: Client) -> ApplicationOut:
    return ApplicationOut.build(await service.decide_application(actor=user, application_id=application_id,
                                                                 decision=data, client=client))


@router.put("/units/{unit_id}/documents/{kind}", response_model=UnitOut, summary="上传营业执照或公章扫描件")
async def upload_document(unit_id: PydanticObjectId, kind: Literal["licence", "seal"], user: CurrentUser,
                          client: Client, file: UploadFile) -> UnitOut:
    unit = await service.get_administered_unit(user, unit_id)
    return UnitOut.build(await service.attach_document(actor=user, unit=unit, kind=kind, upload=file, client=client))


@router.get("/units/{unit_id}/documents/{kind}", summary="查看营业执照或公章扫描件")
async def download_document(unit_id: PydanticObjectId, kind: Literal["licence", "seal"], user: CurrentUser,
                            inline: bool = True) -> Response:
    stored = getattr(await service.get_readable_unit(user, unit_id), kind)
    if stored is None:
        raise NotFound(f"尚未上传{service.UNIT_DOCUMENTS[kind]}", field="kind", code="document_missing")
    return await files.download_response(stored, inline=inline)


@router.get("/units/{unit_id}/staff", response_model=list[UserOut], summary="工作人员与子账号")
async def list_staff(unit_id: PydanticObjectId, user: CurrentUser) -> list[UserOut]:
    unit = await service.get_administered_unit(user, unit_id)
    members = await staff.list_staff(unit=unit)
    names = await service.unit_names(g.unit_id for m in members for g in m.roles)
    return [staff_out(m, names) for m in members]


@router.post("/units/{unit_id}/staff", status_code=status.HTTP_202_ACCEPTED, response_model=InvitationSent,
             summary="按证件号码邀请已注册人员成为工作人员（本人接受后生效；是否注册，回答相同）")
async def invite_staff(unit_id: PydanticObjectId, data: StaffLink, user: CurrentUser, client: Client) -> InvitationSent:
    unit = await service.get_administered_unit(user, unit_id)
    masked, role = await invitations.invite(actor=user, unit=unit, id_number=data.id_number, role=data.role,
                                            client=client)
    days = get_settings().staff_invitation_days
    return InvitationSent(id_number=masked, role=role, role_label=ROLE_LABELS[role],
                          message=f"如证件号码 {masked} 已注册个人账号，本人将收到邀请，在“我的账号”中接受后即成为"
                                  f"本单位的{ROLE_LABELS[role]}；邀请{days}天内有效")


@router.get("/units/{unit_id}/invitations", response_model=list[InvitationOut], summary="本单位待接受的工作人员邀请")
async def list_unit_invitations(unit_id: PydanticObjectId, user: CurrentUser) -> list[InvitationOut]:
    unit = await service.get_administered_unit(user, unit_id)
    return [InvitationOut.build(i, {unit.id: unit.name}) for i in await invitations.list_for_unit(unit=unit)]


@router.delete("/units/{unit_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="撤回工作人员邀请")
async def cancel_invitation(unit_id: PydanticObjectId, invitation_id: PydanticObjectId, user: CurrentUser,
                            client: Client) -> None:
    unit = await service.get_administered_unit(user, unit_id)
    await invitations.cancel(actor=user, unit=unit, invitation_id=invitation_id, client=client)


@router.get("/me/invitations", response_model=list[InvitationOut], summary="我收到的工作单位邀请")
async def my_invitations(user: CurrentUser) -> list[InvitationOut]:
    pending = await invitations.list_for_person(person=user)
    names = await service.unit_names(i.unit_id for i in pending)
    return [InvitationOut.build(i, names) for i in pending]


@router.post("/me/invitations/{invitation_id}/accept", response_model=UserOut, summary="接受工作单位邀请")
async def accept_invitation(invitation_id: PydanticObjectId, user: CurrentUser, client: Client) -> UserOut:
    member = await invitations.accept(person=user, invitation_id=invitation_id, client=client)
    return UserOut.build(member, unit_names=await service.unit_names(g.unit_id for g in member.roles), reveal=True)


@router.post("/me/invitations/{invitation_id}/decline", status_code=status.HTTP_204_NO_CONTENT,
             summary="拒绝工作单位邀请")
async def decline_invitation(invitation_id: PydanticObjectId, user: CurrentUser, client: Client) -> None:
    await invitations.decline(person=user, invitation_id=invitation_id, client=client)


@router.post("/units/{unit_id}/sub-accounts", status_code=status.HTTP_201_CREATED, response_model=list[Credentials],
             summary="创建子账号（单个或批量）；初始密码只显示一次")
async def create_sub_accounts(unit_id: PydanticObjectId, data: SubAccountBatch, user: CurrentUser,
                              client: Client) -> list[Credentials]:
    unit = await service.get_administered_unit(user, unit_id)
    return await staff.create_sub_accounts(actor=user, unit=unit, specs=data.accounts, client=client)


@router.patch("/units/{unit_id}/staff/{user_id}", response_model=UserOut, summary="启用或停用子账号")
async def update_staff(data: StaffUpdate, user: CurrentUser, client: Client, pair: Member) -> UserOut:
    unit, member = pair
    member = await staff.set_enabled(actor=user, unit=unit, member=member, enabled=data.enabled, client=client)
    return staff_out(member, await service.unit_names(g.unit_id for g in member.roles))


@router.post("/units/{unit_id}/staff/{user_id}/reset-password", response_model=Credentials,
             summary="重置子账号密码")
async def reset_staff_password(user: CurrentUser, client: Client, pair: Member) -> Credentials:
    unit, member = pair
    return await staff.reset_password(actor=user, unit=unit, member=member, client=client)


@router.delete("/units/{unit_id}/staff/{user_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="删除子账号或解除关联")
async def remove_staff(user: CurrentUser, client: Client, pair: Member) -> None:
    unit, member = pair
    await staff.remove(actor=user, unit=unit, member=member, client=client)


@router.post("/units/{unit_id}/staff/{user_id}/roles", response_model=UserOut, summary="授予角色")
async def grant_role(data: RoleChange, user: CurrentUser, client: Client, pair: Member) -> UserOut:
    unit, member = pair
    member = await staff.grant_role(actor=user, unit=unit, member=member, role=data.role, client=client)
    return staff_out(member, await service.unit_names(g.unit_id for g in member.roles))


@router.delete("/units/{unit_id}/staff/{user_id}/roles/{role}", response_model=UserOut, summary="撤销角色")
async def revoke_role(role: Role, user: CurrentUser, client: Client, pair: Member) -> UserOut:
    unit, member = pair
    member = await staff.revoke_role(actor=user, unit=unit, member=member, role=role, client=client)
    return staff_out(member, await service.unit_names(g.unit_id for g in member.roles))
