"""The real engine: preview, up, destroy, refresh and outputs through the Automation API.

One stack per environment (stack name = environment name) in the project `stacks.estate.PROJECT`,
with an inline program (`program_for(config)` by default; tests pass small programs). The
backend and the secrets provider come from the environment file (`state.url`,
`state.secrets_provider`): a `file://` backend is resolved against the project directory and
created, so nothing but the Pulumi CLI is needed to start. The passphrase is read by the CLI
from PULUMI_CONFIG_PASSPHRASE(_FILE) at run time; this module never reads or stores it.

Each workspace lives in `<project>/.llmops/workspaces/<env>/` (Pulumi.yaml and
Pulumi.<env>.yaml: the stack config and, for passphrase stacks, the encryption salt).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine.errors import engine_errors
from llmops_infra.engine.progress import Progress
from llmops_infra.engine.pulumi_cli import EngineInfo, cached_engine
from llmops_infra.errors import ConfigError, EngineError, PolicyViolationError

Program = Callable[[], None]
WORKSPACES = Path(".llmops") / "workspaces"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


@dataclass(frozen=True)
class StackTarget:
    """Where an environment's stack lives and how it is configured."""

    stack: str
    project: str
    backend_url: str
    secrets_provider: str
    work_dir: Path
    config: dict[str, tuple[str, bool]]
    """Stack config key -> (value, secret)."""


@dataclass
class OperationResult:
    operation: str
    stack: str
    summary: dict[str, Any]
    changes: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    policy: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "stack": self.stack,
            "summary": self.summary,
            "changes": self.changes,
            "outputs": self.outputs,
            "policy": self.policy,
        }


def backend_url(url: str, project_dir: Path, *, create: bool = True) -> str:
    """The backend URL the CLI gets: a `file://` path is resolved against the project (and created)."""
    if not url.startswith("file://"):
        return url
    raw = url.removeprefix("file://")
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (project_dir / path).resolve()
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the state directory {path}: {exc.strerror}", key="state.url") from None
    return f"file://{path}"


def check_passphrase(secrets_provider: str, project_dir: Path, env: dict[str, str] | None = None) -> None:
    """A passphrase stack needs the passphrase from the environment, never from a file in the repo."""
    if secrets_provider != "passphrase":
        return
    env = dict(os.environ if env is None else env)
    if not any(var in env for var in PASSPHRASE_VARS):
        raise ConfigError(
            "state.secrets_provider is passphrase but PULUMI_CONFIG_PASSPHRASE is not set: export it from "
            "your secret store (in CI: a pipeline secret) or point PULUMI_CONFIG_PASSPHRASE_FILE at a file "
            "outside the repository",
            key="state.secrets_provider",
        )
    file = env.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if file and "PULUMI_CONFIG_PASSPHRASE" not in env:
        resolved = Path(file).expanduser().resolve()
        if resolved.is_relative_to(project_dir.resolve()):
            raise ConfigError(
                f"PULUMI_CONFIG_PASSPHRASE_FILE points into the project ({file}): a passphrase in the "
                "repository is a leaked passphrase. Move it outside the repository",
                key="state.secrets_provider",
            )


def stack_target(
    config: EnvironmentConfig,
    project_dir: Path,
    *,
    project: str | None = None,
    extra_config: dict[str, tuple[str, bool]] | None = None,
) -> StackTarget:
    from llmops_infra.stacks.estate import PROJECT

    # The engine runs in the workspace directory: a relative project dir (the CLI's default
    # `-C .`) would point somewhere else from there.
    project_dir = Path(project_dir).resolve()
    stack_config = {
        "azure-native:location": (config.azure.location, False),
        "azure-native:subscriptionId": (config.azure.subscription_id, False),
        "azure-native:tenantId": (config.azure.tenant_id, False),
        # The provider then authenticates with the chain the credentials gate checked.
        "azure-native:useDefaultAzureCredential": ("true", False),
        **(extra_config or {}),
    }
    return StackTarget(
        stack=config.name,
        project=project or PROJECT,
        backend_url=backend_url(config.state.url, project_dir),
        secrets_provider=config.state.secrets_provider,
        work_dir=project_dir / WORKSPACES / config.name,
        config=stack_config,
    )


def open_stack(target: StackTarget, program: Program, engine: EngineInfo | None = None, *, create: bool = True) -> Any:
    """Create or select the stack in its backend and write its config."""
    from pulumi import automation as auto

    info = (engine or cached_engine()).require()
    target.work_dir.mkdir(parents=True, exist_ok=True)
    with engine_errors(target.stack):
        command = auto.PulumiCommand(root=str(info.root), skip_version_check=True)
        options = auto.LocalWorkspaceOptions(
            work_dir=str(target.work_dir),
            program=program,
            secrets_provider=target.secrets_provider,
            pulumi_command=command,
            project_settings=auto.ProjectSettings(name=target.project, runtime="python", main=str(target.work_dir)),
            env_vars={
                "PULUMI_BACKEND_URL": target.backend_url,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                # Policy packs run under the ambient interpreter: make it this one (llmops_infra importable).
                "PULUMI_PYTHON_CMD": os.environ.get("PULUMI_PYTHON_CMD", sys.executable),
            },
        )
        opener = auto.create_or_select_stack if create else auto.select_stack
        stack = opener(stack_name=target.stack, project_name=target.project, program=program, opts=options)
        if create:
            stack.set_all_config({k: auto.ConfigValue(value=v, secret=s) for k, (v, s) in target.config.items()})
    return stack


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


def pending_operations(stack: Any) -> list[dict[str, str]]:
    """Operations an interrupted update left in the state: [{urn, type}] (empty when clean)."""
    deployment = stack.export_stack().deployment or {}
    return [
        {"urn": (op.get("resource") or {}).get("urn", "?"), "type": op.get("type", "?")}
        for op in deployment.get("pending_operations") or []
    ]


def _refuse_pending(stack: Any, name: str) -> None:
    """The engine only warns about pending operations and goes on; an estate must not (duplicates)."""
    from llmops_infra.engine.errors import PendingOperationsError, pending_message

    pending = pending_operations(stack)
    if pending:
        text = "\n".join(f"* {p['urn']}, interrupted while {p['type']}" for p in pending)
        raise PendingOperationsError(pending_message(text, name))


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
) -> OperationResult:
    from llmops_infra.stacks.estate import program_for

    check_passphrase(config.state.secrets_provider, project_dir)
    target = stack_target(config, project_dir, project=project, extra_config=extra_config)
    progress = progress or Progress(operation)
    stack = open_stack(target, program or program_for(config), engine)
    try:
        with engine_errors(target.stack):
            if operation in ("up", "destroy"):
                _refuse_pending(stack, target.stack)
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
    """Release the stack's lock (`pulumi cancel`): for an update that crashed or was killed."""
    from llmops_infra.stacks.estate import program_for

    target = stack_target(config, project_dir, project=project)
    stack = open_stack(target, program_for(config), engine, create=False)
    with engine_errors(target.stack):
        stack.cancel()


def outputs(
    config: EnvironmentConfig,
    project_dir: Path,
    *,
    show_secrets: bool = False,
    engine: EngineInfo | None = None,
    project: str | None = None,
) -> dict[str, Any]:
    """The stack's outputs; secret outputs are masked unless `show_secrets`."""
    from llmops_infra.stacks.estate import program_for

    check_passphrase(config.state.secrets_provider, project_dir)
    target = stack_target(config, project_dir, project=project)
    stack = open_stack(target, program_for(config), engine, create=False)
    with engine_errors(target.stack):
        return _outputs(stack, show_secrets)
