"""Diffs for reviewers: values, plans across environments and commits, the PR report, `cost --compare`."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.delivery.pipelines import PR_MARKER
from llmops_infra.policies import catalog
from llmops_infra.render.cost import change_markdown
from llmops_infra.render.diff import diff_markdown, diff_text
from llmops_infra.render.pr_report import pr_report
from llmops_infra.review.compare import Verdict, compare, policy_verdict
from llmops_infra.review.diff import MISSING, _identical, diff_plans, diff_values, stackless

runner = CliRunner()


def test_diff_values_reports_leaves_by_path():
    before = {"a": 1, "b": {"c": [1, 2], "d": "x"}, "gone": {"k": 1}}
    after = {"a": 1, "b": {"c": [1, 3], "d": "y"}, "new": True}
    changes = {c.path: (c.before, c.after) for c in diff_values(before, after)}
    assert changes == {"b.c[1]": (2, 3), "b.d": ("x", "y"), "gone.k": (1, MISSING), "new": (MISSING, True)}
    assert diff_values({"x": 1}, {"x": 1}) == []


def test_lists_differ_item_by_item():
    rule = {"name": "a", "priority": 100, "destinationPortRange": "22"}
    before = {"rules": [rule, {**rule, "name": "b", "priority": 200}], "ips": ["1.1.1.1", "2.2.2.2"]}
    after = {
        "rules": [
            {**rule, "name": "z", "priority": 50},
            rule,
            {**rule, "name": "b", "priority": 200, "destinationPortRange": "443"},
        ],
        "ips": ["2.2.2.2", "3.3.3.3"],
    }
    changes = {c.path: (c.before, c.after) for c in diff_values(before, after)}
    # an item inserted at the front is one added item, not a change of every item after it
    assert changes == {
        "ips[0]": ("1.1.1.1", MISSING),
        "ips[1]": (MISSING, "3.3.3.3"),
        "rules[0]": (MISSING, {**rule, "name": "z", "priority": 50}),
        "rules[2].destinationPortRange": ("22", "443"),
    }
    assert [c.path for c in diff_values({"l": [1]}, {"l": [1, 2]})] == ["l[1]"]
    # the same items in another order: one change, the whole list (order matters for args)
    args = diff_values({"args": ["--x", "1", "--y", "2"]}, {"args": ["--y", "2", "--x", "1"]})
    assert [(c.path, c.after) for c in args] == [("args", ["--y", "2", "--x", "1"])]


def test_stackless_lines_up_environments():
    assert stackless("urn:pulumi:dev::llmops::azure-native:resources:ResourceGroup::rg") == stackless(
        "urn:pulumi:prod::llmops::azure-native:resources:ResourceGroup::rg"
    )


def test_plan_diff_between_environments(plans):
    dev, staging = plans("dev").to_dict(), plans("staging").to_dict()
    diff = diff_plans(dev, staging)
    added = {e.name for e in diff.added}
    removed = {e.name for e in diff.removed}
    assert "cluster-pool-gpua100" in added and "cluster-pool-gput4" in removed
    assert "ml-chat-flow-green" in added  # staging's canary slot
    vault = next(e for e in diff.changed if e.type == "azure-native:keyvault:Vault")
    paths = {c.path: (c.before, c.after) for c in vault.changes}
    assert paths["properties.softDeleteRetentionInDays"] == (7, 90)
    assert diff.counts()["unchanged"] + len(diff.changed) == len(
        {stackless(r["urn"]) for r in dev["resources"] if r["custom"]} - {stackless(e.key) for e in diff.removed}
    )
    text = diff_text([], diff)
    assert "+ azure-native:containerservice:AgentPool cluster-pool-gpua100" in text
    assert "properties.softDeleteRetentionInDays: 7 -> 90" in text
    markdown = diff_markdown([], diff)
    assert "| ➕ | `cluster-pool-gpua100` |" in markdown


def test_same_plan_has_no_diff(plans):
    diff = diff_plans(plans("dev").to_dict(), plans("dev").to_dict())
    assert diff.empty and diff.unchanged == len(plans("dev").custom_resources())
    assert diff_plans(None, plans("dev").to_dict()).counts()["added"] == len(plans("dev").custom_resources())


@pytest.fixture
def repo(tmp_path, project_dir):
    """A git repository holding the shipped environments, committed; dev's GPU pool then grows."""
    shutil.copytree(project_dir / "environments", tmp_path / "environments")

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", "environments")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "estate")
    dev = tmp_path / "environments" / "dev.yaml"
    dev.write_text(
        dev.read_text()
        .replace("budget:\n  monthly_usd: 1500", "budget:\n  monthly_usd: 1800")
        .replace("      max_nodes: 2\n      spot: true", "      max_nodes: 2\n      spot: false")
    )
    return tmp_path


