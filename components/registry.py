"""The container registry that serves the estate's images (vLLM, tools), pulled by digest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
from pulumi_azure_native import containerregistry

from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.private_endpoint import private_endpoint

RegistrySku = Literal["Basic", "Standard", "Premium"]


@dataclass(frozen=True, kw_only=True)
class RegistryArgs:
    resource_group_name: pulumi.Input[str]
    registry_name: str
    """Globally unique name (from the naming module: 5-50 lowercase alphanumerics)."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Where the registry's login and repository events go."""
    sku: RegistrySku = "Premium"
    """Only Premium supports private endpoints, retention and export policies. Basic and
    Standard registries are reachable publicly (Entra auth still required); the policies
    report that outside dev. Default: Premium."""
    private_endpoint_subnet_id: pulumi.Input[str] | None = None
    """Subnet of the private endpoint (required for Premium unless public access is allowed). Default: none."""
    private_dns_zone_id: pulumi.Input[str] | None = None
    """The privatelink.azurecr.io zone (required with the private endpoint). Default: none."""
    retention_days: int = 30
    """Days untagged manifests are kept before they are purged (Premium). Default: 30 days."""
    allow_public_network_access: bool = False
    """Dangerous. Default (Premium): reachable only through the private endpoint."""
    private_endpoint_name: str | None = None
    """Azure name of the private endpoint (from the naming module); default: derived from the registry."""

    def __post_init__(self) -> None:
        if not 0 <= self.retention_days <= 365:
            raise ValueError(f"retention_days ({self.retention_days}) must be between 0 and 365")
        if self.is_private and (self.private_endpoint_subnet_id is None or self.private_dns_zone_id is None):
            raise ValueError(
                f"registry {self.registry_name}: a private Premium registry needs private_endpoint_subnet_id "
                "and private_dns_zone_id: pass both, or set allow_public_network_access"
            )

    @property
    def is_private(self) -> bool:
        return self.sku == "Premium" and not self.allow_public_network_access


class Registry(pulumi.ComponentResource):
    """An Azure Container Registry: no admin user, no anonymous pull; with Premium, private
    (public network access disabled, a private endpoint), untagged manifests purged after the
    retention period, and image export disabled.

    Children: the registry, its private endpoint (Premium), its diagnostic setting.
    """

    registry_id: pulumi.Output[str]
    registry_name: pulumi.Output[str]
    login_server: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:compute:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        premium = args.sku == "Premium"
        policies = None
        if premium:
            policies = containerregistry.PoliciesArgs(
                retention_policy=containerregistry.RetentionPolicyArgs(days=args.retention_days, status="enabled"),
                # Azure accepts a disabled export policy only when public network access is off.
                export_policy=containerregistry.ExportPolicyArgs(status="disabled") if args.is_private else None,
            )
        registry = containerregistry.Registry(
            f"{name}-acr",
            registry_name=args.registry_name,
            resource_group_name=args.resource_group_name,
            sku=containerregistry.SkuArgs(name=args.sku),
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            public_network_access="Disabled" if args.is_private else "Enabled",
            network_rule_set=containerregistry.NetworkRuleSetArgs(default_action="Deny") if args.is_private else None,
            network_rule_bypass_options="AzureServices" if premium else None,
            policies=policies,
            tags={},
            opts=child,
        )
        if args.is_private:
            assert args.private_endpoint_subnet_id is not None and args.private_dns_zone_id is not None
            private_endpoint(
                name,
                resource_group_name=args.resource_group_name,
                subnet_id=args.private_endpoint_subnet_id,
                target_resource_id=registry.id,
                group_id="registry",
                dns_zone_ids=[args.private_dns_zone_id],
                endpoint_name=args.private_endpoint_name or f"pep-{args.registry_name}",
                parent=self,
            )
        diagnostic_setting(name, resource_id=registry.id, workspace_id=args.log_analytics_workspace_id, parent=self)
        self.registry_id = registry.id
        self.registry_name = registry.name
        self.login_server = registry.login_server
        self.register_outputs({"registry_id": self.registry_id, "login_server": self.login_server})
