"""The real hooks of a promotion: the policy runner and cost model, the gates, the engine.

`release.promotion` calls only `Hooks`; this module wires them to the rest of the product:
the offline policy check (`offline.policy_check.check_config`), the gates of operation
"promote" (`engine.gates.run_gates`: policy, cost, credentials, quota), the approval record
(`engine.gates.has_approval`) and the Automation API (`engine.lifecycle.up`, with the packs
of `engine.policy_packs`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.plan import Plan
from llmops_infra.release.manifest import Evidence, Manifest
from llmops_infra.release.promotion import DeployOutcome, Hooks
from llmops_infra.review.diff import Change, PlanDiff


def evidence_from(result: Any, monthly_usd: float, config: EnvironmentConfig) -> Evidence:
    """Summarize a policy `CheckResult` and the cost estimate: a mandatory violation or a cost
    over `cost.max_monthly_usd` fails the release."""
    mandatory = sorted({v.rule_id for v in result.mandatory})
    limit = config.cost.max_monthly_usd
    return Evidence(
        policy_passed=bool(result.passed) and monthly_usd <= limit,
        policy={
            "mandatory_failures": len(result.mandatory),
            "advisory_failures": len(result.advisory),
            "exempted": len(result.exempted),
            "failed_rules": mandatory,
            "rules_run": result.rules_run,
            # what failed, so that the record says why (the messages name resources, never secrets)
            "findings": [
                {"rule_id": v.rule_id, "resource": v.resource_name or "(stack)", "message": v.message}
                for v in result.mandatory[:MAX_FINDINGS]
            ],
        },
        monthly_usd=round(monthly_usd, 2),
        cost={"limit_usd": limit, "currency": "USD", "over_limit": monthly_usd > limit},
    )


MAX_FINDINGS = 50
"""Mandatory findings recorded with a release (the count is always complete)."""


def policy_check(config: EnvironmentConfig, plan: Plan) -> Evidence:
    """The offline policy check (issue 6's runner) and cost model over `plan`."""
    from llmops_infra.offline.costing import estimate
    from llmops_infra.offline.policy_check import check_config

    return evidence_from(check_config(config, plan), estimate(config, plan).total_monthly_usd, config)


def promote_gates(config: EnvironmentConfig, project_dir: Path, plan: Plan) -> None:
    from llmops_infra.engine.gate_types import GateContext
    from llmops_infra.engine.gates import run_gates

    run_gates(config, project_dir, operation="promote", ctx=GateContext(config, project_dir, "promote", plan=plan))


def approved(env: str, project_dir: Path, manifest: Manifest, deployer: str) -> bool:
    """A valid approval record for ENV that names this very manifest, by someone who is neither
    the deployer nor the release's author (`engine.approvals`)."""
    from llmops_infra.engine.approvals import approval_problem

    problem = approval_problem(env, project_dir, manifest=manifest.id, deployer=deployer, author=manifest.created_by)
    return problem is None


def engine_deploy(program: Callable[[], None] | None = None) -> Callable[[EnvironmentConfig, Path], DeployOutcome]:
    """`up` through the Automation API; `program` replaces the estate (tests use a small one).

    The estate itself is updated with the shipped policy pack running in the engine, as `up` does.
    """

    def deploy(config: EnvironmentConfig, project_dir: Path) -> DeployOutcome:
        from llmops_infra.engine.lifecycle import up
        from llmops_infra.engine.policy_packs import PackArguments, PolicyPacks

        packs = PolicyPacks().arguments(config, project_dir) if program is None else PackArguments()
        result = up(config, project_dir, program=program, **packs)
        return DeployOutcome(succeeded=True, summary=dict(result.summary))

    return deploy


def default_hooks(
    *,
    confirm: Callable[[str], bool] | None = None,
    show: Callable[[str], None] | None = None,
    show_changes: Callable[[list[Change], PlanDiff, str | None], None] | None = None,
    actor: str | None = None,
) -> Hooks:
    return Hooks(
        check=policy_check,
        gates=promote_gates,
        deploy=engine_deploy(),
        approved=approved,
        confirm=confirm,
        show=show or (lambda _text: None),
        show_changes=show_changes or (lambda _changes, _diff, _before: None),
        actor=actor,
    )
