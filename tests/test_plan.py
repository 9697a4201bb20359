"""The plan model (`llmops_infra.plan`): plans handed between steps come back with `Plan.from_dict`."""

from __future__ import annotations

import json

import pytest

from llmops_infra.errors import ConfigError
from llmops_infra.plan import Plan, PlannedResource


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_shipped_plan_round_trips(plans, env):
    plan = plans(env)
    assert len(plan.stack_projects) == 2  # the platform and the workload stacks come back too
    assert Plan.from_dict(plan.to_dict()) == plan
    through_json = Plan.from_dict(json.loads(plan.to_json()))  # as stored with a release, or by `plan -f json`
    assert through_json.digest() == plan.digest()
    assert through_json.component_of(through_json.custom_resources()[0]) == plan.component_of(
        plan.custom_resources()[0]
    )


def test_the_plan_command_output_reads_back(plans):
    """`plan --format json` adds the cost next to the plan: it is not part of the plan and is left aside."""
    from llmops_infra.policies.cost_model import estimate_plan
    from llmops_infra.render.plan import plan_json

    plan = plans("dev")
    assert Plan.from_dict(json.loads(plan_json(plan, cost=estimate_plan(plan)))).digest() == plan.digest()


def test_a_plan_of_one_stack_round_trips():
    resource = {"type": "t", "name": "n", "urn": "urn:pulumi:dev::p::t::n", "parent": None, "custom": True, "props": {}}
    plan = Plan.from_dict({"environment": "dev", "project": "p", "resources": [resource]})  # stored before stacks
    assert plan.stack_projects == {} and Plan.from_dict(plan.to_dict()) == plan


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"environment": "dev", "project": "p", "resources": [], "stacks": [{"name": 1}]}, "'stacks' must be a list"),
        ([], "not a plan: a JSON object with a 'resources' list"),
        ({"environment": "dev", "project": "p"}, "'resources' list"),
        ({"environment": 1, "project": "p", "resources": []}, "'environment' must be a string"),
        ({"environment": "dev", "project": "p", "resources": [], "outputs": []}, "'outputs' must be an object"),
        ({"environment": "dev", "project": "p", "resources": ["x"]}, "a planned resource is a JSON object"),
        (
            {"environment": "dev", "project": "p", "resources": [{"urn": "urn:x", "type": "t", "colour": 1}]},
            r"urn:x: unknown keys \['colour'\]",
        ),
        (
            {"environment": "dev", "project": "p", "resources": [{"urn": "urn:x", "type": "t"}]},
            r"urn:x: missing keys \['name', 'parent', 'custom', 'props'\]",
        ),
    ],
)
def test_something_else_is_a_clear_error(data, message):
    with pytest.raises(ConfigError, match=message):
        Plan.from_dict(data)


def test_optional_fields_take_their_defaults():
    resource = PlannedResource.from_dict(
        {"type": "t", "name": "n", "urn": "urn:pulumi:dev::p::t::n", "parent": None, "custom": True, "props": {}}
    )
    assert resource.dependencies == [] and resource.protect is False and resource.outputs == {}
