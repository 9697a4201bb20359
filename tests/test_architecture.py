"""The layout's contracts (docs/architecture.md): one-way dependencies, no import circle, small modules.

Imports are read from the source (top-level and lazy ones alike), so a lazy import that closes a
circle or crosses a layer is caught too.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOP_LEVEL = {
    "cli": "llmops_infra.cli",
    "components": "llmops_infra.components",
    "stacks": "llmops_infra.stacks",
    "policies": "llmops_infra.policies",
}
MAX_LINES = 400
SIZE_EXCEPTIONS: set[str] = set()  # none: every module is within the limit

# layer -> packages it may import (besides itself, the root `llmops_infra.errors` and `llmops_infra.plan`).
ALLOWED = {
    "components": set(),
    "policies": set(),
    # policies: the lifecycle catalog (policies/lifecycle_catalog.py), data shared by validate and the LIFE rules
    "config": {"components", "policies"},
    "stacks": {"config", "components"},
    "offline": {"stacks", "config", "components", "policies"},
    "engine": {"offline", "stacks", "config", "components", "policies"},
    "delivery": {"offline", "stacks", "config", "components", "policies"},
    "review": {"delivery", "offline", "stacks", "config", "components", "policies"},
    "release": {"engine", "review", "offline", "stacks", "config", "components", "policies"},
    # draws what the domain packages computed; only the command line calls it
    "render": {"release", "engine", "review", "delivery", "offline", "stacks", "config", "components", "policies"},
}
# root modules every layer may import; each imports only the others (user_cache: the user's cache directory)
ROOT_LEAVES = {
    "llmops_infra",
    "llmops_infra.errors",
    "llmops_infra.files",
    "llmops_infra.plan",
    "llmops_infra.user_cache",
}


@cache
def modules() -> dict[str, Path]:
    found = {}
    for directory, prefix in [("pkg", "llmops_infra"), *TOP_LEVEL.items()]:
        for path in (REPO / directory).rglob("*.py"):
            parts = list(path.relative_to(REPO / directory).with_suffix("").parts)
            if directory == "pkg" and parts[0] in TOP_LEVEL:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([prefix, *parts])] = path
    return found


@cache
def imports() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            edges[name] |= {t for t in targets if t in known and t != name}
    return edges


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_circle():
    edges = imports()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    assert circles == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_dependencies_point_one_way(package):
    wrong = []
    for module, targets in imports().items():
        if layer(module) != package:
            continue
        for target in targets:
            if target in ROOT_LEAVES or layer(target) == package:
                continue
            if layer(target) not in ALLOWED[package]:
                wrong.append(f"{module} imports {target}")
    assert wrong == [], f"{package} may import only {sorted(ALLOWED[package])}"


def test_no_module_over_the_size_limit():
    too_long = {
        str(path.relative_to(REPO)): n
        for path in modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES and str(path.relative_to(REPO)) not in SIZE_EXCEPTIONS
    }
    assert too_long == {}, f"split these modules (limit {MAX_LINES} lines)"
