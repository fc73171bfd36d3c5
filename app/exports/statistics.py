"""Statistics for HR bureaus, supervising departments, committee offices and units: declarations, passes and
pass rates by one dimension, and the time dossiers spent at each kind of review node.

Every figure reads the pre-counted cells of ONE scope key (app.dossiers.counts: the counters the write path
keeps beside the rows), never the rows: the key's documents per batch (a handful), per region (the region
figure: one per region in scope, a row of the answer each) or, for a filter on one employer unit, that
unit's, through the counters' (scope, by, part) index; the filter bar's other fields pick cells. The figure
by unit is bounded as the page shows it: the TOP_UNITS units with the most declarations and the rest summed
in one row (a province has thousands of employer units); it reads the unit documents through the (scope,
by, d) index, most declarations first, and stops once the units not read cannot overtake the ones kept.
A user holding several keys (a handler of two units) picks one (`scope`), so a figure never counts a
dossier twice. Kind is folded in here from the batches' kinds, one small read.

`aggregated` and `aggregated_node_times` compute the same figures by aggregating the rows in scope, as
this module did before the counters: the reference the counters are tested and benchmarked against."""

from collections import Counter
from dataclasses import dataclass
from statistics import median
from typing import Any, Literal

from bson import ObjectId
from pydantic import Field

from app.accounts.enums import COMMITTEE_ROLES, UNIT_READER_ROLES, Role
from app.accounts.models import User
from app.catalog.models import Batch, DictionaryEntry
from app.dossiers import counts, scope
from app.dossiers.counts import NOT_PASSED, PASSED
from app.clock import CHINA, utcnow
from app.dossiers.rows import DossierRow
from app.errors import Forbidden, NotFound
from app.personnel import service as personnel
from app.personnel.models import PostQuota
from app.routing.queues import DossierFilter
from app.units.models import Unit

Dimension = Literal["batch", "series", "level", "unit", "region", "kind"]
DIMENSIONS: dict[str, str] = {"batch": "申报批次", "series": "系列", "level": "级别", "unit": "用人单位",
                              "region": "地区", "kind": "批次类型"}
# The row field each dimension groups on; region folds the units' groups, kind the batches'.
GROUP_FIELD = {"batch": "$batch_id", "series": "$declaration.series", "level": "$declaration.level",
               "unit": "$declaration.employer_unit_id", "region": "$declaration.employer_region_code",
               "kind": "$batch_id"}
# The figure by unit: this many units with the most declarations, then one row summing the others.
TOP_UNITS = 20
REST = {"key": "others", "label": "其他单位"}
KIND_LABELS = {"review": "评审", "initial": "初定", "recognition": "认定"}
NODES = {"unit": "用人单位审核", "department": "主管部门审核", "hr": "人社局审核", "committee": "评委会办公室"}
STATS_ROLES = (*UNIT_READER_ROLES, *COMMITTEE_ROLES, Role.sysadmin)


class StatsFilter(DossierFilter):
    """The queues' filter bar, plus the batch kind and which of the user's read keys to count in."""
    kind: Literal["review", "initial", "recognition"] | None = Field(default=None, description="批次类型")
    scope: str | None = Field(default=None, max_length=80, description="统计范围（身兼多单位时）；不给则为第一个")


@dataclass
class Scope:
    key: Any            # the read key counted in; None: everything (the system administrator)
    label: str


def _is_scope_key(user: User, key: Any) -> bool:
    """A user's read keys that stand for a unit, a region or a committee: not the user's own, not a meeting's,
    not the drafts a unit entered for its staff (a part of the unit's own key)."""
    return key != user.id and not (isinstance(key, str) and key.startswith(("meeting:", "entry:")))


async def _label(key: Any) -> str:
    if isinstance(key, str) and key.startswith("committee:"):
        return f"评委会 {key.removeprefix('committee:')}"
    if isinstance(key, str) and key.startswith("region:"):
        return f"地区 {key.removeprefix('region:')}"
    unit = await Unit.get_pymongo_collection().find_one({"_id": key}, {"name": 1})
    return unit["name"] if unit else str(key)


