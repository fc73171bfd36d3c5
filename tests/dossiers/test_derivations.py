"""What the dossier derives instead of asking (pure, no database): gender and birth date from the ID number,
专业工作年限 and 聘任年限, 任职前 / 任职后 achievements, and the section-wide 本专业最高学历 rule."""

from datetime import date

import pytest

from app.accounts.validators import resident_id_check_char
from app.dossiers import derived
from app.dossiers import sections as S
from app.render import contexts, demo


def resident(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


MAN = resident("37010219850315001")      # 17th digit odd: 男
WOMAN = resident("37010219920229002")    # even: 女, born on a leap day


class TestIdentity:
    def test_gender_and_birth_come_from_a_resident_id(self):
        assert derived.identity_from_id(MAN) == ("男", date(1985, 3, 15))
        assert derived.identity_from_id(WOMAN) == ("女", date(1992, 2, 29))

    @pytest.mark.parametrize("other", ["E12345678", "", None, "3701021985021500X1", "370102198513450011"])
    def test_other_ids_carry_nothing(self, other):
        assert derived.identity_from_id(other) is None

    def test_the_stored_section_takes_them_from_the_id_whatever_was_left_out(self):
        typed = S.Basic(ethnicity="01", phone="13800000001", work_start="2008-07")
        stored = derived.with_identity(typed, WOMAN)
        assert (stored.gender, stored.birth_date) == ("女", date(1992, 2, 29))
        assert derived.identity_problems(typed, WOMAN) == []

    def test_a_typed_value_that_contradicts_the_id_gives_way_to_it(self):
        typed = S.Basic(gender="女", birth_date=date(1990, 1, 1), ethnicity="01", phone="13800000001",
                        work_start="2008-07")
        assert derived.identity_problems(typed, MAN) == []
        stored = derived.with_identity(typed, MAN)
        assert (stored.gender, stored.birth_date) == ("男", date(1985, 3, 15))

    def test_an_old_dossiers_typed_values_read_as_the_ids(self):
        """Saved before they were derived: every reader (API, rows, forms) gets the ID number's."""
        old = {"gender": "女", "birth_date": "1990-01-01", "ethnicity": "01"}
        assert derived.basic_as_read(old, MAN) == {"gender": "男", "birth_date": "1985-03-15", "ethnicity": "01"}
        assert derived.basic_as_read(old, "E12345678") == old
        assert derived.basic_as_read(None, MAN) is None

    def test_a_passport_holder_types_both(self):
        blank = S.Basic(ethnicity="01", phone="13800000001", work_start="2008-07")
        assert [field for field, _, _ in derived.identity_problems(blank, "E12345678")] == ["gender", "birth_date"]
        typed = blank.model_copy(update={"gender": "女", "birth_date": date(1990, 1, 2)})
        assert derived.identity_problems(typed, "E12345678") == []
        assert derived.with_identity(typed, "E12345678") == typed

    def test_forms_print_the_ids_values_over_an_old_typed_one_and_the_typed_one_otherwise(self):
        source = demo.demo_source()
        source.id_number = WOMAN
        source.sections["basic"] = dict(source.sections["basic"], gender="男", birth_date="1985-03-15")
        assert contexts.identity(source) == ("女", "1992-02-29")
        source.id_number = "E12345678"       # a dossier saved with typed values and no resident ID
        assert contexts.identity(source) == ("男", "1985-03-15")


def work(start, end, technical="群众舞蹈辅导"):
    return {"start": start, "end": end, "unit": "某馆", "post": "辅导", "technical_work": technical}


class TestProfessionYears:
    def test_technical_periods_count_and_interruptions_do_not(self):
        rows = [work("2008-07", "2012-06"),                       # 4 years
                work("2012-07", "2014-06", technical=None),      # not professional work: left out
                work("2014-07", None)]                           # to the end of 2026: 12.5 years
        assert derived.profession_years({}, rows, year=2026) == (16, "computed")

    def test_months_are_counted_once_and_only_up_to_the_declaration_year(self):
        rows = [work("2010-01", "2015-12"), work("2015-06", "2016-12"), work("2030-01", None)]
        assert derived.profession_years({}, rows, year=2016) == (7, "computed")

    def test_the_entered_figure_when_no_row_says_professional_work(self):
        rows = [work("2008-07", None, technical=None)]
        basic = {"profession_start": "2008-07", "profession_years": 9}
        assert derived.profession_years(basic, rows, year=2026) == (9, "entered")

    def test_from_the_start_of_professional_work_when_nothing_else_says(self):
        assert derived.profession_years({"profession_start": "2008-07"}, [], year=2026) == (18, "computed")
        assert derived.profession_years({}, [], year=2026) == (None, "")


class TestHiredYears:
    def test_the_manuals_example(self):
        """002 §10: 2017年12月连续聘任至今, declared in 2022 → 5."""
        assert derived.hired_years({"hired": True, "hired_on": "2017-12-01"}, year=2022) == (5, "computed")
        assert derived.hired_span_years(date(2014, 1, 1), year=2026) == 13

    def test_an_interrupted_appointment_is_entered(self):
        assert derived.hired_years({"hired": True, "hired_on": "2017-12-01", "hired_years": 4}, year=2022) == (4, "entered")

    def test_not_appointed(self):
        assert derived.hired_years({"hired": False, "hired_on": "2017-12-01"}, year=2022) == (None, "")
        assert derived.hired_years({}, year=2022) == (None, "")


class TestAchievementsSplit:
    rows = [{"name": "甲", "achieved_on": "2013-11"}, {"name": "乙", "achieved_on": "2013-12"},
            {"name": "丙", "achieved_on": "2020-05"}, {"name": "丁", "achieved_on": "2010-01"}]

    def test_split_by_the_month_of_the_current_title(self):
        before, after = derived.split_by_title(self.rows, "2013-12-20")
        assert [r["name"] for r in before] == ["甲", "丁"] and [r["name"] for r in after] == ["乙", "丙"]

    def test_without_a_title_date_everything_is_since_the_current_title(self):
        assert derived.split_by_title(self.rows, None) == ([], self.rows)

    def test_the_application_form_numbers_each_list_from_one(self):
        source = demo.demo_source()
        context = contexts.application(source, demo.demo_lookups())
        assert [(a["index"], a["name"]) for a in context["achievements_before"]] == [(1, "少儿舞蹈普及教材编写")]
        assert [a["index"] for a in context["achievements_after"]] == [1, 2, 3]
        assert len(context["achievements"]) == 4       # the whole list, for templates uploaded before the split


def education(highest: bool, start="2004-09") -> S.Education:
    return S.Education(start=start, end=f"{int(start[:4]) + 3}-07", school="山东艺术学院", major="舞蹈学", education_level="21",
                       study_mode="fulltime", highest=highest, domestic=False)


class TestHighestEducation:
    def test_is_a_rule_of_the_whole_section(self):
        assert S.education_problems([education(False)]) == []      # the first row saves unticked
        assert S.highest_education_problem([education(False)]) is not None
        assert S.highest_education_problem([education(False), education(True, "2008-09")]) is None
        assert S.highest_education_problem([education(True), education(True, "2008-09")]) is not None
        assert S.highest_education_problem([]) is None


def test_the_catalogue_names_the_id_card_scans():
    source = demo.demo_source()
    ref = source.attachments[0].model_copy(update={"id": "att9999999", "row_id": "id_back"})
    source.attachments.append(ref)
    groups = contexts.catalogue(source, demo.demo_lookups())["groups"]
    basic = next(g for g in groups if g["section"] == "basic")
    assert [f["note"] for f in basic["files"]] == ["照片", "身份证反面"]
