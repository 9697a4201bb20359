"""Promotion: move a tested release from one environment to the next, with evidence.

`release(env)` records what ENV runs as a manifest after its checks (policy, cost) pass.
`promote(src, dst)` takes SRC's latest manifest, refuses it when it is missing, failed or
does not match its id, renders DST with the manifest's pinned versions over DST's own
overlay, shows the difference, runs the gates, waits for approval where DST requires it,
deploys, and records DST's new manifest. `rollback(env, ref)` re-applies an earlier
manifest of ENV from the configuration document stored with it. Each action, refused or
not, appends an audit record to `.llmops/audit.jsonl` and to the artifact store.

Everything that touches the world comes in through `Hooks`, so that tests run the whole
flow with a fake deployer and the CLI runs it with the real engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.errors import ConfigError, LlmopsError
from llmops_infra.plan import Plan
from llmops_infra.release.artifacts import Releases
from llmops_infra.release.audit import audited
from llmops_infra.release.manifest import FAILED, PASSED, Evidence, Manifest, build_manifest
from llmops_infra.release.pins import apply_pins, validate_pinned
from llmops_infra.review.diff import Change, PlanDiff, diff_documents, diff_plans


class PromotionRefused(LlmopsError):
    """The promotion was stopped before anything was deployed (exit code 1)."""

    exit_code = 1


@dataclass(frozen=True)
class DeployOutcome:
    succeeded: bool
    summary: dict[str, Any] = field(default_factory=dict)
    """What the deployer reports, e.g. {"create": 12, "same": 40}."""


Check = Callable[[EnvironmentConfig, Plan], Evidence]
Gates = Callable[[EnvironmentConfig, Path, Plan], None]
Deploy = Callable[[EnvironmentConfig, Path], DeployOutcome]
Approved = Callable[[str, Path, Manifest, str], bool]
"""(environment, project, manifest, deployer): a recorded approval of the manifest by someone else."""
Confirm = Callable[[str], bool]


@dataclass
class Hooks:
    """What the flow calls out to. `confirm` None means non-interactive (CI)."""

    check: Check
    gates: Gates
    deploy: Deploy
    approved: Approved
    confirm: Confirm | None = None
    show: Callable[[str], None] = lambda _text: None
    show_changes: Callable[[list[Change], PlanDiff, str | None], None] = lambda _changes, _diff, _before: None
    """Show what the deployment changes: config keys, the plan diff, and what the config was compared with."""
    plan: Callable[[EnvironmentConfig], Plan] | None = None
    actor: str | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def plan_of(self, config: EnvironmentConfig) -> Plan:
        if self.plan is not None:
            return self.plan(config)
        from llmops_infra.offline.planning import plan_config

        return plan_config(config)


@dataclass(frozen=True)
class Result:
    action: str
    environment: str
    manifest: Manifest
    """The manifest recorded for `environment` by this action."""
    source: Manifest | None = None
    config_changes: list[Change] = field(default_factory=list)
    plan_diff: PlanDiff | None = None
    outcome: DeployOutcome | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """What the command reports: the manifest by id (the manifest itself is in the store)."""
        return {
            "action": self.action,
            "environment": self.environment,
            "manifest": self.manifest.id,
            "status": self.manifest.status,
            "source_manifest": self.source.id if self.source else None,
            "summary": self.outcome.summary if self.outcome else None,
            "notes": self.notes,
            "failed_checks": self.manifest.failed_checks(),
            "dirty": self.manifest.source.get("dirty"),
            "dirty_paths": list(self.manifest.source.get("dirty_paths") or []),
        }


# --------------------------------------------------------------------------- actions


def release(env: str, project_dir: Path, releases: Releases, hooks: Hooks) -> Result:
    """Record ENV's manifest from its working-tree config; status is the checks' verdict."""
    project_dir = Path(project_dir).resolve()  # the engine's workspace paths must be absolute
    from llmops_infra.config.loader import load_environment_with_source

    with audited("release", env, project_dir, releases, at=hooks.now(), actor=hooks.actor) as audit:
        config, document = load_environment_with_source(env, project_dir)
        plan = hooks.plan_of(config)
        evidence = hooks.check(config, plan)
        manifest = _record(config, document, plan, evidence, releases, hooks, project_dir, status=None, source={})
        audit.update(manifest=manifest.id, result=manifest.status)
        return Result("release", env, manifest)


def promote(
    src: str, dst: str, project_dir: Path, releases: Releases, hooks: Hooks, manifest_ref: str | None = None
) -> Result:
    """Promote SRC's latest passed manifest (or `manifest_ref`) to DST."""
    project_dir = Path(project_dir).resolve()  # the engine's workspace paths must be absolute
    if src == dst:
        raise ConfigError(
            f"promote moves a release between two environments, and {src} is both: to re-apply "
            f"an earlier release of {src} run `llmops-infra rollback {src} --to ID`",
            key="DST",
        )
    from llmops_infra.config.loader import load_environment_with_source

    with audited(
        "promote", dst, project_dir, releases, at=hooks.now(), actor=hooks.actor, source_environment=src
    ) as audit:
        dst_config, dst_document = load_environment_with_source(dst, project_dir)
        expected = dst_config.promotion.source
        if expected and expected != src:
            raise PromotionRefused(
                f"{dst} receives releases from {expected}, not {src} (promotion.source in environments/{dst}.yaml): "
                f"run `llmops-infra promote {expected} {dst}`"
            )
        manifest = _source_manifest(src, releases, manifest_ref)
        audit["manifest"] = manifest.id
        document, notes = apply_pins(dst_document, manifest)
        config = validate_pinned(document, dst, manifest)
        return _apply(
            "promote",
            config,
            document,
            manifest,
            project_dir,
            releases,
            hooks,
            audit,
            notes,
            source={"promoted_from": manifest.id, "from_environment": src},
        )


