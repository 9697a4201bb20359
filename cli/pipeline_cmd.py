"""`llmops-infra pipeline generate`: write ready-to-commit CI pipelines."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from llmops_infra.cli.common import console, err_console

HELP = "CI pipelines for the estate repository."


class Provider(str, Enum):
    github = "github"
    azure_devops = "azure-devops"


def generate_cmd(
    provider: Annotated[Provider, typer.Option("--provider", help="CI system.")] = Provider.github,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Repository root to write into; its environments/ decide the jobs (the scaffold's when it has none).",
        ),
    ] = Path(),
    install: Annotated[
        str | None,
        typer.Option(
            "--install",
            help="How CI installs llmops-infra (not on PyPI): 'vendored' (default: this version's wheel written into "
            "ci/), git+https://host/org/llmops-infra@TAG, index:https://host/simple/, or wheel:PATH-or-URL.",
            show_default=False,
        ),
    ] = None,
    artifacts: Annotated[
        str | None, typer.Option("--artifacts", help="Artifact store the pipelines use for release manifests.")
    ] = None,
    service_connection: Annotated[
        str | None,
        typer.Option(
            "--service-connection",
            help="Azure DevOps workload-identity service connection for every environment "
            "(default: identity.pipeline.azure_devops.service_connection, else llmops-ENV).",
        ),
    ] = None,
    approvers: Annotated[
        str | None,
        typer.Option("--approvers", help="Azure DevOps: users or groups notified of and acting on manual validations."),
    ] = None,
    python: Annotated[str | None, typer.Option("--python", help="Python version the jobs use, e.g. 3.11.")] = None,
    approval_timeout: Annotated[
        int | None, typer.Option("--approval-timeout", help="Minutes a manual validation waits (Azure DevOps).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing pipeline files.")] = False,
) -> None:
    """Write pull-request checks (validate, policy SARIF, PR comment) and the promotion chain's deploy jobs."""
    from llmops_infra.delivery.pipelines import options_for, render, write

    options, notes = options_for(
        provider.value,
        output,
        install=install,
        artifacts=artifacts,
        service_connection=service_connection,
        python=python,
        approvers=approvers,
        approval_timeout_minutes=approval_timeout,
    )
    for path in write(render(options), output, force=force):
        console.print(f"wrote {path}", markup=False)
    for note in notes:
        err_console.print(f"note: {note}", markup=False)
