"""Compare the working tree with a git ref: cost change, resource diff, the PR report.

The environment files at REF are read with `git show REF:./environments/<file>` into a
temporary project directory and planned with the current code, so the comparison shows
what the change to the environment files does (code changes are reviewed as code).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from llmops_infra.errors import ConfigError
from llmops_infra.plan import Plan

GIT_TIMEOUT_S = 60


def _git(project_dir: Path, *args: str, option: str = "--compare") -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=project_dir, capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"git {' '.join(args)} failed: {exc}") from None
    if result.returncode != 0:
        message = (result.stderr.strip().splitlines() or ["unknown error"])[0]
        raise ConfigError(
            f"git {' '.join(args[:2])}: {message} (is {project_dir} a git checkout with that ref? "
            "In CI, fetch the base branch: fetch-depth 0)",
            key=option,
        )
    return result.stdout


def environments_at(ref: str, project_dir: Path, dest: Path, *, option: str = "--compare") -> Path:
    """Write environments/* as they are at `ref` into `dest`; return `dest`.

    `option` is the command-line option that named `ref`, for the error message.
    """
    if not ref or ref.startswith("-"):
        raise ConfigError(f"{ref!r} is not a git ref: give a branch, tag or commit such as origin/main", key=option)
    listing = _git(project_dir, "ls-tree", "--name-only", f"{ref}:./environments", option=option)
    (dest / "environments").mkdir(parents=True, exist_ok=True)
    for name in listing.splitlines():
        if name.endswith((".yaml", ".json")):
            text = _git(project_dir, "show", f"{ref}:./environments/{name}", option=option)
            (dest / "environments" / name).write_text(text, encoding="utf-8")
    return dest


@dataclass(frozen=True)
class Side:
    """One environment at one point: its plan (as a dict) and monthly cost, or absent."""

    plan: Plan | None
    monthly_usd: float | None
    monthly_usd_min: float | None


@dataclass(frozen=True)
class Comparison:
    environment: str
    ref: str
    before: Side
    after: Side

    @property
    def delta_usd(self) -> float:
        return round((self.after.monthly_usd or 0) - (self.before.monthly_usd or 0), 2)


def _side(env: str, project_dir: Path) -> Side:
    from llmops_infra.config.loader import list_environments
    from llmops_infra.offline.planning import plan_environment
    from llmops_infra.policies.cost_model import estimate_plan

    if env not in list_environments(project_dir):
        return Side(None, None, None)
    plan = plan_environment(env, project_dir)
    estimate = estimate_plan(plan)
    return Side(plan, estimate.total_monthly_usd, estimate.total_monthly_usd_min)


def compare(envs: list[str], project_dir: Path, ref: str, *, option: str = "--compare") -> list[Comparison]:
    """Plan and price each environment at `ref` and in the working tree (`option` named `ref`)."""
    with tempfile.TemporaryDirectory(prefix="llmops-ref-") as tmp:
        old_dir = environments_at(ref, Path(project_dir), Path(tmp), option=option)
        return [Comparison(env, ref, _side(env, old_dir), _side(env, Path(project_dir))) for env in envs]


# --------------------------------------------------------------------------- rendering


def money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"


def cost_markdown(comparisons: list[Comparison]) -> str:
    lines = ["| environment | before | after | change |", "|---|---:|---:|---:|"]
    for c in comparisons:
        before, after = c.before.monthly_usd, c.after.monthly_usd
        pct = f" ({c.delta_usd / before:+.0%})" if before else ""
        sign = "+" if c.delta_usd > 0 else ("−" if c.delta_usd < 0 else "±")
        lines.append(f"| `{c.environment}` | {money(before)} | {money(after)} | {sign}${abs(c.delta_usd):,.0f}{pct} |")
    ref = comparisons[0].ref if comparisons else "?"
    lines.append(f"\nMonthly estimates at maximum scale; before = `{ref}`.")
    return "\n".join(lines) + "\n"


PR_LIMIT = 65_000
"""GitHub caps a comment at 65,536 characters; the report stays under this and says what it left out."""


def pr_report(comparisons: list[Comparison], verdicts: dict[str, str] | None = None, *, limit: int = PR_LIMIT) -> str:
    """The pull-request comment: verdict, cost change, resource diff and the diagram of changes.

    Under `limit` characters: diagrams go first, then each environment's diff is cut to an
    equal share, and every cut says what it left out and which command shows it all.
    """
    from llmops_infra.delivery.pipelines import PR_MARKER
    from llmops_infra.review.diff import diff_plans, render_markdown
    from llmops_infra.review.graph import changed_graph

    head = [PR_MARKER, "## llmops-infra: what this pull request changes", ""]
    if verdicts:
        head += ["| environment | policy |", "|---|---|"]
        head += [f"| `{env}` | {verdict} |" for env, verdict in verdicts.items()]
        head.append("")
    head += ["### Cost", "", cost_markdown(comparisons)]
    sections: list[_Section] = []
    for c in comparisons:
        title = f"### `{c.environment}`\n"
        if c.after.plan is None:
            sections.append(_Section(c.environment, title, "Removed in this change.\n"))
            continue
        before, after = (c.before.plan.to_dict() if c.before.plan else None), c.after.plan.to_dict()
        diff = diff_plans(before, after)
        if diff.empty:
            sections.append(_Section(c.environment, title, "No resource changes.\n"))
            continue
        diagram = "\n".join(
            [
                "<details><summary>Diagram of the changes</summary>",
                "",
                "```mermaid",
                changed_graph(before, after).mermaid().rstrip(),
                "```",
                "",
                "</details>",
                "",
            ]
        )
        sections.append(_Section(c.environment, title, render_markdown([], diff).split("\n", 2)[2], diagram))
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
