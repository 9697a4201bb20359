"""AKS node pools: the GPU user pools, and the taints, labels and tolerations that pair them
with workloads.

Taints and the matching tolerations are built here, from one `GpuPoolSpec`, so that a pool's
taints and the tolerations of the workloads scheduled onto it cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import containerservice

from llmops_infra.components.gpu_sizes import gpus_per_vm

SYSTEM_TAINT = "CriticalAddonsOnly=true:NoSchedule"
"""Keeps application pods off the system pool (AKS-11)."""
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT = f"{GPU_TAINT_KEY}=present:NoSchedule"
"""Keeps non-GPU pods off expensive GPU nodes."""
SPOT_TAINT_KEY = "kubernetes.azure.com/scalesetpriority"
SPOT_TAINT = f"{SPOT_TAINT_KEY}=spot:NoSchedule"
"""The taint AKS puts on spot nodes; declared so the stack's view matches Azure's."""
POOL_LABEL = "llmops.io/gpu-pool"
"""Node label naming the GPU pool; workloads select their pool with it."""
ACCELERATOR_LABEL = "llmops.io/accelerator"


@dataclass(frozen=True, kw_only=True)
class GpuPoolSpec:
    """One GPU user pool, autoscaled between min_nodes and max_nodes."""

    name: str
    """AKS pool name: lowercase letters and digits, at most 12 characters."""
    vm_size: str
    min_nodes: int = 0
    """Autoscaler minimum. Default: zero, an idle pool runs (and bills) no node."""
    max_nodes: int = 2
    """Autoscaler maximum. Default: two nodes."""
    spot: bool = False
    """Spot capacity: evictable at any time; nodes are deleted on eviction. Default: regular (on-demand) capacity."""
    spot_max_price: float = -1
    """Highest price per node-hour in USD; -1 pays up to the on-demand price. Default: up to the on-demand price."""
    zones: list[str] = field(default_factory=list)
    """Availability zones of the pool. Default: none named, Azure places the nodes."""
    os_sku: str = "Ubuntu"
    """Node OS. With the NVIDIA GPU operator every pool of the cluster runs the same one. Default: Ubuntu."""

    def __post_init__(self) -> None:
        if self.min_nodes > self.max_nodes:
            raise ValueError(
                f"gpu pool {self.name}: min_nodes ({self.min_nodes}) exceeds max_nodes "
                f"({self.max_nodes}): lower min_nodes or raise max_nodes"
            )
        if not self.vm_size.startswith("Standard_N"):
            raise ValueError(f"gpu pool {self.name}: {self.vm_size} is not a GPU size (Standard_N...)")
        if self.spot_max_price != -1 and not self.spot:
            raise ValueError(f"gpu pool {self.name}: spot_max_price is set but spot is false")

    @property
    def gpus_per_node(self) -> int | None:
        """GPUs on one node of this pool; None for a size the estate does not know."""
        return gpus_per_vm(self.vm_size)

    @property
    def taints(self) -> list[str]:
        return [GPU_TAINT, SPOT_TAINT] if self.spot else [GPU_TAINT]

    @property
    def labels(self) -> dict[str, str]:
        return {POOL_LABEL: self.name, ACCELERATOR_LABEL: "nvidia"}

    @property
    def node_selector(self) -> dict[str, str]:
        """What a workload puts in nodeSelector to land on this pool only."""
        return {POOL_LABEL: self.name}

    @property
    def tolerations(self) -> list[dict[str, Any]]:
        """Kubernetes tolerations matching every taint of this pool, exactly."""
        return [_toleration(taint) for taint in self.taints]


def _toleration(taint: str) -> dict[str, Any]:
    key_value, effect = taint.split(":")
    key, value = key_value.split("=")
    return {"key": key, "operator": "Equal", "value": value, "effect": effect}


GPU_TOLERATION_ANY = {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}
"""For node agents (device plugin, DCGM exporter) that must run on every GPU node."""
SPOT_TOLERATION_ANY = {"key": SPOT_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}


def autoscaled_pool(
    *,
    mode: str,
    vm_size: str,
    os_sku: str,
    min_nodes: int,
    max_nodes: int,
    zones: list[str],
    vnet_subnet_id: pulumi.Input[str],
    taints: list[str],
) -> dict[str, Any]:
    """The settings every pool of the estate shares, as keyword arguments of both an inline
    agent pool profile and an AgentPool: scale sets, Linux, autoscaling between min and max
    (`count` is the starting size only), the node subnet, no node public IPs (AKS-09)."""
    return {
        "mode": mode,
        "type": "VirtualMachineScaleSets",
        "vm_size": vm_size,
        "os_type": "Linux",
        "os_sku": os_sku,
        "enable_auto_scaling": True,
        "min_count": min_nodes,
        "max_count": max_nodes,
        "count": min_nodes,
        "availability_zones": zones or None,
        "vnet_subnet_id": vnet_subnet_id,
        "enable_node_public_ip": False,
        "node_taints": taints,
    }


def gpu_agent_pool(
    name: str,
    spec: GpuPoolSpec,
    *,
    resource_group_name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    vnet_subnet_id: pulumi.Input[str],
    kubernetes_version: pulumi.Input[str],
    operator_installs_driver: bool,
    parent: pulumi.Resource,
    after: pulumi.Resource | None = None,
) -> containerservice.AgentPool:
    """A GPU user pool as its own AgentPool resource.

    The autoscaler owns the node count: `count` is set only at creation and ignored after,
    so that an update never resizes the pool back. With the NVIDIA GPU operator the pool
    skips AKS's driver install (`gpuProfile.driver: None`), which Azure accepts only at
    creation: changing the driver mode replaces the pool. AKS refuses concurrent operations
    on one cluster's pools (409 OperationNotAllowed), so pools are created one `after` another.
    """
    spot = spec.spot
    return containerservice.AgentPool(
        name,
        agent_pool_name=spec.name,
        resource_name_=cluster_name,
        resource_group_name=resource_group_name,
        **autoscaled_pool(
            mode="User",
            vm_size=spec.vm_size,
            os_sku=spec.os_sku,
            min_nodes=spec.min_nodes,
            max_nodes=spec.max_nodes,
            zones=spec.zones,
            vnet_subnet_id=vnet_subnet_id,
            taints=spec.taints,
        ),
        orchestrator_version=kubernetes_version,
        node_labels=spec.labels,
        scale_set_priority="Spot" if spot else "Regular",
        scale_set_eviction_policy="Delete" if spot else None,
        spot_max_price=spec.spot_max_price if spot else None,
        gpu_profile=containerservice.GPUProfileArgs(driver="None") if operator_installs_driver else None,
        tags={},
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=[after] if after is not None else None,
            ignore_changes=["count"],
            replace_on_changes=["gpuProfile"],
        ),
    )
