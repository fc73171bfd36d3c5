"""The review state machine, pure and table-driven: (status, action, actor kind) → what happens.

It knows nothing about the database. The service resolves who the actor is in relation to the
dossier (its applicant, a reviewer at the unit that holds it, the committee office that holds it),
asks `decide`, and applies the answer as one conditional write.
"""

from dataclasses import dataclass
from enum import StrEnum

from app.dossiers.enums import Action
from app.dossiers.enums import DossierStatus as S


class Actor(StrEnum):
    applicant = "applicant"     # the dossier's own applicant
    node = "node"               # a reviewer of the unit that currently holds the dossier
    committee = "committee"     # the office of the committee that currently holds the dossier
    system = "system"           # the service itself, as a consequence of another change




class Move(StrEnum):
    """Where the dossier goes: the service turns this into the next holder."""
    stay = "stay"                   # same holder
    first_node = "first_node"       # to the employer unit (submission)
    to_applicant = "to_applicant"   # back to the applicant
    down = "down"                   # back one node (to the applicant from the first node)
    up = "up"                       # along the unit's active path: next unit or the committee
    back_to_reporter = "back_to_reporter"   # to a given unit lower on the route, as passed, not reported


@dataclass(frozen=True)
class Rule:
    to: S | None                    # None: decided by the move (down from the first node → returned)
    move: Move
    reason_required: bool = False


class IllegalTransition(Exception):
    def __init__(self, status: S, action: Action, actor: Actor):
        self.status, self.action, self.actor = status, action, actor
        super().__init__(f"{actor}: {action} not allowed in {status}")


REVIEWABLE_AT_NODE = (S.submitted, S.passed)
AT_COMMITTEE_BEFORE_MEETING = (S.at_committee, S.accepted)
EDIT_REQUESTABLE = REVIEWABLE_AT_NODE + AT_COMMITTEE_BEFORE_MEETING     # held by a node that can send it back

TABLE: dict[tuple[S, Action, Actor], Rule] = {
    **{(status, Action.submit, Actor.applicant): Rule(S.submitted, Move.first_node)
       for status in (S.draft, S.returned, S.rejected)},
    (S.submitted, Action.withdraw, Actor.applicant): Rule(S.draft, Move.to_applicant),

    (S.submitted, Action.pass_, Actor.node): Rule(S.passed, Move.stay),
    (S.passed, Action.report, Actor.node): Rule(None, Move.up),
    **{(status, Action.return_, Actor.node): Rule(None, Move.down, reason_required=True)
       for status in REVIEWABLE_AT_NODE},
    **{(status, Action.reject, Actor.node): Rule(S.rejected, Move.to_applicant, reason_required=True)
       for status in REVIEWABLE_AT_NODE},
    **{(status, Action.void, Actor.node): Rule(S.voided, Move.to_applicant, reason_required=True)
       for status in REVIEWABLE_AT_NODE},
    **{(status, Action.read, Actor.node): Rule(status, Move.stay) for status in REVIEWABLE_AT_NODE},

    (S.at_committee, Action.accept, Actor.committee): Rule(S.accepted, Move.stay),
    **{(status, Action.return_, Actor.committee): Rule(None, Move.down, reason_required=True)
       for status in AT_COMMITTEE_BEFORE_MEETING},
    **{(status, Action.reject, Actor.committee): Rule(S.rejected, Move.to_applicant, reason_required=True)
       for status in AT_COMMITTEE_BEFORE_MEETING},
    **{(status, Action.void, Actor.committee): Rule(S.voided, Move.to_applicant, reason_required=True)
       for status in AT_COMMITTEE_BEFORE_MEETING},
    **{(status, Action.read, Actor.committee): Rule(status, Move.stay)
       for status in (S.at_committee, S.accepted, S.scheduled, S.approved, S.not_approved)},
    (S.accepted, Action.schedule, Actor.committee): Rule(S.scheduled, Move.stay),
    (S.scheduled, Action.unschedule, Actor.committee): Rule(S.accepted, Move.stay),
    (S.scheduled, Action.decide, Actor.committee): Rule(None, Move.stay),      # approved or not_approved by vote
    (S.approved, Action.publish, Actor.committee): Rule(S.publicity, Move.stay),
    (S.publicity, Action.close_publicity, Actor.committee): Rule(S.publicized, Move.stay),
    (S.publicized, Action.certify, Actor.committee): Rule(S.certified, Move.stay),
    # 初定 and 认定 (no committee): the HR bureau's 受理点 holding the dossier decides, then issues the
    # certificate; the service lets only a 受理点 of such a batch take these (app.committee.acceptance).
    **{(status, Action.grant_title, Actor.node): Rule(S.approved, Move.stay) for status in REVIEWABLE_AT_NODE},
    **{(status, Action.deny_title, Actor.node): Rule(S.not_approved, Move.stay, reason_required=True)
       for status in REVIEWABLE_AT_NODE},
    (S.approved, Action.certify, Actor.node): Rule(S.certified, Move.stay),
    **{(status, Action.recall, Actor.system): Rule(S.passed, Move.back_to_reporter)
       for status in (S.submitted, S.passed, S.at_committee)},

    # 删除流程（当年不再申报）: while the dossier is with its applicant (001 §4.1.1.19: also after 驳回).
    **{(status, Action.abandon, Actor.applicant): Rule(S.abandoned, Move.stay)
       for status in (S.draft, S.returned, S.rejected)},
    # 退回编辑申请: asked of the node holding it; granted, it goes back to the applicant as a return does.
    **{(status, Action.request_edit, Actor.applicant): Rule(status, Move.stay) for status in EDIT_REQUESTABLE},
    **{(status, action, actor): rule
       for status, actor in ((S.submitted, Actor.node), (S.passed, Actor.node),
                             (S.at_committee, Actor.committee), (S.accepted, Actor.committee))
       for action, rule in ((Action.grant_edit, Rule(S.returned, Move.to_applicant)),
                            (Action.refuse_edit, Rule(status, Move.stay, reason_required=True)))},
}

# Actions a reviewer may start from the generic actions endpoint; the others belong to their own
# workflows (submission, meetings, publicity, certificates), which call the machine themselves.
REVIEW_ACTIONS = frozenset({Action.pass_, Action.report, Action.return_, Action.reject, Action.void, Action.read,
                            Action.accept})


def decide(status: S, action: Action, actor: Actor) -> Rule:
    try:
        return TABLE[(status, action, actor)]
    except KeyError:
        raise IllegalTransition(status, action, actor) from None


def allowed_actions(status: S, actor: Actor) -> list[Action]:
    """What the page offers: the review actions open to this actor in this status."""
    return [action for (s, action, a) in TABLE if s == status and a == actor and action in REVIEW_ACTIONS]
