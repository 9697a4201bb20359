"""`llmops-infra cost ENV` (monthly estimate of the offline plan) and `llmops-infra prices refresh`."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmops_infra.cli.common import (
    OutputFile,
    OutputFormat,
    ProjectDir,
    emit,
    err_console,
    handle_errors,
    synthesize,
)

if TYPE_CHECKING:
    from llmops_infra.policies.cost_model import Estimate

prices_app = typer.Typer(help="Maintain the price catalog the cost model uses.", no_args_is_help=True)

PricesFile = Annotated[
    Path | None,
    typer.Option(
        "--prices", help="Price catalog JSON (default: the one shipped with llmops-infra).", show_default=False
    ),
]


def cost_table(environment: str, estimate: Estimate, width: int = 140) -> str:
    from rich.console import Console
    from rich.table import Table

    buffer = StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, highlight=False)
    table = Table(title=f"Monthly cost estimate: {environment} (USD)")
    for column, justify in (
        ("Resource", "left"),
        ("SKU", "left"),
        ("Quantity", "left"),
        ("Min", "right"),
        ("Max", "right"),
        ("Note", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for line in sorted(estimate.lines, key=lambda item: -item.monthly_usd):
        table.add_row(
            line.resource,
            line.sku,
            line.quantity,
            f"{line.monthly_usd_min:,.2f}",
            f"{line.monthly_usd:,.2f}",
            line.note,
        )
    table.add_row("Total", "", "", f"{estimate.total_monthly_usd_min:,.2f}", f"{estimate.total_monthly_usd:,.2f}", "")
    console.print(table)
    return buffer.getvalue()


def cost_markdown(environment: str, estimate: Estimate) -> str:
    lines = [
        f"### Monthly cost estimate: `{environment}`",
        "",
        f"**${estimate.total_monthly_usd:,.2f}** per month at maximum scale "
        f"(${estimate.total_monthly_usd_min:,.2f} at minimum).",
        "",
        "| Resource | SKU | Quantity | Min USD | Max USD |",
        "|---|---|---|---:|---:|",
    ]
    for line in sorted(estimate.lines, key=lambda item: -item.monthly_usd):
        lines.append(
            f"| `{line.resource}` | {line.sku} | {line.quantity} | {line.monthly_usd_min:,.2f} "
            f"| {line.monthly_usd:,.2f} |"
        )
    if estimate.unpriced:
        lines += ["", "Not in the price catalog (counted as 0): " + ", ".join(estimate.unpriced)]
    return "\n".join(lines) + "\n"


def _catalog(prices: Path | None):
    from llmops_infra.errors import ConfigError
    from llmops_infra.policies.pricing import PriceCatalogError, load_catalog

    try:
        return load_catalog(prices)
    except PriceCatalogError as exc:
        raise ConfigError(str(exc), key="--prices") from None


@handle_errors
def cost_cmd(
    env: Annotated[str, typer.Argument(help="Environment name: a file environments/ENV.yaml.", show_default=False)],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
    output: OutputFile = None,
    project_dir: ProjectDir = Path(),
    prices: PricesFile = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="Git ref (e.g. origin/main): show the change from ENV's files at REF to the working tree.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Estimate ENV's monthly cost line by line (node pools at max and min, spot where spot)."""
    from llmops_infra.policies.cost_model import estimate_plan

    if compare is not None:
        from llmops_infra.cli.diff_cmd import cost_compare

        emit(cost_compare(env, project_dir, compare, fmt), output)
        return
    catalog = _catalog(prices)
    plan = synthesize(env, project_dir)
    estimate = estimate_plan(plan, catalog)
    if fmt is OutputFormat.json:
        emit(json.dumps({"environment": plan.environment, **estimate.to_dict()}, indent=2), output)
    elif fmt is OutputFormat.markdown:
        emit(cost_markdown(plan.environment, estimate), output)
    else:
        emit(cost_table(plan.environment, estimate), output)


@prices_app.command("refresh")
@handle_errors
def refresh_cmd(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the refreshed catalog (default: overwrite --prices or the shipped one).",
            show_default=False,
        ),
    ] = None,
    prices: PricesFile = None,
    api_url: Annotated[
        str, typer.Option("--api-url", help="Azure Retail Prices API endpoint.")
    ] = "https://prices.azure.com/api/retail/prices",
) -> None:
    """Refresh the VM prices of the catalog from the public Azure Retail Prices API."""
    from llmops_infra.errors import ConfigError
    from llmops_infra.policies.pricing import PriceCatalogError, default_catalog_path, refresh_catalog, write_catalog

    catalog = _catalog(prices)
    try:
        with err_console.status(f"Querying {api_url}…"):
            refreshed, updated = refresh_catalog(catalog, api_url=api_url)
    except PriceCatalogError as exc:
        raise ConfigError(str(exc), key="--api-url") from None
    target = output or prices or default_catalog_path()
    write_catalog(refreshed, target)
    missing = sorted(set(catalog.vm_sizes()) - set(updated))
    err_console.print(
        f"updated {len(updated)} VM size(s) in {target}"
        + (f"; not found in the API (kept as they were): {', '.join(missing)}" if missing else "")
    )
