"""代表作送审's score form and its summary, pure: the checks of one score, and the one count and line the round's
pages, the review page and the forms print."""

from app.dossiers.enums import DossierStatus
from app.dossiers.models import BlindReviews
from app.errors import ValidationFailed

# Results published: from here the applicant and the units read the scores (the reviewers stay anonymous), and
# the forms print the line.
PUBLISHED = frozenset({DossierStatus.publicity, DossierStatus.publicized, DossierStatus.certified})


def summary(blind: BlindReviews | None) -> dict | None:
    """Pure: the scores so far — how many scored, the average total, how many passed — and the line pages,
    forms and the meeting print."""
    if blind is None or blind.status == "preparing":
        return None
    scored = [r for r in blind.reviews if r.status == "submitted"]
    counted = [r for r in blind.reviews if r.status != "declined"]
    average = round(sum(r.total for r in scored) / len(scored), 1) if scored else None
    passed = sum(bool(r.passed) for r in scored)
    line = f"代表作送审：送审专家{len(counted)}人，已评{len(scored)}人"
    if scored:
        line += f"，平均{average:g}分，合格{passed}人（合格线{blind.pass_mark}分）"
    return {"reviewers": len(counted), "scored": len(scored), "average": average, "passed": passed,
            "pass_mark": blind.pass_mark, "line": line}


def require_score_shape(blind: BlindReviews, points: list[int], opinion: str | None) -> str | None:
    """Pure: the points fit the round's form (one per criterion, 0 to its maximum) and the opinion its rule."""
    if len(points) != len(blind.criteria):
        raise ValidationFailed(f"须为{len(blind.criteria)}个评分项目逐项打分", field="points", code="bad_points")
    for c, p in zip(blind.criteria, points):
        if not 0 <= p <= c.max_points:
            raise ValidationFailed(f"“{c.name}”的得分须在0至{c.max_points}分之间", field="points", code="bad_points")
    text = (opinion or "").strip()
    if blind.opinion_required and not text:
        raise ValidationFailed("请填写评审意见", field="opinion", code="opinion_required")
    if len(text) > blind.opinion_max_chars:
        raise ValidationFailed(f"评审意见不超过{blind.opinion_max_chars}字", field="opinion", code="opinion_too_long")
    return text or None
