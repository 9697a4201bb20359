"""The estate program for the plain Pulumi CLI: stack name = environment name.

`pulumi up -s dev` in this directory loads environments/base.yaml + dev.yaml (from the
`llmops:projectDir` config, default `..`) and builds the same estate as `llmops-infra up dev`.
Bad environment files stop the program with the same one-line message, not a traceback.
"""

from pathlib import Path

import pulumi

from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError
from llmops_infra.stacks.estate import build_estate

_here = Path(__file__).resolve().parent
_project_dir = (_here / (pulumi.Config("llmops").get("projectDir") or "..")).resolve()

try:
    _config = load_environment(pulumi.get_stack(), _project_dir)
except ConfigError as exc:
    raise pulumi.RunError(str(exc)) from None

build_estate(_config)
