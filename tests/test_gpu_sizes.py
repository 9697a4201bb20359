"""gpu_sizes: the GPU table (pure data) and whether a model replica fits its VM size."""

from __future__ import annotations

import subprocess
import sys

from llmops_infra.components.gpu_sizes import GPU_SIZES, fit_problem, gpus_per_vm


def test_table_matches_the_published_gpu_memory():
    memory = {size: spec.gpu_memory_gb for size, spec in GPU_SIZES.items()}
    assert memory["Standard_NC4as_T4_v3"] == 16
    assert memory["Standard_NV36ads_A10_v5"] == 24
    assert memory["Standard_NC24ads_A100_v4"] == 80
    assert memory["Standard_ND96asr_v4"] == 40
    assert memory["Standard_ND96amsr_A100_v4"] == 80
    assert memory["Standard_NC40ads_H100_v5"] == 94
    assert memory["Standard_ND96isr_H100_v5"] == 80
    assert gpus_per_vm("Standard_NC96ads_A100_v4") == 4
    assert gpus_per_vm("Standard_NX_unknown") is None


def test_the_table_imports_without_pulumi():
    code = (
        "import sys; import llmops_infra.components.gpu_sizes, llmops_infra.config.models; "
        "print('pulumi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_llama_8b_in_16_bit_does_not_fit_a_t4_but_a_3b_model_does():
    problem = fit_problem(vm_size="Standard_NC4as_T4_v3", gpus_per_replica=1, weights_gb=16, dtype="half")
    assert problem is not None and "quantize the model" in problem
    assert fit_problem(vm_size="Standard_NC4as_T4_v3", gpus_per_replica=1, weights_gb=7, dtype="half") is None


def test_llama_70b_needs_quantization_or_more_a100s():
    assert fit_problem(vm_size="Standard_NC24ads_A100_v4", gpus_per_replica=1, weights_gb=140, dtype="auto")
    assert fit_problem(vm_size="Standard_NC24ads_A100_v4", gpus_per_replica=1, weights_gb=40, dtype="half") is None
    # 140 GB x 1.2 = 168 GB fits four 80 GB GPUs but not four 40 GB ones.
    assert fit_problem(vm_size="Standard_NC96ads_A100_v4", gpus_per_replica=4, weights_gb=140, dtype="auto") is None
    assert fit_problem(vm_size="Standard_ND96asr_v4", gpus_per_replica=4, weights_gb=140, dtype="auto")


def test_gpus_per_replica_beyond_a_node_and_bf16_on_t4_are_refused():
    assert "has 1 GPU(s)" in fit_problem(
        vm_size="Standard_NC24ads_A100_v4", gpus_per_replica=2, weights_gb=None, dtype="auto"
    )
    assert "use dtype half" in fit_problem(
        vm_size="Standard_NC4as_T4_v3", gpus_per_replica=1, weights_gb=None, dtype="bfloat16"
    )
    assert (
        fit_problem(vm_size="Standard_NC24ads_A100_v4", gpus_per_replica=1, weights_gb=None, dtype="bfloat16") is None
    )


def test_unknown_sizes_are_not_judged():
    assert fit_problem(vm_size="Standard_NX_unknown", gpus_per_replica=8, weights_gb=900, dtype="bfloat16") is None
