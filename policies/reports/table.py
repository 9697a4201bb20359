"""A terminal table of violations per environment, with a one-line verdict each."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from llmops_infra.policies.runner import CheckResult


def render(results: list[CheckResult], width: int = 140) -> str:
    buffer = StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, highlight=False, soft_wrap=False)
    for result in results:
        if result.config_errors:
            console.print(f"INVALID {result.environment}: nothing was checked", markup=False)
            for finding in result.config_errors:
                where = finding.where()
                console.print(f"  {where + ': ' if where else ''}{finding.message}", markup=False, soft_wrap=True)
            continue
        verdict = "PASS" if result.passed else "FAIL"
        console.print(
            f"{verdict} {result.environment}: {len(result.mandatory)} mandatory, "
            f"{len(result.advisory)} advisory, {len(result.exempted)} exempted "
            f"({result.rules_run} rules over {result.resources} resources)",
            markup=False,
        )
        if result.violations:
            table = Table(show_lines=False)
            for column in ("Level", "Rule", "Resource", "Message"):
                table.add_column(column, overflow="fold")
            for v in result.violations:
                # cells are data, not markup: "[exemption expired on …]" would otherwise vanish as an unknown tag
                message = v.message + (f" [{v.note}]" if v.note else "") + f"\nFix: {v.remediation}"
                table.add_row(
                    escape(v.enforcement), escape(v.rule_id), escape(v.resource_name or "(stack)"), escape(message)
                )
            console.print(table)
        for exemption in result.expired_exemptions:
            console.print(
                f"  expired exemption: {exemption.policy} {list(exemption.resources)} "
                f"(owner {exemption.owner}, expired {exemption.expires})",
                markup=False,
            )
        for note in result.ignored_overrides:
            console.print(f"  {note}", markup=False)
        for item in result.not_evaluated:
            console.print(f"  not evaluated: {item['policy']} {item['urn']}: {item['reason']}", markup=False)
    return buffer.getvalue()
