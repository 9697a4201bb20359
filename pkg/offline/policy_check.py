"""The policy gate: an environment's settings for the policies, and the offline check of its plan.

The policies know nothing of environment files; this module turns an `EnvironmentConfig`
(`policy`, `cost`, `ml` sections) into the plain `PolicySettings` they take.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from llmops_infra.config.common import EnforcementLevel
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.errors import ConfigError
from llmops_infra.plan import Origin, Plan
from llmops_infra.policies.pricing import chosen
from llmops_infra.policies.settings import Exemption, PolicySettings, PolicySettingsError

if TYPE_CHECKING:  # the runner loads every rule: imported when a check runs
    from llmops_infra.config.loader import Located
    from llmops_infra.policies.runner import CheckResult, Locator


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
            price_catalog=str(chosen(config.cost.price_catalog) or ""),
            price_region=config.azure.location,
        )
        settings.validate_against(catalog.rules())
    except PolicySettingsError as exc:
        raise ConfigError(f"environments/{config.name}.yaml: {exc}", key="policy") from None
    return settings


def _level(level: EnforcementLevel | str) -> str:
    """A level's name (`model_copy` leaves a plain string where validation makes an enum)."""
    return level.value if isinstance(level, EnforcementLevel) else level


def check_config(
    config: EnvironmentConfig, plan: Plan | None = None, *, today: date | None = None, locate: Locator | None = None
) -> CheckResult:
    """Plan `config` (unless a plan is given) and run every rule over it: a `CheckResult`."""
    from llmops_infra.offline.planning import plan_config

    check_plan = _runner()

    settings = policy_settings(config)
    return check_plan(
        plan or plan_config(config), settings, source=f"environments/{config.name}.yaml", today=today, locate=locate
    )


def check_environment(name: str, project_dir: Path, *, today: date | None = None) -> CheckResult:
    """Load, plan and check ENV, each finding located at the setting that produced it
    (`offline.locations`), the result's `source` relative to the repository root. An unchanged
    environment's plan comes from the plan cache (`offline/plan_cache.py`: keyed by the config, the
    package's code and the SDK versions; off with LLMOPS_NO_PLAN_CACHE=1); the engine's gates never use it."""
    from llmops_infra.config.loader import load_located
    from llmops_infra.offline.planning import plan_loaded

    loaded = load_located(name, project_dir)
    plan = plan_loaded(loaded[0], name, project_dir)
    return check_loaded(name, project_dir, plan, today=today, loaded=loaded)


def check_loaded(
    name: str,
    project_dir: Path,
    plan: Plan,
    *,
    today: date | None = None,
    loaded: Located | None = None,
) -> CheckResult:
    """Check ENV's `plan` (already synthesized), each finding located in ENV's files (`loaded`: ENV's
    `load_located`, when the caller has it already)."""
    from llmops_infra.config.loader import ENVIRONMENTS_DIR, environments_dir, load_located
    from llmops_infra.offline.locations import estate_locator, repository_path, repository_root

    check_plan = _runner()

    config, document, source = loaded or load_located(name, project_dir)
    env_path = environments_dir(project_dir) / f"{name}.yaml"
    locate = estate_locator(plan, document, source, Path(project_dir), f"{ENVIRONMENTS_DIR}/{name}.yaml")
    return check_plan(
        plan,
        policy_settings(config),
        source=repository_path(env_path, repository_root(Path(project_dir))),
        today=today,
        locate=locate,
    )


def check_program(
    path: Path, config: EnvironmentConfig | None = None, *, today: date | None = None, timeout: float | None = None
) -> CheckResult:
    """Synthesize any Pulumi program and check it with `config`'s settings (default: strict prod
    scope, empty allow-lists); each finding located at its resource's constructor call."""
    from llmops_infra.offline.locations import program_locator, repository_path, repository_root

    check_plan = _runner()

    plan = plan_program(path, config, timeout=timeout)
    file = path / "__main__.py" if path.is_dir() else path
    settings = policy_settings(config) if config else PolicySettings()
    return check_plan(
        plan,
        settings,
        source=repository_path(file, repository_root(file.resolve().parent)),
        today=today,
        locate=program_locator(plan, path),
    )


