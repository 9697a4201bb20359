"""The workload stack's way into the cluster: a Kubernetes provider with the user kubeconfig.

The platform stack creates the cluster; the workload stack reads its name and resource group
from the platform's outputs and asks Azure for the cluster USER credentials in exec format
(kubelogin, Entra ID tokens). Admin credentials are never fetched (local accounts are
disabled anyway) and the kubeconfig stays a secret that is never exported.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice as cs


def user_kubeconfig(resource_group_name: pulumi.Input[str], cluster_name: pulumi.Input[str]) -> pulumi.Output[str]:
    """The cluster USER kubeconfig in exec format, as a secret.

    kubelogin picks its login method from AAD_LOGIN_METHOD at run time (azurecli locally,
    workloadidentity in CI), so the same kubeconfig serves both.
    """
    credentials = cs.list_managed_cluster_user_credentials_output(
        resource_group_name=resource_group_name,
        resource_name=cluster_name,
        format="exec",
    )
    return pulumi.Output.secret(
        credentials.kubeconfigs.apply(lambda configs: base64.b64decode(configs[0].value).decode())
    )


@dataclass(frozen=True, kw_only=True)
class ClusterAccessArgs:
    resource_group_name: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    kubeconfig: pulumi.Input[str] | None = None
    """Default: the cluster's user kubeconfig from Azure (`user_kubeconfig`). A given kubeconfig
    (a secret) reaches another API server, e.g. a test cluster."""


class ClusterAccess(pulumi.ComponentResource):
    """The Kubernetes provider of the workload stack: server-side apply, Entra ID credentials,
    and a cluster that cannot be reached is an error (never silently dropped from state).

    Children: the provider.
    """

    provider: k8s.Provider

    def __init__(self, name: str, args: ClusterAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:compute:ClusterAccess", name, None, opts)
        kubeconfig = (
            pulumi.Output.secret(args.kubeconfig)
            if args.kubeconfig is not None
            else user_kubeconfig(args.resource_group_name, args.cluster_name)
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            enable_server_side_apply=True,
            delete_unreachable=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
