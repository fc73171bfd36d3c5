"""The kinds of application (评审 / 初定 / 认定) and each kind's default rules, as data.

A batch stores its own copy of these rules (BatchRules): what an administrator leaves unset when a batch
is made takes its kind's default here, so a batch's sections, forms, committee and route end are read
from the batch, never from its kind. 003 §2.4.1.1 (初定), §2.4.1.2 (是否认定), 004 (初定表, 认定表).
"""

from typing import Any

KIND_LABELS = {"review": "评审", "initial": "初定", "recognition": "认定"}

# Where a kind's route ends: a committee's vote, or the decision of the HR bureau the dossier reaches
# along its unit's paths (the 受理点), which then issues the certificate.
ROUTE_ENDS = {"committee": "评审委员会评审表决", "acceptance_point": "人社部门受理点决定并发证"}

INITIAL_GUIDE = (
    "初定指南：一、初定适用于全日制普通高校毕业生，见习期（一般为一年）满并经考核合格后，"
    "可初定相应的专业技术资格（中专毕业见习一年期满初定员级，大专毕业见习一年期满初定员级、再工作两年初定助理级，"
    "本科毕业见习一年期满初定助理级，研究生毕业可初定助理级或中级）。"
    "二、初定不经评审委员会评审，由人力资源社会保障部门受理点审核决定，审核通过即发放资格证书。"
    "三、请如实填写见习期工作情况、主要工作成绩（400字以内）和技术工作小结（800字以内），并上传最高学历证书。"
    "四、弄虚作假者，取消初定资格，已发证书予以收回。")

# Per kind: the sections the applicant sees (in this order), those required to submit, the forms the
# dossier renders, whether a committee votes and where the route ends; the 初定指南 to acknowledge first.
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "review": {
        "sections": ["basic", "education", "current_title", "previous_titles", "qualifications", "admin_posts",
                     "assessments", "languages", "training", "work_history", "achievements", "papers", "exams",
                     "awards", "societies", "summary", "technical_summary", "other"],
        "required_sections": ["basic", "education", "current_title", "assessments", "work_history", "achievements",
                              "summary"],
        "forms": ["application", "brief", "catalogue", "entrustment", "certificate"],
        "committee_vote": True, "route_end": "committee", "guide_text": "",
    },
    "initial": {
        "sections": ["guide", "basic", "education", "probation", "main_achievements", "work_summary", "other"],
        "required_sections": ["guide", "basic", "education", "probation", "main_achievements", "work_summary"],
        "forms": ["initial", "catalogue", "certificate"],
        "committee_vote": False, "route_end": "acceptance_point", "guide_text": INITIAL_GUIDE,
    },
    "recognition": {
        "sections": ["basic", "education", "original_certificate", "work_history", "other"],
        "required_sections": ["basic", "education", "original_certificate"],
        "forms": ["recognition", "catalogue", "certificate"],
        "committee_vote": False, "route_end": "acceptance_point", "guide_text": "",
    },
}

# Every form a batch may list (app.render.contexts.FORMS names them; a test keeps the two in step).
FORM_NAMES = ("application", "brief", "catalogue", "entrustment", "certificate", "initial", "recognition")

# The letters of a certificate number issued without a committee: 初定 CD, 认定 RD (then region, year, seq).
CERTIFICATE_LETTERS = {"initial": "CD", "recognition": "RD"}


def with_kind_defaults(kind: str, rules: Any) -> Any:
    """The rules as given (a dict, or a model whose set fields count) with what they leave unset taken from
    the kind's defaults; anything else is returned for the validator to refuse."""
    defaults = KIND_DEFAULTS.get(kind)
    if defaults is None:
        return rules
    if rules is None:
        return dict(defaults)
    if hasattr(rules, "model_fields_set"):
        rules = rules.model_dump(include=rules.model_fields_set)
    if not isinstance(rules, dict):
        return rules
    return {**defaults, **rules}


def rule_problems(rules: Any, *, section_names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(field, message) for kind rules that cannot work together; pure, so the batch form and tests agree."""
    problems = []
    if unknown := [s for s in rules.sections if s not in section_names]:
        problems.append(("rules.sections", f"未知的分节：{'、'.join(unknown)}"))
    if outside := [s for s in rules.required_sections if s not in rules.sections]:
        problems.append(("rules.required_sections", f"必填分节不在本批次的分节中：{'、'.join(outside)}"))
    if unknown := [f for f in rules.forms if f not in FORM_NAMES]:
        problems.append(("rules.forms", f"未知的表格：{'、'.join(unknown)}"))
    if rules.committee_vote != (rules.route_end == "committee"):
        problems.append(("rules.route_end", "经评委会表决的批次流程止于评委会；不经评委会的止于受理点"))
    if ("guide" in rules.sections) != bool(rules.guide_text.strip()):
        problems.append(("rules.guide_text", "须先阅读的指南分节与指南内容须同时设置"))
    problems += [(f"rules.blind_review.{name}", message) for name, message in rules.blind_review.problems()]
    return problems
