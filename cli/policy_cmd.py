"""`llmops-infra policy …`: check environments or any Pulumi program offline, list the rules,
and write the engine pack's config for an environment.

Exit codes: 0 no mandatory violation; 1 a mandatory violation; 2 bad input.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from llmops_infra.cli.common import (
    EnvArg,
    ListFormat,
    ListFormatOpt,
    OutputFile,
    PricesOpt,
    ProjectDir,
    console,
    emit,
    err_console,
)

HELP = "Check plans against the security and cost rules; list the rules."


class JsonFormat(str, Enum):
    json = "json"


class ReportFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    junit = "junit"


def check_cmd(
    envs: Annotated[list[str] | None, typer.Argument(help="Environments to check.", show_default=False)] = None,
    all_envs: Annotated[bool, typer.Option("--all", help="Check every environment of the project.")] = False,
    program: Annotated[
        Path | None,
        typer.Option(
            "--program",
            help="Judge any Pulumi Python program (a file, or a directory with __main__.py) synthesized under "
            "mocks. It runs the program's code with your rights (files, network, credentials): judge only code "
            "you would run.",
            show_default=False,
        ),
    ] = None,
    program_timeout: Annotated[
        float | None,
        typer.Option(
            "--program-timeout",
            min=1,
            help="Seconds --program may take to plan (default: LLMOPS_PROGRAM_TIMEOUT, else 300).",
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            help="With --program: the environment whose levels and limits apply (default: strict prod "
            "scope with empty allow-lists).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = ReportFormat.table,
    output: OutputFile = None,
    project_dir: ProjectDir = Path(),
    prices: PricesOpt = None,
) -> None:
    """Run every rule over the offline plan of ENV (or of --program); exit 1 on a mandatory violation, 2 on an invalid environment file (reported as findings in every format)."""
    from llmops_infra.policies.pricing import override

    with override(prices):  # COST-05 prices with it
        _check(envs, all_envs, program, program_timeout, env, fmt, output, project_dir)


def _check(
    envs: list[str] | None,
    all_envs: bool,
    program: Path | None,
    program_timeout: float | None,
    env: str | None,
    fmt: ReportFormat,
    output: Path | None,
    project_dir: Path,
) -> None:
    from llmops_infra.config.loader import list_environments, load_environment, require_environment
    from llmops_infra.errors import ConfigError
    from llmops_infra.offline.policy_check import check_environments, check_program, invalid_program
    from llmops_infra.render.policy import check_report

    if program is not None:
        if envs or all_envs:
            raise ConfigError(
                "--program judges one program: drop the ENV arguments / --all (use --env for levels)", key="--program"
            )
        config = load_environment(env, project_dir) if env else None
        with err_console.status(f"Synthesizing {program}…"):
            try:
                results = [check_program(program, config, timeout=program_timeout)]
            except ConfigError as exc:
                results = [invalid_program(program, exc, config.name if config else "program")]
    else:
        if env:
            raise ConfigError("--env only applies with --program: name environments as arguments", key="--env")
        names = list_environments(project_dir) if all_envs else list(envs or [])
        if not names:
            raise ConfigError("name an environment, or pass --all or --program", key="ENV")
        for name in names:
            require_environment(name, project_dir)  # a misspelt name is a bad argument, not a finding
        results = check_environments(
            names, project_dir, waiting=lambda: err_console.status(f"Checking {', '.join(names)}…")
        )
    emit(check_report(fmt.value, results), output)
    if any(r.config_errors for r in results):
        raise typer.Exit(ConfigError.exit_code)
    if not all(r.passed for r in results):
        raise typer.Exit(1)


def list_cmd(fmt: ListFormatOpt = ListFormat.table, project_dir: ProjectDir = Path()) -> None:
    """List every rule: catalog id, policy name, scope (A/P/N), severity and what it checks.

    The rules are the pack's, the same in every project: --project-dir is accepted like everywhere else and changes nothing.
    """
    from llmops_infra.policies import catalog
    from llmops_infra.render.policy import rules_json, rules_table

    rules = catalog.rules()
    if fmt is ListFormat.json:
        emit(rules_json(rules))
    else:
        console.print(rules_table(rules))


def pack_config_cmd(
    env: EnvArg,
    output: OutputFile = None,
    project_dir: ProjectDir = Path(),
    fmt: Annotated[JsonFormat, typer.Option("--format", "-f", help="Output format (always JSON).")] = JsonFormat.json,
) -> None:
    """Write ENV's levels, limits and active exemptions as the engine's --policy-pack-config JSON."""
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.policy_check import policy_settings
    from llmops_infra.policies.pack_config import pack_config
    from llmops_infra.render.policy import pack_config_json

    emit(pack_config_json(pack_config(policy_settings(load_environment(env, project_dir)))), output)
