"""The pull-request comment: policy verdicts, cost change, resource diff and a diagram of the changes.

GitHub caps a comment at 65,536 characters; the report stays under `PR_LIMIT` and every cut says
what it left out and which command shows it all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmops_infra.render.cost import change_markdown
from llmops_infra.render.diff import plan_diff_markdown, plan_summary_markdown
from llmops_infra.render.graph import mermaid

if TYPE_CHECKING:
    from llmops_infra.review.compare import Comparison, Verdict

PR_LIMIT = 65_000
"""GitHub caps a comment at 65,536 characters; the report stays under this and says what it left out."""
MAX_RULES = 6


def verdict_text(verdict: Verdict) -> str:
    if verdict.removed:
        return "removed"
    if verdict.passed:
        return f"✅ passed ({verdict.advisory} advisory)"
    return f"❌ {verdict.mandatory} mandatory violation(s): {', '.join(verdict.failed_rules[:MAX_RULES])}"


def pr_report(comparisons: list[Comparison], verdicts: list[Verdict] | None = None, *, limit: int = PR_LIMIT) -> str:
    """The comment, under `limit` characters: diagrams go first, then each environment's diff
    is cut to an equal share."""
    from llmops_infra.delivery.pipelines import PR_MARKER

    head = [PR_MARKER, "## llmops-infra: what this pull request changes", ""]
    if verdicts:
        head += ["| environment | policy |", "|---|---|"]
        head += [f"| `{v.environment}` | {verdict_text(v)} |" for v in verdicts]
        head.append("")
    head += ["### Cost", "", change_markdown(comparisons)]
    sections: list[_Section] = []
    for c in comparisons:
        title = f"### `{c.environment}`\n"
        diff = c.plan_diff()
        if diff is None:
            sections.append(_Section(c.environment, title, "Removed in this change.\n"))
            continue
        if diff.empty:
            sections.append(_Section(c.environment, title, "No resource changes.\n"))
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
        detail = plan_summary_markdown(diff) + "\n" + plan_diff_markdown(diff)
        sections.append(_Section(c.environment, title, detail, diagram))
    return _fit("\n".join(head) + "\n", sections, comparisons[0].ref if comparisons else "REF", limit)


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