async def scopes(user: User) -> list[Scope]:
    """What this user may count in, widest first as the read keys come; refuses roles without statistics."""
    if not any(user.has_role(role) for role in STATS_ROLES):
        raise Forbidden("仅单位、主管部门、人社局、评委会办公室可查看统计", code="statistics_forbidden")
    keys = await scope.reader_keys(user)
    if keys is None:
        return [Scope(None, "全部")]
    return [Scope(key, await _label(key)) for key in keys if _is_scope_key(user, key)]


async def chosen_scope(user: User, wanted: str | None) -> Scope:
    held = await scopes(user)
    found = [s for s in held if wanted is None or str(s.key) == wanted]
    if not found:
        raise NotFound("没有这个统计范围", field="scope", code="scope_not_found")
    return found[0]


async def match(user: User, f: StatsFilter) -> tuple[Scope, list[dict]]:
    """The opening `$match` stages: the scope's one key equality with the batch (the rows' (reader_ids,
    batch_id) index), then the filter bar's other fields in a stage of their own (SecantusDB's planner
    scans the collection for a match naming a field outside the index it would use)."""
    where = await chosen_scope(user, f.scope)
    clause: dict = {} if where.key is None else {"reader_ids": where.key}
    rest = f.narrowing()
    if "batch_id" in rest:
        clause["batch_id"] = rest.pop("batch_id")
    if f.kind is not None:
        of_kind = [b["_id"] async for b in Batch.get_pymongo_collection().find({"kind": f.kind}, {"_id": 1})]
        if f.batch_id is not None:
            of_kind = [b for b in of_kind if b == f.batch_id]
        clause["batch_id"] = {"$in": of_kind}
    return where, [{"$match": clause}, *([{"$match": rest}] if rest else [])]


def pipeline(stages: list[dict], by: str) -> list[dict]:
    """Counts per group: declarations (every row in scope), passes and not passed."""
    group: dict = {"_id": GROUP_FIELD[by], "declarations": {"$sum": 1},
                   "passed": {"$sum": {"$cond": [{"$in": ["$status", list(PASSED)]}, 1, 0]}},
                   "not_passed": {"$sum": {"$cond": [{"$in": ["$status", list(NOT_PASSED)]}, 1, 0]}}}
    if by == "unit":
        group["name"] = {"$first": "$declaration.employer_unit_name"}
    return [*stages, {"$group": group}]


def rate(passed: int, declarations: int) -> float:
    """通过率: passes over declarations, in percent to one decimal."""
    return round(100 * passed / declarations, 1) if declarations else 0.0


def fold(groups: list[dict], key_of: dict) -> list[dict]:
    """Adds up groups whose keys map to the same key (units to their region, batches to their kind)."""
    out: dict = {}
    for g in groups:
        key = key_of.get(g["_id"])
        held = out.setdefault(key, {"_id": key, "declarations": 0, "passed": 0, "not_passed": 0})
        for field in ("declarations", "passed", "not_passed"):
            held[field] += g[field]
    return list(out.values())


async def _names(dictionary: str) -> dict[str, str]:
    return {e["code"]: e["name"] async for e in DictionaryEntry.get_pymongo_collection().find(
        {"dictionary": dictionary}, {"code": 1, "name": 1})}


