"""Cost-allocation tags reach every taggable resource, and only those."""

from __future__ import annotations

import importlib
import inspect

from llmops_infra.components.tags import NOT_ARM_TAGS, REQUIRED_TAGS, standard_tags


def takes_tags(type_token: str) -> bool:
    """Whether the azure-native SDK class of `type_token` has a `tags` argument that is ARM's tag map."""
    if type_token in NOT_ARM_TAGS:
        return False
    _, module, kind = type_token.split(":")
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), kind)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_required_tags_cannot_be_overridden_by_extra() -> None:
    tags = standard_tags(
        environment="dev", owner="o", cost_center="c", workload="w", extra={"environment": "prod", "team": "ml"}
    )
    assert tags["environment"] == "dev" and tags["team"] == "ml"
    assert set(REQUIRED_TAGS) <= set(tags)
    assert tags["managed-by"] == "llmops-infra"


def test_every_taggable_resource_in_every_environment_is_tagged(plans) -> None:
    for env in ("dev", "staging", "prod"):
        plan = plans(env)
        taggable = [r for r in plan.custom_resources() if r.type.startswith("azure-native:") and takes_tags(r.type)]
        assert taggable, env
        for resource in taggable:
            missing = [t for t in REQUIRED_TAGS if t not in (resource.props.get("tags") or {})]
            assert missing == [], f"{env}: {resource.type} {resource.name} lacks {missing}"
            assert resource.props["tags"]["environment"] == env
