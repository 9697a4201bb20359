"""`plan ENV`: the offline plan, with its monthly cost."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.cli.common import (
    EnvArg,
    FormatOpt,
    NoCacheOpt,
    OutputFile,
    OutputFormat,
    ProjectDir,
    emit,
    synthesize,
)


def plan_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    fmt: FormatOpt = OutputFormat.table,
    output: OutputFile = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Plan ENV offline: every resource the estate would create, without credentials or the Pulumi CLI."""
    from llmops_infra.policies.cost_model import estimate_plan
    from llmops_infra.render.plan import render

    plan = synthesize(env, project_dir, use_cache=not no_cache)
    emit(render(fmt.value, plan, cost=estimate_plan(plan)), output)
