"""The body of the plain-Pulumi entry points (stacks/platform/, stacks/workload/).

`pulumi up -s dev` in either directory loads environments/base.yaml + dev.yaml (from the
`llmops:projectDir` config, default `../..`) and builds the same stack as `llmops-infra up dev`.
Bad environment files stop the program with the same one-line message, not a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError
from llmops_infra.stacks.estate import build_estate


def run(stack: str, here: Path) -> None:
    project_dir = (here / (pulumi.Config("llmops").get("projectDir") or "../..")).resolve()
    try:
        config = load_environment(pulumi.get_stack(), project_dir)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
    build_estate(config, stack)
