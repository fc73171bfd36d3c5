"""The expert library's refusals, each with one code and one message."""

from app.errors import Conflict, Forbidden, NotFound


class ExpertNotFound(NotFound):
    """Unknown, or in another office's library: the same answer."""
    code = "expert_not_found"
    message = "专家不存在"


class NotExpertKeeper(Forbidden):
    code = "not_committee_office"
    message = "仅评委会办事机构经办人可管理专家库"


class CommitteeNotRun(NotFound):
    """Unknown, or not run by the user's office (the same answer as app.committee's, which sits above)."""
    code = "committee_not_found"
    message = "评委会不存在"


class NotDrawable(Conflict):
    code = "expert_not_drawable"
    message = "该专家不能抽取或表决"
