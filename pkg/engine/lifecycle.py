"""The real engine: preview, up, destroy, refresh and outputs through the Automation API.

An environment is two stacks (stack name = environment name), the platform and the workload
projects of `stacks.estate.STACKS`, run in order with their inline programs, and between them
the bootstrap (`engine.seed`: pinned images into the registry, Key Vault secrets), for `up` and
`preview` (`PHASES`; `only=` runs one of them). Tests pass small programs (with `program=`, one
stack of the project `stacks.estate.PROJECT`) and their own `bootstrap=`. The backend and the
secrets provider come from the environment file (`state.url`, `state.secrets_provider`); where
each stack's workspace lives is `workspace.py`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine.errors import engine_errors, pending_operations, refuse_pending
from llmops_infra.engine.progress import Progress
from llmops_infra.engine.pulumi_cli import EngineInfo
from llmops_infra.engine.state_checks import check_cloud_login, check_passphrase
from llmops_infra.engine.workspace import (
    WORKSPACES,
    Program,
    StackTarget,
    backend_url,
    open_stack,
    stack_target,
)
from llmops_infra.errors import ConfigError, EngineError, PolicyViolationError

if TYPE_CHECKING:
    from llmops_infra.engine.seed import Bootstrap


PHASES = ("platform", "bootstrap", "workload")
"""What `up` runs, in order (destroy: the stacks the other way round, no bootstrap)."""


@dataclass
class OperationResult:
    operation: str
    stack: str
    summary: dict[str, Any]
    changes: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    policy: list[dict[str, Any]] = field(default_factory=list)
    bootstrap: list[dict[str, str]] = field(default_factory=list)
    """What the bootstrap found or made: step, name, state, detail (names only, never values)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "stack": self.stack,
            "summary": self.summary,
            "changes": self.changes,
            "outputs": self.outputs,
            "policy": self.policy,
            "bootstrap": self.bootstrap,
        }


def _outputs(stack: Any, show_secrets: bool) -> dict[str, Any]:
    return {k: (v.value if (show_secrets or not v.secret) else "[secret]") for k, v in stack.outputs().items()}


def policy_message(violations: list[dict[str, Any]], operation: str) -> str:
    """One line per mandatory violation the engine's policy pack reported (its last message line)."""
    lines = [
        f"{v['policy']} on {(v.get('urn') or 'the stack').rsplit('::', 1)[-1]}: {v['message'].strip().splitlines()[-1]}"
        for v in violations[:5]
    ]
    more = f"\n  (and {len(violations) - 5} more)" if len(violations) > 5 else ""
    return (
        f"{operation} stopped by {len(violations)} mandatory policy violation(s) in the engine; nothing was "
        "changed:\n  " + "\n  ".join(lines) + more
    )


def _run(
    operation: str,
    config: EnvironmentConfig,
    project_dir: Path,
    program: Program | None,
    progress: Progress | None,
    engine: EngineInfo | None,
    run: Callable[[Any, Progress], Any],
    extra_config: dict[str, tuple[str, bool]] | None = None,
    project: str | None = None,
    only: str | None = None,
    bootstrap: Bootstrap | None = None,
) -> OperationResult:
    if program is None and project is None:
        return _run_estate(operation, config, project_dir, progress, engine, run, extra_config, only, bootstrap)
    return _run_stack(operation, config, project_dir, program, progress, engine, run, extra_config, project)


def _phases(operation: str, only: str | None) -> list[str]:
    """The phases `operation` runs, in order; `only` narrows them to one."""
    from llmops_infra.engine.seed import OPERATIONS

    if only is not None and only not in PHASES:
        raise ConfigError(f"unknown stack {only!r}: use one of {', '.join(PHASES)}", key="--only")
    if only == "bootstrap" and operation not in OPERATIONS:
        raise ConfigError(
            f"--only bootstrap works with up and preview, not {operation}: what the bootstrap imports and seeds lives "
            "in the registry and the vault, which belong to the platform stack",
            key="--only",
        )
    order = [name for name in PHASES if only in (None, name)]
    if operation not in OPERATIONS:
        order = [name for name in order if name != "bootstrap"]
    if operation == "destroy":
        order.reverse()
    return order


