"""What the gates share: their result, the failure that stops a run, and the context they read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.errors import LlmopsError

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
    plan: Any = None
    check_credentials: Callable[[], Any] | None = None
    get_token: Callable[[], Any] | None = None
    fetch: Callable[[str, str], dict[str, Any]] | None = None
    arm: Any = None
    """An `arm_client.ArmClient` (created on first use by the live gates; a replay server's in tests)."""
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    credentials_ok: bool | None = None
    policy_report: Any = None

    def the_plan(self) -> Any:
        if self.plan is None:
            from llmops_infra.offline.planning import plan_config

            self.plan = plan_config(self.config)
        return self.plan


Gate = Callable[[GateContext], GateResult]
