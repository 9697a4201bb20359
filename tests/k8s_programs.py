"""The estate's workload stack on the `k8s` tier's API server, and the platform it reads.

`PLATFORM_OUTPUTS` stands in for what the platform stack of dev exports (`PlatformOutputs`:
identities' client ids, registry login server, Key Vault name, ...; made-up values of the right
shape, no Azure). `platform_program` is a platform stack that exports just that, so the workload
stack reads it through its real StackReference. `workload_program` is the workload stack's own
program (`stacks.estate.program_for(config, "workload")`) with the test bed's kubeconfig in place
of the cluster's Azure credentials.

The test bed has no nodes, so nothing ever becomes Ready. `no_nodes` is a resource transform
that says so to the Kubernetes provider and to Helm, and nothing else; the components stay as
production deploys them:

- Deployments, DaemonSets and Jobs get `pulumi.com/skipAwait: "true"` (the provider's documented
  annotation): without it `up` waits for ready replicas (a completed Job) until the custom timeout.
- The GPU operator's Helm release gets `skipAwait: true` and `atomic: false` (atomic makes Helm
  wait for readiness, then roll back), and its chart comes from the GPU operator's Go module
  (the proxy serves no release tags: chart v1.0.0-devel of 2025-09-17 instead of the pinned
  NGC chart, which needs the internet); the estate's values, name, namespace and timeout stay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.stacks.estate import program_for
from llmops_infra.stacks.platform_outputs import PlatformOutputs

PLATFORM_OUTPUTS: dict[str, str] = {
    "resource_group_name": "rg-llmops-dev-eus",
    "cluster_name": "aks-llmops-dev-eus",
    "registry_login_server": "crllmopsdeveus.azurecr.io",
    "key_vault_name": "kv-llmops-dev-eus",
    "inference_client_id": "1c0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
    "inference_principal_id": "2d1b2c3d-4e5f-4061-9b7c-8d9e0f1a2b3c",
    "keda_client_id": "4f3d4e5f-6071-4283-9d9e-0f1a2b3c4d5e",
    "model_loader_client_id": "5a4e5f60-7182-4394-8eaf-1a2b3c4d5e6f",
    "model_loader_principal_id": "6b5f6071-8293-44a5-9fb0-2b3c4d5e6f70",
    "prometheus_query_endpoint": "https://amw-llmops-dev-eus-a1b2.eastus.prometheus.monitor.azure.com",
    "key_vault_id": "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-llmops-dev-eus/"
    "providers/Microsoft.KeyVault/vaults/kv-llmops-dev-eus",
    "model_storage_account_name": "stllmopsdeveusmodels",
    "models_container": "models",
    "ml_workspace_name": "mlw-llmops-dev-eus",
}
"""What the platform stack exports for dev (every `PlatformOutputs` name)."""
assert sorted(PLATFORM_OUTPUTS) == sorted(PlatformOutputs.names()), "keep the fixture in step with PlatformOutputs"


class StandInBootstrap:
    """The bootstrap between the stacks asks Azure (tests/test_engine_bootstrap.py replays it):
    here it reports that it has nothing to check."""

    def run(self, operation: str, progress: Any) -> list[dict[str, str]]:
        progress.step("bootstrap", "present", f"{operation} bootstrap: not part of the k8s tier (stand-in)")
        return []


SKIP_AWAIT = "pulumi.com/skipAwait"
REPLACE_UNREADY = "pulumi.com/replaceUnready"
"""The staging Job's: a Job that never completes (no nodes) would be replaced by every `up`."""
AWAITED_WORKLOADS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job")
"""Without nodes a Deployment never has ready replicas and the weights staging Job never completes."""
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"

Transform = Callable[[pulumi.ResourceTransformArgs], pulumi.ResourceTransformResult | None]


def no_nodes(chart_dir: Path | None) -> Transform:
    """A resource transform for a control plane without nodes (see the module docstring)."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ in AWAITED_WORKLOADS:
            metadata = dict(args.props.get("metadata") or {})
            annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k != REPLACE_UNREADY}
            metadata["annotations"] = {**annotations, SKIP_AWAIT: "true"}
            return pulumi.ResourceTransformResult(props={**args.props, "metadata": metadata}, opts=args.opts)
        if args.type_ == HELM_RELEASE:
            props = {**args.props, "skipAwait": True, "atomic": False}
            if chart_dir is not None:
                props["chart"] = str(chart_dir)
                props.pop("repositoryOpts", None)
                props.pop("version", None)
            return pulumi.ResourceTransformResult(props=props, opts=args.opts)
        return None

    return transform


def platform_program(values: Mapping[str, str] = PLATFORM_OUTPUTS) -> Callable[[], None]:
    """A platform stack that only exports `values` (what the workload stack reads)."""

    def program() -> None:
        for name, value in values.items():
            pulumi.export(name, value)

    return program


def workload_program(config: EnvironmentConfig, kubeconfig: str, *, chart_dir: Path | None) -> Callable[[], None]:
    """The estate's workload stack for `config` on the cluster of `kubeconfig` (platform outputs
    through the stack's StackReference, as deployed)."""
    # The kubeconfig is kept a secret by ClusterAccess. No Azure provider runs here: the workload stack's Azure
    # grants (Key Vault roles per secret) are left out; its Kubernetes objects are the same.
    estate_program = program_for(config, "workload", kubeconfig=kubeconfig, kubernetes_only=True)

    def program() -> None:
        pulumi.runtime.register_resource_transform(no_nodes(chart_dir))
        estate_program()

    return program
