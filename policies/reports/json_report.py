"""JSON: {"violations": [...], "config_errors": [...], "summary": {...}} over one or more environments."""

from __future__ import annotations

import json
from typing import Any

from llmops_infra import SCHEMA_VERSION
from llmops_infra.policies.runner import CheckResult


def summary(results: list[CheckResult]) -> dict[str, Any]:
    return {
        "passed": all(r.passed for r in results),
        "config_errors": sum(len(r.config_errors) for r in results),
        "mandatory": sum(len(r.mandatory) for r in results),
        "advisory": sum(len(r.advisory) for r in results),
        "exempted": sum(len(r.exempted) for r in results),
        "not_evaluated": sum(len(r.not_evaluated) for r in results),
        "expired_exemptions": sum(len(r.expired_exemptions) for r in results),
        "environments": {r.environment: r.summary() for r in results},
    }


def render(results: list[CheckResult]) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "violations": [v.to_dict() for r in results for v in r.violations],
        "exempted": [v.to_dict() for r in results for v in r.exempted],
        "not_evaluated": [{**n, "environment": r.environment} for r in results for n in r.not_evaluated],
        "config_errors": [f.to_dict() for r in results for f in r.config_errors],
        "summary": summary(results),
    }
    return json.dumps(document, indent=2, sort_keys=True)
