"""Certificate numbers from a committee's pattern: pure, so the settings form and issuance agree."""

import string
from typing import Any

from app.catalog.models import Committee
from app.errors import ValidationFailed

TIER_LETTERS = {"senior": "G", "intermediate": "Z", "junior": "C"}       # 高 / 中 / 初
NUMBER_FIELDS = ("year", "seq", "region", "series", "tier", "committee_short", "committee_code")
MAX_NUMBER_LENGTH = 40


def number_fields(committee: Committee, *, year: int, seq: int) -> dict[str, Any]:
    series = (committee.series[0] if committee.series else "").upper()
    tier = TIER_LETTERS.get(committee.tier, "")
    return {"year": year, "seq": seq, "region": committee.region_code, "series": series, "tier": tier,
            "committee_short": f"{committee.region_code}{series}{tier}", "committee_code": committee.code}


def format_number(pattern: str, committee: Committee, *, year: int, seq: int) -> str:
    """A certificate number from the committee's pattern; refuses patterns that could not number."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError:
        raise ValidationFailed("证书编号规则中的花括号不成对", field="certificate_pattern", code="bad_pattern") from None
    unknown = [n for n in names if n not in NUMBER_FIELDS]
    if unknown:
        raise ValidationFailed(f"证书编号规则含未知占位符 {{{unknown[0]}}}，可用：" + "、".join(
            "{" + f + "}" for f in NUMBER_FIELDS), field="certificate_pattern", code="bad_pattern")
    if "seq" not in names:
        raise ValidationFailed("证书编号规则须包含流水号 {seq}，编号才不会重复", field="certificate_pattern",
                               code="bad_pattern")
    try:
        number = pattern.format(**number_fields(committee, year=year, seq=seq))
    except (ValueError, TypeError):
        raise ValidationFailed("证书编号规则的格式说明不正确，例如 {seq:05d}", field="certificate_pattern",
                               code="bad_pattern") from None
    if not number or len(number) > MAX_NUMBER_LENGTH or any(ch.isspace() for ch in number):
        raise ValidationFailed(f"证书编号须为不含空格的 1 至 {MAX_NUMBER_LENGTH} 个字符", field="certificate_pattern",
                               code="bad_pattern")
    return number
