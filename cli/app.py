"""The `llmops-infra` command line: parse, call, render, exit.

Exit codes: 0 success; 1 a mandatory policy failed; 2 bad input (config, arguments);
3 the engine, a backend or Azure failed; 4 an unexpected error (a bug; `--debug` shows it). Heavy modules (pulumi, azure-native, pydantic) are
imported inside the commands that need them, so `--help` answers at once.

Every command is registered here, the one way (`common.add_commands`): its known errors
(`LlmopsError`) become one message and their exit code, and its flags show as flags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from llmops_infra.cli import (
    access_cmd,
    bootstrap_cmd,
    catalog_cmd,
    cost_cmd,
    diff_cmd,
    doctor_cmd,
    engine_cmd,
    init_cmd,
    lifecycle_cmd,
    pipeline_cmd,
    plan_cmd,
    policy_cmd,
    project_cmd,
    promote_cmd,
)
from llmops_infra.cli.common import add_commands, command_group, console, handle_errors

app = command_group(
    "Provision and govern an LLMOps estate on Azure with Pulumi: plan offline, check policies, "
    "deploy and promote environments.",
    name="llmops-infra",
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an unexpected error (exit code 4).")
    ] = False,
) -> None:
    """Provision and govern an LLMOps estate on Azure with Pulumi."""
    import os

    from llmops_infra.cli.common import DEBUG

    DEBUG["on"] = debug or os.environ.get("LLMOPS_DEBUG", "") not in ("", "0")

    if os.environ.get("LLMOPS_FEDERATED_TOKEN_SOURCE"):  # in CI: keep the OIDC token fresh for the whole run
        handle_errors(_start_token_refresh)()


def _start_token_refresh() -> None:
    from llmops_infra.engine.federated_token import ensure_started

    ensure_started()


add_commands(
    app,
    {
        "environments": project_cmd.environments_cmd,
        "validate": project_cmd.validate_cmd,
        "plan": plan_cmd.plan_cmd,
        "access": access_cmd.access_cmd,
        "cost": cost_cmd.cost_cmd,
        "doctor": doctor_cmd.doctor_cmd,
        "preview": lifecycle_cmd.preview_cmd,
        "up": lifecycle_cmd.up_cmd,
        "destroy": lifecycle_cmd.destroy_cmd,
        "refresh": lifecycle_cmd.refresh_cmd,
        "outputs": lifecycle_cmd.outputs_cmd,
        "cancel": lifecycle_cmd.cancel_cmd,
        "release": promote_cmd.release_cmd,
        "promote": promote_cmd.promote_cmd,
        "approve": promote_cmd.approve_cmd,
        "rollback": promote_cmd.rollback_cmd,
        "releases": promote_cmd.releases_cmd,
        "diff": diff_cmd.diff_cmd,
        "graph": diff_cmd.graph_cmd,
        "pr-report": diff_cmd.pr_report_cmd,
        "pr-comment": diff_cmd.pr_comment_cmd,
        "init": init_cmd.init_cmd,
        "bootstrap": bootstrap_cmd.bootstrap_cmd,
    },
)
GROUPS: dict[str, tuple[str, dict[str, Callable[..., Any]]]] = {
    "policy": (
        policy_cmd.HELP,
        {"check": policy_cmd.check_cmd, "list": policy_cmd.list_cmd, "pack-config": policy_cmd.pack_config_cmd},
    ),
    "prices": (cost_cmd.PRICES_HELP, {"refresh": cost_cmd.refresh_cmd}),
    "pipeline": (pipeline_cmd.HELP, {"generate": pipeline_cmd.generate_cmd}),
    "engine": (engine_cmd.HELP, {"install": engine_cmd.install_cmd}),
}
for _name, (_help, _commands) in GROUPS.items():
    app.add_typer(add_commands(command_group(_help), _commands), name=_name)
# `lifecycle ENV` is `lifecycle show ENV`: a group whose default subcommand is `show`
LIFECYCLE = command_group(catalog_cmd.HELP, cls=catalog_cmd.ShowByDefault)
app.add_typer(
    add_commands(LIFECYCLE, {"show": catalog_cmd.show_cmd, "refresh": catalog_cmd.refresh_cmd}), name="lifecycle"
)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
