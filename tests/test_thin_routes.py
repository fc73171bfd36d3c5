"""Routers and pages stay thin: they load what is in scope through dependencies and call services, and
never query a model or call a scope function themselves (DESIGN: routers thin, services do the work)."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
SCOPE_FUNCTIONS = {"get_readable", "get_own", "readable_many", "reader_keys", "may_read"}
MODEL_CALLS = {"find", "find_one", "find_all", "get", "get_pymongo_collection", "insert", "aggregate", "count"}


def route_files() -> list[Path]:
    return sorted([*APP.glob("*/router.py"), *APP.glob("*/*_router.py"), *APP.glob("web/*_pages.py")])


def database_calls(source: str) -> list[str]:
    """The calls in a module that query a model it imports from a models module, or call a scope function."""
    tree = ast.parse(source)
    models = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
              and (node.module or "").endswith(".models") for alias in node.names
              if not (alias.asname or alias.name).isupper()}      # the documents, not the label tables
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        target, name = node.func.value, node.func.attr
        if name in SCOPE_FUNCTIONS or name == "get_pymongo_collection":
            found.append(f"line {node.lineno}: {name}")
        elif name in MODEL_CALLS and isinstance(target, ast.Name) and target.id in models:
            found.append(f"line {node.lineno}: {target.id}.{name}")
    return sorted(found, key=lambda text: int(text.split()[1].rstrip(":")))


def test_the_check_finds_a_query_and_a_scope_call():
    source = ("from app.dossiers.models import Dossier\nfrom app.dossiers import service\n"
              "async def page(user, oid):\n    await Dossier.find_one({})\n"
              "    await service.get_readable(user, oid)\n    return forms.FORMS.get('x')\n"
              "from app.routing.models import OPINION_LABELS\nOPINION_LABELS.get('agree')\n"
              "service.Dossier.get_pymongo_collection()\n")
    assert database_calls(source) == ["line 4: Dossier.find_one", "line 5: get_readable",
                                      "line 9: get_pymongo_collection"]


@pytest.mark.parametrize("path", route_files(), ids=lambda p: str(p.relative_to(APP)))
def test_routes_do_no_database_access_of_their_own(path: Path):
    assert database_calls(path.read_text(encoding="utf-8")) == []


MEETING_LOADERS = {"visible", "for_office", "for_member"}


def test_api_routes_get_their_meeting_from_the_committee_deps():
    """No /api route loads and checks a meeting itself: it asks for VisibleMeeting or OfficeMeeting
    (app/committee/deps.py), or a service that loads it does the checking."""
    for path in APP.glob("*/router.py"):
        calls = {node.func.attr for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
        assert not calls & MEETING_LOADERS, f"{path.relative_to(APP)} loads a meeting: {calls & MEETING_LOADERS}"
