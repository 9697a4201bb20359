"""Ready-to-commit CI pipelines for an estate repository: GitHub Actions and Azure DevOps.

Pull requests: validate, the policy check as SARIF (code scanning), and one Markdown comment
(policy verdict, cost change, resource diff, a Mermaid diagram of what changed) updated in
place, on hosted runners without credentials. Main: deploy the first environment of the
promotion chain and record its release, then promote it along the chain, each environment
behind its own approval rules, identity and variables, on runners that reach its cluster.

The files are built as data (`github_workflows`, `azure_pipelines`, `yaml_doc`), never by
filling text templates; user values are checked in `pipeline_options` and reach scripts
only through `env:`. The tool is installed from `--install` (default: a wheel of this version
vendored into ci/, see `wheel`), with a pinned Pulumi CLI and kubelogin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llmops_infra.delivery import azure_pipelines, github_workflows
from llmops_infra.delivery.pipeline_options import PROVIDERS, PipelineOptions, Provider, ToolInstall
from llmops_infra.delivery.targets import project_targets
from llmops_infra.errors import ConfigError

PR_MARKER = "<!-- llmops-infra:pr-report -->"


@dataclass(frozen=True)
class Generated:
    files: dict[str, str]
    """Relative path -> text."""
    wheel: str | None
    """Relative path of the wheel the pipelines install, to be vendored (None: installed from elsewhere)."""
    notes: tuple[str, ...]


def options_for(
    provider: str,
    project_dir: Path | None = None,
    *,
    install: str | None = None,
    artifacts: str | None = None,
    service_connection: str | None = None,
    python: str | None = None,
    approvers: str | None = None,
    approval_timeout_minutes: int | None = None,
) -> tuple[PipelineOptions, tuple[str, ...]]:
    """The options of the project's pipelines (its environments, or the scaffold's) and notes."""
    if provider not in PROVIDERS:
        raise ConfigError(
            f"unknown pipeline provider {provider!r}: use one of {', '.join(PROVIDERS)}", key="--provider"
        )
    typed: Provider = "github" if provider == "github" else "azure-devops"
    found = project_targets(project_dir, typed)
    targets = found.targets
    if service_connection is not None:
        from dataclasses import replace

        targets = tuple(replace(t, service_connection=service_connection) for t in targets)
    extra: dict[str, object] = {}
    if artifacts is not None:
        extra["artifacts"] = artifacts
    if python is not None:
        extra["python_version"] = python
    if approvers is not None:
        extra["approvers"] = approvers
    if approval_timeout_minutes is not None:
        extra["approval_timeout_minutes"] = approval_timeout_minutes
    options = PipelineOptions(
        provider=typed,
        targets=targets,
        install=ToolInstall.parse(install, typed),
        **extra,  # type: ignore[arg-type]
    )
    return options, found.notes


def render(options: PipelineOptions) -> Generated:
    files = github_workflows.render(options) if options.provider == "github" else azure_pipelines.render(options)
    return Generated(files=files, wheel=options.install.vendored_wheel, notes=())


def write(generated: Generated, output: Path, *, force: bool = False) -> list[Path]:
    """Write the pipeline files (and the vendored wheel) under `output`; refuse to overwrite without `force`."""
    from llmops_infra.delivery.wheel import vendor_wheel
    from llmops_infra.files import write_atomic

    targets = [Path(output) / rel for rel in generated.files]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise ConfigError(f"{', '.join(existing)} already exist: pass --force to overwrite them", key="--output")
    written = []
    if generated.wheel is not None:
        written.append(vendor_wheel(Path(output), generated.wheel))
    for target, text in zip(targets, generated.files.values(), strict=True):
        # atomic, inside `output`, never through a link planted in the repository (.github/ -> elsewhere)
        written.append(write_atomic(target, text, root=Path(output), key="--output"))
    return written
