"""The estate's Kubernetes workloads as a Pulumi program for the `k8s` tier.

`workload_program` runs `stacks.k8s_workloads.deploy` (what `stage_compute` builds, without the
Azure side) with an explicit Kubernetes provider for the test bed's kubeconfig. The Azure-side
inputs come from `PLATFORM_OUTPUTS`, standing in for the platform stack's outputs: when the
estate is split into a platform and a workload stack (issue 13), this dict is what the workload
stack reads through its stack reference, and the program becomes that stack's program.

The test bed has no nodes, so nothing ever becomes Ready. `no_nodes` is a stack transform that
says so to the Kubernetes provider and to Helm, and nothing else; the components stay as
production deploys them:

- Deployments and DaemonSets get `pulumi.com/skipAwait: "true"` (the provider's documented
  annotation): without it `up` waits for ready replicas until the Deployment's custom timeout.
- The GPU operator's Helm release gets `skipAwait: true` and `atomic: false` (atomic makes Helm
  wait for readiness, then roll back), and its chart comes from the GPU operator's Go module
  (the proxy serves no release tags: chart v1.0.0-devel of 2025-09-17 instead of the pinned
  NGC chart, which needs the internet); the estate's values, name, namespace and timeout stay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.stacks import k8s_workloads

PLATFORM_OUTPUTS: dict[str, Any] = {
    "tenant_id": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
    "registry_login_server": "crllmopsdeveus.azurecr.io",
    "prometheus_query_endpoint": "https://amw-llmops-dev-eus-a1b2.eastus.prometheus.monitor.azure.com",
    "key_vault_name": "kv-llmops-dev-eus",
    "client_ids": {
        "inference": "1c0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
        "promptflow": "2d1b2c3d-4e5f-4061-9b7c-8d9e0f1a2b3c",
        "chatops": "3e2c3d4e-5f60-4172-8c8d-9e0f1a2b3c4d",
    },
    "keda_client_id": "4f3d4e5f-6071-4283-9d9e-0f1a2b3c4d5e",
}
"""What the platform stack exports for dev (made-up ids of the right shape)."""

SKIP_AWAIT = "pulumi.com/skipAwait"
AWAITED_WORKLOADS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet")
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def no_nodes(chart_dir: Path | None):
    """A resource transform for a control plane without nodes (see the module docstring)."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.type_ in AWAITED_WORKLOADS:
            metadata = dict(args.props.get("metadata") or {})
            metadata["annotations"] = {**(metadata.get("annotations") or {}), SKIP_AWAIT: "true"}
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


def workload_program(config: EnvironmentConfig, kubeconfig: str, *, chart_dir: Path | None, platform=None):
    """The Kubernetes part of `config` on the cluster of `kubeconfig`."""
    outputs = PLATFORM_OUTPUTS if platform is None else platform

    def program() -> None:
        pulumi.runtime.register_resource_transform(no_nodes(chart_dir))
        provider = k8s.Provider("testbed", kubeconfig=pulumi.Output.secret(kubeconfig))
        workloads = k8s_workloads.deploy(config, provider, k8s_workloads.PlatformOutputs.from_mapping(outputs))
        pulumi.export("runtime_namespace", workloads.runtime.namespace)
        pulumi.export("service_hosts", {name: s.service_host for name, s in workloads.services.items()})

    return program
