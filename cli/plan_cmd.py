"""`plan ENV`: the offline plan, with its monthly cost."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.cli.common import (
    EnvArg,
    FormatOpt,
    NoCacheOpt,
    OutputFile,
    OutputFormat,
    PricesOpt,
    ProjectDir,
    emit,
    synthesize_config,
)


def plan_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    fmt: FormatOpt = OutputFormat.table,
    output: OutputFile = None,
    no_cache: NoCacheOpt = False,
    prices: PricesOpt = None,
) -> None:
    """Plan ENV offline: every resource the estate would create, without credentials or the Pulumi CLI, with its monthly cost."""
    from llmops_infra.offline.costing import estimate
    from llmops_infra.policies.pricing import override
    from llmops_infra.render.plan import render

    with override(prices):
        config, plan = synthesize_config(env, project_dir, use_cache=not no_cache)
        emit(render(fmt.value, plan, cost=estimate(config, plan)), output)
