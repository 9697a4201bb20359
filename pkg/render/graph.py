"""Diagrams of the estate (`review.graph.EstateGraph`): Mermaid, Graphviz dot, and JSON for tools."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from llmops_infra.render import to_json

if TYPE_CHECKING:
    from llmops_infra.review.graph import EstateGraph

MAX_NODES = 150
"""Above this, Mermaid draws the top-level components only (GitHub refuses bigger diagrams)."""
CLASSES = {
    "added": "fill:#e6ffed,stroke:#2da44e",
    "removed": "fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4",
    "changed": "fill:#fff8c5,stroke:#bf8700",
}
DOT_COLOURS = {"added": "#2da44e", "removed": "#cf222e", "changed": "#bf8700"}


def graph_json(environment: str, graph: EstateGraph) -> str:
    return to_json({"environment": environment, **graph.to_dict()})


def mermaid(graph: EstateGraph) -> str:
    lines = ["flowchart LR"]
    if len(graph.ids) > MAX_NODES:
        return _mermaid_components(graph, lines)
    _mermaid_children(graph, None, lines, "  ")
    for source, target in graph.edges:
        lines.append(f"  {graph.ids[source]} --> {graph.ids[target]}")
    used = sorted({m for m in graph.marks.values() if m in CLASSES})
    for mark in used:
        lines.append(f"  classDef {mark} {CLASSES[mark]}")
    for urn, mark in sorted(graph.marks.items()):
        if urn in graph.ids and mark in CLASSES:
            lines.append(f"  class {graph.ids[urn]} {mark}")
    return "\n".join(lines) + "\n"


def _mermaid_components(graph: EstateGraph, lines: list[str]) -> str:
    """Too many resources for one diagram: the top-level components, their sizes and their wiring."""
    lines.append(
        f"  %% {len(graph.resources)} resources are too many to draw one by one: components only; "
        "--format dot or json has every resource"
    )
    counts: dict[str, int] = defaultdict(int)
    for urn in graph.resources:
        counts[graph.top(urn)] += 1
    for urn in graph.children.get(None, []):
        text = _mermaid_text(f"{_label(graph, urn)}<br/>{counts[urn]} resource(s)")
        lines.append(f'  {graph.ids[urn]}["{text}"]')
    edges = sorted({(graph.top(a), graph.top(b)) for a, b in graph.edges} - {(u, u) for u in graph.ids})
    for source, target in edges:
        if source != target:
            lines.append(f"  {graph.ids[source]} --> {graph.ids[target]}")
    return "\n".join(lines) + "\n"


def _mermaid_children(graph: EstateGraph, parent: str | None, lines: list[str], indent: str) -> None:
    for urn in graph.children.get(parent, []):
        text = _mermaid_text(_label(graph, urn))
        if urn in graph.components:
            lines.append(f'{indent}subgraph {graph.ids[urn]}["{text}"]')
            _mermaid_children(graph, urn, lines, indent + "  ")
            lines.append(f"{indent}end")
        else:
            lines.append(f'{indent}{graph.ids[urn]}["{text}"]')


def dot(graph: EstateGraph) -> str:
    lines = ["digraph estate {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    _dot_children(graph, None, lines, "  ")
    for source, target in graph.edges:
        lines.append(f"  {graph.ids[source]} -> {graph.ids[target]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_children(graph: EstateGraph, parent: str | None, lines: list[str], indent: str) -> None:
    for urn in graph.children.get(parent, []):
        text = _dot_text(_label(graph, urn).replace("<br/>", "\\n"))
        if urn in graph.components:
            lines.append(f"{indent}subgraph cluster_{graph.ids[urn]} {{")
            lines.append(f'{indent}  label="{text}";')
            _dot_children(graph, urn, lines, indent + "  ")
            lines.append(f"{indent}}}")
        else:
            colour = DOT_COLOURS.get(graph.marks.get(urn, ""))
            extra = f', color="{colour}"' if colour else ""
            lines.append(f'{indent}{graph.ids[urn]} [label="{text}"{extra}];')


def render(fmt: str, environment: str, graph: EstateGraph) -> str:
    """`fmt` is mermaid, dot or json."""
    if fmt == "json":
        return graph_json(environment, graph)
    return dot(graph) if fmt == "dot" else mermaid(graph)


def _label(graph: EstateGraph, urn: str) -> str:
    resource = graph.by_urn[urn]
    type_ = resource["type"]
    short = ":".join(type_.split(":")[1:]) if type_.count(":") == 2 else type_
    return f"{resource['name']}<br/>{short}"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _dot_text(text: str) -> str:
    return text.replace('"', '\\"')
