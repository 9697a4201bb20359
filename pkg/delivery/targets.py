"""The deploy targets of a project: one per environment file, in promotion order.

The chain comes from `promotion.source`; where a job runs and for how long from `ci`; what
secrets it needs from `state`. Environments that keep their state on a runner's disk
(`file://`) are reported: CI deploys them only with Azure Blob (or Pulumi Cloud) state.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from llmops_infra.delivery.pipeline_options import DeployTarget
from llmops_infra.errors import ConfigError

if TYPE_CHECKING:
    from llmops_infra.config.models import EnvironmentConfig


@dataclass(frozen=True)
class ProjectTargets:
    targets: tuple[DeployTarget, ...]
    notes: tuple[str, ...]
    """What the user must still do (e.g. move file:// state to Azure Blob)."""


def target_for(config: EnvironmentConfig, provider: str) -> DeployTarget:
    """The deploy target of one environment."""
    from llmops_infra.components.naming import Namer

    namer = Namer(config.workload, config.name, config.azure.location, config.azure.subscription_id)
    runs_on = tuple(config.ci.github_runs_on(config.name))
    pool = config.ci.azure_devops_pool(namer.name("devops_pool"))
    github = config.identity.pipeline.github
    ado = config.identity.pipeline.azure_devops
    url = config.state.url
    return DeployTarget(
        name=config.name,
        source=config.promotion.source,
        requires_approval=config.promotion.requires_approval,
        runs_on=runs_on,
        pool=pool,
        timeout_minutes=config.ci.timeout_minutes,
        github_environment=github.environment if github is not None else None,
        private_cluster=config.cluster.private_cluster,
        passphrase=config.state.secrets_provider == "passphrase",
        pulumi_cloud=url.startswith("https://"),
        service_connection=ado.service_connection if ado is not None else None,
        bootstrap_env=config.bootstrap_variables(),
    )


def _order(configs: list[EnvironmentConfig]) -> list[EnvironmentConfig]:
    """Sources before the environments they feed; a cycle is bad input."""
    by_name = {c.name: c for c in configs}
    ordered: list[EnvironmentConfig] = []
    visiting: set[str] = set()

    def visit(config: EnvironmentConfig) -> None:
        if config in ordered:
            return
        if config.name in visiting:
            raise ConfigError(
                f"promotion.source forms a cycle through {config.name!r}: every chain must start at an environment "
                "without a source",
                file=f"environments/{config.name}.yaml",
                key="promotion.source",
            )
        visiting.add(config.name)
        source = config.promotion.source
        if source is not None and source in by_name:
            visit(by_name[source])
        visiting.discard(config.name)
        ordered.append(config)

    for config in configs:
        visit(config)
    return ordered


def _load_all(project_dir: Path) -> list[EnvironmentConfig]:
    from llmops_infra.config.loader import list_environments, load_environment

    return [load_environment(name, project_dir) for name in list_environments(project_dir)]


def _templates() -> list[EnvironmentConfig]:
    """The environments `init` scaffolds (package data), for a repository that has none yet."""
    from llmops_infra.delivery.environment_templates import template_files

    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in template_files().items():
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return _load_all(Path(tmp))


def project_targets(project_dir: Path | None, provider: str) -> ProjectTargets:
    """Targets of the project in `project_dir` (the scaffold's environments when it has none)."""
    has_envs = project_dir is not None and (Path(project_dir) / "environments" / "base.yaml").is_file()
    configs = _load_all(Path(project_dir)) if has_envs and project_dir is not None else _templates()
    ordered = _order(configs)
    notes = []
    for config in ordered:
        if config.state.url.startswith("file://"):
            notes.append(
                f"environments/{config.name}.yaml: state.url is {config.state.url}, which a CI runner does not keep: "
                f"run `llmops-infra bootstrap {config.name}` and set state.url to the azblob:// URL it prints "
                "(llmops-infra refuses file:// state when CI=true)"
            )
    return ProjectTargets(tuple(target_for(c, provider) for c in ordered), tuple(notes))
