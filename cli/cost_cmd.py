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
    PricesOpt,
    ProjectDir,
    emit,
    err_console,
    synthesize_config,
)

PRICES_HELP = "Maintain the price catalogs (one per region) the cost model uses."


def cost_cmd(
    env: EnvArg,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputFile = None,
    project_dir: ProjectDir = Path(),
    prices: PricesOpt = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="Git ref (e.g. origin/main): show the change from ENV's files at REF to the working tree.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Estimate ENV's monthly cost line by line (node pools at max and min, spot where spot), priced for ENV's region; every line shows its price's date or that it is unverified."""
    from llmops_infra.offline.costing import estimate
    from llmops_infra.policies.pricing import override
    from llmops_infra.render.cost import render, render_change

    with override(prices):
        if compare is not None:
            from llmops_infra.review.compare import compare as compare_at

            (comparison,) = compare_at(
                [env],
                project_dir,
                compare,
                waiting=lambda: err_console.status(f"Planning {env} here and at {compare}…"),
            )
            emit(render_change(fmt.value, comparison), output)
            return
        config, plan = synthesize_config(env, project_dir)
        emit(render(fmt.value, plan.environment, estimate(config, plan).to_dict()), output)


def refresh_cmd(
    regions: Annotated[
        list[str] | None,
        typer.Option(
            "--region",
            help="Region to refresh (repeatable). Default: every region the project's environments use or allow "
            "(azure.location, cost.allowed_regions), else every region with a shipped catalog.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Directory to write <region>.json into (default: the user cache, where every command finds it; "
            "never the installed package).",
            show_default=False,
        ),
    ] = None,
    prices: PricesOpt = None,
    project_dir: ProjectDir = Path(),
    api_url: Annotated[
        str, typer.Option("--api-url", help="Azure Retail Prices API endpoint.")
    ] = "https://prices.azure.com/api/retail/prices",
) -> None:
    """Refresh each region's VM prices from the public Azure Retail Prices API: dated and verified for the region; other entries keep their source (or the East US fallback, unverified)."""
    from llmops_infra.offline.costing import project_regions
    from llmops_infra.policies.price_refresh import refresh_region
    from llmops_infra.policies.pricing import catalog_for, override, user_prices_dir, write_catalog

    targets = regions or project_regions(project_dir)
    directory = output or user_prices_dir()
    with override(prices):
        for region in targets:
            with err_console.status(f"Querying {api_url} for {region}…"):
                refreshed = refresh_region(catalog_for(region), region, api_url=api_url)
            target = directory / f"{region}.json"
            write_catalog(refreshed.data, target)
            err_console.print(
                f"{region}: updated {len(refreshed.updated)} VM size(s) in {target}"
                + (
                    f"; not offered or not found in {region} (unchanged): {', '.join(refreshed.missing)}"
                    if refreshed.missing
                    else ""
                ),
                markup=False,
            )
