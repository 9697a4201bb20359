"""Gates before the engine, in order; the first that fails stops the run with a clear message.

1. config       the environment files load and validate (exit 2)
2. policy       the offline policy check of the synthesized plan: no mandatory violation (exit 1)
3. cost         the plan's estimated monthly cost is within `cost.max_monthly_usd` (exit 1)
4. credentials  azure-identity obtains an ARM token (exit 3)
5. kubernetes-version  the AKS version is offered (GA) in the region (live, `preflight_gates`)
6. models       every model, version and deployment type is offered in the region, not deprecated
                there, with the regional quota for its capacity (live)
7. gpu-skus     every GPU pool's VM size is offered in the region and its zones, unrestricted (live)
8. quota        the GPU pools fit the region's vCPU family quota, looked up only with credentials (exit 3)
9. soft-delete  no soft-deleted Key Vault or Cognitive Services account holds a name the plan
                needs (a field lesson: the create fails late otherwise), only with credentials (exit 3)
10. approval    for `up` of an environment with `promotion.requires_approval`: an approval
                record `.llmops/approvals/<env>.json` (exit 2; format in docs/architecture.md)

The config gate includes the lifecycle catalog: nothing pinned is retired (exit 2). Live gates
(5-9) fail with exit 3 and name the setting to change; without credentials, or when ARM refuses
or cannot answer, they are skipped with the reason. `preview` runs 1-9, `up` 1-10, `destroy`
and `refresh` 1 and 4. Promotion (which asks for its own approval) runs them with operation
"promote": 1-9.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine import preflight_gates

# re-exported: the approval records' schema and checks live in engine/approvals.py
from llmops_infra.engine.approvals import approval_path as approval_path
from llmops_infra.engine.approvals import approval_problem as approval_problem
from llmops_infra.engine.approvals import has_approval as has_approval
from llmops_infra.engine.arm_client import ArmError
from llmops_infra.engine.gate_types import PASSED, SKIPPED, Gate, GateContext, GateFailed, GateResult
from llmops_infra.errors import EngineError, PolicyViolationError

if TYPE_CHECKING:
    from llmops_infra.policies.runner import CheckResult


LIVE = ("kubernetes-version", "models", "gpu-skus", "quota", "soft-delete")
GATES_BY_OPERATION: dict[str, tuple[str, ...]] = {
    "preview": ("config", "policy", "cost", "credentials", *LIVE),
    "up": ("config", "policy", "cost", "credentials", *LIVE, "approval"),
    "promote": ("config", "policy", "cost", "credentials", *LIVE),
    "destroy": ("config", "credentials"),
    "refresh": ("config", "credentials"),
}


# --------------------------------------------------------------------------- policy and cost


COST_RULE_PREFIX = "COST-"


def _check(ctx: GateContext) -> CheckResult:
    """The offline policy check of the plan (`stacks.policy_gate.check_config`), run once for both gates."""
    if ctx.policy_report is None:
        from llmops_infra.offline.policy_check import check_config

        ctx.policy_report = check_config(ctx.config, ctx.the_plan())
    return ctx.policy_report


def _listed(violations: list[Any]) -> str:
    first = "; ".join(f"{v.rule_id} {v.resource_name or 'stack'}: {v.message.rstrip('.')}" for v in violations[:3])
    return first + (f" (and {len(violations) - 3} more)" if len(violations) > 3 else "")


def policy_gate(ctx: GateContext) -> GateResult:
    check = _check(ctx)
    blocking = [v for v in check.mandatory if not v.rule_id.startswith(COST_RULE_PREFIX)]
    if blocking:
        raise GateFailed(
            "policy",
            f"{len(blocking)} mandatory violation(s): {_listed(blocking)}. "
            f"`llmops-infra policy check {ctx.config.name}` lists them with their fixes",
            PolicyViolationError.exit_code,
        )
    return GateResult("policy", PASSED, f"no mandatory violation ({len(check.advisory)} advisory)")


def cost_gate(ctx: GateContext) -> GateResult:
    from llmops_infra.offline.costing import estimate

    check = _check(ctx)
    limit = ctx.config.cost.max_monthly_usd
    cost = estimate(ctx.config, ctx.the_plan()).total_monthly_usd
    over = [v for v in check.mandatory if v.rule_id.startswith(COST_RULE_PREFIX)]
    if cost > limit:
        raise GateFailed(
            "cost",
            f"estimated ${cost:,.0f}/month exceeds cost.max_monthly_usd ${limit:,.0f}: lower "
            f"pool sizes or capacities, or raise the limit in environments/{ctx.config.name}.yaml "
            "(reviewed by FinOps)",
            PolicyViolationError.exit_code,
        )
    if over:
        raise GateFailed(
            "cost", f"{len(over)} mandatory cost violation(s): {_listed(over)}", PolicyViolationError.exit_code
        )
    return GateResult("cost", PASSED, f"estimated ${cost:,.0f}/month within ${limit:,.0f}")


# --------------------------------------------------------------------------- Azure


def credentials_gate(ctx: GateContext) -> GateResult:
    from llmops_infra.engine import azure_access

    status = (ctx.check_credentials or (lambda: azure_access.check_credentials(ctx.get_token)))()
    ctx.credentials_ok = status.ok
    if not status.ok:
        raise GateFailed("credentials", f"{status.message}: {status.fix}", EngineError.exit_code)
    return GateResult("credentials", PASSED, status.message)


def quota_gate(ctx: GateContext) -> GateResult:
    from llmops_infra.engine import azure_access

    if not ctx.credentials_ok:
        return GateResult("quota", SKIPPED, "skipped: no credentials")
    needs = azure_access.quota_needs(list(ctx.config.cluster.gpu_pools))
    azure = ctx.config.azure
    fetch = ctx.fetch or (ctx.arm.get_json_url if ctx.arm is not None else None)
    try:
        token = "" if ctx.fetch is None and ctx.arm is not None else azure_access.access_token(ctx.get_token)
        usages = azure_access.fetch_usages(azure.subscription_id, azure.location, token, fetch)
    except urllib.error.HTTPError as exc:
        return GateResult(
            "quota",
            SKIPPED,
            f"skipped: ARM refused the usage look-up ({exc.code}: "
            f"{azure_access.http_error_text(exc)}); grant Reader on the subscription to check quota",
        )
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return GateResult("quota", SKIPPED, f"skipped: ARM unreachable ({getattr(exc, 'reason', exc)})")
    except ArmError as exc:
        return GateResult(
            "quota", SKIPPED, f"skipped: ARM answered {exc.status or 'nothing'} {exc.code} ({exc.message})"
        )
    problems = azure_access.quota_shortfalls(needs, usages, azure.location)
    if problems:
        raise GateFailed("quota", "; ".join(problems), EngineError.exit_code)
    detail = ", ".join(f"{n.usage} {n.vcpus} vCPUs" for n in needs)
    return GateResult("quota", PASSED, f"GPU quota suffices in {azure.location} ({detail})")


NAMED_TYPES = {
    "azure-native:keyvault:Vault": ("vault", "vaultName"),
    "azure-native:cognitiveservices:Account": ("account", "accountName"),
}


def soft_delete_gate(ctx: GateContext) -> GateResult:
    from llmops_infra.engine import azure_access

    if not ctx.credentials_ok:
        return GateResult("soft-delete", SKIPPED, "skipped: no credentials")
    named = []
    for resource in ctx.the_plan().resources:
        if resource.type in NAMED_TYPES:
            kind, key = NAMED_TYPES[resource.type]
            name, group = resource.props.get(key), resource.props.get("resourceGroupName")
            if isinstance(name, str) and isinstance(group, str):
                location = str(resource.props.get("location") or ctx.config.azure.location)
                named.append(azure_access.NamedResource(kind, name, group, location))
    try:
        token = azure_access.access_token(ctx.get_token)
        held = azure_access.soft_deleted(ctx.config.azure.subscription_id, named, token, ctx.fetch)
    except urllib.error.HTTPError as exc:
        return GateResult(
            "soft-delete",
            SKIPPED,
            f"skipped: ARM refused the look-up ({exc.code}: {azure_access.http_error_text(exc)})",
        )
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return GateResult("soft-delete", SKIPPED, f"skipped: ARM unreachable ({getattr(exc, 'reason', exc)})")
    if held:
        fixes = "; ".join(f"{r.kind} {r.name}: {azure_access.recover_hint(r)}" for r in held)
        raise GateFailed(
            "soft-delete", f"soft-deleted resources still hold names the plan needs: {fixes}", EngineError.exit_code
        )
    return GateResult("soft-delete", PASSED, f"no soft-deleted vault or account holds the {len(named)} names")


# --------------------------------------------------------------------------- approval


def approval_gate(ctx: GateContext) -> GateResult:
    env = ctx.config.name
    if not ctx.config.promotion.requires_approval:
        return GateResult("approval", SKIPPED, f"{env} does not require approval")
    from llmops_infra.engine.approvals import current_actor

    problem = approval_problem(env, ctx.project_dir, now=ctx.now(), deployer=current_actor())
    if problem:
        raise GateFailed(
            "approval",
            f"{env} requires an approved promotion: {problem}. Promote a tested "
            f"release with `llmops-infra promote <source> {env}` and have it approved",
            2,
        )
    return GateResult("approval", PASSED, f"approved ({approval_path(env, ctx.project_dir).name})")


GATES: dict[str, Gate] = {
    "policy": policy_gate,
    "cost": cost_gate,
    "credentials": credentials_gate,
    "kubernetes-version": preflight_gates.kubernetes_version_gate,
    "models": preflight_gates.models_gate,
    "gpu-skus": preflight_gates.gpu_skus_gate,
    "quota": quota_gate,
    "soft-delete": soft_delete_gate,
    "approval": approval_gate,
}


def run_gates(
    config: EnvironmentConfig,
    project_dir: Path,
    *,
    operation: str = "up",
    ctx: GateContext | None = None,
    on_result: Callable[[GateResult], None] | None = None,
    gates: dict[str, Gate] | None = None,
) -> list[GateResult]:
    """Run the gates of `operation` after config (already validated: `config` exists); raise on the first failure."""
    if operation not in GATES_BY_OPERATION:
        raise ValueError(f"unknown operation {operation!r}: one of {sorted(GATES_BY_OPERATION)}")
    ctx = ctx or GateContext(config, project_dir, operation)
    table = gates or GATES
    results = [GateResult("config", PASSED, f"environments/{config.name}.yaml is valid")]
    if on_result:
        on_result(results[0])
    for name in GATES_BY_OPERATION[operation][1:]:
        result = table[name](ctx)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def gates_for(
    env: str,
    project_dir: Path,
    *,
    operation: str = "up",
    on_result: Callable[[GateResult], None] | None = None,
    **seams: Any,
) -> tuple[EnvironmentConfig, list[GateResult]]:
    """Load ENV (the config gate) and run the other gates of `operation`."""
    from llmops_infra.config.loader import load_environment
    from llmops_infra.engine.state_checks import check_state_location
    from llmops_infra.errors import ConfigError

    try:
        config = load_environment(env, project_dir)
        check_state_location(config.state.url)  # CI with file:// state: refused before anything else
    except ConfigError as exc:
        raise GateFailed("config", str(exc), ConfigError.exit_code) from None
    ctx = GateContext(config, project_dir, operation, **seams)
    return config, run_gates(config, project_dir, operation=operation, ctx=ctx, on_result=on_result)
