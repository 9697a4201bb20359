"""Reports: Markdown stays under the PR-comment limit and says what it left out; SARIF and JUnit shape."""

import json
import xml.etree.ElementTree as ET

from llmops_infra.policies.reports import markdown, render
from llmops_infra.policies.runner import CheckResult, Violation


def result(count: int, enforcement: str = "mandatory") -> CheckResult:
    violations = [
        Violation(
            "kv-01-purge-protection",
            "KV-01",
            "high",
            enforcement,
            "azure-native:keyvault:Vault",
            f"vault-{i}",
            f"urn:pulumi:dev::p::azure-native:keyvault:Vault::vault-{i}",
            "Purge protection is off | with a pipe " + "x" * 200,
            "dev",
        )
        for i in range(count)
    ]
    return CheckResult(environment="dev", source="environments/dev.yaml", violations=violations, resources=count)


def test_markdown_summary_first_and_within_limit():
    text = markdown.render([result(2000)])
    assert len(text) < 65_000
    assert text.startswith("### Policy check: ❌ failed")
    assert "| dev | FAIL | 2000 | 0 | 0 | 2000 |" in text
    shown = text.count("| ❌ mandatory |")
    assert 0 < shown < 2000
    assert f"_{2000 - shown} more violation(s) not shown" in text
    assert "\\|" in text  # pipes in messages do not break the table


def test_markdown_small_report_shows_everything():
    text = markdown.render([result(3, "advisory")])
    assert text.count("| ⚠️ advisory |") == 3 and "not shown" not in text and "✅ passed" in text


def test_sarif_results_and_rules():
    sarif = json.loads(render("sarif", [result(2)]))
    assert sarif["$schema"].endswith("sarif-schema-2.1.0.json") and sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["results"][0]["ruleId"] == "kv-01-purge-protection"
    assert rules[run["results"][0]["ruleIndex"]]["id"] == "kv-01-purge-protection"
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "environments/dev.yaml"
    assert all(r["help"]["text"] for r in rules)


def test_junit_failures_per_rule():
    root = ET.fromstring(render("junit", [result(2)]))
    suite = root.find("testsuite")
    assert suite.get("failures") == "1"
    failed = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    assert [case.get("name") for case in failed] == ["KV-01 kv-01-purge-protection"]
    assert "vault-1" in failed[0].find("failure").text


def test_markdown_5000_violations_and_long_notes_stay_under_the_limit():
    from datetime import date

    from llmops_infra.policies.settings import Exemption

    big = [result(5_000), result(5_000, "advisory")]
    big[0].expired_exemptions = [Exemption("KV-01", (f"vault-{i}",), "r", "team", date(2020, 1, 1)) for i in range(500)]
    big[1].ignored_overrides = [f"KV-0{i % 6 + 1}: lowering to advisory ignored " + "y" * 400 for i in range(500)]
    text = render("markdown", big)
    assert len(text) < 65_000
    assert "| dev | FAIL | 5000 | 0 | 0 | 5000 |" in text
    shown = text.count("| ❌ mandatory |") + text.count("| ⚠️ advisory |")
    assert 0 < shown < 10_000
    assert f"_{10_000 - shown} more violation(s) not shown" in text
    assert "_480 more expired exemption(s) not shown" in text
    assert "_480 more ignored override(s) not shown" in text


def test_table_shows_the_note_of_an_expired_exemption():
    # "[exemption expired on …]" used to vanish: rich read it as an unknown markup tag
    violation = Violation(
        "kv-01-purge-protection",
        "KV-01",
        "high",
        "mandatory",
        "azure-native:keyvault:Vault",
        "vault-[a]",
        "urn:pulumi:dev::p::azure-native:keyvault:Vault::vault-[a]",
        "Purge protection is off",
        "dev",
        note="exemption expired on 2026-01-01",
    )
    text = render(
        "table", [CheckResult(environment="dev", source="environments/dev.yaml", violations=[violation], resources=1)]
    )
    assert "[exemption expired on 2026-01-01]" in text
    assert "vault-[a]" in text


def test_every_format_names_the_fix():
    from llmops_infra.policies import catalog

    v = Violation(
        "kv-01-purge-protection",
        "KV-01",
        "high",
        "mandatory",
        "azure-native:keyvault:Vault",
        "kv",
        "urn:x",
        "Purge protection is off.",
        "prod",
    )
    fix = catalog.find("KV-01").remediation
    assert fix and v.remediation == fix
    result = CheckResult(environment="prod", source="environments/prod.yaml", violations=[v])
    assert json.loads(render("json", [result]))["violations"][0]["remediation"] == fix
    assert f"**Fix:** {fix}" in markdown.render([result])
    assert "Fix: " + fix.split()[0] in render("table", [result])
