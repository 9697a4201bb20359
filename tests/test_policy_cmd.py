"""`llmops-infra policy check|list|pack-config` through typer's runner: output and exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from llmops_infra.cli.app import app

REPO = Path(__file__).resolve().parent.parent
PROGRAMS = REPO / "tests" / "fixtures" / "programs"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["policy", *args])


def test_check_all_shipped_environments_passes():
    result = invoke("check", "--all", "--project-dir", str(REPO), "--format", "json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["summary"]["passed"] is True and report["summary"]["mandatory"] == 0
    assert set(report["summary"]["environments"]) == {"dev", "staging", "prod"}
    for v in report["violations"]:
        assert set(v) >= {"policy", "severity", "enforcement", "resource_type", "resource_name", "urn", "message"}
        assert v["enforcement"] == "advisory"


def test_program_with_known_mistakes_fails_with_exit_1():
    result = invoke(
        "check",
        "--program",
        str(PROGRAMS / "insecure_azure.py"),
        "--env",
        "dev",
        "--project-dir",
        str(REPO),
        "--format",
        "json",
    )
    assert result.exit_code == 1
    found = {(v["policy"], v["resource_name"]) for v in json.loads(result.stdout)["violations"]}
    assert {
        ("net-01-no-internet-admin-ports", "nsg"),
        ("kv-05-acl-deny", "vault"),
        ("kv-01-purge-protection", "vault"),
        ("st-01-secure-transport", "st"),
        ("st-02-entra-only", "st"),
    } <= found
    # The HTTPS rule from 10.0.0.0/8 is fine: only the SSH rule is reported.
    nsg = [v for v in json.loads(result.stdout)["violations"] if v["policy"].startswith("net-01")]
    assert len(nsg) == 1 and "ssh" in nsg[0]["message"]


def test_program_directory_with_local_imports():
    result = invoke(
        "check", "--program", str(PROGRAMS / "k8s_app"), "--env", "dev", "--project-dir", str(REPO), "--format", "json"
    )
    assert result.exit_code == 1
    by_rule = {
        v["policy"].split("-")[0] + "-" + v["policy"].split("-")[1]: v for v in json.loads(result.stdout)["violations"]
    }
    assert {"k8s-01", "k8s-05", "k8s-08"} <= set(by_rule)
    assert by_rule["k8s-08"]["resource_name"] == "web-lb"


def test_program_that_fails_is_bad_input():
    result = invoke("check", "--program", str(PROGRAMS / "broken.py"))
    assert result.exit_code == 2
    assert "the program could not read its settings" in result.output


def test_bad_input_exits_2():
    assert invoke("check", "--project-dir", str(REPO)).exit_code == 2
    assert invoke("check", "nope", "--project-dir", str(REPO)).exit_code == 2
    assert invoke("check", "--program", str(PROGRAMS / "missing.py")).exit_code == 2
    assert invoke("check", "dev", "--program", str(PROGRAMS / "broken.py")).exit_code == 2


def test_sarif_and_junit_and_markdown_outputs(tmp_path):
    sarif_file = tmp_path / "policy.sarif"
    result = invoke(
        "check",
        "--program",
        str(PROGRAMS / "insecure_azure.py"),
        "--env",
        "prod",
        "--project-dir",
        str(REPO),
        "--format",
        "sarif",
        "--output",
        str(sarif_file),
    )
    assert result.exit_code == 1
    sarif = json.loads(sarif_file.read_text())
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) >= 45 and len(set(rule_ids)) == len(rule_ids)
    first = run["results"][0]
    assert first["ruleId"] in rule_ids and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("insecure_azure.py")
    junit = invoke("check", "dev", "--project-dir", str(REPO), "--format", "junit")
    suite = ET.fromstring(junit.stdout).find("testsuite")
    assert suite.get("name") == "policy.dev" and suite.get("failures") == "0" and int(suite.get("tests")) >= 45
    markdown = invoke("check", "dev", "--project-dir", str(REPO), "--format", "markdown")
    assert markdown.stdout.startswith("### Policy check: ✅ passed")


def test_list_json_has_every_catalog_rule():
    result = invoke("list", "--format", "json")
    rules = json.loads(result.stdout)["rules"]
    ids = {r["id"] for r in rules}
    assert len(rules) >= 45 and {"KV-01", "NET-01", "AKS-13", "K8S-10", "COST-05"} <= ids
    kv01 = next(r for r in rules if r["id"] == "KV-01")
    assert kv01["levels"] == {"dev": "advisory", "staging": "advisory", "prod": "mandatory"}


def test_pack_config_carries_levels_and_limits():
    result = invoke("pack-config", "prod", "--project-dir", str(REPO))
    config = json.loads(result.stdout)
    assert config["kv-01-purge-protection"]["enforcementLevel"] == "mandatory"
    assert config["gpu-03-gpu-size-allowed"]["allowed_gpu_sizes"] == [
        "Standard_NC24ads_A100_v4",
        "Standard_NC48ads_A100_v4",
    ]
    assert config["cost-05-monthly-limit"]["max_monthly_usd"] == 80000
