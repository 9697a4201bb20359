"""stacks/Pulumi.yaml + __main__.py: the plain-Pulumi entry point builds the same estate."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML

from llmops_infra.config.loader import load_environment
from llmops_infra.offline.policy_check import plan_program

REPO = Path(__file__).resolve().parent.parent


def _shape(plan):
    return sorted((r.type, r.name, json.dumps(r.props, sort_keys=True, default=str)) for r in plan.custom_resources())


def test_pulumi_project_file() -> None:
    project = YAML(typ="safe").load((REPO / "stacks" / "Pulumi.yaml").read_text())
    assert project["name"] == "llmops" and project["runtime"] == "python"
    assert project["config"]["llmops:projectDir"]["default"] == ".."


def test_main_builds_the_same_estate_as_plan(plans) -> None:
    config = load_environment("staging", REPO)
    from_main = plan_program(REPO / "stacks", config)
    assert len(from_main.custom_resources()) == len(plans("staging").custom_resources())
    assert _shape(from_main) == _shape(plans("staging"))
