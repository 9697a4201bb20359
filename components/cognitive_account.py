"""A hardened Cognitive Services account: the shared shape of Content Safety and Azure OpenAI.

Keys disabled (Entra tokens only), a custom subdomain (token auth needs it), a system-assigned
identity, a network ACL that denies by default, public network access disabled unless the
caller opts out, a private endpoint and diagnostics. `ContentSafety` and `OpenAIEndpoints`
build their account with `hardened_account(...)` and grant their callers with
`grant_callers(...)`, so that the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import cognitiveservices

from llmops_infra.components.private_service import PrivateServiceArgs, make_private
from llmops_infra.components.roles import RoleGrant, assign_role

PRIVATE_LINK_GROUP = "account"
"""Private-link sub-resource of every Cognitive Services account kind."""


@dataclass(frozen=True, kw_only=True)
class AccountArgs(PrivateServiceArgs):
    """What every component built on a hardened account takes: its placement, name and subscription."""

    account_name: str
    """Azure name and custom subdomain (globally unique: from the Namer)."""
    subscription_id: str
    """Subscription of the role definitions the callers get."""


@dataclass(frozen=True, kw_only=True)
class AccountSpec:
    """What differs between account kinds."""

    kind: str
    """Cognitive Services kind: ContentSafety, OpenAI, AIServices (Foundry)."""
    account_name: str
    """Azure name; also the custom subdomain (globally unique, from the Namer)."""
    sku: str = "S0"
    """Pricing tier. Default: the standard pay-as-you-go tier (S0)."""
    restrict_outbound: bool = False
    """Limit the account's own outbound calls to `allowed_fqdns` (data exfiltration guard).
    Default: outbound calls are not limited."""
    allowed_fqdns: list[str] = field(default_factory=list)
    """Hosts the account may call when `restrict_outbound` is set. Default: none, a restricted
    account calls no host."""
    allow_project_management: bool = False
    """Foundry (kind AIServices): projects may be created under the account. Default: off (other kinds)."""
    agent_subnet_id: pulumi.Input[str] | None = None
    """Foundry: inject the Agent Service into this subnet (delegated to Microsoft.App/environments):
    `networkInjections: [{scenario: agent, subnetArmId, useMicrosoftManagedNetwork: false}]`. Default: no injection."""


def hardened_account(
    name: str, spec: AccountSpec, net: PrivateServiceArgs, parent: pulumi.Resource
) -> cognitiveservices.Account:
    """Create the account `f"{name}-account"`, its private endpoint and diagnostics under `parent`."""
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
            public_network_access=net.public_network_access,
            # Deny even when public access is on: only listed networks (none by default) pass.
            network_acls=cognitiveservices.NetworkRuleSetArgs(
                default_action="Deny", ip_rules=[], virtual_network_rules=[]
            ),
            restrict_outbound_network_access=True if spec.restrict_outbound else None,
            allowed_fqdn_list=list(spec.allowed_fqdns) if spec.restrict_outbound else None,
            allow_project_management=True if spec.allow_project_management else None,
            # The agents' runtime joins the estate's VNet: their calls to the stores stay on private endpoints
            # (foundry-samples 15-private-network-standard-agent-setup, ai-account-identity.bicep, read 2026-12-02).
            network_injections=[
                cognitiveservices.NetworkInjectionArgs(
                    scenario=cognitiveservices.ScenarioType.AGENT,
                    subnet_arm_id=spec.agent_subnet_id,
                    use_microsoft_managed_network=False,
                )
            ]
            if spec.agent_subnet_id is not None
            else None,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    make_private(
        name, net, resource_id=account.id, group_id=PRIVATE_LINK_GROUP, service_name=spec.account_name, parent=parent
    )
    return account


def grant_callers(
    name: str,
    account: cognitiveservices.Account,
    principal_ids: Mapping[str, pulumi.Input[str]],
    *,
    role: str,
    calls: str,
    subscription_id: str,
    parent: pulumi.Resource,
) -> None:
    """`role` on this account only, for each caller identity (by workload name), as `f"{name}-user-<workload>"`."""
    for workload, principal_id in sorted(principal_ids.items()):
        assign_role(
            f"{name}-user-{workload}",
            RoleGrant(principal_id=principal_id, role=role, scope=account.id, description=f"{workload} calls {calls}"),
            subscription_id=subscription_id,
            parent=parent,
        )


def principal_of(account: cognitiveservices.Account) -> pulumi.Output[str]:
    """The account's system-assigned identity (principal id)."""
    return account.identity.apply(lambda identity: identity.principal_id if identity else "")
