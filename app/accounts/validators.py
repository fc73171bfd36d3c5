"""Pure checks of national identifiers and passwords; each raises ValueError with a Chinese message."""

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SPECIAL = re.compile(r"[^A-Za-z0-9]")


def resident_id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def normalize_resident_id(value: str, *, today: date | None = None) -> str:
    """GB 11643-1999: 17 digits, a valid birth date, and the mod-11 check character."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValueError("身份证号应为18位，前17位为数字，末位为数字或X")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValueError("身份证号中的出生日期无效") from None
    if birth < date(1900, 1, 1) or birth > (today or date.today()):
        raise ValueError("身份证号中的出生日期无效")
    if resident_id_check_char(value[:17]) != value[17]:
        raise ValueError("身份证号校验位不正确，请核对")
    return value


def birth_date_from_resident_id(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_from_resident_id(value: str) -> str:
    return "男" if int(value[16]) % 2 else "女"


def normalize_other_id(value: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{5,20}", value):
        raise ValueError("证件号码应为5至20位字母或数字")
    return value


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CHARSET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS))
    return _CREDIT_CHARSET[(31 - total % 31) % 31]


def credit_code_problem(value: str) -> str | None:
    """GB 32100-2015: 18 characters of the code charset, the last one the mod-31 check."""
    if len(value) != 18:
        return "统一社会信用代码应为18位"
    if any(c not in _CREDIT_CHARSET for c in value):
        return "统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）"
    if credit_code_check_char(value[:17]) != value[17]:
        return "统一社会信用代码校验位不正确"
    return None


def normalize_credit_code(value: str) -> str:
    return value.strip().upper()


def password_problem(password: str, *, login: str | None = None) -> str | None:
    if len(password) < 8:
        return "密码至少8位"
    if len(password) > 64:
        return "密码不能超过64位"
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password) or not _SPECIAL.search(password):
        return "密码须同时包含字母、数字和特殊字符"
    if login and password.lower() == login.lower():
        return "密码不能与登录名相同"
    return None


def normalize_phone(value: str) -> str:
    value = value.strip().replace(" ", "").replace("-", "")
    if not re.fullmatch(r"1[3-9]\d{9}", value):
        raise ValueError("手机号码应为11位有效号码")
    return value


def normalize_login(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]{3,31}", value):
        raise ValueError("登录名应为4至32位字母、数字、下划线或点，且以字母开头")
    return value


def mask_id_number(value: str | None) -> str | None:
    """Lists and exports show the first 3 and last 4 characters only."""
    if not value:
        return value
    if len(value) <= 7:
        return value[0] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    return value[:3] + "****" + value[-4:] if value and len(value) >= 8 else value
