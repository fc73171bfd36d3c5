"""The blind-review rule, score form and summary: pure, no database."""

import pytest
from beanie import PydanticObjectId

from app.catalog.kinds import rule_problems
from app.catalog.models import SECTION_NAMES, BatchRules, BlindCriterion, BlindReviewRule
from app.committee.blind_form import require_score_shape, summary
from app.dossiers.models import BlindCriterionCopy, BlindReviews, BlindScore
from app.errors import ValidationFailed


def _round(*reviews: tuple[str, int | None]) -> BlindReviews:
    scores = [BlindScore(assignment_id=str(i), label=f"评审专家{i}", expert_id=PydanticObjectId(), user_id=PydanticObjectId(),
                         status=status, total=total, passed=None if total is None else total >= 60)
              for i, (status, total) in enumerate(reviews, 1)]
    return BlindReviews(code="MS2026-ABC123", status="sent", criteria=[BlindCriterionCopy(name="水平", max_points=60),
                                                                       BlindCriterionCopy(name="创新", max_points=40)],
                        pass_mark=60, reviewers=len(reviews), started_by=PydanticObjectId(), reviews=scores)


def test_summary_counts_scored_reviews_and_leaves_out_declined():
    s = summary(_round(("submitted", 80), ("submitted", 55), ("declined", None), ("pending", None)))
    assert s == {"reviewers": 3, "scored": 2, "average": 67.5, "passed": 1, "pass_mark": 60,
                 "line": "代表作送审：送审专家3人，已评2人，平均67.5分，合格1人（合格线60分）"}
    assert summary(_round(("pending", None)))["line"] == "代表作送审：送审专家1人，已评0人"
    assert summary(None) is None


def test_score_shape():
    r = _round(("pending", None))
    assert require_score_shape(r, [60, 0], " 好 ") == "好"
    for points, opinion, field in (([61, 0], "好", "points"), ([10], "好", "points"), ([-1, 0], "好", "points"),
                                   ([10, 10], "", "opinion"), ([10, 10], "长" * 1001, "opinion")):
        with pytest.raises(ValidationFailed) as caught:
            require_score_shape(r, points, opinion)
        assert caught.value.field == field


def test_rule_problems_name_the_blind_review_fields():
    good = BatchRules()
    assert rule_problems(good, section_names=SECTION_NAMES) == []
    with pytest.raises(ValueError, match="合格分数线不能高于满分100分"):
        BlindReviewRule(pass_mark=101)
    # merged rules (a save keeping stored criteria) are checked again as a whole
    merged = BlindReviewRule().model_copy(update={"pass_mark": 101, "deadline_days": 3, "remind_days_before": 3,
                                                  "criteria": [BlindCriterion(name="水平", max_points=50)] * 2})
    bad = good.model_copy(update={"blind_review": merged})
    assert [f for f, _ in rule_problems(bad, section_names=SECTION_NAMES)] == [
        "rules.blind_review.pass_mark", "rules.blind_review.criteria", "rules.blind_review.remind_days_before"]
    assert BlindReviewRule(levels=["4", "5"]).applies_to("5") and not BlindReviewRule().applies_to("5")


def test_forms_print_the_line_in_the_committee_box_once_published():
    from types import SimpleNamespace

    from app.render import contexts
    from tests.render.test_opinion_boxes import five_nodes

    scored = _round(("submitted", 80), ("submitted", 55))
    for status, printed in (("scheduled", ""), ("approved", ""), ("publicity", "平均67.5分，合格1人"),
                            ("certified", "平均67.5分，合格1人")):
        line = contexts.blind_line(SimpleNamespace(status=status, blind_reviews=scored))
        assert (printed in line) if printed else line == ""
    assert contexts.blind_line(SimpleNamespace(status="publicity", blind_reviews=_round(("pending", None)))) == ""
    src = five_nodes()
    src.blind_line = contexts.blind_line(SimpleNamespace(status="publicity", blind_reviews=scored))
    box = contexts.opinion_boxes(src, contexts.Lookups(names={}, committee_name="评委会"))[-1]
    assert box["vote"] == "代表作送审：送审专家2人，已评2人，平均67.5分，合格1人（合格线60分）"
