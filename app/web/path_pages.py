"""路径管理: a unit's path applications (申请) per series and level, the applications addressed to the user's
units and committees (审核), and the path graph of one series and level drawn as nested boxes.

Reads go through the paths service with the current user; applying and deciding are calls of
POST /api/paths and POST /api/paths/{id}/decision from the page.
"""

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.enums import COMMITTEE_ROLES, NODE_ROLES
from app.routing import paths
from app.catalog import committees as catalog_committees
from app.routing.models import PathStatus
from app.web import choices
from app.web.deps import PageUser
from app.web.pages import render, require_role

router = APIRouter(include_in_schema=False)


@dataclass
class GraphNode:
    id: str
    name: str
    kind: str
    children: list["GraphNode"] = field(default_factory=list)


def nest(graph: dict) -> list[GraphNode]:
    """The path graph as trees: each committee (or unit without a path upward) holds the units reporting to it."""
    nodes = {n["id"]: GraphNode(n["id"], n["name"], n["kind"]) for n in graph["nodes"]}
    sources = set()
    for edge in graph["edges"]:
        if edge["from"] in nodes and edge["to"] in nodes:
            nodes[edge["to"]].children.append(nodes[edge["from"]])
            sources.add(edge["from"])
    roots = [n for i, n in nodes.items() if i not in sources]
    for node in nodes.values():
        node.children.sort(key=lambda n: n.name)
    return sorted(roots, key=lambda n: (n.kind != "committee", n.name))


@router.get("/paths", response_class=HTMLResponse)
async def paths_page(request: Request, user: PageUser, unit_id: str | None = None, series: str | None = None,
                     level: str | None = None) -> Response:
    require_role(user, NODE_ROLES + COMMITTEE_ROLES, "路径管理仅供单位经办人和评委会办事机构使用")
    acting = await choices.acting_unit(user, unit_id)
    unit = acting.unit
    own = await paths.listing(actor=user, unit_id=unit, incoming=False, status=None) if unit else []
    incoming = await paths.listing(actor=user, unit_id=None, incoming=True, status=None)
    series_options = await choices.options("series")
    level_options = await choices.options("levels")
    series = series or (own[0].series if own else (series_options[0][0] if series_options else ""))
    level = level or (own[0].level if own else "3")
    graph = await paths.graph(series=series, level=level) if series and level else {"nodes": [], "edges": []}
    committees = await catalog_committees.with_office()
    return render(
        request, "paths.html", unit=unit, unit_name=acting.name, my_units=acting.options, own=own,
        pending=[p for p in incoming if p.status == PathStatus.pending],
        decided=[p for p in incoming if p.status != PathStatus.pending][:50],
        series_options=series_options, level_options=level_options, series=series, level=level,
        names={"series": dict(series_options), "levels": dict(level_options)},
        committee_options=[(c.code, c.name) for c in committees], trees=nest(graph), edge_count=len(graph["edges"]),
    )
