"""The random draw (随机抽取), pure and replayable. Each eligible candidate gets a lot, the SHA-256 of
"seed:expert id"; the lowest lots are the members, the next ones the reserves in order. Anyone holding
the recorded seed, rules and candidate list can redo it by hand, in any language or Python version."""

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    series: str
    specialties: tuple[str, ...] = ()        # empty: any specialty of the series
    levels: tuple[str, ...] = ()             # empty: any level
    members: int = 5
    reserves: int = 2


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    series: str
    specialties: tuple[str, ...]
    level: str
    excluded: str | None = None              # why the expert may not be drawn (term, commitment, conflict …)


@dataclass(frozen=True)
class Result:
    members: tuple[str, ...]
    reserves: tuple[str, ...]
    pool: int                                # how many were eligible


class TooFewCandidates(Exception):
    def __init__(self, eligible: int, wanted: int):
        super().__init__(f"{eligible} < {wanted}")
        self.eligible, self.wanted = eligible, wanted


def matches(c: Candidate, rules: Rules) -> bool:
    return (c.series == rules.series and (not rules.specialties or bool(set(c.specialties) & set(rules.specialties)))
            and (not rules.levels or c.level in rules.levels))


def lot(seed: int, expert_id: str) -> str:
    return hashlib.sha256(f"{seed}:{expert_id}".encode()).hexdigest()


def draw(candidates: list[Candidate], rules: Rules, seed: int) -> Result:
    """Members then reserves, by lot among the matching candidates not excluded."""
    pool = [c.id for c in candidates if c.excluded is None and matches(c, rules)]
    if len(pool) < rules.members:
        raise TooFewCandidates(len(pool), rules.members)
    ordered = sorted(pool, key=lambda i: (lot(seed, i), i))
    return Result(members=tuple(ordered[:rules.members]),
                  reserves=tuple(ordered[rules.members:rules.members + rules.reserves]), pool=len(pool))
