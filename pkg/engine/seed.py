"""The bootstrap between the platform and the workload stack: what the workloads need, made once.

`up ENV` runs the platform stack, this bootstrap, then the workload stack, each gated: a step
that fails stops the run before the workload stack starts. `preview ENV` runs only the
read-only half (what exists, what is missing, what would stop `up`), and `--only bootstrap`
runs just this. Steps, in order (`STEPS`):

1. `images`  every pinned image, by digest, in the private registry (`seed_images`);
2. `secrets` every Key Vault secret the workloads read (`seed_secrets`).

Every step is idempotent: it reads first and makes only what is missing, so a rerun after a
failure anywhere picks up where it stopped and a rerun after success changes nothing. Each
item is reported as it happens (`Progress.step`: `bootstrap.images`, `bootstrap.secrets`),
names only, never a secret value. The ML model and environment versions are not made here:
the workload stack registers them (`MlDeployments`), before the deployments that use them.

Not to be confused with `llmops-infra bootstrap ENV` (`pkg/delivery/bootstrap.py`), the
one-time administrator command that creates the state storage, the deployer identity and the
CI environments before any stack exists.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine.arm_client import ArmClient, ArmError
from llmops_infra.engine.progress import Progress
from llmops_infra.engine.seed_clients import SeedClients
from llmops_infra.engine.seed_images import ImagesStep
from llmops_infra.engine.seed_secrets import SecretsStep
from llmops_infra.engine.seed_types import (
    BLOCKED,
    PRESENT,
    REGISTRY_API,
    UNKNOWN,
    VAULT_API,
    WAITING,
    SeedContext,
    SeedFailed,
    SeedItem,
    SeedStep,
    Targets,
)
from llmops_infra.errors import ConfigError

BOOTSTRAP = "bootstrap"
OPERATIONS = ("up", "preview")
"""What the bootstrap takes part in; destroy and refresh skip it (what it made lives in the
registry and the vault, which the platform stack owns)."""
VERIFY = "verify"
"""`up --only workload`: check, read-only, that everything the bootstrap makes is there (its gate)."""
VERBS = {"images": "import", "secrets": "create"}


def default_steps() -> list[SeedStep]:
    return [ImagesStep(), SecretsStep()]


def resolve_targets(config: EnvironmentConfig, arm: ArmClient) -> Targets:
    """The estate's registry and vault, named as the platform stack names them, read from ARM."""
    from llmops_infra.stacks.estate import new_estate

    namer = new_estate(config).namer
    azure = config.azure
    bare = Targets(
        azure.subscription_id,
        azure.tenant_id,
        namer.name("resource_group"),
        namer.name("container_registry"),
        namer.name("key_vault"),
        None,
        None,
    )
    return Targets(
        bare.subscription_id,
        bare.tenant_id,
        bare.resource_group,
        bare.registry_name,
        bare.vault_name,
        arm.find(bare.registry_path, REGISTRY_API),
        arm.find(bare.vault_path, VAULT_API),
    )


