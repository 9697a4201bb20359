"""Self-hosted GitHub Actions runners inside the VNet: Azure Container Apps jobs scaled by KEDA.

An internal Container Apps environment (workload profiles, Consumption) in the delegated runner
subnet, and an event-driven job whose `github-runner` scale rule (KEDA's scaler) starts one
execution per queued workflow job with the runners' labels; each execution registers an
ephemeral runner, runs one job and exits (learn.microsoft.com/azure/container-apps/
tutorial-ci-cd-runners-jobs; keda.sh/docs/latest/scalers/github-runner). Nothing runs while
no job waits.

Least privilege: the runners' own identity may pull from the estate's registry (AcrPull on the
registry) and read the one Key Vault secret holding the repository token (Key Vault Secrets
User on that secret only). It has no Azure rights beyond that: deploy jobs sign in as the
environment's pipeline identity with OIDC, never as the runner. The token reaches the job as a
Key Vault reference, never as a value in the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import app, managedidentity

from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.roles import RoleGrant, assign_role

TOKEN_SECRET_REF = "github-token"
"""The job's secret name; the scale rule's auth and the runner's GITHUB_PAT both refer to it."""


@dataclass(frozen=True, kw_only=True)
class GitHubRunnersArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    subscription_id: str
    subnet_id: pulumi.Input[str]
    """The delegated runner subnet (Microsoft.App/environments, /27 or larger)."""
    log_analytics_workspace_id: pulumi.Input[str]
    environment_name: str
    job_name: str
    identity_name: str
    registry_id: pulumi.Input[str]
    registry_login_server: pulumi.Input[str]
    image: str
    """repository@sha256:digest in the estate's registry."""
    key_vault_id: pulumi.Input[str]
    key_vault_uri: pulumi.Input[str]
    token_secret: str
    """Name of the Key Vault secret with the repository token (fine-grained: Actions read, Administration write)."""
    repository: str
    """owner/repo whose jobs the runners take."""
    labels: list[str] = field(default_factory=list)
    """Labels besides self-hosted; the deploy jobs ask for them. Default: none."""
    max_runners: int = 4
    """Runner jobs at once (1-20). Default: 4; more queued workflow jobs wait."""
    timeout_minutes: int = 240
    """A runner job's replica timeout. Default: 240 minutes, longer than a deploy job's timeout."""
    cpu: float = 2.0
    """vCPUs per runner. Default: 2.0 (a Consumption-profile size)."""
    memory_gi: float = 4.0
    """Memory per runner in GiB. Default: 4.0 (2 GiB per vCPU, as Consumption requires)."""

    def __post_init__(self) -> None:
        if "@sha256:" not in self.image:
            raise ValueError(f"runner image {self.image!r} is not pinned by digest: use repository@sha256:<digest>")
        if "/" not in self.repository:
            raise ValueError(f"repository {self.repository!r}: give owner/repo")
        if not 1 <= self.max_runners <= 20:
            raise ValueError(f"max_runners {self.max_runners}: between 1 and 20")
        if not self.labels:
            raise ValueError(
                "runners need at least one label of their own, so that only this estate's jobs land on them"
            )


