"""The forms of the kinds without a committee, pure as the others (app.render.contexts): the 初定技术资格呈报表
(003 §2.4.1.1, 004 初定表) and the 认定表 (004). Their boxes are the route's units, then the 受理点's decision
(受理点审核通过 / 不通过) in place of a committee's.

They register themselves in contexts.FORMS and contexts.BUILDERS, which import this module at their end: the
forms are named and built in one place whichever module is imported first."""

from typing import Any

from app.dossiers.sections import ORIGIN_LABELS
from app.render import contexts as C

DECISION_ACTIONS = {"grant_title": "同意", "deny_title": "不同意"}
KIND_NAMES = {"initial": "初定", "recognition": "认定"}

# Made-up contents of the new sections for the demo dossier (app.render.demo), so the templates are checked.
DEMO_SECTIONS = {
    "guide": {"guide_sha256": "0" * 64},
    "probation": {"rows": [{"id": "prb0000001", "start": "2024-07", "end": "2025-06", "unit": "济南市群众艺术馆",
                            "post": "舞蹈辅导（见习）", "work": "协助组织社区广场舞培训二十余期，参与少儿舞蹈班教学",
                            "appraisal": "合格"}]},
    "main_achievements": {"text": "见习期内协助完成全市广场舞骨干培训，独立编排少儿舞蹈《小荷》并参加市级展演。"},
    "work_summary": {"text": "见习一年来，本人虚心向老同志学习，熟悉了群众舞蹈辅导的各个环节，"
                             "能独立承担社区培训课程，业务能力得到明显提升。"},
    "original_certificate": {"origin": "other_province", "series_name": "群众文化", "level": "3",
                             "title_name": "馆员", "issuing_body": "河北省人力资源和社会保障厅",
                             "certificate_number": "HB2019-00871", "issued_on": "2019-12-20",
                             "origin_place": "河北省"},
}


def _decision(source: C.FormSource) -> dict[str, str]:
    """The 受理点's decision of the current submission, or blanks to sign by hand."""
    last_submit = max((i for i, e in enumerate(source.trail) if e.action == "submit"), default=-1)
    entries = [e for e in source.trail[last_submit + 1:] if e.action in DECISION_ACTIONS]
    if not entries:
        return {"result": "", "opinion": "", "signer": "", "unit_name": "", "signed_on": C.BLANK_DATE}
    e = entries[-1]
    return {"result": DECISION_ACTIONS[e.action], "opinion": e.opinion or DECISION_ACTIONS[e.action],
            "signer": e.signer or "", "unit_name": e.unit_name or "",
            "signed_on": C.chinese_date(e.detail.get("signed_on") or e.at)}


def _shared(source: C.FormSource, lk: C.Lookups, kind: str) -> dict[str, Any]:
    education = C._education(C._rows(source.sections, "education"), lk)
    highest = next((e for e in education if e["highest"]), education[-1] if education else None)
    return {**C._common(source, lk), "kind_name": KIND_NAMES[kind], "photo": C._photo(lk),
            "basic": C._basic(source, lk), "education": education,
            "highest_education": highest or {key: "" for key in C._education([{}], lk)[0]},
            "boxes": C.opinion_boxes(source, lk)[:-1],      # the route's units; no committee's box
            "decision": _decision(source)}


def initial(source: C.FormSource, lk: C.Lookups) -> dict[str, Any]:
    """初定技术资格呈报表: 见习期工作情况, 主要工作成绩, 技术工作小结 and the 受理点's decision."""
    s = source.sections
    return {**_shared(source, lk, "initial"),
            "probation": [{"period": C.period(r.get("start"), r.get("end")), "unit": C._text(r.get("unit")),
                           "post": C._text(r.get("post")), "work": C._text(r.get("work")),
                           "appraisal": C._text(r.get("appraisal"))} for r in C._rows(s, "probation")],
            "main_achievements": C._text((s.get("main_achievements") or {}).get("text")),
            "work_summary": C._text((s.get("work_summary") or {}).get("text"))}


def recognition(source: C.FormSource, lk: C.Lookups) -> dict[str, Any]:
    """认定表: the title obtained elsewhere as its certificate says, the work history and the decision."""
    o = source.sections.get("original_certificate") or {}
    rows = C._sections(source, lk)
    return {**_shared(source, lk, "recognition"), "work_history": rows["work_history"],
            "original": {"origin": ORIGIN_LABELS.get(o.get("origin"), ""), "series_name": C._text(o.get("series_name")),
                         "level": lk.name("levels", o.get("level")), "title_name": C._text(o.get("title_name")),
                         "issuing_body": C._text(o.get("issuing_body")),
                         "certificate_number": C._text(o.get("certificate_number")),
                         "issued_on": C.chinese_date(o.get("issued_on")), "origin_place": C._text(o.get("origin_place"))}}


C.FORMS.update({"initial": "初定技术资格呈报表", "recognition": "认定表"})
C.BUILDERS.update({"initial": initial, "recognition": recognition})
