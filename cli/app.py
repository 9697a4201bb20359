"""The `llmops-infra` command line: parse, delegate, render, exit.

Exit codes: 0 success; 1 a mandatory policy failed; 2 bad input (config, arguments);
3 the engine, a backend or Azure failed. Heavy modules (pulumi, azure-native) are imported
inside the commands that need them, so `--help` answers at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from llmops_infra.cli.common import (
    ListFormat,
    OutputFile,
    OutputFormat,
    ProjectDir,
    console,
    emit,
    handle_errors,
    synthesize,
)

app = typer.Typer(
    name="llmops-infra",
    help="Provision and govern an LLMOps estate on Azure with Pulumi: plan offline, check policies, "
    "deploy and promote environments.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EnvArg = Annotated[str, typer.Argument(help="Environment name: a file environments/ENV.yaml.", show_default=False)]


def _version(value: bool) -> None:
    if value:
        from llmops_infra import __version__

        console.print(f"llmops-infra {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Provision and govern an LLMOps estate on Azure with Pulumi."""


@app.command("environments")
@handle_errors
def environments_cmd(
    project_dir: ProjectDir = Path(),
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
) -> None:
    """List the environments of the project (environments/*.yaml but base.yaml)."""
    from llmops_infra.config.loader import list_environments

    names = list_environments(project_dir)
    if fmt is ListFormat.json:
        emit(json.dumps({"environments": names}), None)
    else:
        for name in names:
            console.print(name)


@app.command("validate")
@handle_errors
def validate_cmd(
    envs: Annotated[
        list[str] | None, typer.Argument(help="Environments to validate (default: all).", show_default=False)
    ] = None,
    project_dir: ProjectDir = Path(),
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
) -> None:
    """Validate environment files: YAML, schema, cross-field rules, secrets and the lifecycle of every pin (nothing retired or out of support today; pins retiring within 90 days are warnings). Exit 2 on the first error."""
    from llmops_infra.cli.common import err_console
    from llmops_infra.config.loader import lifecycle_warnings, list_environments, load_environment

    names = envs or list_environments(project_dir)
    warnings: dict[str, list[str]] = {}
    for name in names:
        load_environment(name, project_dir)
        warnings[name] = lifecycle_warnings(name, project_dir)
    for name in names:
        for warning in warnings[name]:
            err_console.print(f"warning: {warning}", markup=False)
    if fmt is ListFormat.json:
        emit(json.dumps({"valid": names, "warnings": warnings}), None)
    else:
        for name in names:
            console.print(f"[green]ok[/] {name}")


@app.command("plan")
@handle_errors
def plan_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
    output: OutputFile = None,
) -> None:
    """Plan ENV offline: every resource the estate would create, without credentials or the Pulumi CLI."""
    from llmops_infra.cli import render_plan
    from llmops_infra.policies.cost_model import estimate_plan

    plan = synthesize(env, project_dir)
    renderers = {
        OutputFormat.json: render_plan.plan_json,
        OutputFormat.markdown: render_plan.plan_markdown,
        OutputFormat.table: render_plan.plan_table,
    }
    emit(renderers[fmt](plan, cost=estimate_plan(plan)), output)


from llmops_infra.cli.access_cmd import access_cmd  # noqa: E402 (registered after the core commands)

app.command("access")(access_cmd)

from llmops_infra.cli.cost_cmd import cost_cmd, prices_app  # noqa: E402
from llmops_infra.cli.policy_cmd import policy_app  # noqa: E402

app.add_typer(policy_app, name="policy")
app.command("cost")(cost_cmd)
app.add_typer(prices_app, name="prices")

from llmops_infra.cli import catalog_cmd, doctor_cmd, lifecycle_cmd  # noqa: E402

doctor_cmd.register(app)
lifecycle_cmd.register(app)
catalog_cmd.register(app)

from llmops_infra.cli import diff_cmd, init_cmd, pipeline_cmd, promote_cmd  # noqa: E402

app.command("release")(promote_cmd.release_cmd)
app.command("promote")(promote_cmd.promote_cmd)
app.command("approve")(promote_cmd.approve_cmd)
app.command("rollback")(promote_cmd.rollback_cmd)
app.command("releases")(promote_cmd.releases_cmd)
app.command("diff")(diff_cmd.diff_cmd)
app.command("graph")(diff_cmd.graph_cmd)
app.command("pr-report")(diff_cmd.pr_report_cmd)
app.command("pr-comment")(diff_cmd.pr_comment_cmd)
app.command("init")(init_cmd.init_cmd)
app.add_typer(pipeline_cmd.pipeline_app, name="pipeline")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
