"""The pull-request report (`render.pr_report`): verdicts, and it stays under GitHub's comment limit saying what it left out."""

from __future__ import annotations

from llmops_infra.delivery.pipelines import PR_MARKER
from llmops_infra.plan import Plan, PlannedResource
from llmops_infra.render.pr_report import PR_LIMIT, pr_report, verdict_text
from llmops_infra.review.compare import Comparison, Side, Verdict


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
    report = pr_report([_comparison("dev", 3)], [Verdict("dev", advisory=1)])
    assert report.startswith(PR_MARKER)
    assert "```mermaid" in report and "account-00002" in report
    assert "left out" not in report
    assert "| `dev` | ✅ passed (1 advisory) |" in report


def test_verdicts_say_what_failed():
    failed = Verdict("prod", passed=False, mandatory=9, failed_rules=[f"KV-0{i}" for i in range(1, 9)])
    assert verdict_text(failed) == "❌ 9 mandatory violation(s): KV-01, KV-02, KV-03, KV-04, KV-05, KV-06"
    assert verdict_text(Verdict("qa", removed=True)) == "removed"
    report = pr_report([_comparison("prod", 2)], [failed])
    assert "| `prod` | ❌ 9 mandatory violation(s): KV-01" in report


def test_a_removed_environment_is_said_so():
    gone = Comparison("qa", "origin/main", Side(_plan("qa", 2, "before"), 100.0, 50.0), Side(None, None, None))
    assert gone.plan_diff() is None
    report = pr_report([gone], [Verdict("qa", removed=True)])
    assert "### `qa`\n\nRemoved in this change." in report and "| `qa` | removed |" in report
    assert "| `qa` | $100 | — | −$100 (-100%) |" in report


def test_huge_report_stays_under_the_limit_and_says_what_it_left_out():
    comparisons = [_comparison(env, 5_000) for env in ("dev", "staging", "prod")]
    report = pr_report(comparisons, [Verdict(c.environment) for c in comparisons])
    assert len(report) <= PR_LIMIT
    assert report.count("Diagram left out") == 3
    assert report.count("resource diff left out") == 3
    for env in ("dev", "staging", "prod"):
        assert f"`llmops-infra pr-report {env} --base origin/main`" in report
        assert f"### `{env}`" in report
    assert "| `prod` | ✅ passed (0 advisory) |" in report and "$200" in report  # verdicts and cost always kept


def test_diagrams_go_before_the_diff_is_cut():
    comparisons = [_comparison(env, 10) for env in ("dev", "staging", "prod")]
    full = pr_report(comparisons)
    assert "left out" not in full
    limit = len(full) - 100
    report = pr_report(comparisons, limit=limit)
    assert len(report) <= limit
    assert "Diagram left out" in report and "resource diff left out" not in report
