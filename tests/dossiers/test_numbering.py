"""app.dossiers.numbering: by place, then row in the listed order, then position; upload time plays no part."""

from datetime import datetime, timedelta, timezone

from bson import ObjectId

from app.dossiers.models import AttachmentRef
from app.dossiers.numbering import numbered, numbers
from app.files.models import StoredFile

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def ref(id_: str, section: str, row_id: str | None = None, *, minutes: int = 0) -> AttachmentRef:
    stored = StoredFile(file_id=ObjectId(), filename=f"{id_}.pdf", content_type="application/pdf", size=1,
                        sha256="0" * 64, kind="pdf")
    return AttachmentRef(id=id_, section=section, row_id=row_id, file=stored, uploaded_by=ObjectId(),
                         uploaded_at=T0 + timedelta(minutes=minutes))


SECTIONS = {"education": {"rows": [{"id": "edu-a"}, {"id": "edu-b"}]},
            "papers": {"rows": [{"id": "pap-a"}, {"id": "pap-b"}, {"id": "pap-c"}]}}


def test_rows_in_their_listed_order_whatever_the_upload_order():
    refs = [ref("paper-c", "papers", "pap-c", minutes=1), ref("edu-b1", "education", "edu-b", minutes=2),
            ref("paper-a", "papers", "pap-a", minutes=3), ref("edu-a1", "education", "edu-a", minutes=4),
            ref("edu-a2", "education", "edu-a", minutes=5), ref("photo", "basic", "photo", minutes=6),
            ref("promise", "commitment", minutes=7)]
    assert [(n.number, n.ref.id, n.row) for n in numbered(SECTIONS, refs)] == [
        (1, "promise", None), (2, "photo", None), (3, "edu-a1", 1), (4, "edu-a2", 1), (5, "edu-b1", 2),
        (6, "paper-a", 1), (7, "paper-c", 3)]


def test_a_file_added_to_an_early_row_after_a_return_moves_the_later_ones_up():
    before = [ref("edu-a1", "education", "edu-a"), ref("paper-a", "papers", "pap-a")]
    after = [*before, ref("edu-a2", "education", "edu-a", minutes=60)]
    assert numbers(SECTIONS, before) == {"edu-a1": 1, "paper-a": 2}
    assert numbers(SECTIONS, after) == {"edu-a1": 1, "edu-a2": 2, "paper-a": 3}


def test_files_of_a_row_no_longer_listed_and_of_unknown_places_come_last():
    refs = [ref("gone", "papers", "pap-x"), ref("odd", "somewhere"), ref("paper-b", "papers", "pap-b")]
    assert [n.ref.id for n in numbered(SECTIONS, refs)] == ["paper-b", "gone", "odd"]
    assert [n.label for n in numbered(SECTIONS, refs)] == ["论文著作", "论文著作", "somewhere"]


def test_nothing_to_number():
    assert numbered({}, []) == []