def test_compare_with_a_git_ref(repo):
    (dev,) = compare(["dev"], repo, "HEAD")
    assert dev.before.monthly_usd is not None and dev.after.monthly_usd is not None
    assert dev.after.monthly_usd > dev.before.monthly_usd  # on-demand GPUs cost more than spot
    assert dev.delta_usd == round(dev.after.monthly_usd - dev.before.monthly_usd, 2)
    diff = diff_plans(dev.before.plan.to_dict(), dev.after.plan.to_dict())
    changed = {e.name: {c.path for c in e.changes} for e in diff.changed}
    assert "scaleSetPriority" in changed["cluster-pool-gput4"] or any(
        "scaleSetPriority" in p for p in changed["cluster-pool-gput4"]
    )
    assert dev.plan_diff() == diff
    verdict = policy_verdict(dev, repo)  # on-demand GPUs in dev break a dev-mandatory rule
    document = verdict.to_dict()
    assert {k: document[k] for k in ("environment", "removed", "passed", "mandatory", "failed_rules")} == {
        "environment": "dev",
        "removed": False,
        "passed": False,
        "mandatory": 1,
        "failed_rules": ["GPU-05"],
    }
    assert document["config_errors"] == []
    gpu05 = [v for v in document["violations"] if v["rule_id"] == "GPU-05"]
    assert gpu05 and gpu05[0]["remediation"] and gpu05[0]["location"]["file"] == "environments/dev.yaml"
    report = pr_report([dev], [verdict])
    assert report.startswith(PR_MARKER)
    assert "| `dev` | ❌ 1 mandatory violation(s): GPU-05 |" in report
    assert "```mermaid" in report and "cluster-pool-gput4" in report.split("```mermaid")[1]
    assert f"${dev.before.monthly_usd:,.0f}" in change_markdown([dev])
    assert pr_report([dev], [Verdict("dev")]).count("✅ passed (0 advisory)") == 1
    # each finding with its message, its fix and the setting it comes from
    fix = catalog.find("GPU-05").remediation
    assert f"**Fix:** {fix}" in report and "`environments/dev.yaml:" in report
    # the cost change per resource: the GPU pool, on-demand now
    assert "Cost change by resource" in report and "| `dev` | `cluster-pool-gput4` |" in report


