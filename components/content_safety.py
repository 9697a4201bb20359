"""Azure AI Content Safety: the account model endpoints and flows screen text and images with.

Role choice: Content Safety has one built-in data role, "Cognitive Services User". It is broader
than a pure data-plane role (it can also list the account's keys), but the account is created
with local auth disabled, so listed keys authenticate nothing: what remains is calling the
analyze APIs with an Entra token. The role is scoped to this account only, never to the group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import pulumi

from llmops_infra.components.cognitive_account import (
    AccountArgs,
    AccountSpec,
    grant_callers,
    hardened_account,
    principal_of,
)

CONTENT_SAFETY_KIND = "ContentSafety"
CONSUMER_ROLE = "Cognitive Services User"
"""The only built-in data role for Content Safety; harmless key listing with local auth off."""


@dataclass(frozen=True, kw_only=True)
class ContentSafetyArgs(AccountArgs):
    """Placement, name (the Namer's "content_safety") and subscription (`AccountArgs`), and callers."""

    service: ClassVar[str] = "content safety"
    zones: ClassVar[str] = "privatelink.cognitiveservices.azure.com"

    consumer_principal_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Identities (by workload name) that may call the account: each gets the consumer role on it.
    Default: no identity gets the role."""


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
            name, AccountSpec(kind=CONTENT_SAFETY_KIND, account_name=args.account_name, sku="S0"), args, parent=self
        )
        grant_callers(
            name,
            account,
            args.consumer_principal_ids,
            role=CONSUMER_ROLE,
            calls="Content Safety (keys are disabled)",
            subscription_id=args.subscription_id,
            parent=self,
        )
        self.account_id = account.id
        self.account_name = account.name
        self.endpoint = account.properties.apply(lambda p: p.endpoint)
        self.principal_id = principal_of(account)
        self.register_outputs({"account_id": self.account_id, "endpoint": self.endpoint})
