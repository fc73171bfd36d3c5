"""What every queue page shares (数据审核, 数据上报, 资格审查, 评审结果, 证书): the filters read from the query
string, the rows read through the queue service with the current user, sortable headers and pages.

The queue service builds the Mongo filter from the user's own units and committees, so a page never widens
what a user sees; it only chooses the view, the status and the filters.
"""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from app.accounts.models import User
from app.catalog import batches
from app.catalog import service as catalog
from app.dossiers import identity
from app.dossiers.identity import Purpose
from app.dossiers.schemas import DossierSummary
from app.errors import ValidationFailed
from app.exports.selection import ExportFilter
from app.routing import queues
from app.units import service as units_service
from app.web import choices

FILTER_FIELDS = ("year", "batch_id", "level", "series", "title", "name", "id_number", "employer_unit_id", "unit_id")
SIZES = (20, 50, 100)


@dataclass(frozen=True)
class BatchAction:
    """A button of the batch bar: what it asks the API to do and whether it needs a reason."""
    action: str
    label: str
    reason: bool = False
    danger: bool = False


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    view: str
    status: str | None = None
    actions: tuple[BatchAction, ...] = ()
    purpose: Purpose = Purpose.list        # certify: the 待发证 tab, whose rows carry the issuing form


@dataclass
class Queue:
    """One rendered queue: its rows and everything the template needs to redraw filters, sort and pages."""
    tab: Tab
    rows: list[DossierSummary]
    total: int
    filter: queues.QueueFilter
    params: dict[str, str]                      # the query string as given, empties dropped
    base: str
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    items: list[queues.QueueRow] = field(default_factory=list)     # the rows as read, e.g. with their certificate

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.filter.size))

    def url(self, **changes: Any) -> str:
        """This queue's address with some parameters changed (None drops one); a new filter or sort goes back
        to page 1 unless the page is what changes."""
        params = dict(self.params)
        if "page" not in changes:
            params.pop("page", None)
        for key, value in changes.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value).lower() if isinstance(value, bool) else str(value)
        return self.base + ("?" + urlencode(params) if params else "")

    def sort_url(self, key: str) -> str:
        descending = not self.filter.descending if self.filter.sort == key else key == "submitted_at"
        return self.url(sort=key, descending=descending)

    def sort_mark(self, key: str) -> str:
        if self.filter.sort != key:
            return ""
        return " ▼" if self.filter.descending else " ▲"

    def filter_json(self) -> dict[str, Any]:
        """The filter as /api/review/batch takes it (选择全部符合条件的申报)."""
        wanted = self.filter.model_dump(mode="json", include={*FILTER_FIELDS, "view", "status"})
        return {k: v for k, v in wanted.items() if v is not None}

    def export_url(self, table: str) -> str:
        """/api/exports/{table}.xlsx with this page's filters (view, status and the filter bar), so the
        table holds what the page lists, across all its pages. 姓名 and 证件号码 narrow only the page."""
        params = {k: v for k, v in self.filter_json().items() if k in ExportFilter.model_fields}
        return f"/api/exports/{table}.xlsx" + ("?" + urlencode(params) if params else "")

    def page_numbers(self) -> list[int | None]:
        """1 … 4 5 [6] 7 8 … 20: None is a gap."""
        last, here = self.pages, self.filter.page
        shown = sorted({1, last, *range(max(1, here - 2), min(last, here + 2) + 1)})
        numbers: list[int | None] = []
        for n in shown:
            if numbers and n - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(n)
        return numbers


def query_params(raw: dict[str, str], allowed: tuple[str, ...]) -> dict[str, str]:
    return {k: v.strip() for k, v in raw.items() if k in allowed and v.strip()}


def parse_filter(params: dict[str, str], tab: Tab) -> queues.QueueFilter:
    """The queue filter from the page's query string; the tab decides the view and status."""
    data: dict[str, Any] = {k: v for k, v in params.items() if k in queues.QueueFilter.model_fields}
    data.update(view=tab.view, status=tab.status)
    try:
        return queues.QueueFilter.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = str(error["loc"][0]) if error["loc"] else None
        raise ValidationFailed("查询条件不正确，请检查后重新查询", field=where, code="bad_filter") from None


async def dictionaries() -> dict[str, dict[str, str]]:
    return {d: dict(await choices.options(d)) for d in ("series", "levels", "titles", "specialties")}


async def load(user: User, raw: dict[str, str], tabs: tuple[Tab, ...], base: str) -> Queue:
    """Reads one page of the chosen tab (the first by default) through the queue service."""
    params = query_params(raw, (*FILTER_FIELDS, "tab", "sort", "descending", "page", "size"))
    tab = next((t for t in tabs if t.key == params.get("tab")), tabs[0])
    f = parse_filter(params, tab)
    if f.sort not in queues.SORTS:
        raise ValidationFailed("不支持的排序字段", field="sort", code="bad_sort")
    items, total = await queues.page(user, f)
    kinds = {i: getattr(await batches.recent(i), "kind", None) for i in {item.batch_id for item in items}}
    shown = [DossierSummary.build(i, kind=kinds[i.batch_id], id_shown=identity.of_dossier(user, tab.purpose, i))
             for i in items]
    return Queue(tab=tab, rows=shown, total=total, filter=f, params=params,
                 base=base, names=await dictionaries(), items=items)


def title_choices(entries: list[tuple[str, str, str | None]], level: str | None,
                  selected: str | None = None) -> list[tuple[str, str]]:
    """The 申报职称 filter's options among one series' titles, given as (code, name, level): those of the chosen
    level (all levels when none is chosen), each name once (the first code of a name stands for it, unless
    another of its codes is the one chosen); the chosen title stays listed whatever the level, so the page
    never hides a filter it applies."""
    found: dict[str, tuple[str, str]] = {}
    for code, name, at_level in entries:
        if (level is None or at_level == level or code == selected) and (name not in found or code == selected):
            found[name] = (code, name)
    return list(found.values())


async def filter_options(user: User, f: queues.DossierFilter | None = None) -> dict[str, Any]:
    """The choices of the filter bar: batches, series, levels, the chosen series' titles (the select cascades
    from series and level as the declaration form's does: static/review.js), and the user's units when several."""
    units = await queues.node_units(user)
    names = await units_service.unit_names(units)
    series, level, title = (f.series, f.level, f.title) if f is not None else (None, None, None)
    entries = [(e.code, e.name, (e.extra or {}).get("level"))
               for e in await catalog.entries("titles", parent=series)] if series else []
    return {"batches": [(str(b.id), f"{b.year} {b.name}") for b in (await batches.listing(actor=user))[:100]],
            "series": await choices.options("series"), "levels": await choices.options("levels"),
            "titles": title_choices(entries, level, title), "sizes": SIZES,
            "my_units": [(str(u), names.get(u, str(u))) for u in dict.fromkeys(units)]}
