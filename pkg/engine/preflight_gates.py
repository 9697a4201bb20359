"""The live preflight gates (after credentials, before quota): version, models, GPU sizes.

Each asks ARM through the context's `ArmClient` (a replay server in tests) and fails with the
setting to change. Like the quota gate, a gate that cannot ask (no credentials, ARM refuses the
read, ARM unreachable or throttling past the retries) is skipped with the reason, never passed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmops_infra.engine import preflight
from llmops_infra.engine.arm_client import ArmClient, ArmError
from llmops_infra.engine.gate_types import FAILED, SKIPPED, GateContext, GateFailed, GateResult

PREFLIGHT_EXIT_CODE = 3


def arm_of(ctx: GateContext) -> ArmClient:
    """The context's ARM client, created on first use with the gates' credentials."""
    if ctx.arm is None:
        ctx.arm = ArmClient(token_getter=ctx.get_token)
    return ctx.arm


def _ask(gate: str, ctx: GateContext, question: Callable[[ArmClient], Any]) -> tuple[Any, GateResult | None]:
    if not ctx.credentials_ok:
        return None, GateResult(gate, SKIPPED, "skipped: no credentials")
    try:
        return question(arm_of(ctx)), None
    except ArmError as exc:
        if exc.forbidden:
            why = f"ARM refused the read ({exc.code}: {exc.message}); grant Reader on the subscription to check"
        elif exc.status == 0:
            why = f"ARM unreachable ({exc.message})"
        else:
            why = f"ARM answered {exc.status} {exc.code} after retries ({exc.message})"
        return None, GateResult(gate, SKIPPED, f"skipped: {why}")


def _fail(gate: str, problems: list[preflight.Problem]) -> GateFailed:
    text = "; ".join(str(p) for p in problems)
    return GateFailed(gate, f"{text} (in environments/*.yaml)", PREFLIGHT_EXIT_CODE)


def kubernetes_version_gate(ctx: GateContext) -> GateResult:
    azure, version = ctx.config.azure, ctx.config.cluster.kubernetes_version
    versions, skipped = _ask(
        "kubernetes-version", ctx, lambda arm: preflight.kubernetes_versions(arm, azure.subscription_id, azure.location)
    )
    if skipped:
        return skipped
    problems = preflight.kubernetes_problems(version, versions, azure.location)
    if problems:
        raise _fail("kubernetes-version", problems)
    return GateResult("kubernetes-version", "passed", f"Kubernetes {version} is offered in {azure.location}")


def models_gate(ctx: GateContext) -> GateResult:
    azure, deployments = ctx.config.azure, list(ctx.config.openai.deployments)
    if not deployments:
        return GateResult("models", SKIPPED, "no model deployments")

    def ask(arm: ArmClient) -> tuple[list[dict[str, Any]], dict[str, tuple[float, float]]]:
        return (
            preflight.location_models(arm, azure.subscription_id, azure.location),
            preflight.cognitive_usages(arm, azure.subscription_id, azure.location),
        )

    answer, skipped = _ask("models", ctx, ask)
    if skipped:
        return skipped
    models, usages = answer
    problems = preflight.model_problems(deployments, models, usages, azure.location, ctx.now().date())
    if problems:
        raise _fail("models", problems)
    listed = ", ".join(f"{d.model} {d.version} {d.sku} {d.capacity}" for d in deployments)
    return GateResult("models", "passed", f"offered in {azure.location} with quota: {listed}")


def gpu_skus_gate(ctx: GateContext) -> GateResult:
    azure, pools = ctx.config.azure, list(ctx.config.cluster.gpu_pools)
    skus, skipped = _ask("gpu-skus", ctx, lambda arm: preflight.vm_skus(arm, azure.subscription_id, azure.location))
    if skipped:
        return skipped
    problems = preflight.sku_problems(pools, skus, azure.location)
    if problems:
        raise _fail("gpu-skus", problems)
    listed = ", ".join(f"{p.vm_size} (zones {','.join(p.zones) or 'regional'})" for p in pools)
    return GateResult("gpu-skus", "passed", f"offered without restriction in {azure.location}: {listed}")


__all__ = ["FAILED", "gpu_skus_gate", "kubernetes_version_gate", "models_gate"]
