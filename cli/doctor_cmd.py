"""`llmops-infra doctor`: what the engine needs, what is missing here, and how to get it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmops_infra.cli.common import ListFormat, ListFormatOpt, ProjectDir, console, emit


def doctor_cmd(
    project_dir: ProjectDir = Path(),
    fmt: ListFormatOpt = ListFormat.table,
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="Check only these environments.")] = None,
) -> None:
    """Check the Pulumi CLI, its language host, backends, secrets and Azure credentials; say how to fix each.

    Exit 0 when everything is there, 2 on bad or missing input (environment file, passphrase), 3 when a tool or credentials are missing.
    """
    from llmops_infra.config.loader import require_environment
    from llmops_infra.engine.doctor import doctor_report
    from llmops_infra.render.doctor import doctor_json, doctor_table

    for name in env or []:
        require_environment(name, project_dir)  # a mistyped --env is bad input, not a row of the report
    report = doctor_report(project_dir, envs=env)
    if fmt is ListFormat.json:
        emit(doctor_json(report))
    else:
        console.print(doctor_table(report))
    raise typer.Exit(report["exit_code"])
