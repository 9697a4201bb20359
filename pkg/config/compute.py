"""Config of the GPU cluster and the inference services it runs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from llmops_infra.components.rules import (
    check_api_server_access,
    check_bounds,
    check_gpu_pool_names,
    check_unique,
)
from llmops_infra.config.common import GpuVmSize, Strict, Uuid, VmSize

OsSku = Literal["Ubuntu", "Ubuntu2404", "Ubuntu2204", "AzureLinux"]
OS_SKU_HELP = (
    "Node OS SKU. Ubuntu follows the Kubernetes version (Ubuntu 24.04 from 1.35). With gpu_driver operator every "
    "pool must run the same one, and one the NVIDIA GPU operator supports (Ubuntu): the operator is not compatible "
    "with several OS versions in one cluster."
)

Zone = Literal["1", "2", "3"]


def _every_zone() -> list[Zone]:
    return ["1", "2", "3"]


class SystemPool(Strict):
    vm_size: VmSize = Field("Standard_D4ds_v5", description="VM size of the system node pool.")
    min_nodes: int = Field(2, ge=1, le=100, description="Autoscaler minimum.")
    max_nodes: int = Field(3, ge=1, le=100, description="Autoscaler maximum.")
    zones: list[Zone] = Field(default_factory=_every_zone, description="Availability zones of the pool.")
    os_sku: OsSku = Field("Ubuntu", description=OS_SKU_HELP)

    @model_validator(mode="after")
    def _bounds(self) -> SystemPool:
        check_bounds(self.min_nodes, self.max_nodes)
        return self


class GpuPool(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{0,11}$")] = Field(
        description="AKS pool name: lowercase letters and digits, at most 12 characters."
    )
    vm_size: GpuVmSize = Field(description="Azure GPU VM size, e.g. Standard_NC24ads_A100_v4.")
    min_nodes: int = Field(0, ge=0, le=100, description="Autoscaler minimum (0 lets the pool scale to zero).")
    max_nodes: int = Field(2, ge=1, le=100, description="Autoscaler maximum.")
    spot: bool = Field(False, description="Spot capacity: cheaper, can be evicted at any time.")
    spot_max_price: float = Field(
        -1, description="Highest spot price per hour in USD; -1 pays up to the on-demand price."
    )
    zones: list[Zone] = Field(default_factory=list, description="Availability zones of the pool.")
    os_sku: OsSku = Field("Ubuntu", description=OS_SKU_HELP)

    @model_validator(mode="after")
    def _bounds(self) -> GpuPool:
        check_bounds(self.min_nodes, self.max_nodes)
        if self.spot_max_price != -1 and not self.spot:
            raise ValueError("spot_max_price is set but spot is false: set spot: true or remove spot_max_price")
        return self


class ClusterConfig(Strict):
    kubernetes_version: str = Field(
        pattern=r"^1\.\d{2}(\.\d+)?$",
        description="AKS Kubernetes version, e.g. 1.36 (a minor version gets its latest patch). Checked against the "
        "lifecycle catalog: a version past end of life is refused (`llmops-infra lifecycle ENV` shows the dates).",
    )
    sku_tier: Literal["Free", "Standard", "Premium"] = Field(
        "Standard", description="AKS tier; Standard and Premium carry the uptime SLA."
    )
    private_cluster: bool = Field(True, description="API server reachable only from the VNet.")
    authorized_ip_ranges: list[str] = Field(
        default_factory=list,
        description="Public CIDRs allowed to reach the API server when it is not private.",
    )
    admin_group_object_ids: list[Uuid] = Field(
        default_factory=list,
        description="Entra ID groups that administer the cluster (Azure RBAC Cluster Admin). Required for a private "
        "cluster: otherwise only the pipeline identity can administer it, and a person who reaches the API server "
        "(runner, jump host, `az aks command invoke`) gets 403s.",
    )
    gpu_driver: Literal["operator", "aks"] = Field(
        "operator",
        description="operator: the NVIDIA GPU operator installs drivers (pools are created with "
        "gpuProfile.driver None); aks: AKS installs drivers and the device plugin runs.",
    )
    gpu_operator_version: str = Field(
        "v26.7.0",
        pattern=r"^v\d+\.\d+\.\d+$",
        description="gpu_driver operator: the NVIDIA GPU operator Helm chart version. Checked against the lifecycle "
        "catalog (NVIDIA supports the newest major release; the one before gets critical fixes only).",
    )
    gpu_driver_version: str | None = Field(
        "580.173.02",
        pattern=r"^\d{3}\.\d+(\.\d+)?$",
        description="gpu_driver operator: the NVIDIA driver the operator installs (driver.version); null: the "
        "release's default. Its branch must support the CUDA version of every inference image (R580: CUDA 13.0).",
    )
    device_plugin_image_digest: str = Field(
        "sha256:7089559ce6153018806857f5049085bae15b3bf6f1c8bd19d8b12f707d087dea",
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="gpu_driver aks: digest of nvidia/k8s-device-plugin in the estate's registry (imported from "
        "nvcr.io/nvidia/k8s-device-plugin:v0.17.0, digest kept). Refresh it on every upgrade.",
    )
    dcgm_exporter_image_digest: str = Field(
        "sha256:98781424e83e14e8855aa6881e5ca8e68c81fdc75c82dd1bb3fe924349aee9d4",
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="gpu_driver aks: digest of nvidia/k8s/dcgm-exporter in the estate's registry (imported from "
        "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.7-3.5.0-ubuntu22.04, digest kept). Refresh it on every upgrade.",
    )
    system_pool: SystemPool = Field(default_factory=SystemPool, description="The system (non-GPU) pool.")
    gpu_pools: list[GpuPool] = Field(min_length=1, description="GPU user pools.")
    maintenance_day: Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] = Field(
        "Sunday", description="Day of the weekly maintenance window for upgrades."
    )

    @model_validator(mode="after")
    def _access(self) -> ClusterConfig:
        check_api_server_access(self.private_cluster, self.authorized_ip_ranges)
        check_gpu_pool_names(p.name for p in self.gpu_pools)
        if self.private_cluster and not self.admin_group_object_ids:
            raise ValueError(
                "admin_group_object_ids is empty but the cluster is private: name the Entra ID group(s) of the "
                "people who administer it (object ids), or only the pipeline identity can"
            )
        check_unique(list(self.admin_group_object_ids), "admin_group_object_ids", "group")
        return self