def _run_estate(
    operation: str,
    config: EnvironmentConfig,
    project_dir: Path,
    progress: Progress | None,
    engine: EngineInfo | None,
    run: Callable[[Any, Progress], Any],
    extra_config: dict[str, tuple[str, bool]] | None,
    only: str | None,
    bootstrap: Bootstrap | None = None,
) -> OperationResult:
    """The estate's phases in order (platform, bootstrap, workload; destroy: workload then
    platform), or the one named by `only`. A workload preview before the platform exists is
    skipped with a note: its StackReference has nothing to read yet."""
    from llmops_infra.engine.seed import default_bootstrap
    from llmops_infra.stacks.estate import STACKS, program_for
    from llmops_infra.stacks.platform_outputs import PlatformOutputs

    order = _phases(operation, only)
    progress = progress or Progress(operation)
    results: list[OperationResult] = []
    seeded: list[dict[str, str]] = []
    for name in order:
        if name == "bootstrap":
            seeded = (bootstrap or default_bootstrap(config)).run(operation, progress)
            continue
        if name == "workload" and operation == "up" and only == "workload":
            # Run on its own, the workload stack is still gated on what the bootstrap makes.
            seeded = (bootstrap or default_bootstrap(config)).run("verify", progress)
        project, _stages = STACKS[name]
        progress.step("stack", "started", f"{operation} {name} stack ({project}/{config.name})")
        if name == "workload" and operation in ("preview", "refresh"):
            platform = outputs(config, project_dir, engine=engine, project=STACKS["platform"][0], missing_ok=True)
            if not set(PlatformOutputs.names()) <= set(platform):
                progress.note(f"workload stack skipped: the platform stack of {config.name} is not deployed yet")
                continue
        results.append(
            _run_stack(
                operation, config, project_dir, program_for(config, name), progress, engine, run, extra_config, project
            )
        )
    if not results:
        return OperationResult(operation, config.name, progress.summary({}), [], {}, progress.policy, seeded)
    merged_outputs: dict[str, Any] = {}
    for result in results:
        merged_outputs.update(result.outputs)
    summary = progress.summary()
    for key in ("created", "updated", "deleted", "replaced", "unchanged"):
        summary[key] = sum(int(result.summary.get(key, 0)) for result in results)
    return OperationResult(operation, config.name, summary, progress.changes, merged_outputs, progress.policy, seeded)


def _run_stack(
    operation: str,
    config: EnvironmentConfig,
    project_dir: Path,
    program: Program | None,
    progress: Progress | None,
    engine: EngineInfo | None,
    run: Callable[[Any, Progress], Any],
    extra_config: dict[str, tuple[str, bool]] | None = None,
    project: str | None = None,
) -> OperationResult:
    from llmops_infra.stacks.estate import program_for

    check_passphrase(config.state.secrets_provider, project_dir)
    check_cloud_login(config.state.url)
    target = stack_target(config, project_dir, project=project, extra_config=extra_config)
    progress = progress or Progress(operation)
    stack = open_stack(target, program or program_for(config), engine)
    try:
        with engine_errors(target.stack):
            if operation in ("up", "destroy"):
                refuse_pending(stack, target.stack)
            counts = run(stack, progress)
            outputs = _outputs(stack, show_secrets=False) if operation != "destroy" else {}
    except EngineError:
        mandatory = [p for p in progress.policy if p["level"] == "mandatory"]
        if mandatory:  # the engine only says "preview failed": name the violations instead
            raise PolicyViolationError(policy_message(mandatory, operation)) from None
        raise
    changes = {str(getattr(k, "value", k)): v for k, v in (counts or {}).items()}
    return OperationResult(
        operation, target.stack, progress.summary(changes), progress.changes, outputs, progress.policy
    )


def preview(
    config: EnvironmentConfig,
    project_dir: Path,
    *,
    program: Program | None = None,
    progress: Progress | None = None,
    engine: EngineInfo | None = None,
    policy_packs: list[str] | None = None,
    policy_pack_configs: list[str] | None = None,
    **kw: Any,
) -> OperationResult:
    """What `up` would change, without changing anything."""
    return _run(
        "preview",
        config,
        project_dir,
        program,
        progress,
        engine,
        lambda s, p: (
            s.preview(
                on_event=p.on_event, policy_packs=policy_packs or None, policy_pack_configs=policy_pack_configs or None
            ).change_summary
        ),
        **kw,
    )


