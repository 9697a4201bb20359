"""KEDA's read access to managed Prometheus: a dedicated identity, federated to the operator.

The AKS KEDA add-on runs one operator for the whole cluster (`kube-system/keda-operator`).
Its Prometheus scalers query the Azure Monitor workspace's PromQL endpoint with an Entra
token obtained through AKS workload identity (`TriggerAuthentication.podIdentity.provider:
azure-workload`), so that no query key exists anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import managedidentity

from llmops_infra.components.identity import federate_service_account
from llmops_infra.components.roles import RoleGrant, assign_role

KEDA_NAMESPACE = "kube-system"
KEDA_SERVICE_ACCOUNT = "keda-operator"
"""The service account of the AKS KEDA add-on's operator (fixed by the add-on)."""


@dataclass(frozen=True, kw_only=True)
class KedaAccessArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    subscription_id: str
    identity_name: str
    """Azure name of the dedicated identity (from the naming module)."""
    monitor_workspace_id: pulumi.Input[str]
    """The Azure Monitor workspace KEDA reads; the only scope of its role."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer: the operator's service account tokens come from it."""


class KedaAccess(pulumi.ComponentResource):
    """A user-assigned identity for the KEDA operator: Monitoring Data Reader on one Azure
    Monitor workspace, nothing else.

    Why a dedicated identity rather than the inference workload identity: KEDA's operator is
    cluster-wide (it reads every ScaledObject of every namespace) and any TriggerAuthentication
    in any namespace can name the identity it federates to. Federating it to the inference
    identity would hand the operator, and every namespace that can create a
    TriggerAuthentication, the inference pods' Key Vault secrets and model storage. This
    identity can only read metrics of one workspace, which is all a Prometheus scaler needs.

    The add-on's operator picks up workload identity when it restarts: after the first `up`,
    `kubectl rollout restart deploy/keda-operator -n kube-system` (AKS documents the same step).

    Children: the identity, its role assignment, its federated credential.
    """

    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: KedaAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:compute:KedaAccess", name, None, opts)
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=args.identity_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            opts=pulumi.ResourceOptions(parent=self),
        )
        assign_role(
            f"{name}-monitoring-reader",
            RoleGrant(
                principal_id=identity.principal_id,
                role="Monitoring Data Reader",
                scope=args.monitor_workspace_id,
                description="KEDA operator: reads inference queue metrics from managed Prometheus",
            ),
            subscription_id=args.subscription_id,
            parent=self,
        )
        federate_service_account(
            f"{name}-fic",
            identity_name=identity.name,
            resource_group_name=args.resource_group_name,
            issuer_url=args.oidc_issuer_url,
            namespace=KEDA_NAMESPACE,
            service_account=KEDA_SERVICE_ACCOUNT,
            parent=self,
        )
        self.client_id = identity.client_id
        self.principal_id = identity.principal_id
        self.register_outputs({"client_id": self.client_id, "principal_id": self.principal_id})
