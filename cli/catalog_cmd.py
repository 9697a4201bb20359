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

from llmops_infra.cli.common import (
    Group,
    ListFormat,
    OptionalEnvArg,
    ProjectDir,
    add_commands,
    command_group,
    emit,
    err_console,
)


class _ShowByDefault(Group):
    """`lifecycle dev` and `lifecycle --format json` mean `lifecycle show …`; `lifecycle refresh` is the subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["show", *args]
        return super().parse_args(ctx, args)


lifecycle_app = command_group(
    "Lifecycle of every pin: `lifecycle [ENV]` lists them with their dates; `lifecycle refresh` updates the catalog.",
    cls=_ShowByDefault,
)

CatalogFile = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        help="Lifecycle catalog JSON (default: the refreshed copy in the user cache when newer, else the shipped one).",
        show_default=False,
    ),
]


def _catalog(path: Path | None) -> Any:
    from llmops_infra.errors import ConfigError
    from llmops_infra.policies.lifecycle_catalog import LifecycleCatalogError
    from llmops_infra.policies.lifecycle_files import load_catalog

    try:
        return load_catalog(path)
    except LifecycleCatalogError as exc:
        raise ConfigError(str(exc), key="--catalog") from None


def _where(key: tuple[Any, ...], source: Any) -> str:
    from llmops_infra.config.loader import format_path

    file, line = source.locate(key)
    return f"{file}:{line} {format_path(key)}" if file and line else format_path(key)


def pin_rows(env: str, project_dir: Path, catalog: Any) -> dict[str, Any]:
    """ENV's pins, errors and warnings as plain data (the JSON output)."""
    from llmops_infra.config import lifecycle
    from llmops_infra.config.loader import load_located

    config, _merged, source = load_located(env, project_dir, check_lifecycle=False)
    report = lifecycle.check(config, catalog)
    return {
        "environment": env,
        "today": report.today.isoformat(),
        "pins": [
            {"where": _where(p.key, source), "pinned": p.value, "derived": p.derived, **p.verdict.as_dict()}
            for p in report.pins
        ],
        "errors": [{"where": _where(f.key, source), "message": f.message} for f in report.errors],
        "warnings": [{"where": _where(f.key, source), "message": f.message} for f in report.warnings],
    }


def show_cmd(
    env: OptionalEnvArg = None,
    project_dir: ProjectDir = Path(),
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
    catalog_file: CatalogFile = None,
) -> None:
    """List every pin of ENV with the lifecycle catalog's verdict, its dates, the replacement and the source."""
    from llmops_infra.config.loader import list_environments, require_environment

    catalog = _catalog(catalog_file)
    if catalog.notice:
        err_console.print(f"note: {catalog.notice}", markup=False)
    names = [env] if env else list_environments(project_dir)
    for name in names:
        require_environment(name, project_dir)
    results = [pin_rows(name, project_dir, catalog) for name in names]
    from llmops_infra.render.catalog import pins_json, pins_tables

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
    from llmops_infra.engine.arm_client import ArmClient, ArmError
    from llmops_infra.errors import EngineError
    from llmops_infra.policies.lifecycle_files import clear_cache, user_catalog_path

    catalog = _catalog(catalog_file)
    names = envs or list_environments(project_dir)
    configs = [load_located(name, project_dir, check_lifecycle=False)[0] for name in names]
    if not configs:
        raise EngineError(
            "no environment to read a subscription from: pass --env or run in a project with environments/"
        )
    if locations:
        targets = [(configs[0].azure.subscription_id, loc) for loc in locations]
    else:
        targets = sorted({(c.azure.subscription_id, c.azure.location) for c in configs})
    sizes = sorted({p.vm_size for c in configs for p in c.cluster.gpu_pools})
    target = output or user_catalog_path()
    try:
        with (
            ArmClient(base_url=arm_url) as arm,
            err_console.status(f"Reading {len(targets)} region(s) from {arm_url}…"),
        ):
            data, report = catalog_refresh.refresh(catalog, arm, targets, sizes, lifecycle.today())
    except ArmError as exc:
        raise EngineError(
            f"ARM refused or failed a read ({exc.status or 'no answer'} {exc.code}: {exc.message}); nothing was written. "
            "Reader on the subscriptions is enough; sign in with `az login` or set up workload identity"
        ) from None
    catalog_refresh.write(data, target)
    clear_cache()
    for line in report.lines():
        err_console.print(line, markup=False)
    err_console.print(f"wrote {target} (generated {data['generated']})", markup=False)


def register(app: typer.Typer) -> None:
    """`lifecycle` is a group whose default command is `show` (so `lifecycle dev` works)."""
    app.add_typer(add_commands(lifecycle_app, {"show": show_cmd, "refresh": refresh_cmd}), name="lifecycle")