def rollback(env: str, ref: str, project_dir: Path, releases: Releases, hooks: Hooks) -> Result:
    """Re-apply an earlier passed manifest of ENV, from the configuration stored with it."""
    project_dir = Path(project_dir).resolve()  # the engine's workspace paths must be absolute
    from llmops_infra.config.loader import config_digest, load_environment_with_source

    with audited("rollback", env, project_dir, releases, at=hooks.now(), actor=hooks.actor) as audit:
        manifest = releases.find(ref)
        audit["manifest"] = manifest.id
        releases.verified(manifest)
        if manifest.environment != env:
            raise PromotionRefused(
                f"manifest {manifest.short_id} is a release of {manifest.environment}, not {env}: "
                f"roll back to one of `llmops-infra releases {env}`"
            )
        if not manifest.passed:
            raise PromotionRefused(f"manifest {manifest.short_id} of {env} failed its checks: choose a passed one")
        notes: list[str] = []
        document = releases.load_config(manifest.config_digest)
        if document is None or config_digest(document) != manifest.config_digest:
            _, current = load_environment_with_source(env, project_dir)
            document, notes = apply_pins(current, manifest)
            notes.insert(
                0,
                "the configuration recorded with the manifest is not in the store: "
                "re-applying its pinned versions over the working tree's config",
            )
        config = validate_pinned(document, env, manifest)
        return _apply(
            "rollback",
            config,
            document,
            manifest,
            project_dir,
            releases,
            hooks,
            audit,
            notes,
            source={"rolled_back_to": manifest.id},
        )


def approve(
    env: str,
    project_dir: Path,
    releases: Releases,
    by: str,
    *,
    manifest_ref: str | None = None,
    source: str | None = None,
    hours: float = 24,
) -> tuple[Manifest, Path]:
    """Approve one passed manifest for ENV: `manifest_ref`, or the latest release of `source`
    (exactly one of them). Returns the manifest and the approval record written."""
    from llmops_infra.config.loader import require_environment
    from llmops_infra.release.audit import record_approval

    for name in (env, source):
        if name is not None:
            require_environment(name, project_dir)  # before any lookup: a typo is bad input (exit 2)
    if (manifest_ref is None) == (source is None):
        raise ConfigError("name what is approved: --manifest ID or --from SOURCE_ENV (one of them)", key="--manifest")
    chosen = releases.find(manifest_ref) if manifest_ref else releases.latest(source or "")
    if chosen is None:
        raise PromotionRefused(f"{source} has no release manifest in {releases.store.url}")
    releases.verified(chosen)
    if not chosen.passed:
        raise PromotionRefused(f"manifest {chosen.short_id} {chosen.status}: only a passed release can be approved")
    if by.strip().casefold() == chosen.created_by.strip().casefold():
        raise PromotionRefused(
            f"manifest {chosen.short_id} was recorded by {chosen.created_by}: its author cannot approve it; "
            "someone else approves (--by)"
        )
    return chosen, record_approval(env, project_dir, chosen, by, hours=hours, releases=releases)


# --------------------------------------------------------------------------- steps


