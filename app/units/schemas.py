"""API input and output of units, permission applications and staff."""

from datetime import datetime

from beanie import PydanticObjectId
from pydantic import BaseModel, EmailStr, Field, field_validator

from app.accounts import validators
from app.accounts.enums import ROLE_LABELS, Role
from app.accounts.schemas import Password, PersonIdentity, Strict
from app.units.enums import UNIT_CATEGORY_LABELS, UNIT_STATUS_LABELS, UnitCategory, UnitStatus
from app.units.models import PermissionApplication, StaffInvitation, Unit


class UnitInfo(Strict):
    """The facts about a unit that its registration, top-down creation and edits share."""
    name: str = Field(min_length=2, max_length=100)
    credit_code: str = Field(min_length=1, max_length=18)
    nature: str = Field(min_length=1, max_length=20, description="单位性质，字典 unit_natures 的代码")
    industry: str | None = Field(default=None, max_length=20, description="所属行业，字典 industries 的代码")
    region_code: str = Field(min_length=6, max_length=12, description="所在地区，字典 regions 的代码")
    address: str | None = Field(default=None, max_length=200)
    legal_representative: str = Field(min_length=2, max_length=30)
    contact_name: str = Field(min_length=2, max_length=30)
    contact_phone: str
    contact_email: EmailStr | None = None

    _credit = field_validator("credit_code")(lambda v: validators.normalize_credit_code(v))
    _phone = field_validator("contact_phone")(lambda v: validators.normalize_phone(v))


class UnitRegistration(UnitInfo):
    category: UnitCategory
    parent_id: PydanticObjectId | None = Field(default=None, description="主管部门；不填则为所在地区人社局")
    manual_review: bool = Field(default=False, description="代码校验不通过时，提交人工审核")
    login: str
    password: Password

    _login = field_validator("login")(lambda v: validators.normalize_login(v))


class ChildUnitCreation(UnitInfo):
    category: UnitCategory
    handler: PersonIdentity | None = Field(default=None, description="经办人；不填则只建单位账号")
    login: str
    handler_phone: str | None = None

    _login = field_validator("login")(lambda v: validators.normalize_login(v))
    _hphone = field_validator("handler_phone")(lambda v: validators.normalize_phone(v) if v else v)


class UnitUpdate(UnitInfo):
    manual_review: bool = False


class PermissionDecision(Strict):
    approve: bool
    reason: str | None = Field(default=None, max_length=500)


class StaffLink(Strict):
    id_number: str = Field(min_length=5, max_length=20, description="已注册个人账号的证件号码")
    role: Role | None = Field(default=None, description="不填则为本单位的经办人角色")


class InvitationSent(BaseModel):
    """The same whether or not the ID number is registered: it tells nothing about the person."""
    message: str
    id_number: str = Field(description="所填证件号码（脱敏）")
    role: Role
    role_label: str


class InvitationOut(BaseModel):
    id: str
    unit_id: str
    unit_name: str | None
    role: Role
    role_label: str
    id_number: str = Field(description="被邀请人证件号码（脱敏）")
    invited_at: datetime
    expires_at: datetime

    @classmethod
    def build(cls, invitation: StaffInvitation, unit_names: dict) -> "InvitationOut":
        return cls(id=str(invitation.id), unit_id=str(invitation.unit_id),
                   unit_name=unit_names.get(invitation.unit_id), role=invitation.role,
                   role_label=ROLE_LABELS[invitation.role], id_number=invitation.id_number_masked,
                   invited_at=invitation.invited_at, expires_at=invitation.expires_at)


class SubAccountSpec(PersonIdentity):
    phone: str | None = None
    role: Role = Role.applicant

    _phone = field_validator("phone")(lambda v: validators.normalize_phone(v) if v else v)


class SubAccountBatch(Strict):
    accounts: list[SubAccountSpec] = Field(min_length=1, max_length=500)


class StaffUpdate(Strict):
    enabled: bool


class RoleChange(Strict):
    role: Role


class UnitOut(BaseModel):
    id: str
    name: str
    credit_code: str
    credit_code_valid: bool
    category: UnitCategory
    category_label: str
    nature: str
    industry: str | None
    region_code: str
    address: str | None
    legal_representative: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    parent_id: str | None
    status: UnitStatus
    status_label: str
    has_licence: bool
    has_seal: bool
    created_via: str
    created_at: datetime
    version: int

    @classmethod
    def build(cls, unit: Unit) -> "UnitOut":
        return cls(
            id=str(unit.id), name=unit.name, credit_code=unit.credit_code, credit_code_valid=unit.credit_code_valid,
            category=unit.category, category_label=UNIT_CATEGORY_LABELS[unit.category], nature=unit.nature,
            industry=unit.industry, region_code=unit.region_code, address=unit.address,
            legal_representative=unit.legal_representative, contact_name=unit.contact_name,
            contact_phone=unit.contact_phone, contact_email=unit.contact_email,
            parent_id=str(unit.parent_id) if unit.parent_id else None, status=unit.status,
            status_label=UNIT_STATUS_LABELS[unit.status], has_licence=unit.licence is not None,
            has_seal=unit.seal is not None, created_via=unit.created_via, created_at=unit.created_at,
            version=unit.version,
        )


class UnitBrief(BaseModel):
    id: str
    name: str
    region_code: str
    category_label: str


class UnitTreeNode(BaseModel):
    id: str
    name: str
    category_label: str
    status: UnitStatus
    status_label: str
    region_code: str
    children: list["UnitTreeNode"] = Field(default_factory=list)


class Credentials(BaseModel):
    """Shown once: the generated login and initial password of a new account."""
    user_id: str
    login: str
    name: str
    initial_password: str


class ChildUnitOut(BaseModel):
    unit: UnitOut
    account: Credentials


class ApplicationOut(BaseModel):
    id: str
    unit_id: str
    unit_name: str
    credit_code: str
    region_code: str
    status: str
    auto_check_passed: bool
    auto_check_problems: list[str]
    reviewer_unit_id: str | None
    submitted_at: datetime
    decided_at: datetime | None
    reason: str | None

    @classmethod
    def build(cls, application: PermissionApplication) -> "ApplicationOut":
        snap = application.unit_snapshot
        return cls(id=str(application.id), unit_id=str(application.unit_id), unit_name=snap["name"],
                   credit_code=snap["credit_code"], region_code=snap["region_code"], status=application.status,
                   auto_check_passed=application.auto_check.passed,
                   auto_check_problems=application.auto_check.problems,
                   reviewer_unit_id=str(application.reviewer_unit_id) if application.reviewer_unit_id else None,
                   submitted_at=application.submitted_at, decided_at=application.decided_at,
                   reason=application.reason)