async def _labelled(groups: list[dict], by: str) -> list[dict]:
    """Each group with its label (a dictionary, batch or unit name), its region or kind folded in first."""
    if by == "unit":
        units = {u["_id"]: u async for u in Unit.get_pymongo_collection().find(
            {"_id": {"$in": [g["_id"] for g in groups]}}, {"name": 1})}
        labels = {g["_id"]: g.get("name") or (units.get(g["_id"]) or {}).get("name") or "未知" for g in groups}
    elif by in ("batch", "kind"):
        batches = {b["_id"]: b async for b in Batch.get_pymongo_collection().find(
            {"_id": {"$in": [g["_id"] for g in groups]}}, {"name": 1, "kind": 1})}
        if by == "kind":
            groups = fold(groups, {i: b.get("kind", "review") for i, b in batches.items()})
            labels = {g["_id"]: KIND_LABELS.get(g["_id"], "未知") for g in groups}
        else:
            labels = {g["_id"]: (batches.get(g["_id"]) or {}).get("name") or "未知" for g in groups}
    else:
        names = await _names({"series": "series", "level": "levels", "region": "regions"}[by])
        labels = {g["_id"]: names.get(g["_id"], g["_id"] or "未知") for g in groups}
    rows = [{"key": None if g["_id"] is None else str(g["_id"]), "label": labels[g["_id"]],
             "declarations": g["declarations"], "passed": g["passed"], "not_passed": g["not_passed"],
             "rate": rate(g["passed"], g["declarations"])} for g in groups]
    return sorted(rows, key=lambda r: (-r["declarations"], r["label"]))


def bounded(rows: list[dict], total: dict | None = None) -> list[dict]:
    """The first TOP_UNITS rows (sorted, most declarations first) and one row summing the rest (what `total`,
    the whole scope's figures, leaves over them; without it the rows left out), as the figure by unit shows."""
    kept = rows[:TOP_UNITS]
    if total is None:
        total = {f: sum(r[f] for r in rows) for f in ("declarations", "passed", "not_passed")}
    rest = {f: total[f] - sum(r[f] for r in kept) for f in ("declarations", "passed", "not_passed")}
    if rest["declarations"] > 0:
        kept.append({**REST, **rest, "rate": rate(rest["passed"], rest["declarations"])})
    return kept


def _answer(where: Scope, by: str, rows: list[dict]) -> dict:
    total = {field: sum(r[field] for r in rows) for field in ("declarations", "passed", "not_passed")}
    total["rate"] = rate(total["passed"], total["declarations"])
    return {"by": by, "by_label": DIMENSIONS[by], "scope": str(where.key) if where.key is not None else None,
            "scope_label": where.label, "rows": rows, "total": total}


async def aggregated(user: User, f: StatsFilter, by: Dimension) -> dict:
    """`figures` by aggregating the rows in scope (the reference for the counters)."""
    where, stages = await match(user, f)
    groups = await (await DossierRow.get_pymongo_collection().aggregate(pipeline(stages, by))).to_list()
    labelled = await _labelled(groups, by)
    return _answer(where, by, bounded(labelled) if by == "unit" and f.employer_unit_id is None else labelled)


class Cells:
    """Which of a scope key's counted cells the filter bar keeps."""

    def __init__(self, f: StatsFilter, of_kind: set[str] | None):
        self.of_kind = of_kind
        self.wanted = {name: str(value) for name, value in (
            ("batch", f.batch_id), ("year", f.year), ("series", f.series), ("level", f.level), ("title", f.title),
            ("unit", f.employer_unit_id)) if value is not None}

    def of(self, doc: dict) -> list[tuple[dict, dict]]:
        """A counter document's kept cells, each as (its fields, its counters)."""
        out = []
        for cell, counters in (doc.get("cells") or {}).items():
            fields = counts.cell_fields(cell)
            if all(fields[k] == v for k, v in self.wanted.items()) and (
                    self.of_kind is None or fields["batch"] in self.of_kind) and counters.get("d"):
                out.append((fields, counters))
        return out


async def kept(f: StatsFilter) -> Cells:
    of_kind = None if f.kind is None else {
        str(b["_id"]) async for b in Batch.get_pymongo_collection().find({"kind": f.kind}, {"_id": 1})}
    return Cells(f, of_kind)


def _scope_key(where: Scope) -> Any:
    return counts.ALL if where.key is None else where.key


