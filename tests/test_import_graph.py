"""Domains import downwards only: every import in app/ (module level and inside functions) goes from a
domain to one declared below it, so no cycle can close. The order is written once, here and in
docs/ARCHITECTURE.md; a new back-edge fails with the importing line named."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# Lowest first; read as one list (the tuples only group it for the eye). A module may import its own
# domain and any domain listed before it: within the first group too, errors before preconditions, db
# after the things it uses.
LAYERS: list[tuple[str, ...]] = [
    ("clock", "config", "bounds", "embedded", "errors", "preconditions", "throttle", "messaging", "db",
     "lease", "headers", "request_size", "counters"),
    ("files",),
    ("accounts",),
    ("catalog",),
    ("units",),
    ("dossiers",),
    ("personnel",),
    ("notifications",),
    ("routing",),
    ("experts",),              # the expert library: below committee, which applies its draws
    ("committee",),
    ("render",),
    ("exports",),
    ("web",),
    ("faults", "health", "migrations", "scheduler", "documents", "seed", "main", "__main__"),
]
ORDER = {name: rank for rank, name in enumerate(name for layer in LAYERS for name in layer)}


def domain(module: str) -> str:
    """app.committee.votes → committee; app.db → db; app → app (the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def module_name(path: Path, root: Path = APP) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST) -> list[tuple[str, int]]:
    """(module, line) for every absolute import of app.*, wherever it stands in the file."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "app":        # from app import db, throttle
                found += [(f"app.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((node.module, node.lineno))
    return [(name, line) for name, line in found if name == "app" or name.startswith("app.")]


def edges(root: Path = APP) -> list[tuple[str, str, str]]:
    """(from domain, to domain, where) for every import that crosses a domain boundary."""
    found = []
    for path in sorted(root.rglob("*.py")):
        source = module_name(path, root)
        for target, line in imported(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            a, b = domain(source), domain(target)
            if a != b:
                found.append((a, b, f"{path.relative_to(root.parent)}:{line} imports {target}"))
    return found


def back_edges(found: list[tuple[str, str, str]]) -> list[str]:
    return [f"{a} → {b} ({where})" for a, b, where in found if ORDER[b] >= ORDER[a]]


def cycle(found: list[tuple[str, str, str]]) -> list[str] | None:
    """One cycle among the domains, as the path that closes it, or None."""
    graph: dict[str, set[str]] = {}
    for a, b, _ in found:
        graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}          # 1 on the stack, 2 done

    def visit(node: str, stack: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [node, nxt] if nxt in stack else [node, nxt]
            if nxt not in state and (found_cycle := visit(nxt, stack + [node])):
                return found_cycle
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found_cycle := visit(start, [])):
            return found_cycle
    return None


def test_every_module_belongs_to_a_declared_domain():
    unknown = sorted({domain(module_name(p)) for p in APP.rglob("*.py")} - set(ORDER) - {"app"})
    assert not unknown, f"declare these in LAYERS (tests/test_import_graph.py and docs/ARCHITECTURE.md): {unknown}"


def test_domains_import_downwards_only():
    assert back_edges(edges()) == []


def test_the_domain_graph_has_no_cycle():
    assert cycle(edges()) is None


# --- the checker itself, on small trees written for it (no database) -------------------------------

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "app"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_function_level_back_edge_is_named(tmp_path):
    root = _tree(tmp_path, {"__init__.py": "", "dossiers/__init__.py": "", "routing/__init__.py": "",
                            "routing/service.py": "from app.dossiers import models\n",
                            "dossiers/models.py": "def f():\n    from app.routing import service\n"})
    found = edges(root)
    assert back_edges(found) == ["dossiers → routing (app/dossiers/models.py:2 imports app.routing)"]
    assert cycle(found) == ["dossiers", "routing", "dossiers"]


def test_from_app_import_counts_as_an_edge(tmp_path):
    root = _tree(tmp_path, {"__init__.py": "", "clock.py": "", "files/__init__.py": "",
                            "db.py": "from app import files\n"})
    assert back_edges(edges(root)) == ["db → files (app/db.py:1 imports app.files)"]


@pytest.mark.parametrize("module, expected", [("app.committee.votes", "committee"), ("app.db", "db"),
                                              ("app", "app"), ("app.web.pages", "web")])
def test_domain_of_a_module(module, expected):
    assert domain(module) == expected
