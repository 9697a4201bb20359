"""`llmops-infra cost ENV` (monthly estimate of the offline plan) and `llmops-infra prices refresh`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmops_infra.cli.common import (
    EnvArg,
    FormatOpt,
    OutputFile,
    OutputFormat,
    ProjectDir,
    emit,
    err_console,
    synthesize,
)

PRICES_HELP = "Maintain the price catalog the cost model uses."

PricesFile = Annotated[
    Path | None,
    typer.Option(
        "--prices", help="Price catalog JSON (default: the one shipped with llmops-infra).", show_default=False
    ),
]


def cost_cmd(
    env: EnvArg,
    fmt: FormatOpt = OutputFormat.table,
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
    from llmops_infra.policies.pricing import load_catalog
    from llmops_infra.render.cost import render, render_change

    if compare is not None:
        from llmops_infra.review.compare import compare as compare_at

        with err_console.status(f"Planning {env} here and at {compare}…"):
            (comparison,) = compare_at([env], project_dir, compare)
        emit(render_change(fmt.value, comparison), output)
        return
    catalog = load_catalog(prices)
    plan = synthesize(env, project_dir)
    emit(render(fmt.value, plan.environment, estimate_plan(plan, catalog).to_dict()), output)


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
    from llmops_infra.policies.pricing import default_catalog_path, load_catalog, refresh_catalog, write_catalog

    catalog = load_catalog(prices)
    with err_console.status(f"Querying {api_url}…"):
        refreshed, updated = refresh_catalog(catalog, api_url=api_url)
    target = output or prices or default_catalog_path()
    write_catalog(refreshed, target)
    missing = sorted(set(catalog.vm_sizes()) - set(updated))
    err_console.print(
        f"updated {len(updated)} VM size(s) in {target}"
        + (f"; not found in the API (kept as they were): {', '.join(missing)}" if missing else "")
    )
