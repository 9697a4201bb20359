"""The pull-request report stays under GitHub's comment limit and says what it left out."""

from __future__ import annotations

from llmops_infra.delivery.pipelines import PR_MARKER
from llmops_infra.plan import Plan, PlannedResource
from llmops_infra.review.compare import PR_LIMIT, Comparison, Side, pr_report


def _plan(env: str, count: int, value: str) -> Plan:
    stack = f"urn:pulumi:{env}::llmops::"
    resources = [
        PlannedResource(
            type="azure-native:storage:StorageAccount",
            name=f"account-{i:05d}",
            urn=f"{stack}azure-native:storage:StorageAccount::account-{i:05d}",
            parent=None,
            custom=True,
            props={f"setting{k}": f"{value}-{k}-" + "x" * 70 for k in range(10)},
            dependencies=[f"{stack}azure-native:storage:StorageAccount::account-{i - 1:05d}"] if i else [],
        )
        for i in range(count)
    ]
    return Plan(environment=env, project="llmops", resources=resources)


def _comparison(env: str, count: int) -> Comparison:
    return Comparison(
        env,
        "origin/main",
        Side(_plan(env, count, "before"), 100.0, 50.0),
        Side(_plan(env, count, "after"), 200.0, 60.0),
    )


def test_small_report_keeps_everything():
    report = pr_report([_comparison("dev", 3)], {"dev": "✅ passed"})
    assert report.startswith(PR_MARKER)
    assert "```mermaid" in report and "account-00002" in report
    assert "left out" not in report


def test_huge_report_stays_under_the_limit_and_says_what_it_left_out():
    comparisons = [_comparison(env, 5_000) for env in ("dev", "staging", "prod")]
    report = pr_report(comparisons, {c.environment: "✅ passed" for c in comparisons})
    assert len(report) <= PR_LIMIT
    assert report.count("Diagram left out") == 3
    assert report.count("resource diff left out") == 3
    for env in ("dev", "staging", "prod"):
        assert f"`llmops-infra pr-report {env} --base origin/main`" in report
        assert f"### `{env}`" in report
    assert "| `prod` | ✅ passed |" in report and "$200" in report  # verdicts and cost always kept


def test_diagrams_go_before_the_diff_is_cut():
    comparisons = [_comparison(env, 10) for env in ("dev", "staging", "prod")]
    full = pr_report(comparisons)
    assert "left out" not in full
    limit = len(full) - 100
    report = pr_report(comparisons, limit=limit)
    assert len(report) <= limit
    assert "Diagram left out" in report and "resource diff left out" not in report
