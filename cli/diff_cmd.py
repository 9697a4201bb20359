"""Views for reviewers: `diff`, `graph` and `pr-report`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmops_infra.cli.common import (
    OutputFile,
    OutputFormat,
    ProjectDir,
    emit,
    err_console,
    handle_errors,
    synthesize,
)

if TYPE_CHECKING:
    from llmops_infra.review.compare import Comparison


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"
    json = "json"


@handle_errors
def diff_cmd(
    env_a: Annotated[str, typer.Argument(help="Environment to compare from.", show_default=False)],
    env_b: Annotated[str, typer.Argument(help="Environment to compare to.", show_default=False)],
    project_dir: ProjectDir = Path(),
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
    output: OutputFile = None,
) -> None:
    """Compare two environments: configuration keys, and resources added, removed or changed (by property)."""
    from llmops_infra.config.loader import load_environment_with_source
    from llmops_infra.offline.planning import plan_config
    from llmops_infra.review.diff import diff_documents, diff_plans, render_markdown, render_text

    config_a, doc_a = load_environment_with_source(env_a, project_dir)
    config_b, doc_b = load_environment_with_source(env_b, project_dir)
    with err_console.status(f"Synthesizing {env_a} and {env_b}…"):
        plan_a, plan_b = plan_config(config_a).to_dict(), plan_config(config_b).to_dict()
    changes = diff_documents(json.loads(json.dumps(doc_a, default=str)), json.loads(json.dumps(doc_b, default=str)))
    plan_diff = diff_plans(plan_a, plan_b)
    if fmt is OutputFormat.json:
        emit(
            json.dumps(
                {
                    "config": [{"path": c.path, "before": _plain(c.before), "after": _plain(c.after)} for c in changes],
                    "plan": {
                        **plan_diff.counts(),
                        "added": [e.key for e in plan_diff.added],
                        "removed": [e.key for e in plan_diff.removed],
                        "changed": {
                            e.key: [
                                {"path": c.path, "before": _plain(c.before), "after": _plain(c.after)}
                                for c in e.changes
                            ]
                            for e in plan_diff.changed
                        },
                    },
                },
                indent=2,
                sort_keys=True,
                default=str,
            ),
            output,
        )
    elif fmt is OutputFormat.markdown:
        emit(render_markdown(changes, plan_diff), output)
    else:
        emit(render_text(changes, plan_diff), output)


def _plain(value: object) -> object:
    from llmops_infra.review.diff import MISSING

    return None if value is MISSING else value


@handle_errors
def graph_cmd(
    env: Annotated[str, typer.Argument(help="Environment name: a file environments/ENV.yaml.", show_default=False)],
    project_dir: ProjectDir = Path(),
    fmt: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="Diagram language, or json (nodes and edges).")
    ] = GraphFormat.mermaid,
    output: OutputFile = None,
) -> None:
    """Draw ENV: components, the resources inside them, and the wiring between them."""
    from llmops_infra.review.graph import EstateGraph

    plan = synthesize(env, project_dir)
    graph = EstateGraph(plan.to_dict())
    renderers = {
        GraphFormat.mermaid: graph.mermaid,
        GraphFormat.dot: graph.dot,
        GraphFormat.json: lambda: json.dumps({"environment": env, **graph.to_dict()}, indent=2),
    }
    emit(renderers[fmt](), output)


@handle_errors
def pr_report_cmd(
    envs: Annotated[list[str] | None, typer.Argument(help="Environments (default: all).", show_default=False)] = None,
    base: Annotated[str, typer.Option("--base", help="Git ref to compare with, e.g. origin/main.")] = "origin/main",
    project_dir: ProjectDir = Path(),
    output: OutputFile = None,
) -> None:
    """The pull-request comment (Markdown): policy verdicts, cost change, resource diff, diagram of changes."""
    from llmops_infra.config.loader import list_environments, require_environment
    from llmops_infra.review.compare import compare, pr_report

    for name in envs or []:
        require_environment(name, project_dir)  # a typo is reported as such, before git is asked anything
    names = envs or list_environments(project_dir)
    with err_console.status(f"Planning {', '.join(names)} here and at {base}…"):
        comparisons = compare(names, project_dir, base, option="--base")
        verdicts = {c.environment: _verdict(c, project_dir) for c in comparisons}
    emit(pr_report(comparisons, verdicts), output)


def _verdict(comparison: Comparison, project_dir: Path) -> str:
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.policy_check import check_config

    if comparison.after.plan is None:
        return "removed"
    result = check_config(load_environment(comparison.environment, project_dir), comparison.after.plan)
    if result.passed:
        return f"✅ passed ({len(result.advisory)} advisory)"
    rules = ", ".join(sorted({v.rule_id for v in result.mandatory})[:6])
    return f"❌ {len(result.mandatory)} mandatory violation(s): {rules}"


def cost_compare(env: str, project_dir: Path, ref: str, fmt: OutputFormat) -> str:
    """`cost ENV --compare REF`: ENV's monthly cost at REF and in the working tree."""
    from llmops_infra.review.compare import compare, cost_markdown, money

    with err_console.status(f"Planning {env} here and at {ref}…"):
        (comparison,) = compare([env], project_dir, ref)
    if fmt is OutputFormat.json:
        return json.dumps(
            {
                "environment": env,
                "ref": ref,
                "before_usd": comparison.before.monthly_usd,
                "after_usd": comparison.after.monthly_usd,
                "delta_usd": comparison.delta_usd,
                "before_min_usd": comparison.before.monthly_usd_min,
                "after_min_usd": comparison.after.monthly_usd_min,
            },
            indent=2,
        )
    if fmt is OutputFormat.markdown:
        return cost_markdown([comparison])
    return (
        f"{env}: {money(comparison.before.monthly_usd)} at {ref} -> {money(comparison.after.monthly_usd)} "
        f"now ({comparison.delta_usd:+,.0f} USD/month at maximum scale)\n"
    )


@handle_errors
def pr_comment_cmd(
    report: Annotated[Path, typer.Argument(help="Markdown file, e.g. from `pr-report --output`.", show_default=False)],
    provider: Annotated[str, typer.Option("--provider", help="github or azure-devops.")] = "github",
) -> None:
    """Post REPORT on the current pull request as one comment, updated in place on later runs."""
    import os

    from llmops_infra.errors import ConfigError
    from llmops_infra.review.pr_comment import target_from_env, upsert

    try:
        text = report.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {report}: {exc.strerror}", key="REPORT") from None
    outcome = upsert(target_from_env(provider, os.environ), text)
    err_console.print(f"{outcome} the pull-request comment")