class GitHubRunners(pulumi.ComponentResource):
    """Ephemeral GitHub runners in the VNet, started per queued job.

    Children: the runner identity and its two role assignments, the Container Apps environment
    and its diagnostic setting, the event-driven job.
    """

    principal_id: pulumi.Output[str]
    environment_id: pulumi.Output[str]
    job_id: pulumi.Output[str]

    def __init__(self, name: str, args: GitHubRunnersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:ci:GitHubRunners", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=args.identity_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            opts=child,
        )
        pull = assign_role(
            f"{name}-acr-pull",
            RoleGrant(
                principal_id=identity.principal_id,
                role="AcrPull",
                scope=args.registry_id,
                description="CI runners pull their image from the estate's registry.",
            ),
            subscription_id=args.subscription_id,
            parent=self,
        )
        secret_scope = pulumi.Output.from_input(args.key_vault_id).apply(lambda v: f"{v}/secrets/{args.token_secret}")
        read_token = assign_role(
            f"{name}-token-reader",
            RoleGrant(
                principal_id=identity.principal_id,
                role="Key Vault Secrets User",
                scope=secret_scope,
                description="CI runners read the repository token, that one secret only.",
            ),
            subscription_id=args.subscription_id,
            parent=self,
        )
        environment = app.ManagedEnvironment(
            f"{name}-environment",
            environment_name=args.environment_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            vnet_configuration=app.VnetConfigurationArgs(infrastructure_subnet_id=args.subnet_id, internal=True),
            workload_profiles=[app.WorkloadProfileArgs(name="Consumption", workload_profile_type="Consumption")],
            app_logs_configuration=app.AppLogsConfigurationArgs(destination="azure-monitor"),
            public_network_access="Disabled",
            opts=child,
        )
        diagnostic_setting(
            f"{name}-environment", resource_id=environment.id, workspace_id=args.log_analytics_workspace_id, parent=self
        )
        owner, repo = args.repository.split("/", 1)
        labels = ",".join(args.labels)
        token_url = pulumi.Output.from_input(args.key_vault_uri).apply(
            lambda uri: f"{uri.rstrip('/')}/secrets/{args.token_secret}"
        )
        image = pulumi.Output.from_input(args.registry_login_server).apply(lambda server: f"{server}/{args.image}")
        job = app.Job(
            f"{name}-job",
            job_name=args.job_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            environment_id=environment.id,
            workload_profile_name="Consumption",
            identity=app.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[identity.id]),
            configuration=app.JobConfigurationArgs(
                trigger_type="Event",
                replica_timeout=args.timeout_minutes * 60,
                replica_retry_limit=0,
                secrets=[app.SecretArgs(name=TOKEN_SECRET_REF, key_vault_url=token_url, identity=identity.id)],
                registries=[app.RegistryCredentialsArgs(server=args.registry_login_server, identity=identity.id)],
                event_trigger_config=app.JobConfigurationEventTriggerConfigArgs(
                    parallelism=1,
                    replica_completion_count=1,
                    scale=app.JobScaleArgs(
                        min_executions=0,
                        max_executions=args.max_runners,
                        polling_interval=30,
                        rules=[
                            app.JobScaleRuleArgs(
                                name="github-runner",
                                type="github-runner",
                                metadata={
                                    "owner": owner,
                                    "runnerScope": "repo",
                                    "repos": repo,
                                    "labels": labels,
                                    "targetWorkflowQueueLength": "1",
                                },
                                auth=[
                                    app.ScaleRuleAuthArgs(
                                        secret_ref=TOKEN_SECRET_REF, trigger_parameter="personalAccessToken"
                                    )
                                ],
                            )
                        ],
                    ),
                ),
            ),
            template=app.JobTemplateArgs(
                containers=[
                    app.ContainerArgs(
                        name="runner",
                        image=image,
                        resources=app.ContainerResourcesArgs(cpu=args.cpu, memory=f"{args.memory_gi:g}Gi"),
                        env=[
                            app.EnvironmentVarArgs(name="GITHUB_PAT", secret_ref=TOKEN_SECRET_REF),
                            app.EnvironmentVarArgs(name="GH_URL", value=f"https://github.com/{owner}/{repo}"),
                            app.EnvironmentVarArgs(
                                name="REGISTRATION_TOKEN_API_URL",
                                value=f"https://api.github.com/repos/{owner}/{repo}/actions/runners/registration-token",
                            ),
                            app.EnvironmentVarArgs(name="RUNNER_LABELS", value=labels),
                        ],
                    )
                ]
            ),
            # The job cannot start before it may pull its image and read its token.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pull, read_token]),
        )
        self.principal_id = identity.principal_id
        self.environment_id = environment.id
        self.job_id = job.id
        self.register_outputs({"principal_id": self.principal_id, "job_id": self.job_id})
