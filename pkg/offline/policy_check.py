"""The policy gate: an environment's settings for the policies, and the offline check of its plan.

The policies know nothing of environment files; this module turns an `EnvironmentConfig`
(`policy`, `cost`, `ml` sections) into the plain `PolicySettings` they take.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from llmops_infra.config.common import EnforcementLevel
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.errors import ConfigError
from llmops_infra.plan import Plan
from llmops_infra.policies.settings import Exemption, PolicySettings, PolicySettingsError

if TYPE_CHECKING:  # the runner loads every rule: imported when a check runs
    from llmops_infra.policies.runner import CheckResult


def policy_settings(config: EnvironmentConfig) -> PolicySettings:
    """The policy settings of an environment (levels, exemptions, limits, allow-lists)."""
    from llmops_infra.policies import catalog

    policy = config.policy
    try:
        settings = PolicySettings(
            scope=policy.scope,
            default_level=None if policy.default_level is None else _level(policy.default_level),
            levels={key: _level(level) for key, level in policy.levels.items()},
            exemptions=tuple(
                Exemption(
                    policy=e.policy, resources=tuple(e.resources), reason=e.reason, owner=e.owner, expires=e.expires
                )
                for e in policy.exemptions
            ),
            max_monthly_usd=config.cost.max_monthly_usd,
            allowed_gpu_sizes=tuple(config.cost.allowed_gpu_sizes),
            max_gpu_nodes=config.cost.max_gpu_nodes,
            allowed_regions=tuple(config.cost.allowed_regions),
            max_openai_capacity=config.cost.max_openai_capacity,
            allow_ptu=config.cost.allow_provisioned_throughput,
            allowed_ml_instance_types=tuple(config.ml.allowed_instance_types),
            max_ml_instances=config.ml.max_instances,
        )
        settings.validate_against(catalog.rules())
    except PolicySettingsError as exc:
        raise ConfigError(f"environments/{config.name}.yaml: {exc}", key="policy") from None
    return settings


def _level(level: EnforcementLevel | str) -> str:
    """A level's name (`model_copy` leaves a plain string where validation makes an enum)."""
    return level.value if isinstance(level, EnforcementLevel) else level


def check_config(config: EnvironmentConfig, plan: Plan | None = None, *, today: date | None = None) -> CheckResult:
    """Plan `config` (unless a plan is given) and run every rule over it: a `CheckResult`."""
    from llmops_infra.offline.planning import plan_config
    from llmops_infra.policies.runner import check_plan

    settings = policy_settings(config)
    return check_plan(plan or plan_config(config), settings, source=f"environments/{config.name}.yaml", today=today)


def check_environment(name: str, project_dir: Path, *, today: date | None = None) -> CheckResult:
    from llmops_infra.config.loader import load_environment

    return check_config(load_environment(name, project_dir), today=today)


def plan_program(
    path: Path, config: EnvironmentConfig | None = None, *, stack_outputs: dict[str, object] | None = None
) -> Plan:
    """Synthesize any Pulumi Python program (a file, or a directory with `__main__.py`) under the
    Azure mocks, as stack `config.name` (or `program`), offline. A StackReference in the program
    reads `stack_outputs`."""
    import runpy
    import sys

    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize

    file = path / "__main__.py" if path.is_dir() else path
    if not file.is_file():
        raise ConfigError(
            f"{path} is not a Python program: give a .py file or a directory with __main__.py", key="--program"
        )
    if config is not None:
        mocks = AzureMocks(
            config.azure.subscription_id, config.azure.tenant_id, config.azure.location, stack_outputs=stack_outputs
        )
    else:
        mocks = AzureMocks(PROGRAM_SUBSCRIPTION, PROGRAM_TENANT, "eastus", stack_outputs=stack_outputs)

    def program() -> None:
        sys.path.insert(0, str(file.parent.resolve()))
        try:
            runpy.run_path(str(file), run_name="__main__")
        finally:
            sys.path.remove(str(file.parent.resolve()))

    try:
        return synthesize(
            program,
            environment=config.name if config else "program",
            project=file.parent.resolve().name or "program",
            mocks=mocks,
        )
    except Exception as exc:
        raise ConfigError(
            f"{file}: the program failed under mocks: {type(exc).__name__}: {exc}", key="--program"
        ) from None


PROGRAM_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
PROGRAM_TENANT = "00000000-0000-4000-8000-000000000001"
