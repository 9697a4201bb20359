"""`environments` and `validate`: the project's environment files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmops_infra.cli.common import ListFormat, ListFormatOpt, ProjectDir, console, emit


def environments_cmd(project_dir: ProjectDir = Path(), fmt: ListFormatOpt = ListFormat.table) -> None:
    """List the environments of the project (environments/*.yaml but base.yaml)."""
    from llmops_infra.config.loader import list_environments
    from llmops_infra.render.project import environments_json

    names = list_environments(project_dir)
    if fmt is ListFormat.json:
        emit(environments_json(names))
    else:
        for name in names:
            console.print(name)


def validate_cmd(
    envs: Annotated[
        list[str] | None, typer.Argument(help="Environments to validate (default: all).", show_default=False)
    ] = None,
    project_dir: ProjectDir = Path(),
    fmt: ListFormatOpt = ListFormat.table,
) -> None:
    """Validate environment files: YAML, schema, cross-field rules, secrets and the lifecycle of every pin (nothing retired or out of support today; pins retiring within 90 days are warnings). Every environment is validated; exit 2 when any is invalid (with --format json, the problems are in the document)."""
    from llmops_infra.cli.common import err_console
    from llmops_infra.config.loader import lifecycle_warnings, list_environments, load_environment, require_environment
    from llmops_infra.errors import ConfigError
    from llmops_infra.offline.locations import config_findings
    from llmops_infra.policies.runner import ConfigFinding
    from llmops_infra.render.project import invalid_lines, valid_json, valid_lines

    names = envs or list_environments(project_dir)
    for name in names:
        require_environment(name, project_dir)  # a misspelt name is a bad argument, not a finding
    warnings: dict[str, list[str]] = {}
    invalid: dict[str, list[ConfigFinding]] = {}
    for name in names:
        try:
            load_environment(name, project_dir)
            warnings[name] = lifecycle_warnings(name, project_dir)
        except ConfigError as exc:
            invalid[name] = config_findings(exc, name, project_dir)
    valid = [name for name in names if name not in invalid]
    for name in valid:
        for warning in warnings[name]:
            err_console.print(f"warning: {warning}", markup=False)
    if fmt is ListFormat.json:
        emit(valid_json(valid, warnings, invalid))
    else:
        for line in valid_lines(valid):
            console.print(line, markup=True)
        for line in invalid_lines(invalid):
            err_console.print(line, markup=False, highlight=False)
    if invalid:
        raise typer.Exit(ConfigError.exit_code)
