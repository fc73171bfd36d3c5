"""API input and output of the accounts domain."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationInfo, field_validator

from app.accounts import validators
from app.accounts.enums import ID_TYPE_LABELS, ROLE_LABELS, IdType, Role
from app.accounts.models import User


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Passwords are taken exactly as typed: stripping spaces would store something else than the user chose.
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=128)]


def check_id_number(id_type: IdType, id_number: str) -> str:
    if id_type == IdType.resident:
        return validators.normalize_resident_id(id_number)
    return validators.normalize_other_id(id_number)


class PersonIdentity(Strict):
    name: str = Field(min_length=2, max_length=30)
    id_type: IdType = IdType.resident
    id_number: str = Field(min_length=5, max_length=20)

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str, info: ValidationInfo) -> str:
        return check_id_number(info.data.get("id_type", IdType.resident), value)


class PersonRegistration(PersonIdentity):
    login: str
    phone: str
    email: EmailStr | None = None
    password: Password

    _login = field_validator("login")(lambda v: validators.normalize_login(v))
    _phone = field_validator("phone")(lambda v: validators.normalize_phone(v))


class LoginRequest(Strict):
    login: str = Field(min_length=1, max_length=64)
    password: Password
    captcha_id: str | None = None
    captcha_answer: str | None = None


class PasswordChange(Strict):
    old_password: Password
    new_password: Password


class ProfileUpdate(Strict):
    """Name and ID number are not here: after registration only an administrator corrects them."""
    phone: str | None = None
    email: EmailStr | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str:
        if not value:
            raise ValueError("手机号码不能为空：找回密码和短信通知都要用到")
        return validators.normalize_phone(value)


class CaptchaGuarded(Strict):
    captcha_id: str | None = None
    captcha_answer: str | None = None


class RecoveryCodeRequest(CaptchaGuarded):
    login: str = Field(min_length=1, max_length=64, description="登录名或证件号码")
    channel: Literal["sms", "email"] = "sms"


class RecoveryReset(CaptchaGuarded):
    login: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=4, max_length=8)
    new_password: Password


class LoginNameRecovery(CaptchaGuarded):
    name: str = Field(min_length=2, max_length=30)
    id_number: str = Field(min_length=5, max_length=20)
    phone: str

    _phone = field_validator("phone")(lambda v: validators.normalize_phone(v))


class RoleGrantOut(BaseModel):
    role: Role
    role_label: str
    unit_id: str | None
    unit_name: str | None = None


class UserOut(BaseModel):
    id: str
    login: str
    kind: str
    name: str
    id_type: IdType | None
    id_type_label: str | None
    id_number: str | None          # masked unless the reader may see it
    phone: str | None
    email: str | None
    roles: list[RoleGrantOut]
    unit_id: str | None
    enabled: bool
    must_change_password: bool
    locked_until: datetime | None
    created_at: datetime

    @classmethod
    def build(cls, user: User, *, unit_names: dict | None = None, reveal: bool = False) -> "UserOut":
        unit_names = unit_names or {}
        return cls(
            id=str(user.id), login=user.login, kind=user.kind, name=user.name, id_type=user.id_type,
            id_type_label=ID_TYPE_LABELS.get(user.id_type) if user.id_type else None,
            id_number=user.id_number if reveal else validators.mask_id_number(user.id_number),
            phone=user.phone if reveal else validators.mask_phone(user.phone), email=user.email,
            roles=[RoleGrantOut(role=g.role, role_label=ROLE_LABELS[g.role],
                                unit_id=str(g.unit_id) if g.unit_id else None,
                                unit_name=unit_names.get(g.unit_id)) for g in user.roles],
            unit_id=str(user.unit_id) if user.unit_id else None, enabled=user.enabled,
            must_change_password=user.must_change_password, locked_until=user.locked_until,
            created_at=user.created_at,
        )


class LoginOut(BaseModel):
    token: str
    csrf_token: str
    must_change_password: bool
    user: UserOut


class CaptchaOut(BaseModel):
    captcha_id: str
    image: str = Field(description="data:image/png;base64,…")


class SentOut(BaseModel):
    """The same whether or not the account exists: it names no destination the caller did not type."""
    message: str
