"""The estate as a graph: components as boxes, the resources inside them, and the wiring.

Nesting comes from parents (a component holds its children); edges come from dependencies
(`A -> B`: A uses B). Works on a plan as `Plan.to_dict()`, so stored plans draw as well.
`only` limits the graph to some resources (what a pull request changes), keeping the
components around them; `marks` tags them (added, removed, changed).
`llmops_infra.render.graph` draws it (Mermaid, Graphviz dot, JSON).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any


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

    def top(self, urn: str) -> str:
        """The outermost component holding `urn` (`urn` itself when it has none)."""
        while self.by_urn[urn].get("parent") in self.ids:
            urn = self.by_urn[urn]["parent"]
        return urn


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
