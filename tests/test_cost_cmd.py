"""`llmops-infra cost ENV` and the cost line of `llmops-infra plan`."""

import json
from pathlib import Path

import pytest
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


def test_prices_are_dated_or_said_unverified_in_every_format():
    data = json.loads(runner.invoke(app, ["cost", "prod", "-C", str(REPO), "-f", "json"]).stdout)
    assert data["region"] == "eastus2" and "eastus2.json" in data["catalog"] and "eastus.json" in data["catalog"]
    priced = [line for line in data["lines"] if line["unit_price"] is not None]
    assert data["unverified_lines"] == len(priced) > 0
    assert all(line["price"] == "unverified, eastus price" and line["price_region"] == "eastus" for line in priced)
    # A terminal wide enough that rich does not wrap the price column (the width depends on where
    # the suite runs: COLUMNS, or 80 without a terminal).
    table = runner.invoke(app, ["cost", "prod", "-C", str(REPO)], env={"COLUMNS": "300"}).stdout
    assert "unverified, eastus price" in table
    assert "unverified prices" in " ".join(table.split())  # the footer wraps with the catalog paths' length
    markdown = runner.invoke(app, ["cost", "prod", "-C", str(REPO), "-f", "markdown"]).stdout
    assert "| Price |" in markdown and "| unverified, eastus price |" in markdown and "unverified prices" in markdown
    plan = " ".join(runner.invoke(app, ["plan", "prod", "-C", str(REPO)]).stdout.split())  # wrapped at the width
    assert "eastus2 prices" in plan and "priced lines unverified" in plan


def _project(tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(REPO / "environments", tmp_path / "environments")
    return tmp_path


def test_prices_refresh_writes_the_user_cache_and_cost_prices_the_region_from_it(tmp_path, monkeypatch):
    from retail_prices_replay import retail_prices_api

    from llmops_infra.policies import pricing

    cache = tmp_path / "cache"
    monkeypatch.setenv("LLMOPS_INFRA_CACHE_DIR", str(cache))
    shipped = {p.name: p.read_bytes() for p in pricing.shipped_prices_dir().glob("*.json")}
    with retail_prices_api() as api:
        result = runner.invoke(app, ["prices", "refresh", "-C", str(REPO), "--api-url", api.url])
    assert result.exit_code == 0, result.output
    # one catalog per region the environments use or allow, in the user cache; the package is untouched
    assert sorted(p.name for p in (cache / "prices").iterdir()) == ["eastus.json", "eastus2.json", "swedencentral.json"]
    assert {p.name: p.read_bytes() for p in pricing.shipped_prices_dir().glob("*.json")} == shipped
    assert "eastus2: updated 2 VM size(s)" in result.stderr
    data = json.loads(runner.invoke(app, ["cost", "prod", "-C", str(REPO), "-f", "json"]).stdout)
    gpu = next(line for line in data["lines"] if line["sku"] == "Standard_NC24ads_A100_v4")
    today = __import__("datetime").date.today().isoformat()
    assert gpu["unit_price"] == 4.0 and gpu["verified"] is True and gpu["price"] == today
    assert gpu["price_region"] == "eastus2" and data["price_dates"] == [today]
    assert str(cache / "prices" / "eastus2.json") in data["catalog"]
    table = runner.invoke(app, ["cost", "prod", "-C", str(REPO)]).stdout
    assert today in table


def test_every_pricing_command_honours_prices_and_the_environment_setting(tmp_path):
    from llmops_infra.policies import pricing

    project = _project(tmp_path / "project")
    dear = tmp_path / "dear"
    dear.mkdir()
    for region in ("eastus", "eastus2"):  # every price a hundred times the shipped one
        data = json.loads((pricing.shipped_prices_dir() / "eastus.json").read_text())
        data["region"] = region
        data["entries"] = {
            k: {**e, "price": e["price"] * 100, "spot": e["spot"] * 100 if e.get("spot") else None}
            for k, e in data["entries"].items()
        }
        (dear / f"{region}.json").write_text(json.dumps(data))
    base = json.loads(runner.invoke(app, ["cost", "dev", "-C", str(project), "-f", "json"]).stdout)
    high = json.loads(
        runner.invoke(app, ["cost", "dev", "-C", str(project), "-f", "json", "--prices", str(dear)]).stdout
    )
    assert high["total_monthly_usd"] == pytest.approx(base["total_monthly_usd"] * 100, rel=0.01)
    plan = json.loads(
        runner.invoke(app, ["plan", "dev", "-C", str(project), "-f", "json", "--prices", str(dear)]).stdout
    )
    assert plan["cost"]["total_monthly_usd"] == high["total_monthly_usd"]
    # the policy check prices COST-05 with it: over dev's limit
    check = runner.invoke(app, ["policy", "check", "dev", "-C", str(project), "-f", "json", "--prices", str(dear)])
    assert check.exit_code == 1 and any(v["rule_id"] == "COST-05" for v in json.loads(check.stdout)["violations"])
    release = runner.invoke(app, ["release", "dev", "-C", str(project), "-f", "json", "--prices", str(dear)])
    assert release.exit_code == 1 and {c["gate"] for c in json.loads(release.stdout)["failed_checks"]} >= {"cost"}
    # the environment's own setting, relative to the project directory
    dev = project / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("cost:\n", "cost:\n  price_catalog: ../dear\n", 1))
    setting = json.loads(runner.invoke(app, ["cost", "dev", "-C", str(project), "-f", "json"]).stdout)
    assert setting["total_monthly_usd"] == high["total_monthly_usd"] and str(dear) in setting["catalog"]
    check = runner.invoke(app, ["policy", "check", "dev", "-C", str(project), "-f", "json"])
    assert check.exit_code == 1
    # --prices wins over the setting
    overridden = runner.invoke(
        app, ["cost", "dev", "-C", str(project), "-f", "json", "--prices", str(pricing.shipped_prices_dir())]
    )
    assert json.loads(overridden.stdout)["total_monthly_usd"] == base["total_monthly_usd"]