def test_cost_compare_and_pr_report_commands(repo):
    result = runner.invoke(app, ["cost", "dev", "--compare", "HEAD", "-C", str(repo), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"delta_usd"' in result.output and '"ref": "HEAD"' in result.output
    result = runner.invoke(
        app, ["pr-report", "dev", "--base", "HEAD", "-C", str(repo), "--output", str(repo / "pr.md")]
    )
    assert result.exit_code == 0, result.output
    text = (repo / "pr.md").read_text()
    assert PR_MARKER in text and "### `dev`" in text and "policy" in text
    result = runner.invoke(app, ["cost", "dev", "--compare", "no-such-ref", "-C", str(repo)])
    assert result.exit_code == 2 and "fetch-depth" in result.output


def test_pr_report_bad_base_and_unknown_environment(repo):
    result = runner.invoke(app, ["pr-report", "dev", "--base", "no-such-ref", "-C", str(repo)])
    assert result.exit_code == 2 and "--base:" in result.stderr and "--compare" not in result.stderr
    result = runner.invoke(app, ["pr-report", "dve", "--base", "HEAD", "-C", str(repo)])
    assert result.exit_code == 2 and "unknown environment 'dve'" in result.stderr
    result = runner.invoke(app, ["cost", "dev", "--compare=--output=x", "-C", str(repo)])
    assert result.exit_code == 2 and "is not a git ref" in result.stderr
    assert not (repo / "x").exists()


def test_diff_command(project_dir):
    result = runner.invoke(app, ["diff", "dev", "prod", "-C", str(project_dir), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "#### `dev` → `prod`" in result.output and "`azure.location`" in result.output
    # more than 50 keys differ: the table says how many it left out instead of stopping silently
    assert "more keys (`--format json` lists every one)" in result.output
    result = runner.invoke(app, ["diff", "dev", "nope", "-C", str(project_dir)])
    assert result.exit_code == 2 and "unknown environment" in result.output


def _git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo, check=True, capture_output=True
    )


def test_a_base_without_environments_means_everything_is_added(tmp_path, project_dir):
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "README.md").write_text("estate\n")
    _git(tmp_path, "add", "README.md")
    _git(tmp_path, "commit", "-q", "-m", "first")
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    (dev,) = compare(["dev"], tmp_path, "main", option="--base")
    assert dev.before.plan is None and dev.after.plan is not None
    assert dev.plan_diff().counts()["added"] == len(dev.after.plan.custom_resources())
    result = runner.invoke(app, ["cost", "dev", "--compare", "main", "-C", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["before_usd"] is None
    result = runner.invoke(app, ["pr-report", "dev", "--base", "main", "-C", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "| `dev` | — | $" in result.stdout and "to add, 0 to change" in result.stdout


def test_an_invalid_environment_file_is_reported_in_the_comment(repo):
    dev = repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("  location: eastus\n", "  location: East_US\n", 1))
    line = dev.read_text().splitlines().index("  location: East_US") + 1
    result = runner.invoke(app, ["pr-report", "--base", "HEAD", "-C", str(repo)])
    assert result.exit_code == 2
    comment = result.stdout
    assert "| `dev` | ❌ invalid configuration (1 problem(s)): nothing was checked |" in comment
    assert f"- `environments/dev.yaml:{line}` `azure.location`: String should match pattern" in comment
    assert "| `prod` | ✅ passed" in comment  # the others are still checked
    assert "environments/dev.yaml" in result.stderr
    document = json.loads(runner.invoke(app, ["pr-report", "--base", "HEAD", "-C", str(repo), "-f", "json"]).stdout)
    assert document["schema_version"] == 1 and document["passed"] is False
    (invalid,) = [e for e in document["environments"] if e["environment"] == "dev"]
    assert invalid["verdict"]["config_errors"][0]["location"] == {
        "file": "environments/dev.yaml",
        "line": line,
        "key": "azure.location",
    }


def test_list_changes_are_shown_item_by_item(repo):
    base = repo / "environments" / "base.yaml"
    base.write_text(
        base.read_text().replace(
            "alert_emails: [llmops-oncall@contoso.com]", "alert_emails: [llmops-oncall@contoso.com, sre@contoso.com]"
        )
    )
    (dev,) = compare(["dev"], repo, "HEAD")
    changes = [c for e in dev.plan_diff().changed for c in e.changes]
    added = [c for c in changes if c.after is not MISSING and "sre@contoso.com" in str(c.after)]
    assert added and all(c.before is MISSING for c in added), changes
    assert all("llmops-oncall" not in str(c.after) for c in added)  # the unchanged item is not repeated


def test_pr_report_prices_with_prices(repo, tmp_path):
    from llmops_infra.policies import pricing

    data = json.loads((pricing.shipped_prices_dir() / "eastus.json").read_text())
    data["entries"] = {k: {**e, "price": e["price"] * 100, "spot": None} for k, e in data["entries"].items()}
    dear = tmp_path / "eastus.json"
    dear.write_text(json.dumps(data))
    plain = json.loads(runner.invoke(app, ["pr-report", "dev", "--base", "HEAD", "-C", str(repo), "-f", "json"]).stdout)
    result = runner.invoke(
        app, ["pr-report", "dev", "--base", "HEAD", "-C", str(repo), "-f", "json", "--prices", str(dear)]
    )
    (dev,) = json.loads(result.stdout)["environments"]
    (before,) = plain["environments"]
    assert dev["cost"]["after_usd"] > 50 * before["cost"]["after_usd"]
    assert dev["cost"]["before_usd"] > 50 * before["cost"]["before_usd"]  # both sides priced alike
    markdown = runner.invoke(app, ["pr-report", "dev", "--base", "HEAD", "-C", str(repo)]).stdout
    assert "cost lines use unverified prices" in markdown and "| unverified |" in markdown


def test_an_unchanged_environment_is_planned_once_and_its_verdict_comes_with_it(repo):
    shutil.copy(repo / "environments" / "dev.yaml", repo / "dev.changed")
    subprocess.run(["git", "checkout", "-q", "environments/dev.yaml"], cwd=repo, check=True)
    (dev,) = compare(["dev"], repo, "HEAD", verdicts=True)
    assert dev.before is dev.after  # the same config at HEAD and here: one plan, one price
    assert dev.plan_diff() is not None and not dev.plan_diff().changed
    assert dev.verdict is not None and policy_verdict(dev, repo) is dev.verdict
    assert dev.verdict == policy_verdict(compare(["dev"], repo, "HEAD")[0], repo)  # checked now, the same
    shutil.copy(repo / "dev.changed", repo / "environments" / "dev.yaml")
    (changed,) = compare(["dev"], repo, "HEAD")
    assert changed.before is not changed.after and changed.verdict is None


def test_identical_props_skip_the_diff_but_types_still_count():
    resource = {"urn": "urn:pulumi:dev::p::t::n", "custom": True, "type": "t", "name": "n"}
    plan = {"resources": [{**resource, "props": {"a": 1, "b": [True]}}]}
    same = json.loads(json.dumps(plan))
    assert diff_plans(plan, same).unchanged == 1
    changed = json.loads(json.dumps(plan).replace('"a": 1', '"a": 2'))
    assert [c.path for e in diff_plans(plan, changed).changed for c in e.changes] == ["a"]
    assert not _identical({"b": [True]}, {"b": [1]})  # 1 == True in Python, not in JSON: DeepDiff decides
