"""Storage for model weights and artifacts: Entra-only, private, never public."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import storage

from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.private_endpoint import private_endpoint

MODELS_CONTAINER = "models"


@dataclass(frozen=True, kw_only=True)
class ModelStorageArgs:
    resource_group_name: pulumi.Input[str]
    account_name: str
    """Globally unique name (from the naming module: 3-24 lowercase alphanumerics)."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Where blob reads, writes and deletes are logged."""
    private_endpoint_subnet_id: pulumi.Input[str]
    """Subnet of the blob private endpoint: the only way to reach the account."""
    private_dns_zone_id: pulumi.Input[str]
    """The privatelink.blob.core.windows.net zone."""
    sku: str = "Standard_ZRS"
    """Replication: zone-redundant by default, so that weights survive a zone outage."""
    container_name: str | None = MODELS_CONTAINER
    """Blob container created with the account; None creates none (the Agent Service creates its own in the
    agents' account). Default: the estate's models container."""
    private_endpoint_name: str | None = None
    """Azure name of the private endpoint (from the naming module); default: derived from the account."""


class ModelStorage(pulumi.ComponentResource):
    """A StorageV2 account for model weights: shared keys off (Entra tokens only), TLS 1.2 and
    HTTPS only, no public blob access, public network access disabled with a default-deny
    firewall, reachable through a blob private endpoint; blob service logs to Log Analytics.

    Children: the account, the models container, the private endpoint, two diagnostic
    settings (account metrics, blob service logs).
    """

    storage_account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    blob_endpoint: pulumi.Output[str]
    container_id: pulumi.Output[str]
    """The container's id; the account's when no container is created."""
    container_name: str | None

    def __init__(self, name: str, args: ModelStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:data:ModelStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = storage.StorageAccount(
            f"{name}-st",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            kind="StorageV2",
            sku=storage.SkuArgs(name=args.sku),
            access_tier=storage.AccessTier.HOT,
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            allow_blob_public_access=False,
            allow_cross_tenant_replication=False,
            minimum_tls_version="TLS1_2",
            enable_https_traffic_only=True,
            public_network_access="Disabled",
            network_rule_set=storage.NetworkRuleSetArgs(
                default_action=storage.DefaultAction.DENY, bypass="AzureServices"
            ),
            tags={},
            opts=child,
        )
        container = (
            storage.BlobContainer(
                f"{name}-models",
                container_name=args.container_name,
                account_name=account.name,
                resource_group_name=args.resource_group_name,
                public_access=storage.PublicAccess.NONE,
                opts=child,
            )
            if args.container_name is not None
            else None
        )
        private_endpoint(
            name,
            resource_group_name=args.resource_group_name,
            subnet_id=args.private_endpoint_subnet_id,
            target_resource_id=account.id,
            group_id="blob",
            dns_zone_ids=[args.private_dns_zone_id],
            endpoint_name=args.private_endpoint_name or f"pep-{args.account_name}-blob",
            parent=self,
        )
        # The account itself emits only metrics; the logs live on its blob service.
        diagnostic_setting(
            name, resource_id=account.id, workspace_id=args.log_analytics_workspace_id, parent=self, logs=False
        )
        diagnostic_setting(
            f"{name}-blob",
            resource_id=account.id.apply(lambda i: f"{i}/blobServices/default"),
            workspace_id=args.log_analytics_workspace_id,
            parent=self,
        )
        self.storage_account_id = account.id
        self.account_name = account.name
        self.blob_endpoint = account.primary_endpoints.blob
        self.container_name = args.container_name
        self.container_id = container.id if container is not None else account.id
        self.register_outputs({"storage_account_id": self.storage_account_id, "blob_endpoint": self.blob_endpoint})
