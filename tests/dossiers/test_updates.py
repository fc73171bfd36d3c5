"""The document after an update, computed without the database (app.dossiers.updates): each operator the
write path uses, and the shapes it leaves to a read back. The whole suite also holds every computed
document to the stored one (tests/conftest.py, _assert_copies_in_step)."""

from datetime import datetime, timezone
from enum import StrEnum

import pytest
from bson import ObjectId
from bson.codec_options import CodecOptions

from app.dossiers.updates import Unknown, apply, normalised

OPTIONS = CodecOptions(tz_aware=True, tzinfo=timezone.utc)
A, B = ObjectId(), ObjectId()


def base() -> dict:
    return {"version": 3, "status": "draft", "sections": {"summary": {"text": "旧"}}, "route_unit_ids": [A],
            "attachments": [{"id": "a1", "section": "education"}, {"id": "a2", "section": "basic"}],
            "route": [{"unit_id": A}, {"unit_id": B}], "publicity": {"stage": 0, "level_submitted": []}}


@pytest.mark.parametrize(("update", "check"), [
    ({"$set": {"sections.basic": {"gender": "女"}, "status": "submitted"}},
     lambda d: d["sections"] == {"summary": {"text": "旧"}, "basic": {"gender": "女"}} and d["status"] == "submitted"),
    ({"$inc": {"version": 1}}, lambda d: d["version"] == 4),
    ({"$push": {"trail": {"action": "submit"}}}, lambda d: d["trail"] == [{"action": "submit"}]),
    ({"$addToSet": {"route_unit_ids": A}}, lambda d: d["route_unit_ids"] == [A]),
    ({"$addToSet": {"route_unit_ids": B, "reported_by": B}}, lambda d: d["route_unit_ids"] == [A, B]
     and d["reported_by"] == [B]),
    ({"$pop": {"route": 1}}, lambda d: d["route"] == [{"unit_id": A}]),
    ({"$pull": {"attachments": {"id": {"$in": ["a1", "zz"]}}}}, lambda d: [a["id"] for a in d["attachments"]] == ["a2"]),
    ({"$pull": {"attachments": {"id": "a2"}}}, lambda d: [a["id"] for a in d["attachments"]] == ["a1"]),
    ({"$pull": {"reported_by": A}}, lambda d: "reported_by" not in d),
    ({"$set": {"attachments.1.file": {"n": 1}}}, lambda d: d["attachments"][1]["file"] == {"n": 1}),
    ({"$set": {"publicity.stage": 1}, "$push": {"publicity.level_submitted": A}},
     lambda d: d["publicity"] == {"stage": 1, "level_submitted": [A]}),
])
def test_operators(update, check):
    assert check(apply(base(), update))


@pytest.mark.parametrize("update", [
    {"$push": {"trail": {"$each": [1, 2]}}},           # modifiers
    {"$addToSet": {"route": {"unit_id": A}}},           # subdocument equality depends on field order
    {"$rename": {"status": "state"}},
    {"$set": {"attachments.7.file": 1}},                # no such element
    {"$set": {"status.x": 1}},                          # through a scalar
])
def test_what_it_does_not_compute_is_left_to_a_read(update):
    with pytest.raises(Unknown):
        apply(base(), update)


def test_values_are_normalised_as_stored():
    class Kind(StrEnum):
        one = "one"

    moment = datetime(2026, 12, 3, 8, 0, 0, 123456, tzinfo=timezone.utc)
    value = normalised({"kind": Kind.one, "at": moment, "pair": (1, 2)}, OPTIONS)
    assert type(value["kind"]) is str and value["at"].microsecond == 123000 and value["pair"] == [1, 2]
