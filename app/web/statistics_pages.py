"""The statistics page: the figures of one dimension as a chart with the same numbers in a table beside it,
the review nodes' times and the structure ratios across the units in scope likewise, the queues' filter bar, and the Excel workbook of the same figures."""

import json
from typing import get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.errors import ValidationFailed
from app.exports import statistics
from app.web import queue_view
from app.web.deps import PageUser
from app.web.pages import render

router = APIRouter(include_in_schema=False)
# The structure ratios' columns; the chart shows each unit's sums over its levels.
STRUCTURE = ("approved", "appointed", "vacant", "titled_not_appointed")


def parse_filter(params: dict[str, str]) -> statistics.StatsFilter:
    """The filter from the page's query string, an empty field meaning no filter (as the queues' bar)."""
    data = {k: v for k, v in params.items() if v and k in statistics.StatsFilter.model_fields}
    try:
        return statistics.StatsFilter.model_validate(data)
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        raise ValidationFailed("查询条件不正确，请检查后重新查询", field=str(loc[0]) if loc else None,
                               code="bad_filter") from None


@router.get("/statistics", response_class=HTMLResponse)
async def statistics_page(request: Request, user: PageUser) -> Response:
    by = request.query_params.get("by") or "level"
    if by not in get_args(statistics.Dimension):
        raise ValidationFailed("没有这个统计维度", field="by", code="bad_filter")
    f = parse_filter(dict(request.query_params))
    made = await statistics.figures(user, f, by)
    nodes = await statistics.node_times(user, f)
    wanted = {k: str(v) for k, v in f.model_dump(exclude_none=True).items()}
    chart = {"labels": [r["label"] for r in made["rows"]], "declarations": [r["declarations"] for r in made["rows"]],
             "passed": [r["passed"] for r in made["rows"]], "rate": [r["rate"] for r in made["rows"]]}
    node_chart = {"labels": [n["label"] for n in nodes["nodes"]], "median": [n["median_days"] for n in nodes["nodes"]],
                  "slowest": [n["slowest_days"] for n in nodes["nodes"]]}
    structure = await statistics.structure(user, f)
    sums = [{field: sum(line[field] or 0 for line in u["lines"]) for field in STRUCTURE} for u in structure["units"]]
    structure_chart = {"labels": [u["unit_name"] for u in structure["units"]],
                       **{field: [s[field] for s in sums] for field in STRUCTURE}}
    return render(request, "statistics.html", figures=made, nodes=nodes["nodes"], f=f, by=by, structure=structure,
                  structure_chart=json.dumps(structure_chart, ensure_ascii=False),
                  dimensions=statistics.DIMENSIONS, kinds=statistics.KIND_LABELS, top_units=statistics.TOP_UNITS,
                  scopes=await statistics.scope_list(user), options=await queue_view.filter_options(user),
                  chart=json.dumps(chart, ensure_ascii=False), node_chart=json.dumps(node_chart, ensure_ascii=False),
                  export=f"/api/statistics.xlsx?{urlencode(wanted)}")
