"""The committee's own refusals, so each keeps one code and one message wherever it is raised."""

from app.errors import Forbidden, NotFound


class CommitteeNotFound(NotFound):
    """Unknown, or not run by the user's office: the same answer, so neither can be told apart."""
    code = "committee_not_found"
    message = "评委会不存在"


class MeetingNotFound(NotFound):
    """Unknown, or neither the user's office's nor one the expert sits in."""
    code = "meeting_not_found"
    message = "评审会不存在"


class NotCommitteeOffice(Forbidden):
    code = "not_committee_office"
    message = "仅评委会办事机构经办人可操作评审会"
