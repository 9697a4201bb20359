"""Where a stack lives: its backend, its secrets provider, its workspace directory and config.

Each workspace lives in `<project>/.llmops/workspaces/<env>/<pulumi project>/` (Pulumi.yaml and
Pulumi.<env>.yaml: the stack config and, for passphrase stacks, the encryption salt). A
`file://` backend is resolved against the project directory and created. The passphrase is
read by the CLI from PULUMI_CONFIG_PASSPHRASE(_FILE) at run time; this module never reads or
stores it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine.errors import engine_errors
from llmops_infra.engine.pulumi_cli import EngineInfo, cached_engine
from llmops_infra.engine.state_checks import (  # noqa: F401 - re-exported: the workspace's checks
    ALLOW_LOCAL_STATE,
    PASSPHRASE_VARS,
    check_cloud_login,
    check_passphrase,
    check_state_location,
)
from llmops_infra.errors import ConfigError

Program = Callable[[], None]
WORKSPACES = Path(".llmops") / "workspaces"


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
    check_state_location(config.state.url)
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
        # Pulumi Cloud's own secrets provider is "default" to the CLI (config says "service").
        secrets_provider="default" if config.state.secrets_provider == "service" else config.state.secrets_provider,
        work_dir=project_dir / WORKSPACES / config.name / (project or PROJECT),
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
