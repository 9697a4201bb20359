"""Workload identities: one user-assigned managed identity per workload, federated to pods.

A workload (inference servers, prompt flows, the chat-ops bot) gets its own identity so
that each can be granted exactly what it needs and revoked alone. Pods use them through
AKS workload identity: `federate_service_account` trusts one Kubernetes service account's
tokens, by exact subject, from one cluster's OIDC issuer. No secrets anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import managedidentity

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True, kw_only=True)
class WorkloadIdentitiesArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    identity_names: Mapping[str, str]
    """Workload -> Azure name of its identity (from the naming module)."""

    def __post_init__(self) -> None:
        if not self.identity_names:
            raise ValueError("identity: no workloads: list at least one under identity.workloads")


class WorkloadIdentities(pulumi.ComponentResource):
    """A user-assigned managed identity per workload.

    Attributes are plain dicts keyed by workload name. Children: the identities.
    """

    principal_ids: dict[str, pulumi.Output[str]]
    client_ids: dict[str, pulumi.Output[str]]
    identity_ids: dict[str, pulumi.Output[str]]
    identity_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: WorkloadIdentitiesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:security:WorkloadIdentities", name, None, opts)
        self.principal_ids, self.client_ids, self.identity_ids, self.identity_names = {}, {}, {}, {}
        for workload, azure_name in args.identity_names.items():
            identity = managedidentity.UserAssignedIdentity(
                f"{name}-{workload}",
                resource_name_=azure_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.principal_ids[workload] = identity.principal_id
            self.client_ids[workload] = identity.client_id
            self.identity_ids[workload] = identity.id
            self.identity_names[workload] = identity.name
        self.register_outputs(
            {
                "principal_ids": self.principal_ids,
                "client_ids": self.client_ids,
                "identity_ids": self.identity_ids,
            }
        )


def federated_credential(
    name: str,
    *,
    identity_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    issuer: pulumi.Input[str],
    subject: str,
    credential_name: str,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
) -> managedidentity.FederatedIdentityCredential:
    """Trust tokens from `issuer` whose subject is exactly `subject` (no wildcards)."""
    if any(c in subject for c in "*?"):
        raise ValueError(f"federated credential {name}: subject {subject!r} has a wildcard: federate an exact subject")
    return managedidentity.FederatedIdentityCredential(
        name,
        federated_identity_credential_resource_name=credential_name,
        resource_name_=identity_name,
        resource_group_name=resource_group_name,
        issuer=issuer,
        subject=subject,
        audiences=[TOKEN_EXCHANGE_AUDIENCE],
        # Azure rejects concurrent credential writes on one identity: callers chain them.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )


def federate_service_account(
    name: str,
    *,
    identity_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
) -> managedidentity.FederatedIdentityCredential:
    """Let pods running as `namespace/service_account` on the cluster of `issuer_url` act as
    the identity `identity_name` (AKS workload identity).

    Subject `system:serviceaccount:<namespace>:<service_account>`, audience
    `api://AzureADTokenExchange`. Credentials on the same identity must not be written in
    parallel: pass the previous one in `depends_on` when federating several.
    """
    for label, value in (("namespace", namespace), ("service_account", service_account)):
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", value):
            raise ValueError(f"federated credential {name}: {label} {value!r} is not a Kubernetes name")
    return federated_credential(
        name,
        identity_name=identity_name,
        resource_group_name=resource_group_name,
        issuer=issuer_url,
        subject=f"system:serviceaccount:{namespace}:{service_account}",
        credential_name=f"k8s-{namespace}-{service_account}"[:120],
        parent=parent,
        depends_on=depends_on,
    )
