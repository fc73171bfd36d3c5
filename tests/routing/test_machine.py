"""Every (status, action, actor) of the state machine, without a database."""

import itertools

import pytest

from app.dossiers.enums import DossierStatus as S
from app.routing.machine import TABLE, Action, Actor, IllegalTransition, Move, allowed_actions, decide

# The whole intended table, written out independently of the implementation: (status, action, actor) →
# (to, move, reason required). Anything not listed must be refused.
EXPECTED = {
    (S.draft, Action.submit, Actor.applicant): (S.submitted, Move.first_node, False),
    (S.returned, Action.submit, Actor.applicant): (S.submitted, Move.first_node, False),
    (S.rejected, Action.submit, Actor.applicant): (S.submitted, Move.first_node, False),
    (S.submitted, Action.withdraw, Actor.applicant): (S.draft, Move.to_applicant, False),
    (S.submitted, Action.pass_, Actor.node): (S.passed, Move.stay, False),
    (S.passed, Action.report, Actor.node): (None, Move.up, False),
    (S.submitted, Action.return_, Actor.node): (None, Move.down, True),
    (S.passed, Action.return_, Actor.node): (None, Move.down, True),
    (S.submitted, Action.reject, Actor.node): (S.rejected, Move.to_applicant, True),
    (S.passed, Action.reject, Actor.node): (S.rejected, Move.to_applicant, True),
    (S.submitted, Action.void, Actor.node): (S.voided, Move.to_applicant, True),
    (S.passed, Action.void, Actor.node): (S.voided, Move.to_applicant, True),
    (S.submitted, Action.read, Actor.node): (S.submitted, Move.stay, False),
    (S.passed, Action.read, Actor.node): (S.passed, Move.stay, False),
    (S.at_committee, Action.accept, Actor.committee): (S.accepted, Move.stay, False),
    (S.at_committee, Action.return_, Actor.committee): (None, Move.down, True),
    (S.accepted, Action.return_, Actor.committee): (None, Move.down, True),
    (S.at_committee, Action.reject, Actor.committee): (S.rejected, Move.to_applicant, True),
    (S.accepted, Action.reject, Actor.committee): (S.rejected, Move.to_applicant, True),
    (S.at_committee, Action.void, Actor.committee): (S.voided, Move.to_applicant, True),
    (S.accepted, Action.void, Actor.committee): (S.voided, Move.to_applicant, True),
    **{(status, Action.read, Actor.committee): (status, Move.stay, False)
       for status in (S.at_committee, S.accepted, S.scheduled, S.approved, S.not_approved)},
    (S.accepted, Action.schedule, Actor.committee): (S.scheduled, Move.stay, False),
    (S.scheduled, Action.unschedule, Actor.committee): (S.accepted, Move.stay, False),
    (S.scheduled, Action.decide, Actor.committee): (None, Move.stay, False),
    (S.approved, Action.publish, Actor.committee): (S.publicity, Move.stay, False),
    (S.publicity, Action.close_publicity, Actor.committee): (S.publicized, Move.stay, False),
    (S.publicized, Action.certify, Actor.committee): (S.certified, Move.stay, False),
    **{(status, Action.recall, Actor.system): (S.passed, Move.back_to_reporter, False)
       for status in (S.submitted, S.passed, S.at_committee)},
    (S.draft, Action.abandon, Actor.applicant): (S.abandoned, Move.stay, False),
    (S.returned, Action.abandon, Actor.applicant): (S.abandoned, Move.stay, False),
    (S.rejected, Action.abandon, Actor.applicant): (S.abandoned, Move.stay, False),
    (S.submitted, Action.request_edit, Actor.applicant): (S.submitted, Move.stay, False),
    (S.passed, Action.request_edit, Actor.applicant): (S.passed, Move.stay, False),
    (S.at_committee, Action.request_edit, Actor.applicant): (S.at_committee, Move.stay, False),
    (S.accepted, Action.request_edit, Actor.applicant): (S.accepted, Move.stay, False),
    (S.submitted, Action.grant_edit, Actor.node): (S.returned, Move.to_applicant, False),
    (S.passed, Action.grant_edit, Actor.node): (S.returned, Move.to_applicant, False),
    (S.at_committee, Action.grant_edit, Actor.committee): (S.returned, Move.to_applicant, False),
    (S.accepted, Action.grant_edit, Actor.committee): (S.returned, Move.to_applicant, False),
    (S.submitted, Action.refuse_edit, Actor.node): (S.submitted, Move.stay, True),
    (S.passed, Action.refuse_edit, Actor.node): (S.passed, Move.stay, True),
    (S.at_committee, Action.refuse_edit, Actor.committee): (S.at_committee, Move.stay, True),
    (S.accepted, Action.refuse_edit, Actor.committee): (S.accepted, Move.stay, True),
    # 初定 / 认定: the 受理点 (a node) decides and certifies, no committee
    (S.submitted, Action.grant_title, Actor.node): (S.approved, Move.stay, False),
    (S.passed, Action.grant_title, Actor.node): (S.approved, Move.stay, False),
    (S.submitted, Action.deny_title, Actor.node): (S.not_approved, Move.stay, True),
    (S.passed, Action.deny_title, Actor.node): (S.not_approved, Move.stay, True),
    (S.approved, Action.certify, Actor.node): (S.certified, Move.stay, False),
}

EVERY = list(itertools.product(S, Action, Actor))


@pytest.mark.parametrize("status, action, actor", EVERY)
def test_every_combination(status, action, actor):
    expected = EXPECTED.get((status, action, actor))
    if expected is None:
        with pytest.raises(IllegalTransition):
            decide(status, action, actor)
        return
    rule = decide(status, action, actor)
    assert (rule.to, rule.move, rule.reason_required) == expected


def test_the_table_has_nothing_unexpected():
    assert set(TABLE) == set(EXPECTED)


def test_terminal_and_final_states_allow_nothing():
    for status in (S.voided, S.certified):
        for actor in Actor:
            assert allowed_actions(status, actor) == []
            for action in Action:
                with pytest.raises(IllegalTransition):
                    decide(status, action, actor)


def test_applicants_never_review_and_reviewers_never_submit():
    for status in S:
        for action in (Action.pass_, Action.report, Action.return_, Action.reject, Action.void, Action.accept):
            with pytest.raises(IllegalTransition):
                decide(status, action, Actor.applicant)
        for actor in (Actor.node, Actor.committee):
            with pytest.raises(IllegalTransition):
                decide(status, Action.submit, actor)


def test_review_page_offers():
    assert set(allowed_actions(S.submitted, Actor.node)) == {Action.pass_, Action.return_, Action.reject,
                                                              Action.void, Action.read}
    assert set(allowed_actions(S.passed, Actor.node)) == {Action.report, Action.return_, Action.reject,
                                                           Action.void, Action.read}
    assert set(allowed_actions(S.at_committee, Actor.committee)) == {Action.accept, Action.return_, Action.reject,
                                                                      Action.void, Action.read}
