"""The tally (计票) of one dossier at a meeting and the one wording every reader sees it in.

Pure: no database. The meeting's close, its page, the applicant's message, the publicity list and the
printed 申报表 all count with `count` and say it with `vote_line`, so "应到" means the same everywhere:
the members less those recused (回避), never the invitation list."""

from app.accounts.models import User
from app.catalog.models import Committee
from app.committee.models import VOTE_LABELS, Meeting, Vote
from app.committee.recusal import recusals
from app.dossiers.models import Dossier, VoteSummary


def _ceil(count: int, numerator: int, denominator: int) -> int:
    return -(-count * numerator // denominator)


def count(committee: Committee, meeting: Meeting, dossier: Dossier, members: list[User],
          votes: list[Vote]) -> VoteSummary:
    """Quorum: present eligible ≥ ceil(eligible × q); passed: yes ≥ ceil(present eligible × p)."""
    recused = recusals(members, dossier, meeting.recused.get(str(dossier.id), ()))
    eligible = [m.id for m in members if m.id not in recused]
    present = [i for i in eligible if i in meeting.present_ids]
    counted = [v for v in votes if v.dossier_id == dossier.id and v.expert_id in present]
    choices = {c: sum(v.choice == c for v in counted) for c in VOTE_LABELS}
    quorum_required = max(1, _ceil(len(eligible), committee.quorum_numerator, committee.quorum_denominator))
    pass_required = max(1, _ceil(len(present), committee.pass_numerator, committee.pass_denominator))
    return VoteSummary(meeting_id=meeting.id, members=len(members), eligible=len(eligible), present=len(present),
                       recused=len(recused), not_voted=len(present) - len(counted),
                       quorum_required=quorum_required, pass_required=pass_required,
                       passed=len(present) >= quorum_required and choices["yes"] >= pass_required,
                       rule=committee.rule_text(), **choices)


def verdict(s: VoteSummary) -> str:
    return "通过" if s.passed else "未通过"


def vote_line(s: VoteSummary | dict | None) -> str:
    """The tally as one sentence, e.g. 评委3人，回避1人，应到2人，实到2人；同意2票，不同意0票，弃权0票；
    表决规则：到会≥2/3，同意≥到会2/3；表决结果：通过. Takes a meeting's stored result row as well."""
    if s is None:
        return ""
    if isinstance(s, dict):
        s = VoteSummary.model_validate(s)
    missing = f"，未投票{s.not_voted}人" if s.not_voted else ""
    return (f"评委{s.members}人，回避{s.recused}人，应到{s.eligible}人，实到{s.present}人；"
            f"同意{s.yes}票，不同意{s.no}票，弃权{s.abstain}票{missing}；表决规则：{s.rule}；表决结果：{verdict(s)}")


def short_line(s: VoteSummary | dict) -> str:
    """Why a meeting cannot close for a dossier: attendance short of the quorum, in the same terms."""
    if isinstance(s, dict):
        s = VoteSummary.model_validate(s)
    return f"回避{s.recused}人，应到{s.eligible}人，实到{s.present}人，不足{s.quorum_required}人（{s.rule}）"
