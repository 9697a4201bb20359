"""The pull-request comment: policy verdicts, every finding with its fix, the cost change per
environment and per resource, the resource diff and a diagram of the changes.

An environment whose files do not load is reported as such, problem by problem (file, line, key,
message): the comment always says what is wrong. GitHub caps a comment at 65,536 characters; the
report stays under `PR_LIMIT` and every cut says what it left out and which command shows it all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmops_infra.render import to_json
from llmops_infra.render.cost import change_markdown, resource_changes_markdown
from llmops_infra.render.diff import plan_diff_markdown, plan_summary_markdown
from llmops_infra.render.graph import mermaid

if TYPE_CHECKING:
    from llmops_infra.policies.runner import ConfigFinding, Location, Violation
    from llmops_infra.review.compare import Comparison, Verdict

PR_LIMIT = 65_000
"""GitHub caps a comment at 65,536 characters; the report stays under this and says what it left out."""
MAX_RULES = 6
FINDINGS_SHARE = 0.4
"""At most this share of the comment lists findings; the rest goes to costs and diffs."""


def verdict_text(verdict: Verdict) -> str:
    if verdict.config_errors:
        return f"❌ invalid configuration ({len(verdict.config_errors)} problem(s)): nothing was checked"
    if verdict.removed:
        return "removed"
    if verdict.passed:
        return f"✅ passed ({verdict.advisory} advisory)"
    return f"❌ {verdict.mandatory} mandatory violation(s): {', '.join(verdict.failed_rules[:MAX_RULES])}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _where(location: Location | None) -> str:
    if location is None:
        return ""
    return f"`{location.file}{f':{location.line}' if location.line else ''}`"


def config_item(finding: ConfigFinding) -> str:
    """One problem of an environment file: where, which key, what is wrong and how to fix it."""
    key = f" `{finding.location.key}`" if finding.location and finding.location.key else ""
    return f"- {_where(finding.location)}{key}: {_cell(finding.message)}"


def finding_row(v: Violation) -> str:
    icon = "❌ mandatory" if v.enforcement == "mandatory" else "⚠️ advisory"
    note = f" _({_cell(v.note)})_" if v.note else ""
    setting = f"<br>{_where(v.location)}" + (f" `{v.location.key}`" if v.location and v.location.key else "")
    return (
        f"| {icon} | `{v.rule_id}` | `{_cell(v.resource_name or '(stack)')}` "
        f"| {_cell(v.message)}{note}<br>**Fix:** {_cell(v.remediation)} | {setting.removeprefix('<br>')} |"
    )


def findings_markdown(verdicts: list[Verdict], ref: str, budget: int) -> str:
    """Every finding under `budget` characters (configuration problems first), then what was left out."""
    lines: list[str] = []
    left: dict[str, int] = {}
    size = 0

    def add(line: str, env: str) -> bool:
        nonlocal size
        if size + len(line) + 1 > budget:
            left[env] = left.get(env, 0) + 1
            return False
        lines.append(line)
        size += len(line) + 1
        return True

    for v in verdicts:
        if v.config_errors:
            add(f"#### `{v.environment}`: the configuration does not load", v.environment)
            add("", v.environment)
            for finding in v.config_errors:
                add(config_item(finding), v.environment)
            add("", v.environment)
    for v in verdicts:
        if not v.violations:
            continue
        add(f"#### `{v.environment}`", v.environment)
        add("", v.environment)
        add("| Level | Rule | Resource | Finding | Setting |", v.environment)
        add("|---|---|---|---|---|", v.environment)
        for violation in v.violations:
            add(finding_row(violation), v.environment)
        add("", v.environment)
    if not lines:
        return ""
    for env, count in left.items():
        lines.append(
            f"_{count} more line(s) of `{env}`'s findings left out to keep this comment short: "
            f"`llmops-infra policy check {env}` lists them all (`--format sarif` for code scanning)._"
        )
    return "\n".join(["### Findings", "", *lines]) + "\n"


def pr_report(comparisons: list[Comparison], verdicts: list[Verdict] | None = None, *, limit: int = PR_LIMIT) -> str:
    """The comment, under `limit` characters: findings take at most `FINDINGS_SHARE` of it;
    diagrams go first, then each environment's diff is cut to an equal share."""
    from llmops_infra.delivery.pipelines import PR_MARKER

    ref = comparisons[0].ref if comparisons else "REF"
    head = [PR_MARKER, "## llmops-infra: what this pull request changes", ""]
    if verdicts:
        head += ["| environment | policy |", "|---|---|"]
        head += [f"| `{v.environment}` | {verdict_text(v)} |" for v in verdicts]
        head.append("")
        findings = findings_markdown(verdicts, ref, int(limit * FINDINGS_SHARE))
        if findings:
            head += [findings]
    head += ["### Cost", "", change_markdown(comparisons), resource_changes_markdown(comparisons)]
    sections: list[_Section] = []
    for c in comparisons:
        title = f"### `{c.environment}`\n"
        note = ""
        if c.before.errors:
            note = (
                f"_`{c.environment}` does not load at `{ref}` ({c.before.errors[0].message.splitlines()[0]}): "
                "every resource is shown as added._\n\n"
            )
        if c.after.errors:
            sections.append(_Section(c.environment, title, "Not planned: the configuration does not load (above).\n"))
            continue
        diff = c.plan_diff()
        if diff is None:
            sections.append(_Section(c.environment, title, "Removed in this change.\n"))
            continue
        if diff.empty:
            sections.append(_Section(c.environment, title, note + "No resource changes.\n"))
            continue
        diagram = "\n".join(
            [
                "<details><summary>Diagram of the changes</summary>",
                "",
                "```mermaid",
                mermaid(c.changed_graph()).rstrip(),
                "```",
                "",
                "</details>",
                "",
            ]
        )
        detail = note + plan_summary_markdown(diff) + "\n" + plan_diff_markdown(diff)
        sections.append(_Section(c.environment, title, detail, diagram))
    return _fit("\n".join(head) + "\n", sections, ref, limit)


