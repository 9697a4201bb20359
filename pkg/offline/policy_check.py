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
    path: Path,
    config: EnvironmentConfig | None = None,
    *,
    stack_outputs: dict[str, object] | None = None,
    timeout: float | None = None,
) -> Plan:
    """Synthesize any Pulumi Python program (a file, or a directory with `__main__.py`) under the
    Azure mocks, as stack `config.name` (or `program`), offline. A StackReference in the program
    reads `stack_outputs`.

    The program is code: it runs with the caller's rights (files, network, credentials), in a
    child process (`offline.program_child`) stopped after `timeout` seconds (default
    `LLMOPS_PROGRAM_TIMEOUT`, else 300). Its stdout and stderr are captured apart from the
    report. Any way out other than a plan (an exception, `sys.exit`, a crash, the timeout) is a
    failure to plan: a `ConfigError` (exit 2) with the tail of the program's stderr.
    """
    import json
    import subprocess
    import sys
    import tempfile

    file = path / "__main__.py" if path.is_dir() else path
    if not file.is_file():
        raise ConfigError(
            f"{path} is not a Python program: give a .py file or a directory with __main__.py", key="--program"
        )
    limit = program_timeout() if timeout is None else timeout
    azure = config.azure if config is not None else None
    request = {
        "file": str(file.resolve()),
        "environment": config.name if config else "program",
        "project": file.parent.resolve().name or "program",
        "subscription": azure.subscription_id if azure else PROGRAM_SUBSCRIPTION,
        "tenant": azure.tenant_id if azure else PROGRAM_TENANT,
        "location": azure.location if azure else "eastus",
        "stack_outputs": stack_outputs or {},
    }
    with tempfile.TemporaryDirectory(prefix="llmops-program-") as scratch:
        request_file, result_file = Path(scratch) / "request.json", Path(scratch) / "plan.json"
        request_file.write_text(json.dumps(request, default=str), encoding="utf-8")
        try:
            done = subprocess.run(
                [sys.executable, "-m", "llmops_infra.offline.program_child", str(request_file), str(result_file)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=limit,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ConfigError(
                f"{file}: the program did not finish planning within {limit:g} s{_tail(exc.stderr)}: "
                "make it faster or raise --program-timeout / LLMOPS_PROGRAM_TIMEOUT",
                key="--program",
            ) from None
        if done.returncode != 0 or not result_file.is_file():
            raise ConfigError(
                f"{file}: the program failed under mocks (exit {done.returncode}){_tail(done.stderr)}", key="--program"
            )
        return Plan.from_dict(json.loads(result_file.read_text(encoding="utf-8")))


DEFAULT_PROGRAM_TIMEOUT = 300.0
"""Seconds a `--program` may take to plan, unless LLMOPS_PROGRAM_TIMEOUT or --program-timeout says."""


def program_timeout() -> float:
    import math
    import os

    raw = os.environ.get("LLMOPS_PROGRAM_TIMEOUT", "")
    if not raw:
        return DEFAULT_PROGRAM_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError("give a positive number of seconds", key="LLMOPS_PROGRAM_TIMEOUT")
    return value


def _tail(stderr: bytes | str | None, lines: int = 8) -> str:
    """The last lines of the program's stderr, cleaned, for the error message."""
    from llmops_infra.errors import clean

    if not stderr:
        return ""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    tail = [clean(line)[:300] for line in text.strip().splitlines()[-lines:]]
    return ":\n  " + "\n  ".join(tail) if tail else ""


PROGRAM_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
PROGRAM_TENANT = "00000000-0000-4000-8000-000000000001"
