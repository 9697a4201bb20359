"""Renderers of policy check results: table, JSON, Markdown (PR comments), SARIF, JUnit."""

from __future__ import annotations

from collections.abc import Callable

from llmops_infra.policies.runner import CheckResult


def render(fmt: str, results: list[CheckResult]) -> str:
    from llmops_infra.policies.reports import json_report, junit, markdown, sarif, table

    renderers: dict[str, Callable[[list[CheckResult]], str]] = {
        "table": table.render,
        "json": json_report.render,
        "markdown": markdown.render,
        "sarif": sarif.render,
        "junit": junit.render,
    }
    return renderers[fmt](results)
