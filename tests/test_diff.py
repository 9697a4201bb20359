"""Diffs for reviewers: values, plans across environments and commits, the PR report, `cost --compare`."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.delivery.pipelines import PR_MARKER
from llmops_infra.render.cost import change_markdown
from llmops_infra.render.diff import diff_markdown, diff_text
from llmops_infra.render.pr_report import pr_report
from llmops_infra.review.compare import Verdict, compare, policy_verdict
from llmops_infra.review.diff import MISSING, diff_plans, diff_values, stackless

runner = CliRunner()


def test_diff_values_reports_leaves_by_path():
    before = {"a": 1, "b": {"c": [1, 2], "d": "x"}, "gone": {"k": 1}}
    after = {"a": 1, "b": {"c": [1, 3], "d": "y"}, "new": True}
    changes = {c.path: (c.before, c.after) for c in diff_values(before, after)}
    assert changes == {"b.c[1]": (2, 3), "b.d": ("x", "y"), "gone.k": (1, MISSING), "new": (MISSING, True)}
    assert diff_values({"l": [1]}, {"l": [1, 2]})[0].path == "l"  # lists of another length: whole value
    assert diff_values({"x": 1}, {"x": 1}) == []


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
    assert verdict.to_dict() == {
        "environment": "dev",
        "removed": False,
        "passed": False,
        "mandatory": 1,
        "advisory": verdict.advisory,
        "failed_rules": ["GPU-05"],
    }
    report = pr_report([dev], [verdict])
    assert report.startswith(PR_MARKER)
    assert "| `dev` | ❌ 1 mandatory violation(s): GPU-05 |" in report
    assert "```mermaid" in report and "cluster-pool-gput4" in report.split("```mermaid")[1]
    assert f"${dev.before.monthly_usd:,.0f}" in change_markdown([dev])
    assert pr_report([dev], [Verdict("dev")]).count("✅ passed (0 advisory)") == 1


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
    assert "#### `dev` → `prod`" in result.output and "`policy.scope`" in result.output
    result = runner.invoke(app, ["diff", "dev", "nope", "-C", str(project_dir)])
    assert result.exit_code == 2 and "unknown environment" in result.output
