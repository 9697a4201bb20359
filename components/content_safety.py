"""Azure AI Content Safety: the account model endpoints and flows screen text and images with.

Role choice: Content Safety has one built-in data role, "Cognitive Services User". It is broader
than a pure data-plane role (it can also list the account's keys), but the account is created
with local auth disabled, so listed keys authenticate nothing: what remains is calling the
analyze APIs with an Entra token. The role is scoped to this account only, never to the group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from llmops_infra.components.cognitive_account import AccountNetwork, AccountSpec, hardened_account, principal_of
from llmops_infra.components.roles import RoleGrant, assign_role

CONTENT_SAFETY_KIND = "ContentSafety"
CONSUMER_ROLE = "Cognitive Services User"
"""The only built-in data role for Content Safety; harmless key listing with local auth off."""


@dataclass(frozen=True, kw_only=True)
class ContentSafetyArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    account_name: str
    """Azure name and custom subdomain (globally unique: use the Namer's "content_safety")."""
    subscription_id: str
    """Subscription of the role definitions."""
    subnet_id: pulumi.Input[str]
    """Subnet of the private endpoint."""
    dns_zone_ids: list[pulumi.Input[str]]
    """Private DNS zone(s) for group `account`: privatelink.cognitiveservices.azure.com."""
    log_analytics_workspace_id: pulumi.Input[str]
    consumer_principal_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Identities (by workload name) that may call the account: each gets the consumer role on it."""
    allow_public_network_access: bool = False
    """Dangerous. Default: reachable only through its private endpoint."""
    private_endpoint_name: str | None = None
    """Azure name of the private endpoint; default: `pep-<account name>`."""

    def __post_init__(self) -> None:
        if not self.dns_zone_ids:
            raise ValueError("content safety: dns_zone_ids is empty: pass privatelink.cognitiveservices.azure.com")


class ContentSafety(pulumi.ComponentResource):
    """A Content Safety account: keys off, private, identity, diagnostics, least-privilege callers.

    Children: the account, its private endpoint, its diagnostic setting, one role assignment
    per consumer identity.
    """

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: ContentSafetyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:ai:ContentSafety", name, None, opts)
        account = hardened_account(
            name,
            AccountSpec(kind=CONTENT_SAFETY_KIND, account_name=args.account_name, sku="S0"),
            AccountNetwork(
                resource_group_name=args.resource_group_name,
                location=args.location,
                subnet_id=args.subnet_id,
                dns_zone_ids=args.dns_zone_ids,
                log_analytics_workspace_id=args.log_analytics_workspace_id,
                allow_public_network_access=args.allow_public_network_access,
                private_endpoint_name=args.private_endpoint_name,
            ),
            parent=self,
        )
        for workload, principal_id in sorted(args.consumer_principal_ids.items()):
            assign_role(
                f"{name}-user-{workload}",
                RoleGrant(principal_id=principal_id, role=CONSUMER_ROLE, scope=account.id,
                          description=f"{workload} calls Content Safety (keys are disabled)"),
                subscription_id=args.subscription_id,
                parent=self,
            )
        self.account_id = account.id
        self.account_name = account.name
        self.endpoint = account.properties.apply(lambda p: p.endpoint)
        self.principal_id = principal_of(account)
        self.register_outputs({"account_id": self.account_id, "endpoint": self.endpoint})
