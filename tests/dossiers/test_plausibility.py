"""Whether a dossier's dates can be true (app.dossiers.plausibility): a table of dossiers with one thing wrong
each and what is found (pure, no database); then the same rules where they act — a save refused with the
error body, completeness listing what blocks submission and the warnings a reviewer gets."""

from datetime import date

import pytest

from bson import ObjectId

from app.dossiers import plausibility as P
from app.dossiers.models import Dossier
from tests.dossiers.test_new_fields import dossier, saved  # noqa: F401  (dossier is a fixture used here)
from tests.dossiers.test_sections import put
from tests.factories import complete_sections, resident_id

TODAY = date(2026, 12, 3)
BIRTH = "1990-05"
# A dossier whose dates all hold together: born 1990-05, 本科 2008–2012, work from 2012-07, 助理 2013, 中级 2018.
GOOD = {
    "basic": {"work_start": "2012-07", "profession_start": "2012-07"},
    "education": {"rows": [{"start": "2008-09", "end": "2012-06", "education_level": "21"},
                           {"start": "2012-09", "end": "2015-06", "education_level": "14"}]},
    "work_history": {"rows": [{"start": "2012-07", "end": None}]},
    "current_title": {"obtained_on": "2018-09-30", "hired_on": "2018-10-01", "obtained_by": "评审"},
    "previous_titles": {"rows": [{"obtained_on": "2013-09-01", "hired_on": "2013-10-01"}]},
    "assessments": {"rows": [{"year": 2023}, {"year": 2024}, {"year": 2025}]},
    "achievements": {"rows": [{"achieved_on": "2020-05"}]},
    "papers": {"rows": [{"published_on": "2021-03"}]},
}


def changed(section: str, **fields) -> dict:
    """GOOD with one section's first record (or the section) changed."""
    sections = {name: {"rows": [dict(r) for r in value["rows"]]} if "rows" in value else dict(value)
                for name, value in GOOD.items()}
    target = sections[section]["rows"][0] if "rows" in sections[section] else sections[section]
    target.update(fields)
    return sections


# (what is wrong, sections, the finding (section, field, code, severity) expected, words its message holds)
CASES = [
    ("a 本科 at 8 (1990-born, 1998 degree)", changed("education", start="1994-09", end="1998-07"),
     ("education", "rows.0.end", "degree_too_young", P.ERROR), ["学历信息第1项", "不满16周岁"]),
    ("a 本科 at 17: unusual, possible", changed("education", start="2003-09", end="2007-06"),
     ("education", "rows.0.end", "degree_young", P.WARNING), ["学历信息第1项", "请核实"]),
    ("a 博士 at 19", changed("education", start="2005-09", end="2009-06", education_level="11"),
     ("education", "rows.0.end", "degree_too_young", P.ERROR), ["博士研究生", "不满20周岁"]),
    ("work from age 14", changed("basic", work_start="2004-07"),
     ("basic", "work_start", "work_before_16", P.ERROR), ["参加工作时间 2004-07", "不满16周岁"]),
    ("a work-history row from age 15", changed("work_history", start="2005-09"),
     ("work_history", "rows.0.start", "work_before_16", P.ERROR), ["工作经历第1项"]),
    ("a graduation in the future", changed("education", end="2027-06"),
     ("education", "rows.0.end", "date_in_future", P.ERROR), ["毕业年月 2027-06", "晚于当前年月 2026-12"]),
    ("a title obtained in the future", changed("current_title", obtained_on="2027-01-01", hired_on=None),
     ("current_title", "obtained_on", "date_in_future", P.ERROR), ["现专业技术资格及聘任"]),
    ("a paper to be published (录用待刊)", changed("papers", published_on="2027-02"),
     ("papers", "rows.0.published_on", "date_in_future", P.WARNING), ["论文著作第1项"]),
    ("an assessment of next year", changed("assessments", year=2027),
     ("assessments", "rows.0.year", "date_in_future", P.ERROR), ["年度考核第1项", "2027"]),
    ("an assessment before working", changed("assessments", year=2010),
     ("assessments", "rows.0.year", "assessment_before_work", P.ERROR), ["早于参加工作时间"]),
    ("a date before birth", changed("achievements", achieved_on="1989-01"),
     ("achievements", "rows.0.achieved_on", "date_before_birth", P.ERROR), ["早于出生年月 1990-05"]),
    ("a title by review before working", changed("current_title", obtained_on="2011-09-01", hired_on=None),
     ("current_title", "obtained_on", "title_before_work", P.ERROR), ["早于参加工作时间 2012-07"]),
    ("a title by exam before working: possible", changed("current_title", obtained_on="2011-09-01", hired_on=None,
                                                         obtained_by="考试"),
     ("current_title", "obtained_on", "title_before_work", P.WARNING), ["请核实"]),
    ("an 初定 before graduating", changed("previous_titles", obtained_on="2011-09-01", hired_on=None,
                                         obtained_by="初定"),
     ("previous_titles", "rows.0.obtained_on", "title_before_degree", P.ERROR), ["早于最早的毕业年月 2012-06"]),
    ("a title at 17", changed("previous_titles", obtained_on="2007-09-01", hired_on=None),
     ("previous_titles", "rows.0.obtained_on", "title_too_young", P.ERROR), ["不满18周岁"]),
    ("the previous title after the current one", changed("previous_titles", obtained_on="2019-09-01", hired_on=None),
     ("previous_titles", "rows.0.obtained_on", "previous_after_current", P.ERROR), ["晚于现专业技术资格"]),
    ("a 硕士 before the 本科", changed("education", start="2012-09", end="2016-06"),
     ("education", "rows.1.end", "degree_order", P.WARNING), ["学历信息第2项", "早于学历信息第1项"]),
    ("a paper at 15", changed("papers", published_on="2005-09"),
     ("papers", "rows.0.published_on", "young_achievement", P.WARNING), ["论文著作第1项"]),
]


