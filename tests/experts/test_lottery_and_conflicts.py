"""The draw and the conflict rules, pure: no database."""

import random
from datetime import date

import pytest

from app.experts.conflicts import DossierFacts, ExpertFacts, find
from app.experts.lottery import Candidate, Rules, TooFewCandidates, draw, lot
from app.experts.rosters import size_problem

TODAY = date(2026, 12, 3)


def library(n: int, rng: random.Random) -> list[Candidate]:
    return [Candidate(id=f"e{i:03d}", name=f"专家{i}", series=rng.choice(["qzwh", "gc"]),
                      specialties=tuple(rng.sample(["s1", "s2", "s3"], rng.randint(1, 2))),
                      level=rng.choice(["4", "5"]), excluded=rng.choice([None, None, None, "回避：某申报人（近亲属）"]))
            for i in range(n)]


def test_the_same_seed_gives_the_same_draw_whatever_the_order_of_the_list():
    pool = library(60, random.Random(1))
    rules = Rules(series="qzwh", members=5, reserves=3)
    first = draw(pool, rules, seed=20261203)
    shuffled = list(pool)
    random.Random(9).shuffle(shuffled)
    assert draw(shuffled, rules, seed=20261203) == first
    assert draw(pool, rules, seed=20261204) != first          # another seed, another draw (60 candidates)
    assert len(first.members) == 5 and len(first.reserves) == 3


@pytest.mark.parametrize("case", range(40))
def test_a_draw_never_picks_an_excluded_or_unmatched_candidate(case):
    """Property over generated libraries: members and reserves are distinct, eligible and matching."""
    rng = random.Random(case)
    pool = library(rng.randint(15, 80), rng)
    rules = Rules(series="qzwh", specialties=("s1",), levels=("5",) if case % 2 else (), members=3, reserves=2)
    eligible = {c.id for c in pool if c.excluded is None and c.series == "qzwh" and "s1" in c.specialties
                and (not rules.levels or c.level == "5")}
    try:
        result = draw(pool, rules, seed=rng.getrandbits(60))
    except TooFewCandidates as exc:
        assert exc.eligible == len(eligible) < 3
        return
    picked = [*result.members, *result.reserves]
    assert set(picked) <= eligible and len(set(picked)) == len(picked) and result.pool == len(eligible)


def test_reserves_follow_the_members_in_lot_order():
    pool = [Candidate(id=f"x{i}", name=str(i), series="qzwh", specialties=("s1",), level="5") for i in range(10)]
    result = draw(pool, Rules(series="qzwh", members=3, reserves=4), seed=7)
    by_lot = sorted((c.id for c in pool), key=lambda i: lot(7, i))
    assert list(result.members) == by_lot[:3] and list(result.reserves) == by_lot[3:7]


def test_too_few_candidates_is_refused_with_the_numbers():
    pool = [Candidate(id="a", name="甲", series="qzwh", specialties=("s1",), level="5")]
    with pytest.raises(TooFewCandidates) as refused:
        draw(pool, Rules(series="qzwh", members=3), seed=1)
    assert (refused.value.eligible, refused.value.wanted) == (1, 3)


DOSSIER = DossierFacts(id="d1", applicant_name="李晓华", id_number="370102199001011234", batch_id="b1",
                       unit_ids=frozenset({"employer", "department", "hr"}),
                       unit_names=frozenset({"济南市群众艺术馆", "济南市文化和旅游局", "济南市人社局"}),
                       works=("群众文化理论研究 作者：李晓华、周明", "获奖：省群星奖"))


def expert(**kw) -> ExpertFacts:
    return ExpertFacts(**{"id": "e1", "name": "赵文华", "id_number": "370102196501011111", "unit_id": "elsewhere",
                          "unit_name": "山东艺术学院", **kw})