def pr_report_json(comparisons: list[Comparison], verdicts: list[Verdict]) -> str:
    """The same content as data: per environment its verdict, findings, cost change and resource diff."""
    environments: list[dict[str, Any]] = []
    for c, v in zip(comparisons, verdicts, strict=True):
        diff = c.plan_diff() if not c.after.errors else None
        environments.append(
            {
                "environment": c.environment,
                "verdict": v.to_dict(),
                "cost": c.to_dict(),
                "plan": diff.to_dict() if diff is not None else None,
                "base_errors": [f.to_dict() for f in c.before.errors],
            }
        )
    return to_json(
        {
            "ref": comparisons[0].ref if comparisons else None,
            "passed": all(v.passed for v in verdicts),
            "environments": environments,
        }
    )


@dataclass
class _Section:
    environment: str
    title: str
    detail: str
    diagram: str = ""

    def text(self) -> str:
        return "\n".join(filter(None, [self.title, self.detail, self.diagram]))


def _fit(head: str, sections: list[_Section], ref: str, limit: int) -> str:
    def whole() -> str:
        return head + "\n".join(s.text() for s in sections)

    if len(whole()) <= limit:
        return whole()
    for s in sections:
        if s.diagram:
            s.diagram = (
                f"_Diagram left out to keep this comment under {limit:,} characters: "
                f"`llmops-infra graph {s.environment} --format mermaid` draws the environment._\n"
            )
    if len(whole()) <= limit:
        return whole()
    fixed = len(head) + sum(len(s.title) + len(s.diagram) + 2 for s in sections)
    share = max(0, (limit - fixed) // max(1, len(sections)) - 300)  # 300: room for the note
    for s in sections:
        if len(s.detail) <= share:
            continue
        lines = s.detail.splitlines()
        kept, size = [], 0
        for line in lines:
            if size + len(line) + 1 > share:
                break
            kept.append(line)
            size += len(line) + 1
        left = len(lines) - len(kept)
        s.detail = "\n".join(kept) + (
            f"\n\n_{left} more line(s) of the `{s.environment}` resource diff left out to keep this comment "
            f"under {limit:,} characters: `llmops-infra pr-report {s.environment} --base {ref}` shows this "
            f"environment alone, `llmops-infra plan {s.environment} --format json` every resource._\n"
        )
    return whole()
