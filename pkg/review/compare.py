"""Compare the working tree with a git ref: cost change, resource diff, policy verdicts.

The environment files at REF are read with `git show REF:./environments/<file>` into a
temporary project directory and planned with the current code, so the comparison shows
what the change to the environment files does (code changes are reviewed as code).
The pull-request report that shows all this is drawn by `llmops_infra.render.pr_report`.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmops_infra.errors import ConfigError
from llmops_infra.offline.parallel import run_all
from llmops_infra.plan import Plan

if TYPE_CHECKING:
    from llmops_infra.config.loader import Located
    from llmops_infra.policies.pricing import PriceCatalog
    from llmops_infra.policies.runner import ConfigFinding, Violation
    from llmops_infra.review.diff import PlanDiff
    from llmops_infra.review.graph import EstateGraph

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


def _git_ok(project_dir: Path, *args: str) -> bool:
    """Does the git command succeed (an existence test)?"""
    try:
        return (
            subprocess.run(
                ["git", *args], cwd=project_dir, capture_output=True, timeout=GIT_TIMEOUT_S, check=False
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def environments_at(ref: str, project_dir: Path, dest: Path, *, option: str = "--compare") -> Path:
    """Write environments/* as they are at `ref` into `dest`; return `dest`.

    A `ref` without an environments/ directory (the change adds the first environments) leaves
    `dest/environments` empty: every environment is new. `option` is the command-line option
    that named `ref`, for the error message.
    """
    if not ref or ref.startswith("-"):
        raise ConfigError(f"{ref!r} is not a git ref: give a branch, tag or commit such as origin/main", key=option)
    _git(project_dir, "rev-parse", "--verify", f"{ref}^{{commit}}", option=option)
    (dest / "environments").mkdir(parents=True, exist_ok=True)
    if not _git_ok(project_dir, "cat-file", "-e", f"{ref}:./environments"):
        return dest
    listing = _git(project_dir, "ls-tree", "--name-only", f"{ref}:./environments", option=option)
    for name in listing.splitlines():
        if name.endswith((".yaml", ".json")):
            text = _git(project_dir, "show", f"{ref}:./environments/{name}", option=option)
            (dest / "environments" / name).write_text(text, encoding="utf-8")
    return dest


@dataclass(frozen=True)
class Side:
    """One environment at one point: its plan and monthly cost, or absent; or its config errors."""

    plan: Plan | None
    monthly_usd: float | None
    monthly_usd_min: float | None
    costs: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Resource -> (SKU, monthly USD at maximum scale), from the cost model's lines."""
    errors: list[ConfigFinding] = field(default_factory=list)
    """The environment's files do not load here: nothing was planned."""
    prices: dict[str, str] = field(default_factory=dict)
    """Resource -> how trustworthy its price is (its date, or "unverified" and why)."""
    unverified: int = 0
    """Cost lines priced with unverified prices."""
    lines: int = 0
    catalog: str = ""
    """Which price catalog priced this side."""


@dataclass(frozen=True)
class CostChange:
    """One resource whose monthly cost differs (None: absent on that side)."""

    resource: str
    sku_before: str
    sku_after: str
    before_usd: float | None
    after_usd: float | None
    price: str = ""
    """The price's date, or "unverified" and why (`CostLine.price_label`)."""

    @property
    def delta_usd(self) -> float:
        return round((self.after_usd or 0) - (self.before_usd or 0), 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "sku_before": self.sku_before,
            "sku_after": self.sku_after,
            "before_usd": self.before_usd,
            "after_usd": self.after_usd,
            "delta_usd": self.delta_usd,
            "price": self.price,
        }


@dataclass(frozen=True)
class Comparison:
    environment: str
    ref: str
    before: Side
    after: Side
    verdict: Verdict | None = None
    """The policy verdict after the change, when `compare` was asked for it."""

    @property
    def delta_usd(self) -> float:
        return round((self.after.monthly_usd or 0) - (self.before.monthly_usd or 0), 2)

    def to_dict(self) -> dict[str, Any]:
        """The cost change, per resource too (the plans are compared by `plan_diff`)."""
        return {
            "environment": self.environment,
            "ref": self.ref,
            "before_usd": self.before.monthly_usd,
            "after_usd": self.after.monthly_usd,
            "delta_usd": self.delta_usd,
            "before_min_usd": self.before.monthly_usd_min,
            "after_min_usd": self.after.monthly_usd_min,
            "resources": [c.to_dict() for c in self.cost_changes()],
            "unverified_lines": self.after.unverified,
            "catalog": self.after.catalog,
        }

    def cost_changes(self) -> list[CostChange]:
        """Resources whose monthly cost (at maximum scale) changes, the largest change first."""
        before, after = self.before.costs, self.after.costs
        changes = []
        for resource in sorted(set(before) | set(after)):
            old, new = before.get(resource), after.get(resource)
            if old is not None and new is not None and abs(old[1] - new[1]) < 0.005:
                continue
            changes.append(
                CostChange(
                    resource,
                    old[0] if old else "",
                    new[0] if new else "",
                    old[1] if old else None,
                    new[1] if new else None,
                    self.after.prices.get(resource) or self.before.prices.get(resource, ""),
                )
            )
        return sorted(changes, key=lambda c: (-abs(c.delta_usd), c.resource))

    def plan_diff(self) -> PlanDiff | None:
        """The resources added, removed and changed since `ref`; None when the environment was removed."""
        from llmops_infra.review.diff import diff_plans

        if self.after.plan is None:
            return None
        return diff_plans(self.before.plan.to_dict() if self.before.plan else None, self.after.plan.to_dict())

    def changed_graph(self) -> EstateGraph:
        """The estate graph of the changed resources (with their components), for the diagram."""
        from llmops_infra.review.graph import changed_graph

        if self.after.plan is None:
            raise ValueError(f"{self.environment} was removed: nothing to draw")
        return changed_graph(self.before.plan.to_dict() if self.before.plan else None, self.after.plan.to_dict())


def _side(
    env: str,
    project_dir: Path,
    catalog: PriceCatalog | None = None,
    loaded: Located | None = None,
) -> Side:
    """ENV planned and priced from the files in `project_dir` (with `catalog`, else the catalog its
    config names; `loaded`: its `load_located`, when the caller has it); its config errors when they
    do not load."""
    from llmops_infra.config.loader import list_environments
    from llmops_infra.offline.costing import price_catalog
    from llmops_infra.offline.locations import config_findings
    from llmops_infra.offline.planning import plan_environment_config, plan_loaded
    from llmops_infra.policies.cost_model import estimate_plan

    if loaded is None and env not in list_environments(project_dir):
        return Side(None, None, None)
    try:
        if loaded is None:
            config, plan = plan_environment_config(env, project_dir)
        else:
            config = loaded[0]
            plan = plan_loaded(config, env, project_dir)
        estimate = estimate_plan(plan, catalog or price_catalog(config))
    except ConfigError as exc:
        return Side(None, None, None, errors=config_findings(exc, env, project_dir))
    costs: dict[str, tuple[str, float]] = {}
    prices: dict[str, str] = {}
    for line in estimate.lines:
        sku, usd = costs.get(line.resource, ("", 0.0))
        skus = sku if line.sku in sku.split(", ") else ", ".join(filter(None, [sku, line.sku]))
        costs[line.resource] = (skus, round(usd + line.monthly_usd, 2))
        prices.setdefault(line.resource, line.price_label(estimate.region))
    return Side(
        plan,
        estimate.total_monthly_usd,
        estimate.total_monthly_usd_min,
        costs,
        prices=prices,
        unverified=len(estimate.unverified),
        lines=len(estimate.lines),
        catalog=estimate.catalog,
    )


def compare(
    envs: list[str],
    project_dir: Path,
    ref: str,
    *,
    option: str = "--compare",
    waiting: Callable[[], AbstractContextManager[Any]] = nullcontext,
    verdicts: bool = False,
) -> list[Comparison]:
    """Plan and price each environment at `ref` and in the working tree (`option` named `ref`). Both
    sides are priced with the working tree's catalog, so that the change shown is the change of the files.
    With `verdicts`, each comparison carries the policy verdict of the working tree's side, checked in
    the same process as its plan."""
    with tempfile.TemporaryDirectory(prefix="llmops-ref-") as tmp:
        old_dir = environments_at(ref, Path(project_dir), Path(tmp), option=option)
        tasks = [(env, Path(project_dir), old_dir, verdicts) for env in envs]
        pairs = run_all(_pair, tasks, waiting=waiting, cheap=_planned)  # parallel processes where there are cores
        return [
            Comparison(env, ref, before, after, verdict)
            for env, (after, before, verdict) in zip(envs, pairs, strict=True)
        ]


def _pair(task: tuple[str, Path, Path, bool]) -> tuple[Side, Side, Verdict | None]:
    """ENV here and at the ref (in `there`), and with the last item the policy verdict of here: a task of
    `offline.parallel.run_all`. Files that load to the same config on both sides (an environment the
    change leaves alone) are planned and priced once: the plan is a function of the config."""
    from llmops_infra.offline.costing import price_catalog

    env, here, there, with_verdict = task
    loaded_here, loaded_there = _loaded(env, here), _loaded(env, there)
    catalog = price_catalog(loaded_here[0]) if loaded_here else None
    after = _side(env, here, catalog, loaded_here)
    same = loaded_here is not None and loaded_there is not None and loaded_here[0] == loaded_there[0]
    before = after if same else _side(env, there, catalog, loaded_there)
    return after, before, verdict_of(env, after, here, loaded_here) if with_verdict else None


def _planned(task: tuple[str, Path, Path, bool]) -> bool:
    """Whether `_pair` of the task is cheap: each side that loads has its plan in the plan cache."""
    from llmops_infra.offline import plan_cache

    env, here, there, _ = task
    sides = (_loaded(env, here), _loaded(env, there))
    return all(side is None or plan_cache.has(side[0]) for side in sides)


def _loaded(env: str, project_dir: Path) -> Located | None:
    """ENV's `load_located` in `project_dir`; None when it is not there or does not load (`_side` then
    reports why)."""
    from llmops_infra.config.loader import list_environments, load_located

    if env not in list_environments(project_dir):
        return None
    try:
        return load_located(env, project_dir)
    except ConfigError:
        return None


@dataclass(frozen=True)
class Verdict:
    """The offline policy check of one environment as the change leaves it."""

    environment: str
    removed: bool = False
    """The change removes the environment: nothing was checked."""
    passed: bool = True
    mandatory: int = 0
    advisory: int = 0
    failed_rules: list[str] = field(default_factory=list)
    """Catalog ids of the mandatory violations, sorted, each once."""
    violations: list[Violation] = field(default_factory=list)
    """Every finding (mandatory first), each with its message, fix and location."""
    config_errors: list[ConfigFinding] = field(default_factory=list)
    """The environment's files do not load: nothing was checked (the report exits 2)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "removed": self.removed,
            "passed": self.passed,
            "mandatory": self.mandatory,
            "advisory": self.advisory,
            "failed_rules": list(self.failed_rules),
            "violations": [v.to_dict() for v in self.violations],
            "config_errors": [f.to_dict() for f in self.config_errors],
        }


def policy_verdict(comparison: Comparison, project_dir: Path) -> Verdict:
    """The policy verdict of the environment after the change: the one `compare(verdicts=True)` made,
    else checked now on the plan `compare` made."""
    if comparison.verdict is not None:
        return comparison.verdict
    return verdict_of(comparison.environment, comparison.after, Path(project_dir))


def verdict_of(env: str, after: Side, project_dir: Path, loaded: Located | None = None) -> Verdict:
    """Run every rule over ENV's plan after the change, each finding located at its setting."""
    from llmops_infra.offline.policy_check import check_loaded

    if after.errors:
        return Verdict(env, passed=False, config_errors=list(after.errors))
    if after.plan is None:
        return Verdict(env, removed=True)
    result = check_loaded(env, Path(project_dir), after.plan, loaded=loaded)
    return Verdict(
        env,
        passed=result.passed,
        mandatory=len(result.mandatory),
        advisory=len(result.advisory),
        failed_rules=sorted({v.rule_id for v in result.mandatory}),
        violations=list(result.violations),
    )
