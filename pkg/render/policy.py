"""Policies: check results (the reports of `llmops_infra.policies.reports`), the rule list, the pack config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from llmops_infra.render import to_json

if TYPE_CHECKING:
    from llmops_infra.policies.framework import RuleInfo
    from llmops_infra.policies.runner import CheckResult

REPORT_FORMATS = ("table", "json", "markdown", "sarif", "junit")


def check_report(fmt: str, results: list[CheckResult]) -> str:
    """`fmt` is one of REPORT_FORMATS. The reports live with the pack (it runs without this package)."""
    from llmops_infra.policies.reports import render

    return render(fmt, results)


def rules_json(rules: list[RuleInfo]) -> str:
    return to_json({"rules": [r.to_dict() for r in rules]})


def rules_table(rules: list[RuleInfo]) -> Table:
    """A terminal table (its width follows the console)."""
    table = Table(
        title=f"{len(rules)} rules (scope: A mandatory everywhere, P mandatory in prod, N mandatory outside prod)"
    )
    for column in ("Id", "Policy", "Scope", "Severity", "Checks"):
        table.add_column(column, overflow="fold")
    for r in rules:
        table.add_row(r.id, r.name, r.scope, r.severity.value, r.description)
    return table


def pack_config_json(config: dict[str, Any]) -> str:
    """The engine's --policy-pack-config document (Pulumi's format: policy names at the top, no version key)."""
    return to_json(config, sort_keys=True, version=False)
