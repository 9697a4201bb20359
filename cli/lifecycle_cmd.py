"""preview, up, destroy, refresh, outputs, cancel: the real engine, behind the gates.

Order of every run: the Pulumi CLI is located (a clear install hint when it is missing), the
gates of the operation run (`engine.gates`), destructive operations are confirmed (`--yes` in
pipelines; with CI=true and no `--yes` they are refused; an interactive `up` shows a preview
before it asks), then the engine runs with progress from its events (`render.lifecycle`).
Exit codes: 0 done, 1 a policy or cost gate failed or the run was not confirmed, 2 bad input
or a refused non-interactive run, 3 the engine, the backend or Azure.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmops_infra.cli.common import EnvArg, ListFormat, PricesOpt, ProjectDir, emit, err_console
from llmops_infra.errors import ConfigError

if TYPE_CHECKING:
    from llmops_infra.engine.policy_packs import PolicyPacks

FormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="table, or json: one JSON object per line.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (pipelines).")]
PolicyPackOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--policy-pack", help="Also run this CrossGuard pack (a directory with PulumiPolicy.yaml) in the engine."
    ),
]
EnginePoliciesOpt = Annotated[
    bool,
    typer.Option(
        "--engine-policies/--no-engine-policies",
        help="Run the shipped policy pack inside the engine too (with this environment's levels).",
    ),
]
OnlyOpt = Annotated[
    str | None,
    typer.Option(
        "--only",
        help="Run one phase: platform (Azure resources), bootstrap (pinned images into the registry, Key Vault "
        "secrets; up and preview only) or workload (Kubernetes objects, ML deployments). Default: all, in order.",
        show_default=False,
    ),
]
PolicyConfigOpt = Annotated[
    list[Path] | None,
    typer.Option("--policy-pack-config", help="JSON config of the --policy-pack at the same position."),
]


AllowLocalStateOpt = Annotated[
    bool,
    typer.Option(
        "--allow-local-state",
        envvar="LLMOPS_ALLOW_LOCAL_STATE",
        help="With CI=true, accept a file:// state backend (a throw-away run: the runner's disk is not kept).",
    ),
]


def _allow_local_state(allow: bool) -> None:
    if allow:  # read by the engine's state check, also on promote and rollback paths
        os.environ["LLMOPS_ALLOW_LOCAL_STATE"] = "1"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def confirm_or_stop(question: str, yes: bool) -> None:
    """Ask; in CI (CI=true) without --yes refuse at once instead of waiting for an answer."""
    if yes:
        return
    if in_ci():
        raise ConfigError("refusing to ask for confirmation in CI (CI=true): pass --yes to proceed", key="--yes")
    if not typer.confirm(question, default=False):
        err_console.print("not confirmed: nothing was changed")
        raise typer.Exit(1)


def _engine() -> Any:
    from llmops_infra.engine.pulumi_cli import cached_engine

    return cached_engine().require()


def _run(
    operation: str,
    env: str,
    project_dir: Path,
    fmt: ListFormat,
    gate_op: str | None = None,
    before: Any = None,
    packs: PolicyPacks | None = None,
    **kwargs: Any,
) -> Any:
    from llmops_infra.engine import lifecycle
    from llmops_infra.engine.gate_types import GateFailed
    from llmops_infra.engine.gates import gates_for
    from llmops_infra.engine.progress import Progress
    from llmops_infra.render.lifecycle import Renderer

    renderer = Renderer(fmt.value, operation, env)
    engine = _engine()
    try:
        config, _results = gates_for(env, project_dir, operation=gate_op or operation, on_result=renderer.gate)
    except GateFailed as exc:
        renderer.gate_failed(exc)  # json: the stream ends with the failed gate, not with the last one that passed
        raise
    if packs is not None:
        kwargs.update(packs.arguments(config, project_dir))

    def execute(op: str, **op_kwargs: Any) -> Any:
        runner = renderer if op == operation else Renderer(fmt.value, op, env)
        progress = Progress(op, listeners=[runner.event])
        # The SDK warns on stderr when the engine's event stream ends abruptly; the error itself is reported.
        with warnings.catch_warnings(), runner.running(progress):
            warnings.filterwarnings("ignore", message="Error in event stream")
            result = getattr(lifecycle, op)(config, project_dir, progress=progress, engine=engine, **op_kwargs)
        runner.result(result)
        return result

    if before is not None:
        before(config, lambda: execute("preview", **kwargs))
    return execute(operation, **kwargs)


def _packs(packs: list[Path] | None, configs: list[Path] | None, shipped: bool) -> PolicyPacks:
    from llmops_infra.engine.policy_packs import PolicyPacks

    return PolicyPacks.from_options(packs, configs, shipped=shipped)


def preview_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    fmt: FormatOpt = ListFormat.table,
    policy_pack: PolicyPackOpt = None,
    policy_pack_config: PolicyConfigOpt = None,
    engine_policies: EnginePoliciesOpt = True,
    only: OnlyOpt = None,
    allow_local_state: AllowLocalStateOpt = False,
    prices: PricesOpt = None,
) -> None:
    """Preview ENV on the real engine: what `up` would change, and what the bootstrap would import or create. Runs the gates first; changes nothing."""
    from llmops_infra.policies.pricing import override

    _allow_local_state(allow_local_state)
    with override(prices):  # the cost gate and the engine's COST-05
        _run(
            "preview", env, project_dir, fmt, only=only, packs=_packs(policy_pack, policy_pack_config, engine_policies)
        )


def up_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    fmt: FormatOpt = ListFormat.table,
    yes: YesOpt = False,
    policy_pack: PolicyPackOpt = None,
    policy_pack_config: PolicyConfigOpt = None,
    engine_policies: EnginePoliciesOpt = True,
    only: OnlyOpt = None,
    allow_local_state: AllowLocalStateOpt = False,
    prices: PricesOpt = None,
) -> None:
    """Deploy ENV: gates (config, policy, cost, credentials, quota, soft-delete, approval), then the platform stack, the bootstrap (images, secrets) and the workload stack."""
    from llmops_infra.policies.pricing import override

    _allow_local_state(allow_local_state)
    packs = _packs(policy_pack, policy_pack_config, engine_policies)

    def ask(config: Any, preview: Any) -> None:
        if not yes and not in_ci():
            preview()  # show what would change before asking
        confirm_or_stop(
            f"Deploy {config.name} (subscription {config.azure.subscription_id}, {config.azure.location})?", yes
        )

    with override(prices):  # the cost gate and the engine's COST-05
        _run("up", env, project_dir, fmt, before=ask, only=only, packs=packs)


def destroy_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    fmt: FormatOpt = ListFormat.table,
    yes: YesOpt = False,
    only: OnlyOpt = None,
    allow_local_state: AllowLocalStateOpt = False,
) -> None:
    """Delete every resource of ENV's stacks (workload first). Asks first unless --yes."""
    _allow_local_state(allow_local_state)

    def ask(config: Any, _preview: Any) -> None:
        confirm_or_stop(f"Destroy EVERY resource of {config.name} (subscription {config.azure.subscription_id})?", yes)

    _run("destroy", env, project_dir, fmt, before=ask, only=only)


