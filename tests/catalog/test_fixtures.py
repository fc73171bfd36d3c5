"""The reference dictionaries in fixtures/dictionaries/ are consistent (pure file checks, no database)."""

import json
from collections import Counter
from pathlib import Path

import pytest

DICTIONARIES = Path(__file__).resolve().parents[2] / "fixtures" / "dictionaries"

DECLARATION_MODES = {
    "normal": "正常晋升",
    "exceptional": "破格",
    "series_change": "改系列",
    "composite": "复合型人才",
    "direct": "高层次人才直评",
    "transfer": "非企事业单位交流",
    "initial": "初定",
    "recognition": "认定",
}


def _load(name: str) -> dict[str, list[dict]]:
    return json.loads((DICTIONARIES / name).read_text(encoding="utf-8"))


def _all_files() -> list[Path]:
    return sorted(DICTIONARIES.glob("*.json"))


@pytest.fixture(scope="module")
def titles() -> dict[str, list[dict]]:
    return _load("titles.json")


@pytest.fixture(scope="module")
def dossier() -> dict[str, list[dict]]:
    return _load("dossier.json")


@pytest.fixture(scope="module")
def committees() -> list[dict]:
    return _load("committees.json")["committees"]


@pytest.mark.parametrize("path", _all_files(), ids=lambda p: p.name)
def test_every_file_has_well_formed_entries_with_unique_codes(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data
    for dictionary, items in data.items():
        assert isinstance(items, list) and items, dictionary
        for item in items:
            assert set(item) <= {"code", "name", "parent", "extra", "sort", "enabled"}, (dictionary, item)
            assert isinstance(item["code"], str) and item["code"].strip(), (dictionary, item)
            assert isinstance(item["name"], str) and item["name"].strip(), (dictionary, item)
            assert isinstance(item.get("extra", {}), dict), (dictionary, item)
        duplicates = [code for code, n in Counter(i["code"] for i in items).items() if n > 1]
        assert not duplicates, f"{path.name}: {dictionary} repeats codes {duplicates}"


def test_no_dictionary_is_split_across_files():
    seen: dict[str, str] = {}
    for path in _all_files():
        for dictionary in json.loads(path.read_text(encoding="utf-8")):
            assert dictionary not in seen, f"{dictionary} in both {seen[dictionary]} and {path.name}"
            seen[dictionary] = path.name


def test_levels_are_the_five_levels_with_tiers(titles):
    levels = {e["code"]: (e["name"], e["extra"]["tier"]) for e in titles["levels"]}
    assert levels == {
        "1": ("员级", "junior"),
        "2": ("助理级", "junior"),
        "3": ("中级", "intermediate"),
        "4": ("副高级", "senior"),
        "5": ("正高级", "senior"),
    }


def test_every_title_belongs_to_a_series_at_an_existing_level(titles):
    series = {e["code"] for e in titles["series"]}
    levels = {e["code"] for e in titles["levels"]}
    for title in titles["titles"]:
        assert title.get("parent") in series, title
        assert title.get("extra", {}).get("level") in levels, title


def test_every_specialty_belongs_to_a_series(titles):
    series = {e["code"] for e in titles["series"]}
    for specialty in titles["specialties"]:
        assert specialty.get("parent") in series, specialty


def test_at_least_ten_series_with_unique_names(titles):
    names = [e["name"] for e in titles["series"]]
    assert len(names) >= 10
    assert len(set(names)) == len(names)


def test_every_series_has_titles_at_two_levels_and_three_to_twelve_specialties(titles):
    for series in titles["series"]:
        code = series["code"]
        levels = {t["extra"]["level"] for t in titles["titles"] if t["parent"] == code}
        specialties = [s["name"] for s in titles["specialties"] if s["parent"] == code]
        assert len(levels) >= 2, f"{series['name']} has titles at {sorted(levels)}"
        assert 3 <= len(specialties) <= 12, f"{series['name']} has {len(specialties)} specialties"
        assert len(set(specialties)) == len(specialties), f"{series['name']} repeats a specialty"


def test_titles_of_a_series_and_track_are_unique_per_level(titles):
    seen = Counter((t["parent"], t["extra"].get("track"), t["extra"]["level"]) for t in titles["titles"])
    assert [key for key, n in seen.items() if n > 1] == []


def _ladder(titles, series_name: str, track: str | None = None) -> dict[str, str]:
    [series] = [s["code"] for s in titles["series"] if s["name"] == series_name]
    return {t["extra"]["level"]: t["name"] for t in titles["titles"]
            if t["parent"] == series and t["extra"].get("track") == track}


def test_mass_culture_ladder(titles):
    assert _ladder(titles, "群众文化") == {"2": "助理馆员", "3": "馆员", "4": "副研究馆员", "5": "研究馆员"}


@pytest.mark.parametrize("series_name, track, ladder", [
    ("工程", None, {"1": "技术员", "2": "助理工程师", "3": "工程师", "4": "高级工程师", "5": "正高级工程师"}),
    ("卫生", "医疗", {"1": "医士", "2": "医师", "3": "主治医师", "4": "副主任医师", "5": "主任医师"}),
    ("中小学教师", None, {"1": "三级教师", "2": "二级教师", "3": "一级教师", "4": "高级教师", "5": "正高级教师"}),
    ("高校教师", None, {"2": "助教", "3": "讲师", "4": "副教授", "5": "教授"}),
    ("图书资料", None, {"1": "管理员", "2": "助理馆员", "3": "馆员", "4": "副研究馆员", "5": "研究馆员"}),
    ("经济", None, {"2": "助理经济师", "3": "经济师", "4": "高级经济师", "5": "正高级经济师"}),
    ("会计", None, {"2": "助理会计师", "3": "会计师", "4": "高级会计师", "5": "正高级会计师"}),
])
def test_known_ladders(titles, series_name, track, ladder):
    assert _ladder(titles, series_name, track) == ladder


def test_declaration_modes_are_exactly_the_eight(dossier):
    assert {e["code"]: e["name"] for e in dossier["declaration_modes"]} == DECLARATION_MODES


def test_assessment_grades(dossier):
    assert {e["code"]: e["name"] for e in dossier["assessment_grades"]} == {
        "excellent": "优秀", "pass": "合格", "basic": "基本合格", "fail": "不合格"}


def test_education_levels_are_ranked(dossier):
    ranks = [e["extra"]["rank"] for e in dossier["education_levels"]]
    assert all(isinstance(r, int) for r in ranks)
    assert len(set(ranks)) == len(ranks)
    by_name = {e["name"]: e["extra"]["rank"] for e in dossier["education_levels"]}
    assert by_name["博士研究生"] > by_name["硕士研究生"] > by_name["大学本科"] > by_name["大学专科"]


def test_ethnicities_are_the_56_of_gb_3304(dossier):
    ethnicities = dossier["ethnicities"]
    assert [e["code"] for e in ethnicities] == [f"{i:02d}" for i in range(1, 57)]
    assert ethnicities[0]["name"] == "汉族" and ethnicities[-1]["name"] == "基诺族"
    assert len({e["name"] for e in ethnicities}) == 56


def test_committees_reference_existing_series_levels_and_regions(titles, committees):
    series = {e["code"] for e in titles["series"]}
    tiers = {e["code"]: e["extra"]["tier"] for e in titles["levels"]}
    regions = {e["code"] for e in _load("regions.json")["regions"]}
    assert 8 <= len(committees) <= 12
    for committee in committees:
        extra = committee["extra"]
        assert extra["series"] and set(extra["series"]) <= series, committee
        assert extra["levels"] and set(extra["levels"]) <= set(tiers), committee
        assert extra["region_code"] in regions, committee
        assert {tiers[level] for level in extra["levels"]} == {extra["tier"]}, committee
        assert committee["name"].endswith("评审委员会"), committee


def test_committees_cover_the_demo_series(titles, committees):
    names = {e["code"]: e["name"] for e in titles["series"]}
    covered = {(names[s], level) for c in committees for s in c["extra"]["series"] for level in c["extra"]["levels"]}
    for level in "2345":
        assert ("群众文化", level) in covered
    for series_name in ("工程", "卫生", "中小学教师", "图书资料", "经济"):
        assert any(name == series_name for name, _ in covered), series_name
