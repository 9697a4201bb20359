"""JUnit XML: one test suite per environment, one test case per rule; mandatory violations
fail the case, advisory ones are printed in its system-out."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from llmops_infra.policies import catalog
from llmops_infra.policies.runner import CheckResult, Violation


def render(results: list[CheckResult]) -> str:
    suites = ET.Element("testsuites", name="llmops-infra policy check")
    for result in results:
        if result.config_errors:
            suite = ET.SubElement(
                suites,
                "testsuite",
                name=f"policy.{result.environment}",
                tests="1",
                failures="1",
                errors="0",
                skipped="0",
            )
            case = ET.SubElement(
                suite, "testcase", classname=f"policy.{result.environment}.config", name="CONFIG configuration"
            )
            failure = ET.SubElement(
                case, "failure", message=f"{len(result.config_errors)} configuration error(s)", type="ConfigError"
            )
            failure.text = "\n".join(
                f"{f.where()}: {f.message}" if f.where() else f.message for f in result.config_errors
            )
            continue
        by_policy: dict[str, list[Violation]] = {}
        for v in result.violations:
            by_policy.setdefault(v.policy, []).append(v)
        rules = catalog.rules()
        failures = sum(1 for info in rules if any(v.enforcement == "mandatory" for v in by_policy.get(info.name, [])))
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"policy.{result.environment}",
            tests=str(len(rules)),
            failures=str(failures),
            errors="0",
            skipped="0",
        )
        for info in rules:
            case = ET.SubElement(
                suite, "testcase", classname=f"policy.{result.environment}.{info.domain}", name=f"{info.id} {info.name}"
            )
            found = by_policy.get(info.name, [])
            mandatory = [v for v in found if v.enforcement == "mandatory"]
            if mandatory:
                failure = ET.SubElement(
                    case, "failure", message=f"{len(mandatory)} mandatory violation(s)", type="PolicyViolation"
                )
                failure.text = "\n".join(f"{v.resource_name or 'stack'}: {v.message}" for v in mandatory)
            advisory = [v for v in found if v.enforcement != "mandatory"]
            if advisory:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"advisory: {v.resource_name or 'stack'}: {v.message}" for v in advisory)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
