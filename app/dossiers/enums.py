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


STATUS_LABELS = {
    DossierStatus.draft: "填报中", DossierStatus.submitted: "待审核", DossierStatus.passed: "通过未上报",
    DossierStatus.returned: "退回修改", DossierStatus.rejected: "审核不通过", DossierStatus.voided: "已作废",
    DossierStatus.at_committee: "待受理", DossierStatus.accepted: "已受理", DossierStatus.scheduled: "评审中",
    DossierStatus.approved: "评审通过", DossierStatus.not_approved: "评审未通过", DossierStatus.publicity: "公示中",
    DossierStatus.publicized: "公示结束", DossierStatus.certified: "已发证",
}

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


ACTION_LABELS = {
    Action.submit: "确认申报", Action.withdraw: "撤回", Action.pass_: "通过", Action.report: "上报",
    Action.return_: "返回修改", Action.reject: "拒绝", Action.void: "流程作废", Action.read: "已阅",
    Action.accept: "受理", Action.schedule: "安排评审", Action.unschedule: "移出评审会", Action.decide: "评审表决",
    Action.publish: "发布结果", Action.close_publicity: "公示结束", Action.certify: "发证",
    Action.recall: "收回上报（修改归口部门）",
    "revoke_certificate": "撤销证书",     # not a transition: the certificate is marked, the status stays
}
