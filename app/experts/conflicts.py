"""Conflicts of interest (利益冲突) between an expert and a dossier. Pure: the service gathers the facts
(the units on the applicant's route and above the employer, the batches the expert applied in) and
every page, the draw and the recusal count ask this one function."""

from dataclasses import dataclass, field
from datetime import date

from app.experts.models import TERM_YEARS

KIND_LABELS = {"same_unit": "同单位或上级单位", "former_unit": "近三年任职单位", "relative": "近亲属",
               "coauthor": "合作作者", "applicant": "同批次申报人"}


@dataclass(frozen=True)
class ExpertFacts:
    id: str
    name: str
    id_number: str
    unit_id: str | None
    unit_name: str
    former_units: tuple[tuple[str | None, str, date | None], ...] = ()   # (unit id, name, end)
    relatives: tuple[tuple[str, str | None], ...] = ()                    # (name, ID number)
    coauthors: tuple[str, ...] = ()
    applied_batches: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DossierFacts:
    id: str
    applicant_name: str
    id_number: str
    batch_id: str
    unit_ids: frozenset[str]                   # employer, route units and the employer's superiors
    unit_names: frozenset[str]
    works: tuple[str, ...] = field(default=())  # the texts of the papers and achievements rows


@dataclass(frozen=True)
class Finding:
    kind: str
    reason: str


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:                       # 29 February
        return day.replace(year=day.year - years, day=28)


def _on_route(unit_id: str | None, unit_name: str, d: DossierFacts) -> bool:
    return (unit_id is not None and unit_id in d.unit_ids) or (unit_id is None and unit_name in d.unit_names)


def find(expert: ExpertFacts, d: DossierFacts, *, today: date) -> list[Finding]:
    """Every reason the expert may not review the dossier; empty when there is none."""
    found = []
    if expert.id_number == d.id_number or d.batch_id in expert.applied_batches:
        found.append(Finding("applicant", "专家本人在同一批次申报"))
    if _on_route(expert.unit_id, expert.unit_name, d):
        found.append(Finding("same_unit", f"专家所在单位（{expert.unit_name}）是申报人单位或其上报路径、上级单位"))
    since = _years_before(today, TERM_YEARS)
    for unit_id, name, end in expert.former_units:
        if (end is None or end >= since) and _on_route(unit_id, name, d):
            found.append(Finding("former_unit", f"专家近三年曾在{name}任职"))
            break
    for name, id_number in expert.relatives:
        if (id_number == d.id_number) if id_number else (name == d.applicant_name):
            found.append(Finding("relative", f"专家申报的近亲属中有申报人{d.applicant_name}"))
            break
    if d.applicant_name in expert.coauthors:
        found.append(Finding("coauthor", f"专家申报的合作者中有申报人{d.applicant_name}"))
    elif expert.name and any(expert.name in text for text in d.works):
        found.append(Finding("coauthor", f"申报人的论文或业绩中出现专家姓名{expert.name}"))
    return found
