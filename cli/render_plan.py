"""Render a plan: a table grouped by component, JSON, or Markdown for a pull request."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from io import StringIO
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from llmops_infra.plan import Plan, PlannedResource
    from llmops_infra.policies.cost_model import Estimate


def group_by_component(plan: Plan) -> dict[str, list[PlannedResource]]:
    """Component label ("name (type)") -> the custom resources inside it, in URN order."""
    groups: dict[str, list[PlannedResource]] = defaultdict(list)
    for resource in plan.custom_resources():
        component = plan.component_of(resource)
        label = f"{component.name} ({component.type})" if component else "(stack)"
        groups[label].append(resource)
    return dict(sorted(groups.items()))


def plan_json(plan: Plan, cost: Estimate | None = None) -> str:
    data = plan.to_dict()
    if cost is not None:
        data["cost"] = cost.to_dict()
    return json.dumps(data, indent=2, sort_keys=True, default=str)


def cost_total(plan: Plan, cost: Estimate) -> str:
    return (
        f"Estimated monthly cost: ${cost.total_monthly_usd:,.2f} at maximum scale "
        f"(${cost.total_monthly_usd_min:,.2f} at minimum); lines: llmops-infra cost {plan.environment}"
    )


def plan_table(plan: Plan, width: int = 120, cost: Estimate | None = None) -> str:
    buffer = StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, highlight=False)
    groups = group_by_component(plan)
    table = Table(title=f"Plan: {plan.environment} ({len(plan.custom_resources())} resources)", show_lines=False)
    table.add_column("Component")
    table.add_column("Resource type")
    table.add_column("Count", justify="right")
    for label, members in groups.items():
        counts = Counter(_short_type(r.type) for r in members)
        first = True
        for type_, count in sorted(counts.items()):
            table.add_row(label if first else "", type_, str(count))
            first = False
    console.print(table)
    if plan.outputs:
        console.print("Outputs: " + ", ".join(sorted(plan.outputs)))
    if cost is not None:
        console.print(cost_total(plan, cost))
    return buffer.getvalue()


def plan_markdown(plan: Plan, cost: Estimate | None = None) -> str:
    groups = group_by_component(plan)
    lines = [
        f"### Plan: `{plan.environment}`",
        "",
        f"{len(plan.custom_resources())} resources in {len(groups)} components.",
        "",
        "| Component | Resources | Types |",
        "|---|---:|---|",
    ]
    for label, members in groups.items():
        counts = Counter(_short_type(r.type) for r in members)
        types = ", ".join(f"{t} ×{c}" if c > 1 else t for t, c in sorted(counts.items()))
        lines.append(f"| {label} | {len(members)} | {types} |")
    if cost is not None:
        lines += ["", f"**{cost_total(plan, cost)}**"]
    return "\n".join(lines) + "\n"


def _short_type(type_: str) -> str:
    """azure-native:keyvault:Vault -> keyvault:Vault; kubernetes:apps/v1:Deployment -> apps/v1:Deployment."""
    parts = type_.split(":")
    return ":".join(parts[1:]) if len(parts) == 3 else type_
