"""A hardened Cognitive Services account: the shared shape of Content Safety and Azure OpenAI.

Keys disabled (Entra tokens only), a custom subdomain (token auth needs it), a system-assigned
identity, a network ACL that denies by default, public network access disabled unless the
caller opts out, a private endpoint and diagnostics. `ContentSafety` and `OpenAIEndpoints`
build their account with `hardened_account(...)` so that the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import cognitiveservices

from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.private_endpoint import PrivateEndpoint, PrivateEndpointArgs

PRIVATE_LINK_GROUP = "account"
"""Private-link sub-resource of every Cognitive Services account kind."""


@dataclass(frozen=True, kw_only=True)
class AccountNetwork:
    """Where the account lives, where its private endpoint lives and which zones resolve it."""

    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    dns_zone_ids: list[pulumi.Input[str]]
    log_analytics_workspace_id: pulumi.Input[str]
    allow_public_network_access: bool = False
    private_endpoint_name: str | None = None
    """Azure name of the private endpoint; default: `pep-<account name>`."""


@dataclass(frozen=True, kw_only=True)
class AccountSpec:
    """What differs between account kinds."""

    kind: str
    """Cognitive Services kind: ContentSafety, OpenAI."""
    account_name: str
    """Azure name; also the custom subdomain (globally unique, from the Namer)."""
    sku: str = "S0"
    restrict_outbound: bool = False
    """Limit the account's own outbound calls to `allowed_fqdns` (data exfiltration guard)."""
    allowed_fqdns: list[str] = field(default_factory=list)


def hardened_account(name: str, spec: AccountSpec, net: AccountNetwork,
                     parent: pulumi.Resource) -> cognitiveservices.Account:
    """Create the account `f"{name}-account"`, its private endpoint and diagnostics under `parent`."""
    child = pulumi.ResourceOptions(parent=parent)
    public = net.allow_public_network_access
    account = cognitiveservices.Account(
        f"{name}-account",
        account_name=spec.account_name,
        resource_group_name=net.resource_group_name,
        location=net.location,
        kind=spec.kind,
        sku=cognitiveservices.SkuArgs(name=spec.sku),
        identity=cognitiveservices.IdentityArgs(type=cognitiveservices.ResourceIdentityType.SYSTEM_ASSIGNED),
        properties=cognitiveservices.AccountPropertiesArgs(
            custom_sub_domain_name=spec.account_name,
            # Keys are off: callers authenticate with Entra tokens, so access is per identity
            # and revocable, and a leaked key is worth nothing.
            disable_local_auth=True,
            public_network_access="Enabled" if public else "Disabled",
            # Deny even when public access is on: only listed networks (none by default) pass.
            network_acls=cognitiveservices.NetworkRuleSetArgs(default_action="Deny", ip_rules=[],
                                                              virtual_network_rules=[]),
            restrict_outbound_network_access=True if spec.restrict_outbound else None,
            allowed_fqdn_list=list(spec.allowed_fqdns) if spec.restrict_outbound else None,
        ),
        opts=child,
    )
    PrivateEndpoint(
        f"{name}-pe",
        PrivateEndpointArgs(
            resource_group_name=net.resource_group_name,
            subnet_id=net.subnet_id,
            target_resource_id=account.id,
            group_id=PRIVATE_LINK_GROUP,
            dns_zone_ids=net.dns_zone_ids,
            endpoint_name=net.private_endpoint_name or f"pep-{spec.account_name}",
        ),
        opts=child,
    )
    diagnostic_setting(name, resource_id=account.id, workspace_id=net.log_analytics_workspace_id, parent=parent)
    return account


def principal_of(account: cognitiveservices.Account) -> pulumi.Output[str]:
    """The account's system-assigned identity (principal id)."""
    return account.identity.apply(lambda identity: identity.principal_id if identity else "")
