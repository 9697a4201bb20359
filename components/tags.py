"""Cost-allocation tags on every resource that takes tags.

A stack transformation rather than a `tags=` argument threaded through every component:
no resource can be forgotten, including those a later component adds. Transformations run
in the program itself, so the offline plan and the engine see the same tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the config validates tag names with REQUIRED_TAGS without importing the Pulumi runtime
    import pulumi

REQUIRED_TAGS = ("environment", "owner", "cost-center", "workload", "managed-by")


def standard_tags(
    *, environment: str, owner: str, cost_center: str, workload: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The tags every taggable resource carries; `extra` cannot override the required ones."""
    tags = dict(extra or {})
    tags.update(
        {
            "environment": environment,
            "owner": owner,
            "cost-center": cost_center,
            "workload": workload,
            "managed-by": "llmops-infra",
        }
    )
    return tags


NOT_ARM_TAGS = frozenset({"azure-native:apimanagement:NamedValue", "azure-native:operationalinsights:SavedSearch"})
"""Types whose `tags` is not ARM's map but the service's own list of labels (API Management named values, Log
Analytics saved searches: `[{name, value}]`); neither is billed."""


def tagging_transformation(tags: Mapping[str, str]) -> pulumi.ResourceTransformation:
    """A transformation that merges `tags` into every resource whose args have `tags`.

    Tags a component sets itself win over the standard ones, except the required keys.
    """
    import pulumi

    fixed = dict(tags)

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith("azure-native:") or "tags" not in args.props or args.type_ in NOT_ARM_TAGS:
            return None
        props = dict(args.props)
        own = props.get("tags")
        if own is None:
            props["tags"] = dict(fixed)
        else:
            props["tags"] = pulumi.Output.from_input(own).apply(lambda t: {**(t or {}), **fixed})
        return pulumi.ResourceTransformationResult(props, args.opts)

    return transform
