"""What the gates share: their result, the failure that stops a run, and the context they read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.errors import LlmopsError

if TYPE_CHECKING:  # the gates import these when they run
    from llmops_infra.engine.arm_client import ArmClient
    from llmops_infra.engine.azure_access import CredentialStatus, TokenGetter
    from llmops_infra.plan import Plan
    from llmops_infra.policies.runner import CheckResult

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class GateResult:
    gate: str
    status: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"gate": self.gate, "status": self.status, "message": self.message}


class GateFailed(LlmopsError):
    """A gate stopped the run before the engine started; nothing was changed."""

    def __init__(self, gate: str, message: str, exit_code: int) -> None:
        self.gate = gate
        self.exit_code = exit_code
        self.detail = message
        super().__init__(f"gate {gate} failed: {message}")


@dataclass
class GateContext:
    """What the gates share; the callables are seams for tests (defaults touch Azure)."""

    config: EnvironmentConfig
    project_dir: Path
    operation: str
    plan: Plan | None = None
    check_credentials: Callable[[], CredentialStatus] | None = None
    get_token: TokenGetter | None = None
    fetch: Callable[[str, str], dict[str, Any]] | None = None
    arm: ArmClient | None = None
    """An `arm_client.ArmClient` (created on first use by the live gates; a replay server's in tests)."""
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    credentials_ok: bool | None = None
    policy_report: CheckResult | None = None

    def the_plan(self) -> Plan:
        if self.plan is None:
            from llmops_infra.offline.planning import plan_config

            self.plan = plan_config(self.config)
        return self.plan


Gate = Callable[[GateContext], GateResult]
