"""The kinds' rules as data, without a database: every default works, bad combinations are named, what a
batch leaves unset is its kind's, and the forms and sections they name exist."""

import pytest

from app.catalog.kinds import FORM_NAMES, KIND_DEFAULTS, KIND_LABELS, rule_problems, with_kind_defaults
from app.catalog.models import SECTION_NAMES, Batch, BatchRules
from app.dossiers.sections import SECTIONS
from app.render.contexts import FORMS


def rules(kind: str, **changes) -> BatchRules:
    return BatchRules.model_validate({**with_kind_defaults(kind, None), **changes})


def test_the_named_forms_and_sections_exist():
    assert set(FORM_NAMES) == set(FORMS)
    assert set(SECTION_NAMES) == set(SECTIONS)
    assert set(KIND_DEFAULTS) == set(KIND_LABELS)


@pytest.mark.parametrize("kind", list(KIND_DEFAULTS))
def test_every_kind_default_holds_together(kind):
    assert rule_problems(rules(kind), section_names=SECTION_NAMES) == []


@pytest.mark.parametrize("changes, field", [
    ({"required_sections": ["basic", "summary"]}, "rules.required_sections"),     # 总结 is not an 初定 section
    ({"sections": [*KIND_DEFAULTS["initial"]["sections"], "nonsense"]}, "rules.sections"),
    ({"forms": ["initial", "poster"]}, "rules.forms"),
    ({"committee_vote": True}, "rules.route_end"),                              # a vote needs a committee's end
    ({"guide_text": ""}, "rules.guide_text"),                                    # the guide section needs its text
])
def test_combinations_that_cannot_work_are_named(changes, field):
    assert [f for f, _ in rule_problems(rules("initial", **changes), section_names=SECTION_NAMES)] == [field]


def test_what_a_batch_leaves_unset_is_its_kinds():
    given = with_kind_defaults("recognition", {"required_sections": ["basic"], "summary_max_chars": 500})
    assert given["required_sections"] == ["basic"] and given["summary_max_chars"] == 500
    assert given["sections"] == KIND_DEFAULTS["recognition"]["sections"] and given["committee_vote"] is False
    # A stored batch of a kind reads its kind's rules where it has none (a batch stored before they existed).
    stored = Batch._kind_rules({"kind": "initial", "rules": {"photo_required": False}})
    read = BatchRules.model_validate(stored["rules"])
    assert read.sections == KIND_DEFAULTS["initial"]["sections"] and read.photo_required is False
    review = BatchRules.model_validate(Batch._kind_rules({"name": "评审"})["rules"])
    assert review.route_end == "committee" and "summary" in review.required_sections
