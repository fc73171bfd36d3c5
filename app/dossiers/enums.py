from enum import StrEnum


class DossierStatus(StrEnum):
    draft = "draft"            # 填报中 (also after 撤回)
    submitted = "submitted"    # 已确认申报, with the employer unit
    returned = "returned"      # 退回修改: editable again, resubmitted as a new snapshot
    voided = "voided"          # 流程作废: terminal; blocks the batch for this person


STATUS_LABELS = {DossierStatus.draft: "填报中", DossierStatus.submitted: "已提交",
                 DossierStatus.returned: "退回修改", DossierStatus.voided: "已作废"}

EDITABLE = frozenset({DossierStatus.draft, DossierStatus.returned})
