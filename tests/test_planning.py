"""Planning shipped environments: deterministic, isolated, offline."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.config.loader import load_environment
from llmops_infra.offline.planning import plan_config, plan_environment

REPO = Path(__file__).resolve().parent.parent


def test_plan_is_byte_identical_across_runs_and_interleavings() -> None:
    first = plan_environment("dev", REPO).to_json()
    plan_environment("prod", REPO)
    plan_environment("staging", REPO)
    assert plan_environment("dev", REPO).to_json() == first


def test_plans_of_environments_do_not_share_resources() -> None:
    dev = plan_environment("dev", REPO)
    prod = plan_environment("prod", REPO)
    assert all(r.urn.startswith("urn:pulumi:dev::llmops::") for r in dev.resources)
    assert all(r.urn.startswith("urn:pulumi:prod::llmops::") for r in prod.resources)
    dev_group = dev.of_type("azure-native:resources:ResourceGroup")[0]
    prod_group = prod.of_type("azure-native:resources:ResourceGroup")[0]
    assert dev_group.props["resourceGroupName"] == "rg-llmops-dev-eus"
    assert prod_group.props["resourceGroupName"] == "rg-llmops-prod-eus2"
    assert "/subscriptions/33333333-3333-4333-8333-333333333333/" in prod_group.outputs["id"]


def test_every_resource_has_a_parent_component() -> None:
    for env in ("dev", "prod"):
        plan = plan_config(load_environment(env, REPO))
        for resource in plan.custom_resources():
            assert plan.component_of(resource) is not None, f"{resource.urn} has no component"
