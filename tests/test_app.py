"""The CLI through typer's test runner: output and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from llmops_infra.cli.app import app

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("llmops-infra ")


def test_environments_lists_shipped_ones() -> None:
    result = invoke("environments", "--project-dir", str(REPO))
    assert result.exit_code == 0
    assert result.stdout.split() == ["dev", "prod", "staging"]
    result = invoke("environments", "--project-dir", str(REPO), "--format", "json")
    assert json.loads(result.stdout) == {"schema_version": 1, "environments": ["dev", "prod", "staging"]}


def test_validate_all_and_one() -> None:
    result = invoke("validate", "--project-dir", str(REPO))
    assert result.exit_code == 0, result.output
    assert "ok dev" in result.stdout and "ok prod" in result.stdout
    result = invoke("validate", "staging", "--project-dir", str(REPO), "--format", "json")
    assert json.loads(result.stdout) == {
        "schema_version": 1,
        "valid": ["staging"],
        "invalid": {},
        "warnings": {"staging": []},
    }


def test_validate_reports_every_problem_of_every_environment(tmp_path: Path) -> None:
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    prod = tmp_path / "environments" / "prod.yaml"
    prod.write_text(
        prod.read_text()
        .replace("  sku_tier: Standard\n", "  sku_teir: Standard\n")
        .replace("  log_retention_days: 90", "  log_retention_days: many")
    )
    result = invoke("validate", "--project-dir", str(tmp_path), "--format", "json")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["valid"] == ["dev", "staging"] and list(document["invalid"]) == ["prod"]
    keys = sorted(f["location"]["key"] for f in document["invalid"]["prod"])
    assert keys == ["cluster.sku_teir", "monitoring.log_retention_days"]
    assert all(
        f["location"]["file"] == "environments/prod.yaml" and f["location"]["line"] > 1
        for f in document["invalid"]["prod"]
    )
    assert "did you mean 'sku_tier'" in result.stdout
    result = invoke("validate", "--project-dir", str(tmp_path))
    assert (
        result.exit_code == 2
        and "ok dev" in result.stdout
        and result.stderr.count("error: environments/prod.yaml:") == 2
    )


def test_plan_json_is_the_documented_shape() -> None:
    result = invoke("plan", "dev", "--project-dir", str(REPO), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["environment"] == "dev"
    group = next(r for r in data["resources"] if r["type"] == "azure-native:resources:ResourceGroup")
    assert {"type", "name", "urn", "parent", "props", "dependencies", "provider", "protect"} <= set(group)
    assert group["props"]["tags"]["environment"] == "dev"


def test_plan_table_groups_by_component() -> None:
    result = invoke("plan", "prod", "--project-dir", str(REPO))
    assert result.exit_code == 0, result.output
    assert "Plan: prod" in result.stdout
    assert "foundation (llmops:core:Foundation)" in result.stdout


def test_plan_markdown_to_file(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "plan.md"
    result = invoke("plan", "staging", "--project-dir", str(REPO), "--format", "markdown", "--output", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("### Plan: `staging`")
    assert "| Component | Resources | Types |" in text


def test_bad_input_exits_2_with_one_message(tmp_path: Path) -> None:
    result = invoke("plan", "qa", "--project-dir", str(REPO))
    assert result.exit_code == 2
    assert "unknown environment 'qa'" in result.output
    assert "Traceback" not in result.output
    result = invoke("plan", "dev", "--project-dir", str(tmp_path / "missing"))
    assert result.exit_code == 2 and "does not exist" in result.output
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    (tmp_path / "environments" / "dev.yaml").write_text("azure: [1, 2\n")
    result = invoke("validate", "dev", "--project-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "environments/dev.yaml" in result.output and "YAML error" in result.output


def test_unknown_format_is_a_usage_error() -> None:
    result = invoke("plan", "dev", "--format", "xml", "--project-dir", str(REPO))
    assert result.exit_code == 2


def test_help_does_not_import_pulumi() -> None:
    code = (
        "import sys; from llmops_infra.cli.app import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_azure_native', 'pulumi_kubernetes', 'pydantic')]\n"
        "print(','.join(sorted(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
