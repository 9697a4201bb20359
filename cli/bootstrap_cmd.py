"""`llmops-infra bootstrap ENV`: state storage, deployer identity and CI environment, like `azd pipeline config`."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmops_infra.cli.common import EnvArg, ProjectDir, console

if TYPE_CHECKING:
    from llmops_infra.delivery.bootstrap_clients import Endpoints
    from llmops_infra.delivery.bootstrap_steps import Step


class BootstrapProvider(str, Enum):
    github = "github"
    azure_devops = "azure-devops"


def endpoints_from_env() -> Endpoints:
    """API endpoints: the public clouds, or GITHUB_API_URL (GitHub Enterprise), LLMOPS_ARM_URL, LLMOPS_ADO_URL,
    LLMOPS_VSSPS_URL (sovereign clouds, Azure DevOps Server) and LLMOPS_CA_BUNDLE (a private CA)."""
    from llmops_infra.delivery.bootstrap_clients import ADO, ARM, GITHUB_API, VSSPS, Endpoints

    return Endpoints(
        arm=os.environ.get("LLMOPS_ARM_URL", ARM),
        github=os.environ.get("GITHUB_API_URL", GITHUB_API),
        ado=os.environ.get("LLMOPS_ADO_URL", ADO),
        vssps=os.environ.get("LLMOPS_VSSPS_URL", VSSPS),
        verify=os.environ.get("LLMOPS_CA_BUNDLE") or True,
    )


def bootstrap_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    provider: Annotated[
        BootstrapProvider | None,
        typer.Option(
            "--provider",
            help="CI system (default: the one identity.pipeline of the environment names; github when both).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print every step; change nothing.")] = False,
    reviewer: Annotated[
        list[str] | None,
        typer.Option(
            "--reviewer",
            help="Who approves deployments where promotion.requires_approval: GitHub user:LOGIN or team:SLUG; "
            "Azure DevOps a user email or group name. Repeatable.",
            show_default=False,
        ),
    ] = None,
    allow_ip: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-ip",
            help="Private environments: a public CIDR let through the firewalls of the state account and the "
            "signing vault (e.g. where you run bootstrap and the first deployment). Repeatable.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Set up what ENV's pipeline needs before its first run; idempotent, and prints what an administrator must grant.

    Creates or updates: a resource group with the state storage account (versioning, soft delete, Entra ID only, private where the environment is private) and its container; the deployer identity with a federated credential for the CI environment; the release-signing Key Vault and EC P-256 key of the promotion chain, with Key Vault Crypto User on the key for the identity; the GitHub environment (protection rules, variables) or the Azure DevOps service connection, environment (approvals) and variable group.

    Credentials: `az login`; GITHUB_TOKEN or GH_TOKEN; AZURE_DEVOPS_EXT_PAT or the Azure sign-in for Azure DevOps. PULUMI_CONFIG_PASSPHRASE, when set, is stored as a CI secret (never printed).
    """
    from llmops_infra.config.loader import load_environment
    from llmops_infra.delivery import bootstrap
    from llmops_infra.delivery.bootstrap_spec import promotion_chain, spec_for

    config = load_environment(env, project_dir)
    chosen = provider.value if provider else _default_provider(config)
    chain = promotion_chain(config, project_dir)
    spec = spec_for(config, chosen, reviewers=reviewer, allow_ips=allow_ip, chain=chain)
    if dry_run:
        console.print(f"bootstrap {env} ({chosen}), dry run: nothing is changed. It would:", markup=False)
        for line in bootstrap.describe(spec):
            console.print(line, markup=False)
        _print_admin(bootstrap.standing_admin_tasks(spec))
        return
    from llmops_infra.delivery.bootstrap_clients import Clients

    clients = Clients(spec.subscription_id, endpoints_from_env())
    secrets = {k: os.environ[k] for k in ("PULUMI_CONFIG_PASSPHRASE",) if os.environ.get(k)}

    def report(index: int, total: int, step: Step, outcome: str) -> None:
        console.print(f"[{index}/{total}] {outcome:9} [{step.system}] {step.describe}", markup=False)

    outcome = bootstrap.run(spec, clients, report=report, secrets=secrets)
    console.print(
        f"deployer identity {spec.identity}: client id {outcome.outputs.get('client_id')}, "
        f"principal id {outcome.outputs.get('principal_id')}",
        markup=False,
    )
    console.print(f"state: {spec.state_url}", markup=False)
    if outcome.outputs.get("signing_key"):
        console.print(f"release signing key (LLMOPS_SIGNING_KEY): {outcome.outputs['signing_key']}", markup=False)
    _print_admin(outcome.admin)


def _default_provider(config: object) -> str:
    pipeline = config.identity.pipeline  # type: ignore[attr-defined]
    if pipeline.github is None and pipeline.azure_devops is not None:
        return "azure-devops"
    return "github"


def _print_admin(tasks: list[str]) -> None:
    console.print("An administrator must still:", markup=False)
    for task in tasks:
        console.print(f"  - {task}", markup=False)
