"""Draw the estate: components as boxes, the resources inside them, and the wiring.

Nesting comes from parents (a component holds its children); arrows come from
dependencies (`A --> B`: A uses B). Works on a plan as `Plan.to_dict()`, so stored plans
draw as well. `only` limits the drawing to some resources (what a pull request changes),
keeping the components around them; `marks` colours them (added, removed, changed).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

MAX_NODES = 150
CLASSES = {
    "added": "fill:#e6ffed,stroke:#2da44e",
    "removed": "fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4",
    "changed": "fill:#fff8c5,stroke:#bf8700",
}


class EstateGraph:
    """Components (with their nesting), resources, and dependency edges."""

    def __init__(self, plan: dict[str, Any], only: set[str] | None = None, marks: dict[str, str] | None = None):
        resources = [r for r in plan.get("resources", []) if not r["type"].startswith("pulumi:providers:")]
        self.by_urn = {r["urn"]: r for r in resources}
        self.marks = marks or {}
        wanted = {u for u in self.by_urn if self.by_urn[u].get("custom")}
        if only is not None:
            wanted &= only
        self.resources = sorted(wanted)
        keep: set[str] = set()
        for urn in self.resources:
            parent = self.by_urn[urn].get("parent")
            while parent in self.by_urn:
                keep.add(parent)
                parent = self.by_urn[parent].get("parent")
        self.components = sorted(keep)
        self.ids = {urn: f"n{i}" for i, urn in enumerate(self.components + self.resources)}
        self.children: dict[str | None, list[str]] = defaultdict(list)
        for urn in self.components + self.resources:
            parent = self.by_urn[urn].get("parent")
            self.children[parent if parent in self.ids else None].append(urn)
        self.edges = self._edges()

    def _edges(self) -> list[tuple[str, str]]:
        edges = set()
        for urn in self.resources:
            for dep in self.by_urn[urn].get("dependencies", []):
                if dep in self.ids and dep != urn and dep != self.by_urn[urn].get("parent"):
                    edges.add((urn, dep))
        return sorted(edges)

    def label(self, urn: str) -> str:
        resource = self.by_urn[urn]
        type_ = resource["type"]
        short = ":".join(type_.split(":")[1:]) if type_.count(":") == 2 else type_
        return f"{resource['name']}<br/>{short}"

    # ----------------------------------------------------------------- renderers

    def to_dict(self) -> dict[str, Any]:
        """Nodes (components and resources, with their parent) and `uses` edges, for tools."""

        def node(urn: str) -> dict[str, Any]:
            resource = self.by_urn[urn]
            parent = resource.get("parent")
            return {
                "id": self.ids[urn],
                "urn": urn,
                "name": resource["name"],
                "type": resource["type"],
                "kind": "component" if urn in self.components else "resource",
                "parent": self.ids.get(parent) if parent else None,
                **({"mark": self.marks[urn]} if urn in self.marks else {}),
            }

        return {
            "nodes": [node(u) for u in self.components + self.resources],
            "edges": [{"from": self.ids[a], "to": self.ids[b]} for a, b in self.edges],
        }

    def mermaid(self) -> str:
        lines = ["flowchart LR"]
        if len(self.ids) > MAX_NODES:
            return self._mermaid_components(lines)
        self._mermaid_children(None, lines, "  ")
        for source, target in self.edges:
            lines.append(f"  {self.ids[source]} --> {self.ids[target]}")
        used = sorted({m for m in self.marks.values() if m in CLASSES})
        for mark in used:
            lines.append(f"  classDef {mark} {CLASSES[mark]}")
        for urn, mark in sorted(self.marks.items()):
            if urn in self.ids and mark in CLASSES:
                lines.append(f"  class {self.ids[urn]} {mark}")
        return "\n".join(lines) + "\n"

    def _top(self, urn: str) -> str:
        """The outermost component holding `urn` (`urn` itself when it has none)."""
        while self.by_urn[urn].get("parent") in self.ids:
            urn = self.by_urn[urn]["parent"]
        return urn

    def _mermaid_components(self, lines: list[str]) -> str:
        """Too many resources for one diagram: the top-level components, their sizes and their wiring."""
        lines.append(
            f"  %% {len(self.resources)} resources are too many to draw one by one: components only; "
            "--format dot or json has every resource"
        )
        counts: dict[str, int] = defaultdict(int)
        for urn in self.resources:
            counts[self._top(urn)] += 1
        for urn in self.children.get(None, []):
            text = _mermaid_text(f"{self.label(urn)}<br/>{counts[urn]} resource(s)")
            lines.append(f'  {self.ids[urn]}["{text}"]')
        edges = sorted({(self._top(a), self._top(b)) for a, b in self.edges} - {(u, u) for u in self.ids})
        for source, target in edges:
            if source != target:
                lines.append(f"  {self.ids[source]} --> {self.ids[target]}")
        return "\n".join(lines) + "\n"

    def _mermaid_children(self, parent: str | None, lines: list[str], indent: str) -> None:
        for urn in self.children.get(parent, []):
            text = _mermaid_text(self.label(urn))
            if urn in self.components:
                lines.append(f'{indent}subgraph {self.ids[urn]}["{text}"]')
                self._mermaid_children(urn, lines, indent + "  ")
                lines.append(f"{indent}end")
            else:
                lines.append(f'{indent}{self.ids[urn]}["{text}"]')

    def dot(self) -> str:
        lines = ["digraph estate {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
        self._dot_children(None, lines, "  ")
        for source, target in self.edges:
            lines.append(f"  {self.ids[source]} -> {self.ids[target]};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _dot_children(self, parent: str | None, lines: list[str], indent: str) -> None:
        for urn in self.children.get(parent, []):
            text = _dot_text(self.label(urn).replace("<br/>", "\\n"))
            if urn in self.components:
                lines.append(f"{indent}subgraph cluster_{self.ids[urn]} {{")
                lines.append(f'{indent}  label="{text}";')
                self._dot_children(urn, lines, indent + "  ")
                lines.append(f"{indent}}}")
            else:
                colour = {"added": "#2da44e", "removed": "#cf222e", "changed": "#bf8700"}.get(self.marks.get(urn, ""))
                extra = f', color="{colour}"' if colour else ""
                lines.append(f'{indent}{self.ids[urn]} [label="{text}"{extra}];')


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _dot_text(text: str) -> str:
    return text.replace('"', '\\"')


def changed_graph(before: dict[str, Any] | None, after: dict[str, Any]) -> EstateGraph:
    """The graph of what differs between two plans, drawn over the union of both."""
    from llmops_infra.review.diff import diff_plans, stackless

    diff = diff_plans(before, after)
    marks_by_key = {e.key: "added" for e in diff.added}
    marks_by_key |= {e.key: "removed" for e in diff.removed}
    marks_by_key |= {e.key: "changed" for e in diff.changed}
    after_keys = {stackless(r["urn"]) for r in after.get("resources", [])}
    union = dict(after)
    union["resources"] = list(after.get("resources", [])) + [
        _restack(r, after) for r in (before or {}).get("resources", []) if stackless(r["urn"]) not in after_keys
    ]
    marks = {
        r["urn"]: marks_by_key[stackless(r["urn"])] for r in union["resources"] if stackless(r["urn"]) in marks_by_key
    }
    return EstateGraph(union, only=set(marks), marks=marks)


def _restack(resource: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """A resource of the other plan, with its URNs moved into `plan`'s stack."""
    stack = plan.get("environment", "")

    def move(urn: str | None) -> str | None:
        if not urn or "::" not in urn:
            return urn
        head, _, rest = urn.partition("::")
        return f"urn:pulumi:{stack}::{rest}" if head.startswith("urn:pulumi:") else urn

    return {
        **resource,
        "urn": move(resource["urn"]),
        "parent": move(resource.get("parent")),
        "dependencies": [move(d) for d in resource.get("dependencies", [])],
    }
