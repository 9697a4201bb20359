"""A plan: a table grouped by component, JSON (`Plan.to_dict()`, with the cost), or Markdown for a pull request."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from rich.table import Table

from llmops_infra.render import as_text, to_json

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
    return to_json(data, sort_keys=True)


def cost_total(plan: Plan, cost: Estimate) -> str:
    unverified = len(cost.unverified)
    trust = f"; {unverified} of {len(cost.priced)} priced lines unverified" if unverified else "; verified prices"
    dates = f" dated {', '.join(cost.price_dates)}" if cost.price_dates else ""
    return (
        f"Estimated monthly cost: ${cost.total_monthly_usd:,.2f} at maximum scale "
        f"(${cost.total_monthly_usd_min:,.2f} at minimum), {cost.region or 'region'} prices{dates}{trust}; "
        f"lines: llmops-infra cost {plan.environment}"
    )


def plan_table(plan: Plan, width: int = 120, cost: Estimate | None = None) -> str:
    table = Table(title=f"Plan: {plan.environment} ({len(plan.custom_resources())} resources)", show_lines=False)
    table.add_column("Component")
    table.add_column("Resource type")
    table.add_column("Count", justify="right")
    for label, members in group_by_component(plan).items():
        counts = Counter(_short_type(r.type) for r in members)
        first = True
        for type_, count in sorted(counts.items()):
            table.add_row(label if first else "", type_, str(count))
            first = False
    text = as_text(table, width)
    if plan.outputs:
        text += as_text("Outputs: " + ", ".join(sorted(plan.outputs)), width)
    if cost is not None:
        text += as_text(cost_total(plan, cost), width)
    return text


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


def render(fmt: str, plan: Plan, cost: Estimate | None = None) -> str:
    """`fmt` is table, json or markdown."""
    if fmt == "json":
        return plan_json(plan, cost=cost)
    if fmt == "markdown":
        return plan_markdown(plan, cost=cost)
    return plan_table(plan, cost=cost)


def _short_type(type_: str) -> str:
    """azure-native:keyvault:Vault -> keyvault:Vault; kubernetes:apps/v1:Deployment -> apps/v1:Deployment."""
    parts = type_.split(":")
    return ":".join(parts[1:]) if len(parts) == 3 else type_
