"""Differences for reviewers: two configurations, two plans, rendered as text or Markdown.

Plans are compared by URN with the stack name taken out (`urn:pulumi:<stack>::...`), so the
same resource lines up across two environments (`diff dev staging`) or across two commits
of one environment. Properties are compared leaf by leaf and reported by path
(`properties.enablePurgeProtection`, `agentPoolProfiles[0].count`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MISSING = object()
MAX_VALUE_CHARS = 80


@dataclass(frozen=True)
class Change:
    """One leaf that differs: `before`/`after` are MISSING where the leaf is absent."""

    path: str
    before: Any
    after: Any

    def describe(self) -> str:
        return f"{self.path}: {_show(self.before)} -> {_show(self.after)}"


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


def stackless(urn: str) -> str:
    """`urn:pulumi:dev::llmops::T::n` -> `llmops::T::n`."""
    parts = urn.split("::")
    return "::".join(parts[1:]) if len(parts) >= 4 else urn


def diff_values(before: Any, after: Any, path: str = "") -> list[Change]:
    """Leaf-level differences between two JSON-like values."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Change] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            changes += diff_values(before.get(key, MISSING), after.get(key, MISSING), sub)
        return changes
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        changes = []
        for index, (a, b) in enumerate(zip(before, after, strict=True)):
            changes += diff_values(a, b, f"{path}[{index}]")
        return changes
    if before is MISSING and isinstance(after, dict):
        return [c for key, value in sorted(after.items()) for c in diff_values(MISSING, value, f"{path}.{key}")] or [
            Change(path, MISSING, after)
        ]
    if after is MISSING and isinstance(before, dict):
        return [c for key, value in sorted(before.items()) for c in diff_values(value, MISSING, f"{path}.{key}")] or [
            Change(path, before, MISSING)
        ]
    return [] if before == after else [Change(path or "(value)", before, after)]


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
        changes = [
            c
            for c in diff_values(old[key].get("props", {}), new[key].get("props", {}))
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


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Key-level differences between two merged environment documents (the `name` aside)."""
    return [c for c in diff_values(before, after) if c.path != "name"]


def _resources(plan: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not plan:
        return {}
    return {stackless(r["urn"]): r for r in plan.get("resources", []) if r.get("custom")}


def _entry(key: str, resource: dict[str, Any], changes: list[Change] | None = None) -> ResourceChange:
    return ResourceChange(key=key, type=resource["type"], name=resource["name"], changes=changes or [])


def _show(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the wire format carries every number as a double
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


# --------------------------------------------------------------------------- rendering


def render_text(config_changes: list[Change], plan_diff: PlanDiff, *, config_before: str | None = None) -> str:
    """`config_before` names what the config was compared with when that is not the plan's `before`."""
    lines = [f"Config {config_before or plan_diff.before} -> {plan_diff.after}: {len(config_changes)} keys differ"]
    lines += [f"  {c.describe()}" for c in config_changes]
    counts = plan_diff.counts()
    lines.append(
        f"Plan: {counts['added']} to add, {counts['changed']} to change, "
        f"{counts['removed']} to remove, {counts['unchanged']} unchanged"
    )
    for sign, group in (("+", plan_diff.added), ("-", plan_diff.removed), ("~", plan_diff.changed)):
        for entry in group:
            lines.append(f"  {sign} {entry.type} {entry.name}")
            lines += [f"      {c.describe()}" for c in entry.changes]
    return "\n".join(lines) + "\n"


def render_markdown(config_changes: list[Change], plan_diff: PlanDiff, *, max_changes: int = 50) -> str:
    counts = plan_diff.counts()
    lines = [
        f"#### `{plan_diff.before}` → `{plan_diff.after}`",
        "",
        f"**Plan:** {counts['added']} to add, {counts['changed']} to change, {counts['removed']} to remove, "
        f"{counts['unchanged']} unchanged.",
        "",
    ]
    if config_changes:
        lines += [
            f"<details><summary>Configuration: {len(config_changes)} keys differ</summary>",
            "",
            "| key | before | after |",
            "|---|---|---|",
        ]
        lines += [f"| `{c.path}` | {_cell(c.before)} | {_cell(c.after)} |" for c in config_changes[:max_changes]]
        lines += ["", "</details>", ""]
    if not plan_diff.empty:
        lines += ["| | resource | type | properties |", "|---|---|---|---|"]
        shown = 0
        for sign, group in (("➕", plan_diff.added), ("➖", plan_diff.removed), ("✏️", plan_diff.changed)):
            for entry in group:
                if shown >= max_changes:
                    break
                props = "<br>".join(f"`{c.path}`: {_cell(c.before)} → {_cell(c.after)}" for c in entry.changes[:8])
                more = len(entry.changes) - 8
                props += f"<br>… {more} more" if more > 0 else ""
                lines.append(f"| {sign} | `{entry.name}` | `{entry.type}` | {props} |")
                shown += 1
        total = len(plan_diff.added) + len(plan_diff.removed) + len(plan_diff.changed)
        if total > shown:
            lines.append(f"\n… and {total - shown} more resources.")
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    return _show(value).replace("|", "\\|").replace("\n", " ")
