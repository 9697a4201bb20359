"""Views for reviewers: `diff`, `graph`, `pr-report` and `pr-comment`."""

from __future__ import annotations

from enum import Enum
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
    synthesize,
)


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"
    json = "json"


def diff_cmd(
    env_a: Annotated[str, typer.Argument(help="Environment to compare from.", show_default=False)],
    env_b: Annotated[str, typer.Argument(help="Environment to compare to.", show_default=False)],
    project_dir: ProjectDir = Path(),
    fmt: FormatOpt = OutputFormat.table,
    output: OutputFile = None,
) -> None:
    """Compare two environments: configuration keys, and resources added, removed or changed (by property)."""
    from llmops_infra.render.diff import render
    from llmops_infra.review.diff import environment_diff

    with err_console.status(f"Synthesizing {env_a} and {env_b}…"):
        changes, plan_diff = environment_diff(env_a, env_b, project_dir)
    emit(render(fmt.value, changes, plan_diff), output)


def graph_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    fmt: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="Diagram language, or json (nodes and edges).")
    ] = GraphFormat.mermaid,
    output: OutputFile = None,
) -> None:
    """Draw ENV: components, the resources inside them, and the wiring between them."""
    from llmops_infra.render.graph import render
    from llmops_infra.review.graph import EstateGraph

    plan = synthesize(env, project_dir)
    emit(render(fmt.value, env, EstateGraph(plan.to_dict())), output)


class ReportFormat(str, Enum):
    markdown = "markdown"
    json = "json"


def pr_report_cmd(
    envs: Annotated[list[str] | None, typer.Argument(help="Environments (default: all).", show_default=False)] = None,
    base: Annotated[str, typer.Option("--base", help="Git ref to compare with, e.g. origin/main.")] = "origin/main",
    project_dir: ProjectDir = Path(),
    output: OutputFile = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="markdown (the comment) or json (the same as data).")
    ] = ReportFormat.markdown,
    prices: PricesOpt = None,
) -> None:
    """The pull-request comment (Markdown): policy verdicts with every finding and its fix, cost change (per resource too), resource diff, diagram of changes. A base without environments/ means every environment is new. An environment file that does not load is reported in the comment, problem by problem, and the command exits 2."""
    from llmops_infra.config.loader import list_environments, require_environment
    from llmops_infra.errors import ConfigError
    from llmops_infra.policies.pricing import override
    from llmops_infra.render.pr_report import pr_report, pr_report_json
    from llmops_infra.review.compare import compare, policy_verdict

    for name in envs or []:
        require_environment(name, project_dir)  # a typo is reported as such, before git is asked anything
    names = envs or list_environments(project_dir)
    with override(prices):
        comparisons = compare(
            names,
            project_dir,
            base,
            option="--base",
            waiting=lambda: err_console.status(f"Planning {', '.join(names)} here and at {base}…"),
            verdicts=True,
        )
        verdicts = [policy_verdict(c, project_dir) for c in comparisons]
    if fmt is ReportFormat.json:
        emit(pr_report_json(comparisons, verdicts), output)
    else:
        emit(pr_report(comparisons, verdicts), output)
    invalid = [f for v in verdicts for f in v.config_errors]
    if invalid:
        err_console.print(
            f"error: {len(invalid)} configuration problem(s) (listed in the report): "
            + "; ".join(f"{f.where()}: {f.message.splitlines()[0]}" for f in invalid[:3]),
            markup=False,
        )
        raise typer.Exit(ConfigError.exit_code)


def pr_comment_cmd(
    report: Annotated[Path, typer.Argument(help="Markdown file, e.g. from `pr-report --output`.", show_default=False)],
    provider: Annotated[str, typer.Option("--provider", help="github or azure-devops.")] = "github",
) -> None:
    """Post REPORT on the current pull request as one comment, updated in place on later runs."""
    import os

    from llmops_infra.review.pr_comment import read_report, target_from_env, upsert

    text = read_report(report)
    outcome = upsert(target_from_env(provider, os.environ), text)
    err_console.print(f"{outcome} the pull-request comment")
