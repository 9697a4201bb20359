"""stacks/platform and stacks/workload: the plain-Pulumi entry points build the same stacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from llmops_infra.config.loader import load_environment
from llmops_infra.offline.policy_check import plan_program
from llmops_infra.stacks.estate import PLATFORM_PROJECT, WORKLOAD_PROJECT

REPO = Path(__file__).resolve().parent.parent


def _shape(resources):
    return sorted((r.type, r.name, json.dumps(r.props, sort_keys=True, default=str)) for r in resources if r.custom)


@pytest.mark.parametrize(("stack", "project"), [("platform", PLATFORM_PROJECT), ("workload", WORKLOAD_PROJECT)])
def test_pulumi_project_files(stack, project) -> None:
    document = YAML(typ="safe").load((REPO / "stacks" / stack / "Pulumi.yaml").read_text())
    assert document["name"] == project and document["runtime"] == "python"
    assert document["config"]["llmops:projectDir"]["default"] == "../.."


@pytest.mark.parametrize("stack", ["platform", "workload"])
def test_main_builds_the_same_stack_as_plan(plans, stack) -> None:
    config = load_environment("staging", REPO)
    planned = plans("staging")
    from_main = plan_program(REPO / "stacks" / stack, config, stack_outputs=planned.outputs)
    expected = planned.stacks()[stack]
    assert len(from_main.custom_resources()) == len([r for r in expected if r.custom]) > 0
    assert _shape(from_main.resources) == _shape(expected)
