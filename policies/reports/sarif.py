"""SARIF 2.1.0 for code scanning: one rule per policy, one result per violation.

Each result points at the setting that produced the resource (an environment file and line) or at
the constructor call in a `--program`, by a path relative to the repository root with the
`%SRCROOT%` base id (GitHub resolves it against the checkout), and carries a fingerprint that
stays the same while the finding does (environment, rule, resource, and the message with its
numbers left out), so that moving a line or changing a cost does not open a new alert. Valid
against the OASIS schema (tests validate every report the tool writes).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import quote

from llmops_infra.policies import catalog
from llmops_infra.policies.framework import RuleInfo
from llmops_infra.policies.runner import CheckResult, ConfigFinding, Location, Violation

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
TOOL = "llmops-infra-policy"
FINGERPRINT = "llmopsFinding/v1"
LEVELS = {"mandatory": "error", "advisory": "warning"}
# GitHub code scanning ranks security alerts by this property (CVSS-like, 0-10).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
COST_DOMAINS = ("COST", "GPU")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def tags(info: RuleInfo) -> list[str]:
    """The rule's tags, each once (code scanning refuses a rule whose tags repeat)."""
    kind = "cost" if info.id.startswith(COST_DOMAINS) else "security"
    return list(dict.fromkeys([kind, info.domain, info.id]))


def rule(info: RuleInfo) -> dict[str, Any]:
    return {
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
            "tags": tags(info),
        },
    }


def artifact(file: str) -> dict[str, Any]:
    """A repository-relative path with the source-root base id; an absolute one as a file URI alone."""
    if file.startswith("/"):
        return {"uri": "file://" + quote(file)}
    return {"uri": quote(file), "uriBaseId": SRCROOT}


def physical(location: Location) -> dict[str, Any]:
    return {"artifactLocation": artifact(location.file), "region": {"startLine": max(1, location.line or 1)}}


def fingerprint(v: Violation) -> str:
    """Stable while the finding is the same: not the line, not the numbers in the message."""
    resource = "::".join(v.urn.split("::")[1:]) if v.urn.count("::") >= 3 else v.urn
    key = "|".join([v.environment, v.rule_id, resource, NUMBER.sub("#", v.message)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def result(v: Violation, source: str, index: dict[str, int]) -> dict[str, Any]:
    location = v.location or Location(source, 1)
    text = f"[{v.environment}] {v.resource_name or 'stack'} ({v.resource_type}): {v.message}"
    if v.note:
        text += f" ({v.note})"
    if location.key:
        text += f" Setting: {location.key}."
    return {
        "ruleId": v.policy,
        "ruleIndex": index[v.policy],
        "level": LEVELS.get(v.enforcement, "note"),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": physical(location),
                "logicalLocations": [
                    {
                        "fullyQualifiedName": v.urn or f"stack:{v.environment}",
                        "name": v.resource_name or v.environment,
                        "kind": "resource",
                    }
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint(v)},
        "properties": {"environment": v.environment, "enforcement": v.enforcement, "catalogId": v.rule_id},
    }


CONFIG_RULE: dict[str, Any] = {
    "id": "llmops-config-invalid",
    "name": "CONFIG",
    "shortDescription": {"text": "CONFIG: the environment's configuration loads and validates"},
    "fullDescription": {
        "text": "An environment file that fails to load or validate: nothing was planned or checked for it."
    },
    "help": {
        "text": "Fix the setting named in the message (`llmops-infra validate ENV` lists every problem).",
        "markdown": "Fix the setting named in the message (`llmops-infra validate ENV` lists every problem).",
    },
    "defaultConfiguration": {"level": "error"},
    "properties": {"tags": ["configuration"]},
}


def config_result(finding: ConfigFinding, source: str, index: int) -> dict[str, Any]:
    location = finding.location or Location(source, 1)
    return {
        "ruleId": CONFIG_RULE["id"],
        "ruleIndex": index,
        "level": "error",
        "message": {
            "text": f"[{finding.environment}] " + (f"{location.key}: " if location.key else "") + finding.message
        },
        "locations": [{"physicalLocation": physical(location)}],
        "partialFingerprints": {
            FINGERPRINT: hashlib.sha256(
                "|".join(
                    [finding.environment, "CONFIG", location.file, location.key, NUMBER.sub("#", finding.message)]
                ).encode()
            ).hexdigest()[:32]
        },
        "properties": {"environment": finding.environment},
    }


def driver(rules: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {"name": TOOL, "rules": rules}
    with contextlib.suppress(PackageNotFoundError):  # run from a source tree: no version to say
        found["version"] = found["semanticVersion"] = version("llmops-infra")
    return found


def render(results: list[CheckResult]) -> str:
    rules = [rule(info) for info in catalog.rules()] + [CONFIG_RULE]
    index = {r["id"]: i for i, r in enumerate(rules)}
    sarif_results = [config_result(f, r.source, len(rules) - 1) for r in results for f in r.config_errors]
    sarif_results += [result(v, r.source, index) for r in results for v in r.violations]
    seen: dict[str, int] = {}
    for item in sarif_results:  # the same finding twice on one resource (two containers): numbered
        value = item["partialFingerprints"][FINGERPRINT]
        seen[value] = seen.get(value, 0) + 1
        if seen[value] > 1:
            item["partialFingerprints"][FINGERPRINT] = f"{value}:{seen[value]}"
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver(rules)}, "results": sarif_results, "columnKind": "unicodeCodePoints"}],
    }
    return json.dumps(document, indent=2)