async def cells(where: Scope, f: StatsFilter, *, by: str = "batch") -> list[tuple[dict, dict]]:
    """The scope key's counted cells the filter bar keeps, each as (its fields, its counters): from the
    key's documents per batch, or per region (`by` "region"); always the one unit's for a filter on a unit."""
    query: dict = {"scope": _scope_key(where), "by": by}
    if f.employer_unit_id is not None:
        query.update(by="unit", part=f.employer_unit_id)
    elif by == "batch" and f.batch_id is not None:
        query["part"] = f.batch_id
    keep = await kept(f)
    return [c async for doc in counts.StatisticsCount.get_pymongo_collection().find(query, {"cells": 1})
            for c in keep.of(doc)]


def _summed(found: list[tuple[dict, dict]], field: str) -> dict:
    """Declarations, passes and not passed of counted cells, per value of one of their fields."""
    groups: dict = {}
    for fields, counters in found:
        key = fields[field]
        if key is not None and field in ("batch", "unit"):
            key = ObjectId(key)
        held = groups.setdefault(key, {"_id": key, "declarations": 0, "passed": 0, "not_passed": 0})
        held["declarations"] += counters.get("d", 0)
        held["passed"] += counters.get("p", 0)
        held["not_passed"] += counters.get("n", 0)
    return groups


