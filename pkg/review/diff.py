"""Differences for reviewers: two configurations, two plans (drawn by `llmops_infra.render.diff`).

Plans are compared by URN with the stack name taken out (`urn:pulumi:<stack>::...`), so the
same resource lines up across two environments (`diff dev staging`) or across two commits
of one environment. Properties are compared leaf by leaf and reported by path
(`properties.enablePurgeProtection`, `agentPoolProfiles[0].count`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MISSING = object()


@dataclass(frozen=True)
class Change:
    """One leaf that differs: `before`/`after` are MISSING where the leaf is absent."""

    path: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        """JSON form: an absent leaf is null."""
        return {"path": self.path, "before": _plain(self.before), "after": _plain(self.after)}


@dataclass(frozen=True)
class ResourceChange:
    key: str
    """The URN without its stack: `llmops::<type chain>::<name>`."""
    type: str
    name: str
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class PlanDiff:
    before: str
    after: str
    added: list[ResourceChange]
    removed: list[ResourceChange]
    changed: list[ResourceChange]
    unchanged: int

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
        }

    def to_dict(self) -> dict[str, Any]:
        """The counts, the keys added and removed, and the changes of each changed resource by key."""
        return {
            **self.counts(),
            "added": [e.key for e in self.added],
            "removed": [e.key for e in self.removed],
            "changed": {e.key: [c.to_dict() for c in e.changes] for e in self.changed},
        }


def stackless(urn: str) -> str:
    """`urn:pulumi:dev::llmops::T::n` -> `llmops::T::n`."""
    parts = urn.split("::")
    return "::".join(parts[1:]) if len(parts) >= 4 else urn


def diff_values(before: Any, after: Any, path: str = "") -> list[Change]:
    """Differences between two JSON-like values, by path (DeepDiff, a maintained diff library).

    Mappings are compared key by key; a mapping added or removed is reported leaf by leaf. Lists
    are compared item by item, as sets with repetitions (an item inserted at the front is one
    added item, not a change of every item after it); a list whose items are the same in
    another order is reported once, as the whole list.
    """
    from deepdiff import DeepDiff

    if before is MISSING or after is MISSING:
        return _expanded(path, before, after)
    tree = DeepDiff(before, after, ignore_order=True, report_repetition=True, view="tree", verbose_level=2)
    changes: list[Change] = []
    for kind, levels in tree.items():
        for level in levels:
            removed = kind.endswith("_removed")
            parts = level.path(output_format="list", use_t2=not removed)
            old = MISSING if kind.endswith("_added") else level.t1
            new = MISSING if removed else level.t2
            if kind == "repetition_change":
                old, new = level.t1, level.t2
            if kind.startswith("iterable_item"):  # a list item added or removed: the item, whole
                changes.append(Change(_join(path, parts), old, new))
            else:
                changes += _expanded(_join(path, parts), old, new)
    changes += _reordered(before, after, path, {c.path for c in changes})
    return sorted(changes, key=lambda c: _sort_key(c.path))


def _expanded(path: str, before: Any, after: Any) -> list[Change]:
    """A mapping added or removed as its leaves; anything else as one change."""
    if before is MISSING and isinstance(after, dict) and after:
        return [c for key, value in sorted(after.items()) for c in _expanded(_join(path, [key]), MISSING, value)]
    if after is MISSING and isinstance(before, dict) and before:
        return [c for key, value in sorted(before.items()) for c in _expanded(_join(path, [key]), value, MISSING)]
    return [] if before == after else [Change(path or "(value)", before, after)]


def _reordered(before: Any, after: Any, path: str, reported: set[str]) -> list[Change]:
    """Lists (reached through mappings) whose items are the same in another order."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[Change] = []
        for key in sorted(set(before) & set(after), key=str):
            found += _reordered(before[key], after[key], _join(path, [key]), reported)
        return found
    if isinstance(before, list) and isinstance(after, list) and before != after:
        inside = any(p == path or p.startswith((path + "[", path + ".")) for p in reported)
        return [] if inside else [Change(path or "(value)", before, after)]
    return []


def _join(path: str, parts: list[Any]) -> str:
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _sort_key(path: str) -> list[tuple[int, str]]:
    """Paths in document order: `a[2]` before `a[10]`."""
    import re

    return [(1, f"{int(p):09d}") if p.isdigit() else (0, p) for p in re.split(r"[.\[\]]+", path) if p]


def diff_plans(before: dict[str, Any] | None, after: dict[str, Any], *, ignore: tuple[str, ...] = ()) -> PlanDiff:
    """Compare two plans (as `Plan.to_dict()`); `before` None means everything is new.

    Only custom resources are compared (components and providers carry no cloud state).
    `ignore` lists property paths to leave out (e.g. tags.environment across environments).
    """
    old = _resources(before)
    new = _resources(after)
    added = [_entry(k, new[k]) for k in sorted(set(new) - set(old))]
    removed = [_entry(k, old[k]) for k in sorted(set(old) - set(new))]
    changed, unchanged = [], 0
    for key in sorted(set(old) & set(new)):
        before_props, after_props = old[key].get("props", {}), new[key].get("props", {})
        if _identical(before_props, after_props):  # most resources of a change: no need to ask DeepDiff
            unchanged += 1
            continue
        changes = [
            c
            for c in diff_values(before_props, after_props)
            if not any(c.path == i or c.path.startswith(i + ".") for i in ignore)
        ]
        if changes:
            changed.append(_entry(key, new[key], changes))
        else:
            unchanged += 1
    return PlanDiff(
        before=(before or {}).get("environment", "(nothing)"),
        after=after.get("environment", "?"),
        added=added,
        removed=removed,
        changed=changed,
        unchanged=unchanged,
    )


def _identical(before: Any, after: Any) -> bool:
    """The same JSON value, types too (`1 == True` in Python, not in JSON)."""
    import json

    return bool(before == after) and json.dumps(before, sort_keys=True, default=str) == json.dumps(
        after, sort_keys=True, default=str
    )


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Key-level differences between two merged environment documents (the `name` aside)."""
    return [c for c in diff_values(before, after) if c.path != "name"]


def environment_diff(env_a: str, env_b: str, project_dir: Path) -> tuple[list[Change], PlanDiff]:
    """Two environments of one project: their merged documents key by key, their plans by property."""
    import json

    from llmops_infra.config.loader import load_environment_with_source
    from llmops_infra.offline.planning import plan_config

    config_a, doc_a = load_environment_with_source(env_a, project_dir)
    config_b, doc_b = load_environment_with_source(env_b, project_dir)
    plan_a, plan_b = plan_config(config_a).to_dict(), plan_config(config_b).to_dict()
    # the documents as JSON sees them (dates as strings), like the stored ones a promotion compares
    changes = diff_documents(json.loads(json.dumps(doc_a, default=str)), json.loads(json.dumps(doc_b, default=str)))
    return changes, diff_plans(plan_a, plan_b)


def _resources(plan: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not plan:
        return {}
    return {stackless(r["urn"]): r for r in plan.get("resources", []) if r.get("custom")}


def _entry(key: str, resource: dict[str, Any], changes: list[Change] | None = None) -> ResourceChange:
    return ResourceChange(key=key, type=resource["type"], name=resource["name"], changes=changes or [])


def _plain(value: Any) -> Any:
    return None if value is MISSING else value
