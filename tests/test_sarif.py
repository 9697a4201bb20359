"""SARIF that code scanning accepts: every report the tool writes validates against the OASIS 2.1.0
schema; tags are unique; locations are repository-relative lines of the setting (or the program line);
fingerprints stay the same while the finding does."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.policies import catalog
from llmops_infra.policies.reports import sarif
from llmops_infra.policies.runner import CheckResult, Location, Violation

REPO = Path(__file__).resolve().parent.parent
PROGRAMS = REPO / "tests" / "fixtures" / "programs"
SCHEMA = json.loads((REPO / "tests" / "fixtures" / "schemas" / "sarif-schema-2.1.0.json").read_text())
runner = CliRunner()


def validate(text: str) -> dict[str, Any]:
    """The document, after checking it against the shipped SARIF 2.1.0 schema (formats included)."""
    document = json.loads(text)
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
    assert problems == []
    return document


def check(*args: str, code: int | None = None) -> dict[str, Any]:
    result = runner.invoke(app, ["policy", "check", *args, "--format", "sarif"])
    if code is not None:
        assert result.exit_code == code, result.output
    return validate(result.stdout)


def results(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["runs"][0]["results"])


def where(item: dict[str, Any]) -> tuple[str, str | None, int]:
    physical = item["locations"][0]["physicalLocation"]
    return (
        physical["artifactLocation"]["uri"],
        physical["artifactLocation"].get("uriBaseId"),
        physical["region"]["startLine"],
    )


def violation(**changes: Any) -> Violation:
    base: dict[str, Any] = {
        "policy": "kv-01-purge-protection",
        "rule_id": "KV-01",
        "severity": "high",
        "enforcement": "mandatory",
        "resource_type": "azure-native:keyvault:Vault",
        "resource_name": "kv",
        "urn": "urn:pulumi:prod::llmops-platform::llmops:security:KeyVault$azure-native:keyvault:Vault::kv",
        "message": "Purge protection is off.",
        "environment": "prod",
        "location": Location("environments/base.yaml", 30, "key_vault"),
    }
    base.update(changes)
    return Violation(**base)


def test_every_rule_has_unique_tags_and_the_rule_table_validates() -> None:
    for info in catalog.rules():
        tags = sarif.tags(info)
        assert len(tags) == len(set(tags)), info.id
    document = validate(sarif.render([CheckResult("prod", "environments/prod.yaml", [violation()])]))
    for rule in document["runs"][0]["tool"]["driver"]["rules"]:
        assert len(rule["properties"]["tags"]) == len(set(rule["properties"]["tags"]))


def test_all_shipped_environments_point_at_the_line_of_the_setting() -> None:
    document = check("--all", "--project-dir", str(REPO), code=0)
    found = results(document)
    assert found, "the shipped environments have advisory findings: the report must carry them"
    for item in found:
        uri, base, line = where(item)
        assert base == "%SRCROOT%" and uri.startswith("environments/") and uri.endswith(".yaml")
        text = (REPO / uri).read_text().splitlines()[line - 1]
        setting = item["message"]["text"].rsplit("Setting: ", 1)[1].rstrip(".")
        last = setting.rsplit(".", 1)[-1].split("[")[0]
        index = setting.endswith("]")
        # the line holds the key of the setting, or (a list item) its first key
        assert text.lstrip().startswith("- ") if index else text.lstrip().startswith(f"{last}:"), (uri, line, text)
    # AKS-12 (paid tier) in dev points at dev's own cluster section, not at line 1
    aks12 = [i for i in found if i["ruleId"].startswith("aks-12") and "[dev]" in i["message"]["text"]]
    assert aks12 and where(aks12[0])[0] == "environments/dev.yaml" and where(aks12[0])[2] > 1
    # K8S-10 in staging points at staging's model entry (the Deployment is built from it)
    k8s10 = [i for i in found if i["ruleId"].startswith("k8s-10") and "[staging]" in i["message"]["text"]]
    assert k8s10 and "inference.models[0]" in k8s10[0]["message"]["text"]
    assert where(k8s10[0])[0] == "environments/staging.yaml"


def test_a_project_in_a_subdirectory_is_located_from_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "environments", repo / "infra" / "environments")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    document = check("dev", "-C", str(repo / "infra"), code=0)
    uris = {where(item)[0] for item in results(document)}
    assert uris and all(u.startswith("infra/environments/") for u in uris), uris


def test_a_program_points_at_the_constructor_line() -> None:
    program = PROGRAMS / "insecure_azure.py"
    document = check("--program", str(program), code=1)
    lines = program.read_text().splitlines()
    found = results(document)
    assert found
    for item in found:
        uri, base, line = where(item)
        assert (uri, base) == ("tests/fixtures/programs/insecure_azure.py", "%SRCROOT%")
        logical = item["locations"][0]["logicalLocations"][0]
        if logical["fullyQualifiedName"].startswith("stack:"):  # stack-wide (no budget): the program's first line
            assert line == 1
            continue
        name = logical["name"]
        assert f'"{name}"' in lines[line] or f'"{name}"' in lines[line - 1], (name, line)
    vault = [i for i in found if i["locations"][0]["logicalLocations"][0]["name"] == "vault"]
    assert vault and where(vault[0])[2] == lines.index("keyvault.Vault(") + 1


def test_a_program_directory_points_at_its_own_files() -> None:
    document = check("--program", str(PROGRAMS / "k8s_app"))
    uris = {where(item)[0] for item in results(document)}
    assert uris == {"tests/fixtures/programs/k8s_app/__main__.py"}


def test_fingerprints_are_stable_and_unique() -> None:
    first = violation(message="Estimated monthly cost $12,345.67 exceeds the limit $9,000.00.")
    moved = violation(
        message="Estimated monthly cost $13,001.00 exceeds the limit $9,000.00.",
        location=Location("environments/base.yaml", 44, "key_vault"),
    )
    other = violation(urn=first.urn.replace("::kv", "::kv2"), resource_name="kv2")
    assert sarif.fingerprint(first) == sarif.fingerprint(moved)
    assert sarif.fingerprint(first) != sarif.fingerprint(other)
    twice = [violation(message="Container a may run as root."), violation(message="Container b may run as root.")]
    document = validate(sarif.render([CheckResult("prod", "environments/prod.yaml", twice)]))
    prints = [r["partialFingerprints"][sarif.FINGERPRINT] for r in results(document)]
    assert len(prints) == len(set(prints)) == 2


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("environments/my env.yaml", {"uri": "environments/my%20env.yaml", "uriBaseId": "%SRCROOT%"}),
        ("/elsewhere/main.py", {"uri": "file:///elsewhere/main.py"}),
    ],
)
def test_paths_are_uris(file: str, expected: dict[str, str]) -> None:
    assert sarif.artifact(file) == expected
    validate(sarif.render([CheckResult("prod", file, [violation(location=Location(file, 3))])]))


@pytest.fixture
def invalid_project(tmp_path: Path) -> Path:
    """The shipped environments with one mistake in dev.yaml (an invalid region name)."""
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    dev = tmp_path / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("  location: eastus\n", "  location: East_US\n", 1))
    return tmp_path


def test_an_invalid_environment_file_is_a_finding_in_every_format(invalid_project: Path) -> None:
    line = (invalid_project / "environments" / "dev.yaml").read_text().splitlines().index("  location: East_US") + 1
    document = check("dev", "staging", "-C", str(invalid_project), code=2)
    (finding,) = [r for r in results(document) if r["ruleId"] == sarif.CONFIG_RULE["id"]]
    assert where(finding) == ("environments/dev.yaml", "%SRCROOT%", line)
    assert "azure.location" in finding["message"]["text"] and finding["level"] == "error"
    outputs = {}
    for fmt in ("json", "markdown", "junit", "table"):
        result = runner.invoke(app, ["policy", "check", "dev", "-C", str(invalid_project), "--format", fmt])
        assert result.exit_code == 2 and result.stdout.strip(), fmt
        outputs[fmt] = result.stdout
    (error,) = json.loads(outputs["json"])["config_errors"]
    assert error["location"] == {"file": "environments/dev.yaml", "line": line, "key": "azure.location"}
    assert f"`environments/dev.yaml:{line}` `azure.location`" in outputs["markdown"]
    assert 'type="ConfigError"' in outputs["junit"]
    assert "INVALID dev" in outputs["table"] and f"environments/dev.yaml:{line}: azure.location" in outputs["table"]


def test_a_program_that_fails_is_a_finding_at_its_line() -> None:
    document = check("--program", str(PROGRAMS / "broken.py"), code=2)
    (finding,) = results(document)
    line = (
        (PROGRAMS / "broken.py")
        .read_text()
        .splitlines()
        .index('raise RuntimeError("the program could not read its settings")')
    )
    assert where(finding) == ("tests/fixtures/programs/broken.py", "%SRCROOT%", line + 1)
