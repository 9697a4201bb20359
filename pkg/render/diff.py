"""Differences for reviewers (`review.diff`): text for a terminal, Markdown for a pull request, JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmops_infra.render import to_json

if TYPE_CHECKING:
    from llmops_infra.review.diff import Change, PlanDiff

MAX_VALUE_CHARS = 160


def show(value: Any) -> str:
    """A value as a reviewer reads it: absent leaves say so, lists and mappings as compact JSON,
    long values cut (with an ellipsis)."""
    import json

    from llmops_infra.review.diff import MISSING

    if value is MISSING:
        return "(absent)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the wire format carries every number as a double
    if isinstance(value, (dict, list)):
        text = json.dumps(value, separators=(", ", ": "), default=str)
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def describe(change: Change) -> str:
    return f"{change.path}: {show(change.before)} -> {show(change.after)}"


def diff_text(config_changes: list[Change], plan_diff: PlanDiff, *, config_before: str | None = None) -> str:
    """`config_before` names what the config was compared with when that is not the plan's `before`."""
    lines = [f"Config {config_before or plan_diff.before} -> {plan_diff.after}: {len(config_changes)} keys differ"]
    lines += [f"  {describe(c)}" for c in config_changes]
    counts = plan_diff.counts()
    lines.append(
        f"Plan: {counts['added']} to add, {counts['changed']} to change, "
        f"{counts['removed']} to remove, {counts['unchanged']} unchanged"
    )
    for sign, group in (("+", plan_diff.added), ("-", plan_diff.removed), ("~", plan_diff.changed)):
        for entry in group:
            lines.append(f"  {sign} {entry.type} {entry.name}")
            lines += [f"      {describe(c)}" for c in entry.changes]
    return "\n".join(lines) + "\n"


def plan_diff_markdown(plan_diff: PlanDiff, *, max_changes: int = 50) -> str:
    """The resource table alone (the pull-request report puts it under its own heading)."""
    if plan_diff.empty:
        return ""
    lines = ["| | resource | type | properties |", "|---|---|---|---|"]
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


def plan_summary_markdown(plan_diff: PlanDiff) -> str:
    counts = plan_diff.counts()
    return (
        f"**Plan:** {counts['added']} to add, {counts['changed']} to change, {counts['removed']} to remove, "
        f"{counts['unchanged']} unchanged.\n"
    )


def diff_markdown(config_changes: list[Change], plan_diff: PlanDiff, *, max_changes: int = 50) -> str:
    lines = [f"#### `{plan_diff.before}` → `{plan_diff.after}`", "", plan_summary_markdown(plan_diff)]
    if config_changes:
        lines += [
            f"<details><summary>Configuration: {len(config_changes)} keys differ</summary>",
            "",
            "| key | before | after |",
            "|---|---|---|",
        ]
        lines += [f"| `{c.path}` | {_cell(c.before)} | {_cell(c.after)} |" for c in config_changes[:max_changes]]
        if len(config_changes) > max_changes:
            lines += ["", f"… and {len(config_changes) - max_changes} more keys (`--format json` lists every one)."]
        lines += ["", "</details>", ""]
    return "\n".join(lines) + "\n" + plan_diff_markdown(plan_diff, max_changes=max_changes)


def diff_json(config_changes: list[Change], plan_diff: PlanDiff) -> str:
    """`{"config": [changes], "plan": {counts, added, removed, changed: {key: [changes]}}}`; absent is null."""
    return to_json({"config": [c.to_dict() for c in config_changes], "plan": plan_diff.to_dict()}, sort_keys=True)


def render(fmt: str, config_changes: list[Change], plan_diff: PlanDiff) -> str:
    """`fmt` is table (text), json or markdown."""
    if fmt == "json":
        return diff_json(config_changes, plan_diff)
    if fmt == "markdown":
        return diff_markdown(config_changes, plan_diff)
    return diff_text(config_changes, plan_diff)


def _cell(value: Any) -> str:
    return show(value).replace("|", "\\|").replace("\n", " ")