@pytest.mark.parametrize("facts, kind", [
    ({}, None),
    ({"unit_id": "employer"}, "same_unit"),
    ({"unit_id": "department"}, "same_unit"),                                 # a unit above, on the route
    ({"unit_id": None, "unit_name": "济南市人社局"}, "same_unit"),             # no unit id: matched by name
    ({"former_units": (("employer", "济南市群众艺术馆", date(2024, 6, 30)),)}, "former_unit"),
    ({"former_units": (("employer", "济南市群众艺术馆", None),)}, "former_unit"),
    ({"former_units": (("employer", "济南市群众艺术馆", date(2023, 12, 2)),)}, None),   # over 3 years ago
    ({"relatives": (("李晓华", None),)}, "relative"),
    ({"relatives": (("李晓华", "370102199001019999"),)}, None),               # same name, another person
    ({"coauthors": ("李晓华",)}, "coauthor"),
    ({"name": "周明"}, "coauthor"),                                           # named on the applicant's paper
    ({"applied_batches": frozenset({"b1"})}, "applicant"),
    ({"id_number": "370102199001011234"}, "applicant"),
])
def test_each_conflict_rule(facts, kind):
    kinds = [f.kind for f in find(expert(**facts), DOSSIER, today=TODAY)]
    assert kinds == ([kind] if kind else [])


@pytest.mark.parametrize("size, tier, problem", [(25, "senior", None), (24, "senior", "奇数"), (23, "senior", "不少于25"),
                                                 (11, "intermediate", None), (9, "intermediate", "不少于11")])
def test_roster_size_rule(size, tier, problem):
    found = size_problem(size, tier, {"senior": 25, "intermediate": 11})
    assert (found is None) if problem is None else problem in found


def _world(rng: random.Random) -> tuple[list[ExpertFacts], list[DossierFacts]]:
    """A generated library and meeting: units u0..u9, names from a small pool so names and units collide."""
    names = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷"]
    dossiers = [DossierFacts(id=f"d{i}", applicant_name=rng.choice(names), id_number=f"id-d{i}",
                             batch_id=rng.choice(["b1", "b2"]),
                             unit_ids=frozenset(rng.sample([f"u{k}" for k in range(10)], 3)), unit_names=frozenset(),
                             works=(" ".join(rng.sample(names, 2)),)) for i in range(rng.randint(1, 4))]
    experts = [ExpertFacts(id=f"e{i:03d}", name=rng.choice(names), id_number=f"id-e{i}", unit_id=f"u{rng.randrange(10)}",
                           unit_name="", former_units=((f"u{rng.randrange(10)}", "", date(rng.randint(2020, 2026), 6, 30)),),
                           relatives=((rng.choice(names), None),) if rng.random() < 0.3 else (),
                           coauthors=(rng.choice(names),) if rng.random() < 0.3 else (),
                           applied_batches=frozenset({"b1"}) if rng.random() < 0.1 else frozenset())
               for i in range(rng.randint(20, 60))]
    return experts, dossiers


@pytest.mark.parametrize("case", range(30))
def test_over_generated_libraries_and_dossiers_a_draw_never_picks_a_conflicted_expert(case):
    """Conflicts judged by the rules, then the draw: no member or reserve conflicts with any dossier, and
    every expert without a conflict could have been drawn (nobody is excluded without a reason)."""
    rng = random.Random(1000 + case)
    experts, dossiers = _world(rng)
    conflicted = {e.id for e in experts for d in dossiers if find(e, d, today=TODAY)}
    pool = [Candidate(id=e.id, name=e.name, series="qzwh", specialties=("s1",), level="5",
                      excluded="回避" if e.id in conflicted else None) for e in experts]
    rules = Rules(series="qzwh", members=3, reserves=2)
    if len(experts) - len(conflicted) < 3:
        with pytest.raises(TooFewCandidates):
            draw(pool, rules, seed=case)
        return
    result = draw(pool, rules, seed=case)
    assert not conflicted & {*result.members, *result.reserves}
    assert result.pool == len(experts) - len(conflicted)
    assert draw(list(reversed(pool)), rules, seed=case) == result
