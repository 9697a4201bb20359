"""Offline planning: load an environment and synthesize its estate into a `Plan`."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.config.loader import load_environment, locate_error
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.errors import ConfigError
from llmops_infra.plan import Origin, Plan


def plan_config(config: EnvironmentConfig, *, use_cache: bool = False) -> Plan:
    """Synthesize both stacks of `config`'s estate under Azure-like mocks, offline.

    The platform stack first; the workload stack's StackReference then reads the platform
    plan's outputs, as it would read the deployed platform's. The result holds both stacks'
    resources (their URNs name their project; `Plan.stacks()` splits them).

    With `use_cache`, an unchanged environment's plan comes from the plan cache
    (offline/plan_cache.py); the engine's gates never ask for it.
    """
    if use_cache:
        from llmops_infra.offline import plan_cache

        return plan_cache.cached(config, lambda: plan_config(config))
    from llmops_infra.offline import lean_imports

    lean_imports.install()  # before the components import the provider SDKs
    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize
    from llmops_infra.stacks.context import current_config_key
    from llmops_infra.stacks.estate import PROJECT, STACKS, program_for

    def origin() -> tuple[str, int] | None:
        key = current_config_key()
        return (Origin.config_uri(key), 0) if key else None

    azure = config.azure
    plans: list[Plan] = []
    outputs: dict[str, object] = {}
    for stack, (project, _stages) in STACKS.items():
        mocks = AzureMocks(azure.subscription_id, azure.tenant_id, azure.location, stack_outputs=outputs)
        plan = synthesize(
            program_for(config, stack), environment=config.name, project=project, mocks=mocks, origin=origin
        )
        plans.append(plan)
        outputs = dict(plan.outputs)
    return Plan.merge(plans, project=PROJECT)


def plan_environment(name: str, project_dir: Path, *, use_cache: bool = True) -> Plan:
    """Load and plan one environment (from the plan cache unless `use_cache` is False); a config
    error raised while building names its file and line."""
    return plan_environment_config(name, project_dir, use_cache=use_cache)[1]


def plan_environment_config(name: str, project_dir: Path, *, use_cache: bool = True) -> tuple[EnvironmentConfig, Plan]:
    """The environment's config and its plan (from the plan cache unless `use_cache` is False)."""
    config = load_environment(name, project_dir)
    return config, plan_loaded(config, name, project_dir, use_cache=use_cache)


def plan_loaded(config: EnvironmentConfig, name: str, project_dir: Path, *, use_cache: bool = True) -> Plan:
    """The plan of ENV's `config`, already loaded from `project_dir` (from the plan cache unless
    `use_cache` is False); a config error raised while building names its file and line."""
    try:
        return plan_config(config, use_cache=use_cache)
    except ConfigError as exc:
        raise locate_error(exc, name, project_dir) from None
