"""GPU node pool rules (GPU-01 … GPU-04): placement, scale to zero, allow-list, node caps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from llmops_infra.policies.aks import AGENT_POOL, CLUSTER, node_pools
from llmops_infra.policies.framework import Params, Report, get, gpu_size, items, prod, resource_rule, same, stack_rule

GPU_TAINT_KEY = "nvidia.com/gpu"


def gpu_pools(args: ResourceValidationArgs | PolicyResource) -> list[tuple[str, Any]]:
    return [(name, pool) for name, pool in node_pools(args) if gpu_size(get(pool, "vmSize"))]


def max_nodes(pool: Any) -> int:
    """The most nodes a pool can run: maxCount when autoscaling, else count (1 if unset)."""
    if get(pool, "enableAutoScaling") is True:
        value = get(pool, "maxCount", get(pool, "count", 1))
    else:
        value = get(pool, "count", 1)
    return int(value) if isinstance(value, (int, float)) else 0


@resource_rule(
    "GPU-01",
    "gpu-pool-placement",
    scope="A",
    severity=Severity.HIGH,
    types=[CLUSTER, AGENT_POOL],
    params=["max_gpu_nodes"],
    description="GPU sizes run only in autoscaling User pools tainted nvidia.com/gpu, within "
    "the environment's node cap.",
    remediation="Put GPU sizes in a User pool with nodeTaints [nvidia.com/gpu=present:NoSchedule], "
    "enableAutoScaling: true and maxCount within cost.max_gpu_nodes.",
)
def gpu_placement(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    cap = int(params["max_gpu_nodes"])
    for name, pool in gpu_pools(args):
        if not same(get(pool, "mode"), "User"):
            report(f"GPU pool {name} is not a User pool: system pods would land on GPU nodes.")
        taints = [str(t) for t in items(get(pool, "nodeTaints"))]
        if not any(t.startswith(GPU_TAINT_KEY) for t in taints):
            report(f"GPU pool {name} has no {GPU_TAINT_KEY} taint: any pod can occupy costly GPU nodes.")
        if get(pool, "enableAutoScaling") is not True:
            report(f"GPU pool {name} does not autoscale: idle GPU nodes keep billing.")
        if max_nodes(pool) > cap:
            report(f"GPU pool {name} can grow to {max_nodes(pool)} nodes; this environment allows {cap}.")


@resource_rule(
    "GPU-02",
    "gpu-scale-to-zero",
    scope="N",
    severity=Severity.MEDIUM,
    types=[CLUSTER, AGENT_POOL],
    params=["scope"],
    description="Outside prod, GPU pools scale to zero (spot allowed).",
    remediation="Set minCount: 0 with enableAutoScaling: true on GPU pools outside prod.",
)
def gpu_scale_to_zero(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if prod(params):
        return
    for name, pool in gpu_pools(args):
        low = get(pool, "minCount") if get(pool, "enableAutoScaling") is True else get(pool, "count", 1)
        if low != 0:
            report(
                f"GPU pool {name} keeps at least {'an unset minCount of' if low is None else low} nodes "
                "running: outside prod it should scale to zero."
            )


@resource_rule(
    "GPU-03",
    "gpu-size-allowed",
    scope="A",
    severity=Severity.HIGH,
    types=[CLUSTER, AGENT_POOL],
    params=["allowed_gpu_sizes"],
    description="GPU VM sizes are on the environment's allow-list.",
    remediation="Use a size from cost.allowed_gpu_sizes, or add the size there (reviewed by FinOps).",
)
def gpu_allowed(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    allowed = {str(s).lower() for s in params["allowed_gpu_sizes"]}
    for name, pool in gpu_pools(args):
        size = str(get(pool, "vmSize"))
        if size.lower() not in allowed:
            report(
                f"GPU pool {name} uses {size}, which is not on this environment's allow-list "
                f"({', '.join(params['allowed_gpu_sizes']) or 'empty'})."
            )


@stack_rule(
    "GPU-04",
    "gpu-node-cap",
    scope="A",
    severity=Severity.HIGH,
    params=["max_gpu_nodes"],
    description="The GPU pools of the stack together stay within the environment's node cap.",
    remediation="Lower maxCount on GPU pools or raise cost.max_gpu_nodes (reviewed by FinOps).",
)
def gpu_node_cap(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    cap = int(params["max_gpu_nodes"])
    total = 0
    for resource in resources:
        if resource.resource_type in (CLUSTER, AGENT_POOL):
            total += sum(max_nodes(pool) for _, pool in gpu_pools(resource))
    if total > cap:
        report(f"GPU pools can grow to {total} nodes in total; this environment allows {cap}.")


@resource_rule(
    "GPU-05",
    "gpu-spot-in-dev",
    scope="A",
    severity=Severity.LOW,
    types=[CLUSTER, AGENT_POOL],
    params=["scope"],
    description="In dev, GPU pools run on spot capacity.",
    remediation="Set scaleSetPriority: Spot (spot: true in the environment's gpu_pools) for dev GPU pools.",
)
def gpu_spot_in_dev(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if params["scope"] != "dev":
        return
    for name, pool in gpu_pools(args):
        if not same(get(pool, "scaleSetPriority"), "Spot"):
            report(f"GPU pool {name} runs on demand in dev: spot capacity costs a fraction for the same GPUs.")
