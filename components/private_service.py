"""A private PaaS service's placement: where it lives, its private endpoint, its diagnostics.

The AI services share it: `ContentSafetyArgs`, `OpenAIEndpointsArgs` and `MlEndpointsArgs`
extend `PrivateServiceArgs`, and `make_private(...)` gives the service (a Cognitive Services
account, an ML workspace) its private endpoint and its diagnostic setting, so that every one
of them goes private and is observed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pulumi

from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.private_endpoint import private_endpoint


@dataclass(frozen=True, kw_only=True)
class PrivateServiceArgs:
    """Where a private service lives and which network reaches it."""

    service: ClassVar[str] = "private service"
    """What the error messages call the service."""
    zones: ClassVar[str] = "the private DNS zones of the service's private-link group"
    """The zones `dns_zone_ids` must name, for the error message."""

    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    """Subnet of the service's private endpoint."""
    dns_zone_ids: list[pulumi.Input[str]]
    """Private DNS zones of the service's private-link group (the endpoint registers its records there)."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Where the service's diagnostic logs and metrics go."""
    allow_public_network_access: bool = False
    """Dangerous. Default: reachable only through its private endpoint."""
    private_endpoint_name: str | None = None
    """Azure name of the private endpoint; default: `pep-<service name>`."""

    def __post_init__(self) -> None:
        if not self.dns_zone_ids:
            raise ValueError(f"{self.service}: dns_zone_ids is empty: pass {self.zones}")

    @property
    def public_network_access(self) -> str:
        """The ARM value: Disabled unless the caller opted out."""
        return "Enabled" if self.allow_public_network_access else "Disabled"


def make_private(
    name: str,
    net: PrivateServiceArgs,
    *,
    resource_id: pulumi.Input[str],
    group_id: str,
    service_name: str,
    parent: pulumi.Resource,
) -> None:
    """The private endpoint `f"{name}-pe"` (sub-resource `group_id`) and the diagnostic setting of
    the service `resource_id`, both under `parent`."""
    private_endpoint(
        name,
        resource_group_name=net.resource_group_name,
        subnet_id=net.subnet_id,
        target_resource_id=resource_id,
        group_id=group_id,
        dns_zone_ids=net.dns_zone_ids,
        endpoint_name=net.private_endpoint_name or f"pep-{service_name}",
        parent=parent,
    )
    diagnostic_setting(name, resource_id=resource_id, workspace_id=net.log_analytics_workspace_id, parent=parent)
