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