class TestTable:
    def test_a_coherent_dossier_has_nothing(self):
        assert P.findings(GOOD, birth=BIRTH, today=TODAY) == []

    @pytest.mark.parametrize("what, sections, expected, words", CASES, ids=[c[0] for c in CASES])
    def test_one_thing_wrong_is_found_and_named(self, what, sections, expected, words):
        found = [f for f in P.findings(sections, birth=BIRTH, today=TODAY)
                 if (f.section, f.field, f.code, f.severity) == expected]
        assert len(found) == 1, P.findings(sections, birth=BIRTH, today=TODAY)
        assert all(word in found[0].message for word in words), found[0].message
        assert found[0].body() == {"code": expected[2], "message": found[0].message, "field": expected[1]}

    def test_without_a_birth_date_only_the_calendar_is_checked(self):
        sections = changed("education", start="1994-09", end="1998-07")
        assert P.findings(sections, birth=None, today=TODAY) == []
        assert [f.code for f in P.findings(changed("achievements", achieved_on="2027-01"), birth=None,
                                           today=TODAY)] == ["date_in_future"]

    def test_a_save_answers_for_its_own_section_only(self):
        sections = changed("basic", work_start="2004-07")
        assert {f.section for f in P.for_section("basic", sections, birth=BIRTH, today=TODAY)} == {"basic"}
        assert P.for_section("education", sections, birth=BIRTH, today=TODAY) == []

    @pytest.mark.parametrize("derived, typed, expected", [
        (date(1990, 5, 1), "1970-01-01", "1990-05"), (None, "1970-01-01", "1970-01"), (None, None, None)])
    def test_the_birth_month_is_the_id_numbers_before_the_typed_one(self, derived, typed, expected):
        assert P.birth_month({"basic": {"birth_date": typed}}, derived) == expected

    def test_unreadable_or_missing_values_are_left_to_the_schemas(self):
        sections = {"education": {"rows": [{"end": None}, {"end": "?"}]}, "assessments": {"rows": [{"year": "x"}]}}
        assert P.findings(sections, birth=BIRTH, today=TODAY) == []


class TestWhereTheyAct:
    """Born 1985-03-15 (the factories' resident ID numbers)."""

    async def test_a_save_with_an_impossible_date_is_refused_naming_the_row(self, client, dossier):
        r = await put(client, dossier, "education", {"rows": [EDUCATION_1998]})
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "degree_too_young" and r.json()["field"] == "rows.0.end"
        assert "学历信息第1项" in r.json()["message"] and "不满16周岁" in r.json()["message"]
        assert "education" not in (await Dossier.get(ObjectId(dossier["id"]))).sections    # nothing half-stored

    async def test_a_save_of_the_basic_section_with_work_at_14_is_refused(self, client, dossier):
        r = await put(client, dossier, "basic", {"ethnicity": "01", "phone": "13800000001", "work_start": "1999-07"})
        assert r.status_code == 422 and r.json()["code"] == "work_before_16" and r.json()["field"] == "work_start"

    async def test_completeness_lists_errors_as_missing_and_unusual_dates_as_warnings(self, client, dossier):
        await saved(client, dossier, "basic", {"ethnicity": "01", "phone": "13800000001", "work_start": "2008-07"})
        young = dict(EDUCATION_1998, start="1998-09", end="2002-06")         # 本科 at 17: unusual
        await saved(client, dossier, "education", {"rows": [young]})
        # an older title saved first, then the work start moved after it: the title's rule shows at completeness
        await saved(client, dossier, "current_title", {"title_name": "馆员", "level": "2", "obtained_on": "2010-09-01",
                                                       "approving_body": "山东省人社厅", "obtained_by": "评审",
                                                       "hired": False})
        await saved(client, dossier, "basic", {"ethnicity": "01", "phone": "13800000001", "work_start": "2011-07"})
        r = await client.get(f"/api/dossiers/{dossier['id']}/completeness", headers=dossier["headers"])
        sections = {s["section"]: s for s in r.json()["sections"]}
        assert any("学历信息第1项" in w and "不满19周岁" in w for w in sections["education"]["warnings"])
        assert not any("周岁" in m for m in sections["education"]["missing"])
        assert any("早于参加工作时间 2011-07" in m for m in sections["current_title"]["missing"])
        assert r.json()["complete"] is False


EDUCATION_1998 = dict(complete_sections(resident_id())["education"]["rows"][0], start="1994-09", end="1998-07")
