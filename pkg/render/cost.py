"""Cost: the monthly estimate of one plan (from `Estimate.to_dict()`) and its change against a git ref."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import JustifyMethod
from rich.table import Table

from llmops_infra.render import as_text, to_json

if TYPE_CHECKING:
    from llmops_infra.review.compare import Comparison


def _by_cost(estimate: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(estimate["lines"], key=lambda line: -line["monthly_usd"])


def cost_json(environment: str, estimate: dict[str, Any]) -> str:
    return to_json({"environment": environment, **estimate})


def prices_note(estimate: dict[str, Any]) -> str:
    """Where the prices come from and how far to trust them, in one sentence."""
    lines = [line for line in estimate["lines"] if line.get("unit_price") is not None]
    unverified = estimate.get("unverified_lines", 0)
    dates = estimate.get("price_dates") or []
    text = f"Prices for {estimate.get('region') or 'the region'} from {estimate.get('catalog') or 'the catalog'}. "
    if unverified:
        text += (
            f"{unverified} of {len(lines)} priced lines use unverified prices (not read from the Azure Retail Prices "
            "API for this region): treat the total as an estimate; `llmops-infra prices refresh` updates them."
        )
    else:
        text += "Every price was read from the Azure Retail Prices API."
    if dates:
        text += f" Price dates: {', '.join(dates)}."
    return text


def cost_table(environment: str, estimate: dict[str, Any], width: int = 160) -> str:
    table = Table(title=f"Monthly cost estimate: {environment} (USD)", caption=prices_note(estimate))
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("Resource", "left"),
        ("SKU", "left"),
        ("Quantity", "left"),
        ("Min", "right"),
        ("Max", "right"),
        ("Price", "left"),
        ("Note", "left"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify, overflow="fold")
    for line in _by_cost(estimate):
        table.add_row(
            line["resource"],
            line["sku"],
            line["quantity"],
            f"{line['monthly_usd_min']:,.2f}",
            f"{line['monthly_usd']:,.2f}",
            line.get("price", ""),
            line["note"],
        )
    table.add_row(
        "Total", "", "", f"{estimate['total_monthly_usd_min']:,.2f}", f"{estimate['total_monthly_usd']:,.2f}", "", ""
    )
    return as_text(table, width)


def cost_markdown(environment: str, estimate: dict[str, Any]) -> str:
    lines = [
        f"### Monthly cost estimate: `{environment}`",
        "",
        f"**${estimate['total_monthly_usd']:,.2f}** per month at maximum scale "
        f"(${estimate['total_monthly_usd_min']:,.2f} at minimum).",
        "",
        f"_{prices_note(estimate)}_",
        "",
        "| Resource | SKU | Quantity | Min USD | Max USD | Price |",
        "|---|---|---|---:|---:|---|",
    ]
    for line in _by_cost(estimate):
        lines.append(
            f"| `{line['resource']}` | {line['sku']} | {line['quantity']} | {line['monthly_usd_min']:,.2f} "
            f"| {line['monthly_usd']:,.2f} | {line.get('price', '')} |"
        )
    if estimate["unpriced"]:
        lines += ["", "Not in the price catalog (counted as 0): " + ", ".join(estimate["unpriced"])]
    return "\n".join(lines) + "\n"


def render(fmt: str, environment: str, estimate: dict[str, Any]) -> str:
    """`fmt` is table, json or markdown; `estimate` is `Estimate.to_dict()`."""
    renderers = {"json": cost_json, "markdown": cost_markdown, "table": cost_table}
    return renderers[fmt](environment, estimate)


# --------------------------------------------------------------------------- against a git ref


def money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"


def change_markdown(comparisons: list[Comparison]) -> str:
    """One row per environment: monthly cost before, after, and the change."""
    lines = ["| environment | before | after | change |", "|---|---:|---:|---:|"]
    for c in comparisons:
        before, after = c.before.monthly_usd, c.after.monthly_usd
        if c.after.errors or c.before.errors:
            shown = [
                "not planned: invalid configuration" if side.errors else money(side.monthly_usd)
                for side in (c.before, c.after)
            ]
            lines.append(f"| `{c.environment}` | {shown[0]} | {shown[1]} | — |")
            continue
        pct = f" ({c.delta_usd / before:+.0%})" if before else ""
        lines.append(f"| `{c.environment}` | {money(before)} | {money(after)} | {_signed(c.delta_usd)}{pct} |")
    ref = comparisons[0].ref if comparisons else "?"
    lines.append(f"\nMonthly estimates at maximum scale; before = `{ref}`.")
    for c in comparisons:
        if c.after.unverified:
            lines.append(
                f"`{c.environment}`: {c.after.unverified} of {c.after.lines} cost lines use unverified prices "
                f"({c.after.catalog})."
            )
    return "\n".join(lines) + "\n"


MAX_COST_ROWS = 40


def resource_changes_markdown(comparisons: list[Comparison], *, max_rows: int = MAX_COST_ROWS) -> str:
    """One row per resource whose monthly cost changes (largest change first); empty when none does."""
    rows = [(c.environment, change) for c in comparisons for change in c.cost_changes()]
    if not rows:
        return ""
    lines = [
        f"<details><summary>Cost change by resource ({len(rows)})</summary>",
        "",
        "| environment | resource | SKU | before | after | change | price |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for env, change in sorted(rows, key=lambda row: -abs(row[1].delta_usd))[:max_rows]:
        sku = change.sku_after or change.sku_before
        if change.sku_before and change.sku_after and change.sku_before != change.sku_after:
            sku = f"{change.sku_before} → {change.sku_after}"
        lines.append(
            f"| `{env}` | `{change.resource}` | {sku} | {money(change.before_usd)} | {money(change.after_usd)} "
            f"| {_signed(change.delta_usd)} | {change.price} |"
        )
    if len(rows) > max_rows:
        lines.append(
            f"\n_{len(rows) - max_rows} more resource(s) not shown: `llmops-infra cost ENV --compare REF --format json` "
            "lists every one._"
        )
    return "\n".join([*lines, "", "</details>"]) + "\n"


def _signed(value: float) -> str:
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}${abs(value):,.0f}"


def change_text(comparison: Comparison) -> str:
    c = comparison
    return (
        f"{c.environment}: {money(c.before.monthly_usd)} at {c.ref} -> {money(c.after.monthly_usd)} "
        f"now ({c.delta_usd:+,.0f} USD/month at maximum scale)\n"
    )


def change_json(comparison: Comparison) -> str:
    return to_json(comparison.to_dict())


def render_change(fmt: str, comparison: Comparison) -> str:
    """`cost ENV --compare REF` in `fmt` (table, json or markdown)."""
    if fmt == "json":
        return change_json(comparison)
    if fmt == "markdown":
        return change_markdown([comparison])
    return change_text(comparison)
