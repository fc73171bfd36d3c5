"""The post-structure figures, pure: what a unit is approved, has appointed, has vacant and holds by
title without a post, per level (or per group of levels where the quota is a ratio 高:中:初). The
service reads the records and the quota and calls these; the statistics may call them the same way."""

from dataclasses import dataclass

from app.personnel.enums import POST_LEVEL_LABELS, POST_LEVELS, PostLevel

SENIOR = (PostLevel.full_senior, PostLevel.deputy_senior)
RATIO_GROUPS = (SENIOR, (PostLevel.intermediate,), (PostLevel.junior,))
RATIO_LABELS = ("高级", "中级", "初级")


@dataclass(frozen=True)
class Quota:
    """What a PostQuota says, without the database: counts per level, or a ratio and a total."""
    counts: dict[PostLevel, int] | None = None
    ratio: tuple[int, int, int] | None = None
    total: int | None = None


@dataclass(frozen=True)
class Figure:
    label: str
    levels: tuple[PostLevel, ...]
    approved: int | None          # None: no quota set for the year
    appointed: int
    vacant: int | None
    titled_not_appointed: int     # hold a title at this level, appointed to none of these levels


def apportion(total: int, ratio: tuple[int, ...]) -> list[int]:
    """Splits a total by a ratio in whole posts (largest remainder): 50 at 1:3:6 → 5, 15, 30; the parts
    always add up to the total."""
    weight = sum(ratio)
    exact = [total * r / weight for r in ratio]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(ratio)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:total - sum(parts)]:
        parts[i] += 1
    return parts


def groups(quota: Quota | None) -> list[tuple[str, tuple[PostLevel, ...], int | None]]:
    """(label, levels, approved) per line of the figures."""
    if quota is not None and quota.ratio is not None:
        return [(label, levels, n) for label, levels, n in
                zip(RATIO_LABELS, RATIO_GROUPS, apportion(quota.total or 0, quota.ratio))]
    counts = quota.counts if quota is not None else None
    return [(POST_LEVEL_LABELS[level], (level,), None if counts is None else counts.get(level, 0))
            for level in POST_LEVELS]


def figures(quota: Quota | None, people: list[tuple[PostLevel | None, PostLevel | None]]) -> list[Figure]:
    """people: (title level, appointed level) of each person in post."""
    lines = []
    for label, levels, approved in groups(quota):
        appointed = sum(1 for _, post in people if post in levels)
        titled = sum(1 for title, post in people if title in levels and post not in levels)
        lines.append(Figure(label=label, levels=levels, approved=approved, appointed=appointed,
                            vacant=None if approved is None else max(approved - appointed, 0),
                            titled_not_appointed=titled))
    return lines


def group_of(quota: Quota | None, level: PostLevel) -> tuple[str, tuple[PostLevel, ...], int | None]:
    return next(g for g in groups(quota) if level in g[1])


def over_quota(quota: Quota | None, occupied: dict[PostLevel, int], level: PostLevel) -> tuple[str, int, int] | None:
    """After occupying one more post at `level`: (label, approved, would be occupied) when that passes the
    approved number, else None. No quota for the year: nothing to pass."""
    if quota is None:
        return None
    label, levels, approved = group_of(quota, level)
    taken = sum(occupied.get(lv, 0) for lv in levels) + 1
    return (label, approved, taken) if approved is not None and taken > approved else None
