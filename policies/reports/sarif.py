"""SARIF 2.1.0 for code scanning: one rule per policy, one result per violation, located at the
environment file (or the program) that produced the resource."""

from __future__ import annotations

import json
from typing import Any

from llmops_infra.policies import catalog
from llmops_infra.policies.runner import CheckResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"mandatory": "error", "advisory": "warning"}
# GitHub code scanning ranks security alerts by this property (CVSS-like, 0-10).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": info.name,
            "name": info.id,
            "shortDescription": {"text": f"{info.id}: {info.description}"},
            "fullDescription": {"text": info.description},
            "help": {"text": info.remediation, "markdown": f"**{info.id}**: {info.description}\n\n{info.remediation}"},
            "defaultConfiguration": {"level": LEVELS.get(info.default_level("prod"), "note")},
            "properties": {
                "severity": info.severity.value,
                "catalogScope": info.scope,
                "security-severity": SECURITY_SEVERITY[info.severity.value],
                "tags": ["security" if not info.id.startswith(("COST", "GPU")) else "cost", info.domain],
            },
        }
        for info in catalog.rules()
    ]


def render(results: list[CheckResult]) -> str:
    rules = _rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    sarif_results = []
    for result in results:
        for v in result.violations:
            sarif_results.append(
                {
                    "ruleId": v.policy,
                    "ruleIndex": index[v.policy],
                    "level": LEVELS.get(v.enforcement, "note"),
                    "message": {
                        "text": f"[{v.environment}] {v.resource_name or 'stack'} ({v.resource_type}): {v.message}"
                        + (f" ({v.note})" if v.note else "")
                    },
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": result.source},
                                "region": {"startLine": 1},
                            },
                            "logicalLocations": [
                                {
                                    "fullyQualifiedName": v.urn or f"stack:{v.environment}",
                                    "name": v.resource_name or v.environment,
                                    "kind": "resource",
                                }
                            ],
                        }
                    ],
                    "partialFingerprints": {"llmopsPolicy/v1": f"{v.environment}|{v.policy}|{v.urn}|{v.message}"},
                }
            )
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "llmops-infra-policy", "rules": rules}},
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(document, indent=2)