@dataclass
class Bootstrap:
    """The bootstrap of one environment. Defaults touch Azure; tests pass `clients`, `environ`, `steps`."""

    config: EnvironmentConfig
    clients: SeedClients | None = None
    environ: Mapping[str, str] | None = None
    steps: Sequence[SeedStep] | None = None
    import_timeout: float = 45 * 60.0
    results: list[dict[str, str]] = field(default_factory=list)

    def run(self, operation: str, progress: Progress) -> list[dict[str, str]]:
        """Check (preview) or check then make (up); each item reported on `progress`. Raises
        `ConfigError` (exit 2) for what only the user can fix and `SeedFailed` (exit 3) for Azure."""
        if operation not in (*OPERATIONS, VERIFY):
            raise ValueError(f"the bootstrap runs with {OPERATIONS} or {VERIFY!r}, not {operation!r}")
        self.results = []
        preview = operation == "preview"
        config = self.config
        progress.step(
            BOOTSTRAP,
            "started",
            f"{operation} bootstrap of {config.name}: pinned images into the registry, Key Vault secrets",
        )
        clients = self.clients or SeedClients.from_credential(config.azure.tenant_id)
        try:
            targets = resolve_targets(config, clients.arm)
        except ArmError as exc:
            why = f"ARM did not answer for the registry and the vault ({exc.status or 'no answer'} {exc.code})"
            if preview:
                progress.step(BOOTSTRAP, UNKNOWN, f"not checked: {why}")
                return []
            raise SeedFailed("targets", f"{why}: {exc.message}") from None
        ctx = SeedContext(
            config,
            targets,
            clients,
            os.environ if self.environ is None else self.environ,
            progress,
            operation,
            self.import_timeout,
        )
        checked = self._check(ctx, preview)
        if preview:
            return self._report(checked, progress)
        if operation == VERIFY:
            return self._verify(checked, progress)
        blocked = [item for _step, items in checked for item in items if item.state == BLOCKED]
        if blocked:
            for item in blocked:
                progress.step(f"{BOOTSTRAP}.{item.step}", "failed", f"{item.name}: {item.detail}")
            first = blocked[0]
            more = "; ".join(f"{i.key}: {i.detail}" for i in blocked[1:])
            raise ConfigError(first.detail + (f" (and: {more})" if more else ""), key=first.key)
        for step, items in checked:
            for item in items:
                self.results.append(self._ensure(ctx, step, item).as_dict())
        made = sum(1 for r in self.results if r["state"] == "done")
        progress.step(BOOTSTRAP, "done", f"bootstrap of {config.name}: {made} made, {len(self.results) - made} kept")
        return list(self.results)

    def _check(self, ctx: SeedContext, preview: bool) -> list[tuple[SeedStep, list[SeedItem]]]:
        checked: list[tuple[SeedStep, list[SeedItem]]] = []
        for step in self.steps if self.steps is not None else default_steps():
            try:
                checked.append((step, step.check(ctx)))
            except SeedFailed as exc:
                ctx.progress.step(f"{BOOTSTRAP}.{step.name}", UNKNOWN if preview else "failed", exc.detail)
                if not preview:
                    raise
        return checked

    def _verify(self, checked: list[tuple[SeedStep, list[SeedItem]]], progress: Progress) -> list[dict[str, str]]:
        """The bootstrap's gate for a workload stack run on its own: refuse what is missing."""
        missing = [item for _step, items in checked for item in items if item.state not in (PRESENT, UNKNOWN)]
        for _step, items in checked:
            for item in items:
                status = PRESENT if item.state in (PRESENT, UNKNOWN) else "failed"
                progress.step(f"{BOOTSTRAP}.{item.step}", status, f"{item.name}: {item.detail}")
                self.results.append(item.as_dict())
        if missing:
            listed = ", ".join(f"{i.step} {i.name} ({i.state})" for i in missing)
            raise SeedFailed(
                "gate",
                f"the workload stack needs what the bootstrap makes, and {listed} is not there: run "
                f"`llmops-infra up {self.config.name} --only bootstrap` (or `up` without --only) first",
            )
        return list(self.results)

    def _report(self, checked: list[tuple[SeedStep, list[SeedItem]]], progress: Progress) -> list[dict[str, str]]:
        for step, items in checked:
            label, verb = f"{BOOTSTRAP}.{step.name}", VERBS.get(step.name, "make")
            if not items:
                progress.step(label, PRESENT, "nothing needed")
            for item in items:
                progress.step(label, *_preview_line(item, verb))
                self.results.append(item.as_dict())
        return list(self.results)

    def _ensure(self, ctx: SeedContext, step: SeedStep, item: SeedItem) -> SeedItem:
        label = f"{BOOTSTRAP}.{step.name}"
        if item.state == PRESENT:
            ctx.progress.step(label, PRESENT, f"{item.name}: {item.detail}")
            return item
        if item.state == WAITING:
            raise SeedFailed(
                step.name,
                f"{item.name}: {item.detail}: the platform stack creates it; run `llmops-infra up "
                f"{self.config.name}` (or `--only platform` first)",
            )
        ctx.progress.step(label, "running", f"{item.name}: {VERBS.get(step.name, 'make')} ({item.detail})")
        try:
            done = step.ensure(ctx, item)
        except (SeedFailed, ConfigError) as exc:
            ctx.progress.step(label, "failed", f"{item.name}: {exc}")
            raise
        ctx.progress.step(label, done.state, f"{done.name}: {done.detail}")
        return done


def _preview_line(item: SeedItem, verb: str) -> tuple[str, str]:
    """(status, message) of an item in a preview."""
    if item.state == PRESENT:
        return PRESENT, f"{item.name}: {item.detail}"
    if item.state == WAITING:
        return "planned", f"{item.name}: would {verb} once the platform stack exists ({item.detail})"
    if item.state == BLOCKED:
        return BLOCKED, f"{item.name}: up would stop here: {item.detail}"
    if item.state == UNKNOWN:
        return "planned", f"{item.name}: not checked from here; up would {verb} it if needed ({item.detail})"
    return "planned", f"{item.name}: missing, would {verb} ({item.detail})"


def default_bootstrap(config: EnvironmentConfig) -> Bootstrap:
    """The bootstrap `up` and `preview` run when none is given (azure-identity, the process environment)."""
    return Bootstrap(config)


__all__ = ["BOOTSTRAP", "OPERATIONS", "VERIFY", "Bootstrap", "SeedFailed", "default_bootstrap", "resolve_targets"]
