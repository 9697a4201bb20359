"""Offline planning: load an environment and synthesize its estate into a `Plan`."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.config.loader import load_environment, locate_error
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.errors import ConfigError
from llmops_infra.plan import Plan


def plan_config(config: EnvironmentConfig) -> Plan:
    """Synthesize the estate of `config` under Azure-like mocks, offline."""
    from llmops_infra.offline import lean_imports

    lean_imports.install()  # before the components import the provider SDKs
    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize
    from llmops_infra.stacks.estate import PROJECT, program_for

    mocks = AzureMocks(config.azure.subscription_id, config.azure.tenant_id, config.azure.location)
    return synthesize(program_for(config), environment=config.name, project=PROJECT, mocks=mocks)


def plan_environment(name: str, project_dir: Path) -> Plan:
    """Load and plan one environment; a config error raised while building names its file and line."""
    config = load_environment(name, project_dir)
    try:
        return plan_config(config)
    except ConfigError as exc:
        raise locate_error(exc, name, project_dir) from None
