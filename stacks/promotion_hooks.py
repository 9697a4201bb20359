"""The real hooks of a promotion: the policy runner and cost model, the gates, the engine.

`stacks.promotion` calls only `Hooks`; this module wires them to the rest of the product:
the offline policy runner (`policies.runner.evaluate`), the gates of operation "promote"
(`stacks.gates.run_gates`: policy, cost, credentials, quota), the approval record
(`stacks.gates.has_approval`) and the Automation API (`stacks.lifecycle.up`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmops_infra.plan import Plan
from llmops_infra.stacks.config import EnvironmentConfig
from llmops_infra.stacks.manifest import Evidence, Manifest
from llmops_infra.stacks.promotion import DeployOutcome, Hooks


def evidence_from_report(report: Any, config: EnvironmentConfig) -> Evidence:
    """Summarize a policy report: mandatory violations (cost included) fail the release."""
    violations = list(report.violations)
    mandatory = [v for v in violations if v.level == "mandatory"]
    cost = float(report.monthly_cost_usd)
    return Evidence(
        policy_passed=not mandatory and cost <= config.cost.max_monthly_usd,
        policy={
            "mandatory_failures": len(mandatory),
            "advisory_failures": len(violations) - len(mandatory),
            "failed_rules": sorted({v.rule_id for v in mandatory}),
        },
        monthly_usd=round(cost, 2),
        cost={"limit_usd": config.cost.max_monthly_usd, "currency": "USD"},
    )


def policy_check(config: EnvironmentConfig, plan: Plan) -> Evidence:
    from llmops_infra.policies.runner import evaluate

    return evidence_from_report(evaluate(plan, config), config)


def promote_gates(config: EnvironmentConfig, project_dir: Path, plan: Plan) -> None:
    from llmops_infra.stacks.gates import GateContext, run_gates

    run_gates(config, project_dir, operation="promote",
              ctx=GateContext(config, project_dir, "promote", plan=plan))


def approved(env: str, project_dir: Path, manifest: Manifest) -> bool:
    from llmops_infra.stacks.gates import has_approval

    return has_approval(env, project_dir, manifest=manifest.id)


def engine_deploy(program: Callable[[], None] | None = None) -> Callable[[EnvironmentConfig, Path], DeployOutcome]:
    """`up` through the Automation API; `program` replaces the estate (tests use a small one)."""

    def deploy(config: EnvironmentConfig, project_dir: Path) -> DeployOutcome:
        from llmops_infra.stacks.lifecycle import up

        result = up(config, project_dir, program=program)
        return DeployOutcome(succeeded=True, summary=dict(result.summary))

    return deploy


def default_hooks(*, confirm: Callable[[str], bool] | None = None, show: Callable[[str], None] | None = None,
                  actor: str | None = None) -> Hooks:
    return Hooks(check=policy_check, gates=promote_gates, deploy=engine_deploy(), approved=approved,
                 confirm=confirm, show=show or (lambda _text: None), actor=actor)