def _runner() -> Callable[..., CheckResult]:
    """`policies.runner.check_plan`, with the provider SDKs (whose input types the rules read for each
    resource's known properties, policies/sdk_types.py) imported lean: only the classes used are built."""
    from llmops_infra.offline import lean_imports

    lean_imports.install()
    from llmops_infra.policies.runner import check_plan

    return check_plan


def check_or_report(task: tuple[str, Path]) -> CheckResult:
    """`check_environment` of (ENV, project dir), an environment whose files do not load reported as
    findings (`invalid_result`): one task of `policy check` over several environments."""
    name, project_dir = task
    try:
        return check_environment(name, project_dir)
    except ConfigError as exc:
        return invalid_result(name, exc, project_dir)


def check_environments(
    names: list[str], project_dir: Path, *, waiting: Callable[[], AbstractContextManager[Any]] | None = None
) -> list[CheckResult]:
    """`check_or_report` of each environment, in parallel processes where there are cores
    (`offline.parallel`); results in the order of `names`."""
    from contextlib import nullcontext

    from llmops_infra.offline.parallel import run_all

    tasks = [(name, Path(project_dir)) for name in names]
    return run_all(check_or_report, tasks, waiting=waiting or nullcontext, cheap=_planned)


def _planned(task: tuple[str, Path]) -> bool:
    """Whether `check_or_report` of (ENV, project dir) is cheap: ENV's plan is in the plan cache, or its
    files do not load (reported as findings, nothing planned)."""
    from llmops_infra.config.loader import load_located
    from llmops_infra.offline import plan_cache

    name, project_dir = task
    try:
        config = load_located(name, project_dir)[0]
    except ConfigError:
        return True
    return plan_cache.has(config)


def invalid_result(name: str, error: ConfigError, project_dir: Path) -> CheckResult:
    """The report of an environment whose files do not load: its problems as findings, nothing checked."""
    from llmops_infra.config.loader import ENVIRONMENTS_DIR
    from llmops_infra.offline.locations import config_findings, repository_path, repository_root
    from llmops_infra.policies.runner import CheckResult

    source = repository_path(Path(project_dir) / ENVIRONMENTS_DIR / f"{name}.yaml", repository_root(Path(project_dir)))
    return CheckResult(environment=name, source=source, config_errors=config_findings(error, name, Path(project_dir)))


def invalid_program(path: Path, error: ConfigError, environment: str) -> CheckResult:
    """The report of a program that cannot be synthesized: the error as a finding at the program file."""
    from llmops_infra.offline.locations import repository_path, repository_root
    from llmops_infra.policies.runner import CheckResult, ConfigFinding, Location

    file = path / "__main__.py" if path.is_dir() else path
    source = repository_path(file, repository_root(file.resolve().parent))
    location = Location(source, error.line or 1)
    return CheckResult(
        environment=environment, source=source, config_errors=[ConfigFinding(environment, error.detail, location)]
    )


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
        result = _read_result(result_file)
        if done.returncode != 0 or "plan" not in result:
            line = result.get("line")
            raise ConfigError(
                f"the program failed under mocks (exit {done.returncode}){_tail(done.stderr)}",
                file=str(file),
                line=line if isinstance(line, int) else None,
                key="--program",
            )
        plan = Plan.from_dict(result["plan"])
        origins = result.get("origins") or {}
        return replace(plan, origins={urn: Origin(**origin) for urn, origin in origins.items()})


def _read_result(path: Path) -> dict[str, Any]:
    """What the child wrote: {"plan", "origins"} or {"line"} of a failure; {} when nothing usable."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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


def _failing_line(exc: BaseException, file: Path) -> int | None:
    """The line of `file` the exception passed through last (where the program failed)."""
    import traceback

    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(file)]
    return lines[-1] if lines else None


def program_origin(directory: Path) -> Callable[[], tuple[str, int] | None]:
    """At a constructor call: the innermost frame in the program's own files (under `directory`,
    outside any installed package), as (file URI, line). Resources a library builds for the
    program point at the program's line that called the library."""
    root = str(directory) + os.sep
    uris: dict[str, str] = {}

    def origin() -> tuple[str, int] | None:
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(root) and "site-packages" not in filename:
                uri = uris.get(filename)
                if uri is None:
                    uri = uris[filename] = Path(filename).as_uri()
                return uri, frame.f_lineno
            frame = frame.f_back
        return None

    return origin


PROGRAM_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
PROGRAM_TENANT = "00000000-0000-4000-8000-000000000001"
