from enum import StrEnum


class DossierStatus(StrEnum):
    draft = "draft"                  # 填报中 (also after 撤回)
    submitted = "submitted"          # 待审核: at a unit node
    passed = "passed"                # 通过未上报: passed by the unit node that holds it
    returned = "returned"            # 退回修改: back with the applicant, editable
    rejected = "rejected"            # 审核不通过: straight back to the applicant, editable
    voided = "voided"                # 流程作废: terminal; blocks the batch for this person
    at_committee = "at_committee"    # 待受理: reported to the committee office
    accepted = "accepted"            # 已受理: qualification check passed
    scheduled = "scheduled"          # 评审中: in a review meeting
    approved = "approved"            # 评审通过
    not_approved = "not_approved"    # 评审未通过
    publicity = "publicity"          # 公示中
    publicized = "publicized"        # 公示结束
    certified = "certified"          # 已发证
    abandoned = "abandoned"          # 删除流程（当年不再申报）: terminal; kept for the record, in no list


STATUS_LABELS = {
    DossierStatus.draft: "填报中", DossierStatus.submitted: "待审核", DossierStatus.passed: "通过未上报",
    DossierStatus.returned: "退回修改", DossierStatus.rejected: "审核不通过", DossierStatus.voided: "已作废",
    DossierStatus.at_committee: "待受理", DossierStatus.accepted: "已受理", DossierStatus.scheduled: "评审中",
    DossierStatus.approved: "评审通过", DossierStatus.not_approved: "评审未通过", DossierStatus.publicity: "公示中",
    DossierStatus.publicized: "公示结束", DossierStatus.certified: "已发证",
    DossierStatus.abandoned: "已删除（当年不再申报）",
}

# An 初定/认定 dossier is decided by the 受理点, not a committee's review: its decision reads as the kind's.
KIND_DECISION_LABELS = {
    ("initial", DossierStatus.approved): "初定通过", ("initial", DossierStatus.not_approved): "初定不通过",
    ("recognition", DossierStatus.approved): "认定通过", ("recognition", DossierStatus.not_approved): "认定不通过",
}


def status_label(status: str, kind: str | None = "review") -> str:
    """What a dossier's status reads as, given its batch's kind (评审通过 on a 评审 dossier, 初定通过 on 初定)."""
    return KIND_DECISION_LABELS.get((kind or "review", status)) or STATUS_LABELS.get(status, str(status))


EDITABLE = frozenset({DossierStatus.draft, DossierStatus.returned, DossierStatus.rejected})
OPINION_LABELS = {"no_objection": "无异议", "objection": "有异议"}
REVIEW_LABELS = {"pass": "审核通过", "reject": "审核不通过"}


# The trail's vocabulary: what a reviewer or the service did. Which action is allowed when is the
# state machine's business (app.routing.machine).
class Action(StrEnum):
    submit = "submit"           # 确认申报
    withdraw = "withdraw"       # 撤回
    pass_ = "pass"              # 通过
    report = "report"           # 上报
    return_ = "return"          # 返回修改
    reject = "reject"           # 拒绝
    void = "void"               # 流程作废
    read = "read"               # 已阅
    accept = "accept"           # 受理 (资格审查通过)
    schedule = "schedule"       # 安排评审会
    unschedule = "unschedule"   # 移出评审会
    decide = "decide"           # 表决结果
    publish = "publish"         # 发布评审结果，进入公示
    close_publicity = "close_publicity"   # 公示结束
    certify = "certify"         # 发证
    recall = "recall"           # 收回上报：单位修改归口部门后，已上报未受理的申报回到本单位
    abandon = "abandon"         # 删除流程：当年不再申报
    request_edit = "request_edit"     # 申请退回编辑
    grant_edit = "grant_edit"         # 同意退回编辑：回到申报人，如同退回修改
    refuse_edit = "refuse_edit"       # 不同意退回编辑
    request_education_change = "request_education_change"   # 申请修改学历（往年沿用的学历）
    approve_education_change = "approve_education_change"
    refuse_education_change = "refuse_education_change"
    step_attachment = "step_attachment"     # 流程附件上传：推荐材料、公示材料、委托材料、单位意见附件
    grant_title = "grant_title"     # 受理点同意初定/认定（不经评委会的批次）
    deny_title = "deny_title"       # 受理点不同意初定/认定
    enter = "enter"             # 单位代为录入：经办人为本单位人员新建、填写、上传


ACTION_LABELS = {
    Action.submit: "确认申报", Action.withdraw: "撤回", Action.pass_: "通过", Action.report: "上报",
    Action.return_: "返回修改", Action.reject: "拒绝", Action.void: "流程作废", Action.read: "已阅",
    Action.accept: "受理", Action.schedule: "安排评审", Action.unschedule: "移出评审会", Action.decide: "评审表决",
    Action.publish: "发布结果", Action.close_publicity: "公示结束", Action.certify: "发证",
    Action.recall: "收回上报（修改归口部门）",
    Action.abandon: "删除流程（当年不再申报）", Action.request_edit: "申请退回编辑",
    Action.grant_edit: "同意退回编辑", Action.refuse_edit: "不同意退回编辑",
    Action.request_education_change: "申请修改学历", Action.approve_education_change: "同意修改学历",
    Action.refuse_education_change: "不同意修改学历", Action.step_attachment: "上传流程附件",
    Action.grant_title: "受理点审核通过", Action.deny_title: "受理点审核不通过",
    Action.enter: "单位代为录入",
    "revoke_certificate": "撤销证书",     # not a transition: the certificate is marked, the status stays
    "request_reissue": "申请补证", "approve_reissue": "同意补证（补发新证书）",     # 补证: app.committee.reissue
    "refuse_reissue": "不同意补证",
    # 异议、复查、投诉: app.committee.cases mirrors each step of a case here
    "case_lodge": "收到异议/复查/投诉", "case_handle": "办理异议/复查/投诉", "case_answer": "答复异议/复查/投诉",
    "case_close": "办结异议/复查/投诉",
}

# 流程附件的种类 (001 流程附件上传; 004 单位意见附件).
STEP_ATTACHMENT_KINDS = {"recommendation": "推荐材料", "publicity": "公示材料", "entrustment": "委托材料",
                         "unit_opinion": "单位意见附件", "other": "其他材料",
                         "sealed_form": "签字盖章的评审表"}
# The step attachment a batch may require before its dossiers are reported (BatchRules.sealed_form_required).
SEALED_FORM = "sealed_form"