def _source_manifest(src: str, releases: Releases, ref: str | None) -> Manifest:
    manifest: Manifest | None
    if ref:
        manifest = releases.find(ref, src)
    else:
        manifest = releases.latest(src)
        if manifest is None:
            raise PromotionRefused(
                f"{src} has no release manifest in {releases.store.url}: record one with "
                f"`llmops-infra release {src}` after its checks pass"
            )
    releases.verified(manifest)  # signed by the configured key, so not edited since it was recorded
    if not manifest.passed:
        raise PromotionRefused(
            f"the latest release of {src} ({manifest.short_id}, {manifest.created_at}) {manifest.status}: "
            f"fix {src} and record a passing release before promoting it"
        )
    return manifest


def _apply(
    action: str,
    config: EnvironmentConfig,
    document: dict[str, Any],
    manifest: Manifest,
    project_dir: Path,
    releases: Releases,
    hooks: Hooks,
    audit: dict[str, Any],
    notes: list[str],
    source: dict[str, Any],
) -> Result:
    from llmops_infra.config.loader import load_environment_with_source

    env = config.name
    plan = hooks.plan_of(config)
    if action == "rollback" and plan.digest() != manifest.plan_digest:
        notes.append(
            f"the plan differs from the one recorded with manifest {manifest.short_id} (the code "
            "changed since): the difference below is what the rollback changes"
        )
    previous = releases.latest(env)
    before_plan = releases.load_plan(previous.plan_digest) if previous else None
    before_document = releases.load_config(previous.config_digest) if previous else None
    config_before = f"{env} (release {previous.short_id})" if previous else None
    if before_document is None:
        # no earlier release (or its config is not stored): compare with ENV's file, and say so (not "nothing")
        before_document = load_environment_with_source(env, project_dir)[1]
        config_before = f"{env} (environments/{env}.yaml)"
    config_changes = diff_documents(before_document, document)
    plan_diff = diff_plans(before_plan.to_dict() if before_plan else None, plan.to_dict())
    hooks.show_changes(config_changes, plan_diff, config_before)
    for note in notes:
        hooks.show(f"note: {note}\n")
    evidence = hooks.check(config, plan)
    if not evidence.policy_passed:
        raise PromotionRefused(
            f"{env} with manifest {manifest.short_id} fails its mandatory policies: "
            f"run `llmops-infra policy check {env}` for the violations"
        )
    hooks.gates(config, project_dir, plan)
    if config.promotion.requires_approval:
        _await_approval(env, project_dir, manifest, hooks)
    try:
        outcome = hooks.deploy(config, project_dir)
    except LlmopsError as exc:
        failed = _record(
            config,
            document,
            plan,
            evidence,
            releases,
            hooks,
            project_dir,
            status=FAILED,
            source={**source, "error": str(exc).splitlines()[0]},
        )
        audit.update(result_manifest=failed.id)
        raise
    recorded = _record(
        config,
        document,
        plan,
        evidence,
        releases,
        hooks,
        project_dir,
        status=PASSED if outcome.succeeded else FAILED,
        source=source,
    )
    audit.update(
        result_manifest=recorded.id, result="succeeded" if outcome.succeeded else "failed", summary=outcome.summary
    )
    return Result(action, env, recorded, manifest, config_changes, plan_diff, outcome, notes)


def _await_approval(env: str, project_dir: Path, manifest: Manifest, hooks: Hooks) -> None:
    from llmops_infra.release.manifest import current_actor

    if hooks.approved(env, project_dir, manifest, hooks.actor or current_actor()):
        return
    question = f"{env} requires approval. Deploy manifest {manifest.short_id} to {env}?"
    if hooks.confirm is not None and hooks.confirm(question):
        return
    raise PromotionRefused(
        f"{env} requires an approval of manifest {manifest.short_id} and none is recorded: "
        f"record one with `llmops-infra approve {env} --manifest {manifest.short_id} --by WHO` "
        "(the pipeline does this after its protected-environment approval), or run interactively and confirm"
    )


def _record(
    config: EnvironmentConfig,
    document: dict[str, Any],
    plan: Plan,
    evidence: Evidence,
    releases: Releases,
    hooks: Hooks,
    project_dir: Path,
    *,
    status: str | None,
    source: dict[str, Any],
) -> Manifest:
    from llmops_infra.config.loader import config_digest

    digest = config_digest(document)
    manifest = build_manifest(
        config,
        config_digest=digest,
        plan_digest=plan.digest(),
        evidence=evidence,
        status=status,
        source=source,
        now=hooks.now(),
        actor=hooks.actor,
        project_dir=project_dir,
    )
    manifest = releases.sign(manifest)
    releases.save_config(document)
    releases.save_plan(plan)
    releases.save(manifest)
    return manifest