async def top_units(where: Scope, f: StatsFilter) -> list[dict]:
    """The figure by unit's rows: the TOP_UNITS units with the most declarations the filter keeps and the rest
    summed (what the batch documents' total leaves over them). A unit's kept declarations are at most its
    declarations in all (`d`; narrowed to a level, its declarations at the level: the "unit:<level>"
    documents), so the unit documents are read in ranges of `d` through the (scope, by, d) index, highest first: once the units read hold TOP_UNITS with more kept declarations than any unit left
    (all below the range's floor), none left can enter the list nor tie with its last. The first floor is
    the scope's declarations over TOP_UNITS (no more units reach it), lowered by two thirds while no unit is
    found and by 30 % while fewer than TOP_UNITS are, then to the TOP_UNITS-th count found. A range, not a sort: SecantusDB sorts a whole result, limit or
    not, so a sorted read would fetch every unit in scope."""
    keep = await kept(f)
    ranked = "unit" if f.level is None else f"unit:{f.level}"      # the units' declarations (at the level)
    whole = {"declarations": 0, "passed": 0, "not_passed": 0}
    everything = 0                      # the scope's declarations (at the level): the bound of any unit's d
    async for doc in counts.StatisticsCount.get_pymongo_collection().find(
            {"scope": _scope_key(where), "by": "batch"}, {"cells": 1}):
        everything += sum(c.get("d", 0) for cell, c in (doc.get("cells") or {}).items()
                          if f.level is None or counts.cell_fields(cell)["level"] == f.level)
        for _, counters in keep.of(doc):
            for field, name in (("declarations", "d"), ("passed", "p"), ("not_passed", "n")):
                whole[field] += counters.get(name, 0)
    found: list[dict] = []
    held: list[int] = []                # the kept declarations of the units read, most first
    ceiling, floor = None, max(1, -(-everything // TOP_UNITS))
    while everything:
        span = {"$gte": floor, **({"$lt": ceiling} if ceiling is not None else {})}
        async for doc in counts.StatisticsCount.get_pymongo_collection().find(
                {"scope": _scope_key(where), "by": ranked, "d": span}, {"cells": 1, "part": 1}):
            group = _summed(keep.of(doc), "unit")
            found.extend(group.values())
            held.extend(g["declarations"] for g in group.values())
        held.sort(reverse=True)
        if floor == 1 or (len(held) >= TOP_UNITS and held[TOP_UNITS - 1] >= floor):
            break
        ceiling = floor
        floor = (held[TOP_UNITS - 1] if len(held) >= TOP_UNITS
                 else max(1, floor * 7 // 10 if held else floor // 3))     # an empty range costs a round trip
    return bounded(await _labelled(found, "unit"), whole)


# The cell field each dimension groups on (kind folds the batches, as `_labelled` does).
CELL_GROUP = {"batch": "batch", "series": "series", "level": "level", "unit": "unit", "region": "region",
              "kind": "batch"}


async def figures(user: User, f: StatsFilter, by: Dimension) -> dict:
    """Declarations, passes and pass rates per group of `by`, with the total, within the user's scope (by
    unit: the TOP_UNITS units with the most declarations and the rest in one row)."""
    where = await chosen_scope(user, f.scope)
    if by == "unit" and f.employer_unit_id is None:
        return _answer(where, by, await top_units(where, f))
    found = await cells(where, f, by="region" if by == "region" else "batch")
    return _answer(where, by, await _labelled(list(_summed(found, CELL_GROUP[by]).values()), by))


def node_pipeline(stages: list[dict]) -> list[dict]:
    """Every row's seconds at each node, gathered per node (rows that never reached a node add nothing)."""
    return [*stages,
            {"$group": {"_id": None, **{node: {"$push": f"$node_seconds.{node}"} for node in NODES}}}]


def durations(spent: dict[str, list[int]]) -> list[dict]:
    """Per node: how many dossiers waited there, the median and the slowest wait, in seconds and days."""
    out = []
    for node, label in NODES.items():
        values = [v for v in spent.get(node) or [] if isinstance(v, int | float)]
        middle, slowest = (median(values), max(values)) if values else (0, 0)
        out.append({"node": node, "label": label, "count": len(values), "median_seconds": int(middle),
                    "slowest_seconds": int(slowest), "median_days": round(middle / 86400, 1),
                    "slowest_days": round(slowest / 86400, 1)})
    return out


async def aggregated_node_times(user: User, f: StatsFilter) -> dict:
    """`node_times` by aggregating the rows in scope (the reference for the counters; exact seconds)."""
    where, stages = await match(user, f)
    found = await (await DossierRow.get_pymongo_collection().aggregate(node_pipeline(stages))).to_list()
    return {"scope": str(where.key) if where.key is not None else None, "scope_label": where.label,
            "nodes": durations(found[0] if found else {})}


def _nth(histogram: list[tuple[int, int]], n: int) -> int:
    """The n-th (from 0) smallest wait of a sorted histogram of (bucket, how many)."""
    for bucket, many in histogram:
        if n < many:
            return bucket
        n -= many
    raise IndexError(n)


def bucketed(spent: dict[str, Counter]) -> list[dict]:
    """`durations` from counted waits: each wait stands as its bucket's lower bound (app.dossiers.counts:
    exact to the hour under three days, to the day under 180 days)."""
    out = []
    for node, label in NODES.items():
        histogram = sorted((b, n) for b, n in (spent.get(node) or Counter()).items() if n)
        count = sum(n for _, n in histogram)
        if count:
            middle = (_nth(histogram, (count - 1) // 2) + _nth(histogram, count // 2)) / 2
            slowest = histogram[-1][0]
        else:
            middle = slowest = 0
        out.append({"node": node, "label": label, "count": count, "median_seconds": int(middle),
                    "slowest_seconds": int(slowest), "median_days": round(middle / 86400, 1),
                    "slowest_days": round(slowest / 86400, 1)})
    return out


async def node_times(user: User, f: StatsFilter) -> dict:
    """Per review node: how many dossiers waited there, the median and the slowest wait, from the counters."""
    where = await chosen_scope(user, f.scope)
    spent: dict[str, Counter] = {}
    for _, counters in await cells(where, f):
        for node, histogram in (counters.get("t") or {}).items():
            held = spent.setdefault(node, Counter())
            for bucket, n in histogram.items():
                held[int(bucket)] += n
    return {"scope": str(where.key) if where.key is not None else None, "scope_label": where.label,
            "nodes": bucketed(spent)}


async def structure(user: User, f: StatsFilter) -> dict:
    """岗位结构比例 across the units in scope: per unit with approved posts for the year (the filter's, else
    this year), per level (or ratio group), approved, appointed, vacant and holding the title but not
    appointed (app.personnel.ratios), and the totals per level. The quotas carry their readers' keys: the
    scope's key is one indexed equality on them (the system administrator reads the year's)."""
    where = await chosen_scope(user, f.scope)
    year = f.year or utcnow().astimezone(CHINA).year
    query: dict = {"year": year} if where.key is None else {"reader_keys": where.key, "year": year}
    if f.employer_unit_id is not None:      # one unit: its (unit_id, year) index, the scope checked here
        query = {"unit_id": f.employer_unit_id, "year": year}
    unit_ids = [q["unit_id"] async for q in PostQuota.get_pymongo_collection().find(
        query, {"unit_id": 1, "reader_keys": 1}) if where.key is None or where.key in q.get("reader_keys", [])]
    names = {u["_id"]: u["name"] async for u in Unit.get_pymongo_collection().find(
        {"_id": {"$in": unit_ids}}, {"name": 1})} if unit_ids else {}
    units, totals = [], {}
    for unit_id in sorted(unit_ids, key=lambda i: (names.get(i, ""), str(i))):
        lines = [{"label": fig.label, "approved": fig.approved, "appointed": fig.appointed, "vacant": fig.vacant,
                  "titled_not_appointed": fig.titled_not_appointed}
                 for fig in await personnel.unit_figures(unit_id, year)]
        units.append({"unit_id": str(unit_id), "unit_name": names.get(unit_id, str(unit_id)), "lines": lines})
        for line in lines:
            held = totals.setdefault(line["label"], {"label": line["label"], "approved": 0, "appointed": 0,
                                                     "vacant": 0, "titled_not_appointed": 0})
            for field in ("approved", "appointed", "vacant", "titled_not_appointed"):
                held[field] += line[field] or 0
    return {"scope": str(where.key) if where.key is not None else None, "scope_label": where.label, "year": year,
            "units": units, "totals": list(totals.values())}


async def scope_list(user: User) -> list[dict]:
    return [{"key": None if s.key is None else str(s.key), "label": s.label} for s in await scopes(user)]


def _sheet(book, title: str, header: list[str], rows: list[list]) -> None:
    sheet = book.add_worksheet(title)
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    sheet.write_row(0, 0, header, bold)
    for n, values in enumerate(rows, 1):
        sheet.write_row(n, 0, values)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, len(header) - 1, 12)


async def workbook(user: User, f: StatsFilter) -> bytes:
    """The same figures as the API, one sheet per dimension, one of the structure ratios and one of the node
    times (a few hundred rows: written in memory)."""
    import io

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    header = ["{}", "申报数", "通过数", "未通过数", "通过率(%)"]
    for by, title in DIMENSIONS.items():
        made = await figures(user, f, by)
        rows = [[r["label"], r["declarations"], r["passed"], r["not_passed"], r["rate"]] for r in made["rows"]]
        total = made["total"]
        rows.append(["合计", total["declarations"], total["passed"], total["not_passed"], total["rate"]])
        _sheet(book, f"按{title}", [header[0].format(title), *header[1:]], rows)
    made = await structure(user, f)
    _sheet(book, "岗位结构比例", ["单位", "级别", "核定岗位", "已聘", "空缺", "有职称未聘"],
           [[u["unit_name"], line["label"], line["approved"], line["appointed"], line["vacant"],
             line["titled_not_appointed"]] for u in made["units"] for line in u["lines"]]
           + [["合计", t["label"], t["approved"], t["appointed"], t["vacant"], t["titled_not_appointed"]]
              for t in made["totals"]])
    nodes = (await node_times(user, f))["nodes"]
    _sheet(book, "各环节用时", ["审核环节", "份数", "中位用时(天)", "最长用时(天)", "中位用时(秒)", "最长用时(秒)"],
           [[n["label"], n["count"], n["median_days"], n["slowest_days"], n["median_seconds"], n["slowest_seconds"]]
            for n in nodes])
    book.close()
    return out.getvalue()
