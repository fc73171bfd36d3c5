"""HTTP preconditions (ETag / If-Match) for versioned records: every domain reads the header the same way."""

from app.errors import AppError, StaleVersion


class VersionMoved(StaleVersion):
    message = "申报材料已在别处修改，请刷新后再保存"


class PreconditionRequired(AppError):
    status = 428
    code = "if_match_required"
    message = "保存须带 If-Match 版本号，请刷新页面后重试"


def parse_if_match(header: str | None) -> int:
    if not header:
        raise PreconditionRequired()
    try:
        version = int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        version = -1
    if not 0 <= version <= 2**53:   # a version the database could never hold (nor BSON encode)
        raise VersionMoved("If-Match 版本号格式不正确", field="If-Match")
    return version
