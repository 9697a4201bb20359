"""The estate's Key Vault: RBAC mode, purge protection, private, with diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import keyvault

from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.private_endpoint import private_endpoint
from llmops_infra.components.rules import check_vault_firewall


@dataclass(frozen=True, kw_only=True)
class KeyVaultArgs:
    vault_name: str
    """Globally unique vault name (3-24 characters, from the naming module)."""
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    log_analytics_workspace_id: pulumi.Input[str]
    """Where audit logs and metrics go."""
    private_endpoint_subnet_id: pulumi.Input[str]
    """Subnet of the vault's private endpoint."""
    private_dns_zone_id: pulumi.Input[str]
    """The privatelink.vaultcore.azure.net zone the endpoint registers in."""
    private_endpoint_name: str | None = None
    """Azure name of the vault's private endpoint. Default: `<component name>-pe`."""
    soft_delete_retention_days: int = 90
    """Days a deleted vault or secret stays recoverable (7-90). Default: the maximum."""
    allow_public_network_access: bool = False
    """Dangerous. Default: reachable only through its private endpoint."""
    allowed_ip_ranges: list[str] = field(default_factory=list)
    """Public ranges let through the firewall; only with `allow_public_network_access`. Default: none."""

    def __post_init__(self) -> None:
        if not 7 <= self.soft_delete_retention_days <= 90:
            raise ValueError(
                f"key vault: soft_delete_retention_days ({self.soft_delete_retention_days}) must be between 7 and 90"
            )
        check_vault_firewall(self.allow_public_network_access, self.allowed_ip_ranges)


class KeyVault(pulumi.ComponentResource):
    """A Key Vault in RBAC mode with purge protection, a private endpoint and diagnostics.

    Access is granted with role assignments only (no access policies). The firewall denies
    by default and lets trusted Azure services through; with public access allowed, only
    `allowed_ip_ranges` get in. Children: the vault, its private endpoint (with DNS zone
    group), its diagnostic setting.
    """

    vault_id: pulumi.Output[str]
    vault_name: pulumi.Output[str]
    vault_uri: pulumi.Output[str]
    public_network_access: pulumi.Output[str]

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:security:KeyVault", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        public = "Enabled" if args.allow_public_network_access else "Disabled"
        vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=args.vault_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                access_policies=[],
                enable_purge_protection=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.soft_delete_retention_days,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
                public_network_access=public,
                network_acls=keyvault.NetworkRuleSetArgs(
                    default_action="Deny",
                    bypass="AzureServices",
                    ip_rules=[keyvault.IPRuleArgs(value=cidr) for cidr in args.allowed_ip_ranges],
                ),
            ),
            opts=child,
        )
        private_endpoint(
            name,
            resource_group_name=args.resource_group_name,
            subnet_id=args.private_endpoint_subnet_id,
            target_resource_id=vault.id,
            group_id="vault",
            dns_zone_ids=[args.private_dns_zone_id],
            endpoint_name=args.private_endpoint_name,
            parent=self,
        )
        diagnostic_setting(name, resource_id=vault.id, workspace_id=args.log_analytics_workspace_id, parent=self)

        self.vault_id = vault.id
        self.vault_name = vault.name
        self.vault_uri = vault.properties.vault_uri
        self.public_network_access = pulumi.Output.from_input(public)
        self.register_outputs({"vault_id": self.vault_id, "vault_name": self.vault_name, "vault_uri": self.vault_uri})
