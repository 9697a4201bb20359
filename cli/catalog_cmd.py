"""`llmops-infra lifecycle [ENV]` (every pin with its dates) and `llmops-infra lifecycle refresh`.

`lifecycle ENV` lists what ENV pins (Kubernetes version, models, GPU operator and driver,
images, OS SKUs, GPU sizes, features, AKS add-ons) with the catalog's verdict and dates; without
ENV, every environment. It lists retired pins too (that is what it is for) and exits 0; `validate`
is the command that refuses them. `lifecycle refresh` updates the catalog from live Azure APIs
into the user cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from llmops_infra.cli.common import Group, ListFormat, ListFormatOpt, OptionalEnvArg, ProjectDir, emit, err_console

HELP = "Lifecycle of every pin: `lifecycle [ENV]` lists them with their dates; `lifecycle refresh` updates the catalog."


class ShowByDefault(Group):
    """`lifecycle dev` and `lifecycle --format json` mean `lifecycle show …`; `lifecycle refresh` is the subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["show", *args]
        return super().parse_args(ctx, args)


CatalogFile = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        help="Lifecycle catalog JSON (default: the refreshed copy in the user cache when newer, else the shipped one).",
        show_default=False,
    ),
]


def show_cmd(
    env: OptionalEnvArg = None,
    project_dir: ProjectDir = Path(),
    fmt: ListFormatOpt = ListFormat.table,
    catalog_file: CatalogFile = None,
) -> None:
    """List every pin of ENV with the lifecycle catalog's verdict, its dates, the replacement and the source."""
    from llmops_infra.config.loader import list_environments, require_environment
    from llmops_infra.policies.lifecycle_files import load_catalog
    from llmops_infra.render.catalog import pins_json, pins_tables
    from llmops_infra.review.pins import pin_report

    catalog = load_catalog(catalog_file)
    if catalog.notice:
        err_console.print(f"note: {catalog.notice}", markup=False)
    names = [env] if env else list_environments(project_dir)
    for name in names:
        require_environment(name, project_dir)
    results = [pin_report(name, project_dir, catalog) for name in names]
    if fmt is ListFormat.json:
        meta = {"catalog": str(catalog.path), "generated": catalog.generated.isoformat()}
        emit(pins_json(results, meta, one=env is not None), None)
    else:
        emit(pins_tables(results), None)


def refresh_cmd(
    envs: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            "-e",
            help="Environments whose subscriptions and regions to read (default: all).",
            show_default=False,
        ),
    ] = None,
    locations: Annotated[
        list[str] | None,
        typer.Option(
            "--location", "-l", help="Read these regions instead of the environments' regions.", show_default=False
        ),
    ] = None,
    project_dir: ProjectDir = Path(),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write (default: the user cache, which the reader prefers when newer).",
            show_default=False,
        ),
    ] = None,
    catalog_file: CatalogFile = None,
    arm_url: Annotated[
        str, typer.Option("--arm-url", help="Azure Resource Manager endpoint.")
    ] = "https://management.azure.com",
) -> None:
    """Refresh the lifecycle catalog from live Azure APIs (AKS versions, models, GPU VM SKUs) with azure-identity credentials."""
    from llmops_infra.config import lifecycle
    from llmops_infra.config.loader import list_environments, load_located
    from llmops_infra.engine import catalog_refresh
    from llmops_infra.policies.lifecycle_files import load_catalog, user_catalog_path

    catalog = load_catalog(catalog_file)
    names = envs or list_environments(project_dir)
    configs = [load_located(name, project_dir, check_lifecycle=False)[0] for name in names]
    targets, sizes = catalog_refresh.targets_of(configs, locations)
    target = output or user_catalog_path()
    with err_console.status(f"Reading {len(targets)} region(s) from {arm_url}…"):
        data, report = catalog_refresh.refresh_from_arm(
            catalog, targets, sizes, arm_url=arm_url, target=target, today=lifecycle.today()
        )
    for line in report.lines():
        err_console.print(line, markup=False)
    err_console.print(f"wrote {target} (generated {data['generated']})", markup=False)
