"""`llmops-infra cost ENV` and the cost line of `llmops-infra plan`."""

import json
from pathlib import Path

from typer.testing import CliRunner

from llmops_infra.cli.app import app

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_cost_json_lines_and_total():
    result = runner.invoke(app, ["cost", "dev", "--project-dir", str(REPO), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total_monthly_usd"] == round(sum(line["monthly_usd"] for line in data["lines"]), 2)
    spot = [line for line in data["lines"] if line["sku"] == "Standard_NC4as_T4_v3"]
    assert spot and "(spot)" in spot[0]["quantity"] and spot[0]["monthly_usd_min"] == 0


def test_cost_table_and_markdown_show_the_total():
    table = runner.invoke(app, ["cost", "dev", "--project-dir", str(REPO)])
    assert table.exit_code == 0 and "Total" in table.stdout
    markdown = runner.invoke(app, ["cost", "dev", "--project-dir", str(REPO), "--format", "markdown"])
    assert markdown.stdout.startswith("### Monthly cost estimate: `dev`")


def test_cost_with_a_bad_catalog_is_bad_input(tmp_path):
    bad = tmp_path / "prices.json"
    bad.write_text("{not json")
    result = runner.invoke(app, ["cost", "dev", "--project-dir", str(REPO), "--prices", str(bad)])
    assert result.exit_code == 2 and "not JSON" in result.output


def test_plan_shows_the_cost_estimate():
    as_json = json.loads(runner.invoke(app, ["plan", "dev", "--project-dir", str(REPO), "--format", "json"]).stdout)
    assert as_json["cost"]["total_monthly_usd"] > 0
    table = runner.invoke(app, ["plan", "dev", "--project-dir", str(REPO)]).stdout
    assert f"Estimated monthly cost: ${as_json['cost']['total_monthly_usd']:,.2f}" in table
