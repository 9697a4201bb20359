"""`llmops-infra access ENV`: who can do what on which resource, from the offline plan."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.cli.common import EnvArg, ListFormat, ListFormatOpt, ProjectDir, emit, synthesize


def access_cmd(env: EnvArg, project_dir: ProjectDir = Path(), fmt: ListFormatOpt = ListFormat.table) -> None:
    """Show who (identity) can do what (role) on which resource in ENV, and each team's models on the AI gateway, from its offline plan."""
    from llmops_infra.render.access import render
    from llmops_infra.review.access import access_report, team_access

    plan = synthesize(env, project_dir)
    emit(render(fmt.value, plan.environment, access_report(plan), team_access(plan)))
