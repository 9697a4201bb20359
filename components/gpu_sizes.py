"""What each Azure GPU VM size carries: whole GPUs per VM and memory per GPU.

Pure data with no Pulumi import, so that the config validators (`stacks/config.py`) and the
components read the same table: `llmops-infra validate` then rejects a model that cannot fit
its pool before anything is synthesized. Figures from Azure's size documentation (N-series).
"""

from __future__ import annotations

from typing import NamedTuple


class GpuSize(NamedTuple):
    gpus: int
    """Whole GPUs on one VM."""
    gpu_memory_gb: int
    """Memory of one GPU, GB."""
    accelerator: str


GPU_SIZES: dict[str, GpuSize] = {
    "Standard_NC4as_T4_v3": GpuSize(1, 16, "T4"),
    "Standard_NC8as_T4_v3": GpuSize(1, 16, "T4"),
    "Standard_NC16as_T4_v3": GpuSize(1, 16, "T4"),
    "Standard_NC64as_T4_v3": GpuSize(4, 16, "T4"),
    "Standard_NV36ads_A10_v5": GpuSize(1, 24, "A10"),
    "Standard_NC24ads_A100_v4": GpuSize(1, 80, "A100"),
    "Standard_NC48ads_A100_v4": GpuSize(2, 80, "A100"),
    "Standard_NC96ads_A100_v4": GpuSize(4, 80, "A100"),
    "Standard_ND96asr_v4": GpuSize(8, 40, "A100"),
    "Standard_ND96amsr_A100_v4": GpuSize(8, 80, "A100"),
    "Standard_NC40ads_H100_v5": GpuSize(1, 94, "H100"),
    "Standard_NC80adis_H100_v5": GpuSize(2, 94, "H100"),
    "Standard_ND96isr_H100_v5": GpuSize(8, 80, "H100"),
}

NO_BF16 = frozenset({"T4"})
"""Accelerators without bfloat16 (pre-Ampere): serve them in half (float16)."""

WEIGHTS_HEADROOM = 1.2
"""Weights may fill at most 1/1.2 of the replica's GPU memory: the rest holds the CUDA
context, activations and a minimal KV cache."""


def gpus_per_vm(vm_size: str) -> int | None:
    """Whole GPUs on one VM of `vm_size`; None for a size the table does not know."""
    size = GPU_SIZES.get(vm_size)
    return size.gpus if size else None


def fit_problem(*, vm_size: str, gpus_per_replica: int, weights_gb: float | None, dtype: str) -> str | None:
    """Why a replica of `gpus_per_replica` GPUs on `vm_size` cannot serve the model, or None.

    Unknown sizes are not judged (the cost policies allow-list sizes separately).
    """
    size = GPU_SIZES.get(vm_size)
    if size is None:
        return None
    if gpus_per_replica > size.gpus:
        return (
            f"gpus_per_replica is {gpus_per_replica} but a {vm_size} node has {size.gpus} GPU(s): no node "
            "could ever run a replica; lower gpus_per_replica or use a pool with larger VMs"
        )
    if dtype == "bfloat16" and size.accelerator in NO_BF16:
        return f"dtype bfloat16 is not supported by the {size.accelerator} GPUs of {vm_size}: use dtype half"
    if weights_gb is not None:
        available = size.gpu_memory_gb * gpus_per_replica
        if weights_gb * WEIGHTS_HEADROOM > available:
            return (
                f"weights_gb {weights_gb:g} needs {weights_gb * WEIGHTS_HEADROOM:g} GB with KV-cache headroom "
                f"(x{WEIGHTS_HEADROOM}) but {gpus_per_replica} {size.accelerator} GPU(s) of {vm_size} hold "
                f"{available} GB: quantize the model (quantization: awq|gptq|fp8), raise gpus_per_replica, "
                "or use a pool with larger GPUs"
            )
    return None
