"""`bootstrap ENV`: what a CI pipeline needs before its first run, set up idempotently.

Like `azd pipeline config`: the state storage (account with versioning and soft delete, a
container, private where the environment is private), the pipeline's identity with a
federated credential for the CI environment, the release-signing vault and key of the
environment's promotion chain with the identity's right to sign (bootstrap_signing), the CI environment with its protection rules,
its variables, and for Azure DevOps the workload-identity service connection. Then the list
of what an administrator must still grant (what the person running bootstrap may not).

Each step reads what exists and changes only what differs: a rerun after any failure picks
up where the last run stopped, and a rerun after success changes nothing. `--dry-run`
prints every step without calling any API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmops_infra.delivery import bootstrap_ado, bootstrap_azure, bootstrap_github, bootstrap_signing
from llmops_infra.delivery.bootstrap_spec import BootstrapSpec
from llmops_infra.delivery.bootstrap_steps import (  # noqa: F401 - re-exported for callers
    CREATED,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    BootstrapContext,
    Outcome,
    Step,
)
from llmops_infra.errors import EngineError


def plan(spec: BootstrapSpec) -> list[Step]:
    """Every step of `spec`'s bootstrap, in order."""
    steps = bootstrap_azure.state_steps(spec) + bootstrap_azure.identity_steps(spec)
    steps += bootstrap_signing.signing_steps(spec)
    if spec.provider == "github":
        steps += bootstrap_azure.github_federation_steps(spec) + bootstrap_github.steps(spec)
    else:
        steps += bootstrap_ado.connection_steps(spec)
        steps += bootstrap_azure.ado_federation_steps(spec)
        steps += bootstrap_ado.environment_steps(spec)
    return steps


def standing_admin_tasks(spec: BootstrapSpec) -> list[str]:
    """What bootstrap never does itself: rights no pipeline should grant itself."""
    tasks = [
        f"grant the deployer identity {spec.identity} (see its principal id above) the rights `llmops-infra up` "
        f"needs on subscription {spec.subscription_id}: a custom role limited to the estate's resource providers "
        "(Microsoft.Resources, Network, KeyVault, ContainerService, ContainerRegistry, Storage, CognitiveServices, "
        "MachineLearningServices, Insights, OperationalInsights, Monitor, Dashboard, App, DevOpsInfrastructure, "
        "ManagedIdentity, Consumption) plus Role Based Access Control Administrator constrained to the roles the "
        "estate assigns; never Owner (docs/pipelines.md, 'Deployer rights')",
        f"set state.url in environments/{spec.environment}.yaml to {spec.state_url}",
        *bootstrap_signing.hosted_warning(spec),
    ]
    if spec.private:
        tasks.append(
            "the cluster is private: the first `llmops-infra up` that creates the runners must run where the "
            "Azure control plane is reachable; later runs use the runners in the VNet (docs/pipelines.md, "
            "'First deployment of a private environment'). Rerun bootstrap after it, so that the state account "
            "and the signing vault admit the runner subnet"
        )
    if spec.provider == "github":
        if spec.requires_approval and not spec.reviewers:
            tasks.append(
                f"add required reviewers to the GitHub environment {spec.github_environment} (or rerun bootstrap "
                "with --reviewer team:SLUG)"
            )
        if spec.passphrase:
            tasks.append(
                f"store the state passphrase as the environment secret PULUMI_CONFIG_PASSPHRASE of "
                f"{spec.github_environment} (or rerun bootstrap with PULUMI_CONFIG_PASSPHRASE set)"
            )
        if spec.seed_env:
            tasks.append(
                f"store {', '.join(spec.seed_env)} as environment secrets of {spec.github_environment}: the first "
                "`up` creates the Key Vault secrets from them (key_vault.secrets_from_env, docs/first-up.md)"
            )
    else:
        tasks += [
            f"permit the pipeline to use the service connection {spec.ado_service_connection}, the variable group "
            f"{spec.ado_variable_group} and the environment {spec.ado_environment} (Azure DevOps asks on the first run)",
            f"add an Exclusive Lock check to the environment {spec.ado_environment} (Approvals and checks), so that "
            "`lockBehavior: sequential` serialises its deployments",
            "Azure Repos: add a Build Validation branch policy on main that runs the pipeline: the `pr:` trigger is "
            "ignored for Azure Repos",
        ]
        if spec.requires_approval and not spec.reviewers:
            tasks.append(f"add approvers to the environment {spec.ado_environment} (or rerun with --reviewer NAME)")
        if spec.passphrase:
            tasks.append(
                f"store the state passphrase as the secret variable PULUMI_CONFIG_PASSPHRASE of the variable group "
                f"{spec.ado_variable_group} (or rerun bootstrap with PULUMI_CONFIG_PASSPHRASE set)"
            )
        if spec.seed_env:
            tasks.append(
                f"store {', '.join(spec.seed_env)} as secret variables of the variable group {spec.ado_variable_group}: "
                "the first `up` creates the Key Vault secrets from them (key_vault.secrets_from_env, docs/first-up.md)"
            )
    return tasks


def describe(spec: BootstrapSpec) -> list[str]:
    """The dry run: every step, numbered, then the standing administrator tasks."""
    steps = plan(spec)
    return [f"{i:2d}. [{s.system}] {s.describe}" for i, s in enumerate(steps, 1)]


def run(
    spec: BootstrapSpec, clients: Any, *, report: Callable[[int, int, Step, str], None], secrets: dict[str, str]
) -> Outcome:
    """Run every step; stop at the first failure with a message that says how to resume."""
    steps = plan(spec)
    context = BootstrapContext(spec=spec, clients=clients, secrets=secrets)
    results: list[tuple[Step, str]] = []
    for index, step in enumerate(steps, 1):
        try:
            outcome = step.run(context)
        except EngineError as exc:
            raise EngineError(_stopped(index, len(steps), step, str(exc))) from None
        except Exception as exc:  # an API client's error: summarised, never with credentials
            message = clients.describe_error(exc)
            if message is None:
                raise
            raise EngineError(_stopped(index, len(steps), step, message)) from None
        results.append((step, outcome))
        report(index, len(steps), step, outcome)
    return Outcome(results=results, admin=context.admin + standing_admin_tasks(spec), outputs=context.outputs)


def _stopped(index: int, total: int, step: Step, message: str) -> str:
    done = {1: "nothing was changed", 2: "step 1 is done"}.get(index, f"steps 1-{index - 1} are done")
    return (
        f"bootstrap stopped at step {index} of {total} ([{step.system}] {step.describe}): {message}. {done}; "
        "fix the cause and run the same command again: steps that are done are checked and left as they are"
    )