def up(
    config: EnvironmentConfig,
    project_dir: Path,
    *,
    program: Program | None = None,
    progress: Progress | None = None,
    engine: EngineInfo | None = None,
    policy_packs: list[str] | None = None,
    policy_pack_configs: list[str] | None = None,
    **kw: Any,
) -> OperationResult:
    """Create or update the environment's resources."""
    return _run(
        "up",
        config,
        project_dir,
        program,
        progress,
        engine,
        lambda s, p: (
            s.up(
                on_event=p.on_event, policy_packs=policy_packs or None, policy_pack_configs=policy_pack_configs or None
            ).summary.resource_changes
        ),
        **kw,
    )


def destroy(
    config: EnvironmentConfig,
    project_dir: Path,
    *,
    program: Program | None = None,
    progress: Progress | None = None,
    engine: EngineInfo | None = None,
    **kw: Any,
) -> OperationResult:
    """Delete every resource of the environment's stack (the stack and its history stay)."""
    return _run(
        "destroy",
        config,
        project_dir,
        program,
        progress,
        engine,
        lambda s, p: s.destroy(on_event=p.on_event).summary.resource_changes,
        **kw,
    )


def refresh(
    config: EnvironmentConfig,
    project_dir: Path,
    *,
    program: Program | None = None,
    progress: Progress | None = None,
    engine: EngineInfo | None = None,
    preview_only: bool = False,
    clear_pending_creates: bool = False,
    **kw: Any,
) -> OperationResult:
    """Drift: read every resource from Azure and show what changed outside the code.

    With `preview_only` the state is left as it is; otherwise it adopts what was read.
    `clear_pending_creates` drops the pending creates an interrupted update left behind.
    """

    def run(stack: Any, p: Progress) -> Any:
        if preview_only:
            return stack.preview_refresh(
                on_event=p.on_event, clear_pending_creates=clear_pending_creates or None
            ).change_summary
        return stack.refresh(
            on_event=p.on_event, clear_pending_creates=clear_pending_creates or None
        ).summary.resource_changes

    return _run("refresh", config, project_dir, program, progress, engine, run, **kw)


def cancel(
    config: EnvironmentConfig, project_dir: Path, *, engine: EngineInfo | None = None, project: str | None = None
) -> None:
    """Release the stack's lock (`pulumi cancel`): for an update that crashed or was killed.
    Without `project`, each stack of the estate that exists."""
    from llmops_infra.stacks.estate import STACKS, program_for

    if project is None:
        for stack_project, _stages in STACKS.values():
            try:
                cancel(config, project_dir, engine=engine, project=stack_project)
            except (ConfigError, EngineError):
                continue  # a stack not created yet has no lock to release
        return
    target = stack_target(config, project_dir, project=project)
    stack = open_stack(target, program_for(config), engine, create=False)
    with engine_errors(target.stack):
        stack.cancel()


def estate_outputs(
    config: EnvironmentConfig, project_dir: Path, *, show_secrets: bool = False, engine: EngineInfo | None = None
) -> dict[str, Any]:
    """The outputs of the estate's stacks, platform then workload (a stack not deployed has none)."""
    from llmops_infra.stacks.estate import STACKS

    merged: dict[str, Any] = {}
    for project, _stages in STACKS.values():
        merged.update(
            outputs(config, project_dir, show_secrets=show_secrets, engine=engine, project=project, missing_ok=True)
        )
    return merged


def outputs(
    config: EnvironmentConfig,
    project_dir: Path,
    *,
    show_secrets: bool = False,
    engine: EngineInfo | None = None,
    project: str | None = None,
    missing_ok: bool = False,
) -> dict[str, Any]:
    """The stack's outputs; secret outputs are masked unless `show_secrets`. With `missing_ok`, a
    stack that does not exist yet has none."""
    from llmops_infra.stacks.estate import program_for

    check_passphrase(config.state.secrets_provider, project_dir)
    check_cloud_login(config.state.url)
    target = stack_target(config, project_dir, project=project)
    try:
        stack = open_stack(target, program_for(config), engine, create=False)
    except (ConfigError, EngineError):  # ConfigError: the stack does not exist in the backend
        if missing_ok:
            return {}
        raise
    with engine_errors(target.stack):
        return _outputs(stack, show_secrets)


# The workspace names are re-exported: callers address the engine through this module.
__all__ = [
    "PHASES",
    "WORKSPACES",
    "OperationResult",
    "Program",
    "StackTarget",
    "backend_url",
    "cancel",
    "check_passphrase",
    "destroy",
    "estate_outputs",
    "open_stack",
    "outputs",
    "pending_operations",
    "policy_message",
    "preview",
    "refresh",
    "refuse_pending",
    "stack_target",
    "up",
]
