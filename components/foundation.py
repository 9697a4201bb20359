"""The foundation every other component stands on: the resource group."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import resources


@dataclass(frozen=True, kw_only=True)
class FoundationArgs:
    resource_group_name: str
    """Name of the resource group (from the naming module)."""
    location: str
    """Azure region of the group and, by default, of everything in it."""
    protect: bool = False
    """Protect the resource group from `pulumi destroy` (prod). Default: unprotected, `destroy` deletes it."""


class Foundation(pulumi.ComponentResource):
    """The environment's resource group.

    Children: the resource group.
    """

    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    location: pulumi.Output[str]

    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:core:Foundation", name, None, opts)
        group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=args.resource_group_name,
            location=args.location,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.resource_group_name = group.name
        self.resource_group_id = group.id
        self.location = group.location
        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "resource_group_id": self.resource_group_id,
            }
        )
