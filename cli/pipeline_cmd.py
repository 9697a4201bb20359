"""`llmops-infra pipeline generate`: write ready-to-commit CI pipelines."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from llmops_infra.cli.common import console

HELP = "CI pipelines for the estate repository."


class Provider(str, Enum):
    github = "github"
    azure_devops = "azure-devops"


def generate_cmd(
    provider: Annotated[Provider, typer.Option("--provider", help="CI system.")] = Provider.github,
    output: Annotated[Path, typer.Option("--output", "-o", help="Repository root to write into.")] = Path(),
    artifacts: Annotated[
        str | None, typer.Option("--artifacts", help="Artifact store the pipelines use for release manifests.")
    ] = None,
    service_connection: Annotated[
        str | None, typer.Option("--service-connection", help="Azure DevOps workload-identity service connection name.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing pipeline files.")] = False,
) -> None:
    """Write pull-request checks (validate, policy SARIF, PR comment) and dev -> staging -> prod promotion."""
    from llmops_infra.delivery.pipelines import write

    for path in write(provider.value, output, force=force, artifacts=artifacts, service_connection=service_connection):
        console.print(f"wrote {path}", markup=False)
