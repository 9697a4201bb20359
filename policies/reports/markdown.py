"""Markdown for a pull-request comment: the summary first, then violations until the size budget.

GitHub limits a comment to 65,536 characters; the report stays under `LIMIT` and says how many
violations it left out and where to find them, never truncating silently.
"""

from __future__ import annotations

from llmops_infra.policies.runner import CheckResult, ConfigFinding, Violation

LIMIT = 65_000
MAX_NOTES = 20
"""Expired exemptions and ignored overrides listed before the rest are only counted."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(v: Violation) -> str:
    icon = "❌" if v.enforcement == "mandatory" else "⚠️"
    note = f" _({_cell(v.note)})_" if v.note else ""
    return (
        f"| {icon} {v.enforcement} | `{v.rule_id}` | {v.environment} | `{_cell(v.resource_name or '(stack)')}` "
        f"| {_cell(v.message)}{note}<br>**Fix:** {_cell(v.remediation)} |"
    )


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def config_line(finding: ConfigFinding) -> str:
    """`env`: `file:line` `key`: message (Markdown)."""
    where = ""
    if finding.location is not None:
        loc = finding.location
        where = f" `{loc.file}{f':{loc.line}' if loc.line else ''}`" + (f" `{loc.key}`" if loc.key else "")
    return f"`{finding.environment}`{where}: {finding.message}"


def _listed(notes: list[str], what: str, width: int = 300) -> list[str]:
    lines = [f"- {_clip(_cell(note), width)}" for note in notes[:MAX_NOTES]]
    if len(notes) > MAX_NOTES:
        lines.append(
            f"- _{len(notes) - MAX_NOTES} more {what} not shown: `llmops-infra policy check "
            "--format json` lists them all._"
        )
    return lines


def render(results: list[CheckResult], limit: int = LIMIT) -> str:
    passed = all(r.passed for r in results)
    head = [
        f"### Policy check: {'✅ passed' if passed else '❌ failed'}",
        "",
        "| Environment | Verdict | Mandatory | Advisory | Exempted | Resources |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        verdict = "INVALID" if r.config_errors else ("pass" if r.passed else "FAIL")
        head.append(
            f"| {r.environment} | {verdict} | {len(r.mandatory)} | {len(r.advisory)} | {len(r.exempted)} | {r.resources} |"
        )
    invalid = [f for r in results for f in r.config_errors]
    if invalid:
        head += ["", "**Invalid configuration** (nothing was planned or checked):"]
        head += _listed([config_line(f) for f in invalid], "configuration error(s)", width=1500)
    expired = [(r.environment, e) for r in results for e in r.expired_exemptions]
    if expired:
        head += ["", "**Expired exemptions** (no longer applied):"]
        head += _listed(
            [
                f"{env}: `{e.policy}` {', '.join(e.resources)} (owner {e.owner}, expired {e.expires})"
                for env, e in expired
            ],
            "expired exemption(s)",
        )
    ignored = [f"{r.environment}: {note}" for r in results for note in r.ignored_overrides]
    if ignored:
        head += ["", "**Level overrides not applied:**", *_listed(ignored, "ignored override(s)")]
    unknown = sum(len(r.not_evaluated) for r in results)
    if unknown:
        head += ["", f"{unknown} rule evaluation(s) skipped: values unknown until the deployment runs."]
    violations = [v for r in results for v in r.violations]
    if not violations:
        return "\n".join(head) + "\n"
    body = ["", "| Level | Rule | Env | Resource | Finding |", "|---|---|---|---|---|"]
    text = "\n".join(head + body)
    shown = 0
    reserve = 300  # room for the closing note
    for v in violations:
        row = _row(v)
        if len(text) + len(row) + 1 + reserve > limit:
            break
        text += "\n" + row
        shown += 1
    left = len(violations) - shown
    if left:
        text += (
            f"\n\n_{left} more violation(s) not shown to keep this comment under {limit:,} characters: "
            "run `llmops-infra policy check --format json` or see the SARIF report for all of them._"
        )
    return text + "\n"
