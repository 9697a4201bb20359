"""CI runner rules (CI-01 … CI-03): runners inside the VNet, secrets from Key Vault, one job per runner.

They judge Container Apps environments and jobs (GitHub runners) and Managed DevOps Pools
(Azure DevOps agents) by type and properties, so they judge any program's runners.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, get, is_true, items, resource_rule, same

APP_ENVIRONMENT = "azure-native:app:ManagedEnvironment"
APP_JOB = "azure-native:app:Job"
DEVOPS_POOL = "azure-native:devopsinfrastructure:Pool"


@resource_rule(
    "CI-01",
    "runners-in-vnet",
    scope="A",
    severity=Severity.HIGH,
    types=[APP_ENVIRONMENT, DEVOPS_POOL],
    description="CI runners run inside the estate's VNet, unreachable from the internet.",
    remediation="Container Apps environment: set vnetConfiguration.infrastructureSubnetId and internal: true, and "
    "publicNetworkAccess: Disabled. Managed DevOps Pool: set fabricProfile.networkProfile.subnetId.",
)
def ci_in_vnet(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if args.resource_type == DEVOPS_POOL:
        if not get(args.props, "fabricProfile.networkProfile.subnetId"):
            report("The pool's agents run in Microsoft's network: they cannot reach a private cluster or endpoint.")
        return
    if not get(args.props, "vnetConfiguration.infrastructureSubnetId"):
        report("The environment has no subnet of the estate's VNet: its runners cannot reach private resources.")
    if not is_true(get(args.props, "vnetConfiguration.internal")):
        report("The environment is external: it gets a public endpoint that CI runners never need.")
    if not same(get(args.props, "publicNetworkAccess"), "Disabled"):
        report("Public network access to the environment is not disabled.")


@resource_rule(
    "CI-02",
    "runner-secrets-from-key-vault",
    scope="A",
    severity=Severity.HIGH,
    types=[APP_JOB],
    description="Runner jobs read secrets from Key Vault with a managed identity and pull images with it.",
    remediation="Give each configuration.secrets entry keyVaultUrl and identity (no value), and each registry an "
    "identity (no passwordSecretRef).",
)
def ci_secrets(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    for secret in items(get(args.props, "configuration.secrets")):
        if get(secret, "value") is not None or not get(secret, "keyVaultUrl"):
            report(
                f"Secret {get(secret, 'name')!r} is a value in the job definition: it lands in the state and in ARM."
            )
    for registry in items(get(args.props, "configuration.registries")):
        if get(registry, "passwordSecretRef") or not get(registry, "identity"):
            report(f"Registry {get(registry, 'server')} is pulled with a password, not the runner's identity.")


@resource_rule(
    "CI-03",
    "ephemeral-runners",
    scope="A",
    severity=Severity.MEDIUM,
    types=[APP_JOB, DEVOPS_POOL],
    description="A runner serves one job and goes: nothing one job leaves behind reaches the next.",
    remediation="Container Apps job: triggerType Event, replicaRetryLimit 0, parallelism 1. Managed DevOps Pool: "
    "agentProfile.kind Stateless.",
)
def ci_ephemeral(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if args.resource_type == DEVOPS_POOL:
        if not same(get(args.props, "agentProfile.kind"), "Stateless"):
            report("Agents are reused across jobs: a job's files and tokens can reach the next job on the agent.")
        return
    if not same(get(args.props, "configuration.triggerType"), "Event"):
        report("The runner job is not event-driven: runners wait idle instead of starting per queued job.")
    if get(args.props, "configuration.replicaRetryLimit", 0) != 0:
        report("A failed runner is retried: the retry registers a second runner for one queued job.")
    if get(args.props, "configuration.eventTriggerConfig.parallelism", 1) != 1:
        report("An execution starts several runners: each execution must register exactly one.")
