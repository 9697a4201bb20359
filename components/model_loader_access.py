"""The weights loader's access: a dedicated identity that may write the models container, nothing else.

The staging job of each model (`WeightsStaging`, in the model's namespace) runs as the
`model-loader` service account, federated here to this identity. Serving pods run as the
inference identity, which only reads the container: a compromised server cannot rewrite the
weights every other replica loads. The loader's Key Vault access (the hub token, one secret)
is granted by the workload stack once the bootstrap has created the secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import managedidentity

from llmops_infra.components.identity import federate_service_account
from llmops_infra.components.model_weights import LOADER_SERVICE_ACCOUNT
from llmops_infra.components.roles import RoleGrant, assign_role


@dataclass(frozen=True, kw_only=True)
class ModelLoaderAccessArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    subscription_id: str
    identity_name: str
    """Azure name of the dedicated identity (from the naming module)."""
    container_id: pulumi.Input[str]
    """Resource id of the models container (`<account id>/blobServices/default/containers/<name>`): the
    only scope of its role."""
    oidc_issuer_url: pulumi.Input[str]
    namespaces: list[str] = field(default_factory=list)
    """The model namespaces whose `model-loader` service account may act as the identity. Default: none."""


class ModelLoaderAccess(pulumi.ComponentResource):
    """A user-assigned identity with Storage Blob Data Contributor on the models container, federated to
    the staging job's service account of each model namespace (one credential write at a time).

    Children: the identity, its role assignment, one federated credential per namespace.
    """

    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: ModelLoaderAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:compute:ModelLoaderAccess", name, None, opts)
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=args.identity_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            opts=pulumi.ResourceOptions(parent=self),
        )
        assign_role(
            f"{name}-blob-contributor",
            RoleGrant(
                principal_id=identity.principal_id,
                role="Storage Blob Data Contributor",
                scope=args.container_id,
                description="weights loader: writes staged model weights into the models container only.",
            ),
            subscription_id=args.subscription_id,
            parent=self,
        )
        previous: list[pulumi.Resource] = []
        for namespace in args.namespaces:
            # Azure rejects concurrent federated-credential writes on one identity: chain them.
            previous = [
                federate_service_account(
                    f"{name}-{namespace}-fic",
                    identity_name=identity.name,
                    resource_group_name=args.resource_group_name,
                    issuer_url=args.oidc_issuer_url,
                    namespace=namespace,
                    service_account=LOADER_SERVICE_ACCOUNT,
                    parent=self,
                    depends_on=previous or None,
                )
            ]
        self.client_id = identity.client_id
        self.principal_id = identity.principal_id
        self.register_outputs({"client_id": self.client_id, "principal_id": self.principal_id})
