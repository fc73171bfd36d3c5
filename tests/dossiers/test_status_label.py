"""A dossier's status label by its batch's kind: 初定/认定 decisions are the kind's, the rest unchanged."""

import pytest

from app.dossiers.enums import STATUS_LABELS, DossierStatus, status_label


@pytest.mark.parametrize("status, kind, label", [
    (DossierStatus.approved, "initial", "初定通过"), (DossierStatus.not_approved, "initial", "初定不通过"),
    (DossierStatus.approved, "recognition", "认定通过"), (DossierStatus.not_approved, "recognition", "认定不通过"),
    (DossierStatus.approved, "review", "评审通过"), (DossierStatus.not_approved, None, "评审未通过"),
    (DossierStatus.certified, "initial", "已发证"), ("approved", "initial", "初定通过"),
])
def test_the_decision_reads_as_the_kinds(status, kind, label):
    assert status_label(status, kind) == label


def test_every_status_has_a_label_for_every_kind():
    for kind in ("review", "initial", "recognition"):
        assert all(status_label(s, kind) for s in DossierStatus)
    assert status_label(DossierStatus.draft, "recognition") == STATUS_LABELS[DossierStatus.draft]