def refresh_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    fmt: FormatOpt = ListFormat.table,
    yes: YesOpt = False,
    preview_only: Annotated[bool, typer.Option("--preview-only", help="Show drift; leave the state as it is.")] = False,
    clear_pending_creates: Annotated[
        bool,
        typer.Option("--clear-pending-creates", help="Drop pending creates an interrupted update left in the state."),
    ] = False,
    only: OnlyOpt = None,
    allow_local_state: AllowLocalStateOpt = False,
) -> None:
    """Drift: read ENV's resources from Azure and show what changed outside the code."""
    _allow_local_state(allow_local_state)

    def ask(config: Any, _preview: Any) -> None:
        if not preview_only:
            confirm_or_stop(f"Refresh the state of {config.name} with what Azure reports?", yes)

    _run(
        "refresh",
        env,
        project_dir,
        fmt,
        before=ask,
        preview_only=preview_only,
        clear_pending_creates=clear_pending_creates,
        only=only,
    )


def outputs_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    fmt: FormatOpt = ListFormat.table,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Print secret outputs in clear.")] = False,
) -> None:
    """The stack outputs of ENV (secret outputs masked unless --show-secrets)."""
    from llmops_infra.config.loader import load_environment
    from llmops_infra.engine import lifecycle
    from llmops_infra.render.lifecycle import outputs_json, outputs_table

    engine = _engine()
    config = load_environment(env, project_dir)
    values = lifecycle.estate_outputs(config, project_dir, show_secrets=show_secrets, engine=engine)
    if fmt is ListFormat.json:
        emit(outputs_json(env, values))
    else:
        outputs_table(values, title=f"outputs of {env}")


def cancel_cmd(env: EnvArg, project_dir: ProjectDir = Path(), yes: YesOpt = False) -> None:
    """Release ENV's stack lock after an update crashed or was killed (`pulumi cancel`)."""
    from llmops_infra.config.loader import load_environment
    from llmops_infra.engine import lifecycle

    engine = _engine()
    config = load_environment(env, project_dir)
    confirm_or_stop(f"Release the lock of {env}? Only do this when no update is running.", yes)
    lifecycle.cancel(config, project_dir, engine=engine)
    err_console.print(f"lock of {env} released: run `llmops-infra refresh {env} --clear-pending-creates` next")
