"""The model account (a Foundry resource by default), a blocking content filter, chained deployments, projects.

The account is `Microsoft.CognitiveServices/accounts` of kind AIServices with project management
on (a Foundry resource; learn.microsoft.com/azure/templates/microsoft.cognitiveservices/accounts/
projects, API 2025-06-01 in the installed SDK, read 2026-12-01), or kind OpenAI for estates that
keep the plain Azure OpenAI account. Moving an existing OpenAI account to AIServices is the
documented in-place upgrade: the account keeps its name, identity, endpoint and deployments
(learn.microsoft.com/azure/foundry/how-to/upgrade-azure-openai-auto, read 2026-12-01). The
component's type and its children's names are unchanged, so existing stacks keep their URNs.
Projects (one per team or use case) get a system-assigned identity and are created after the
deployments, one after another, like every other write to the account.

Every deployment names the component's RAI policy, which blocks hate, sexual, violence and
self-harm content in prompts and completions at the configured severity, jailbreak attempts
in prompts and protected material in completions. Deployments are created one after another
(each depends on the previous one): Azure answers 409 to parallel deployments on one account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import pulumi
from pulumi_azure_native import cognitiveservices

from llmops_infra.components.alerts import AlertTarget, metric_alert
from llmops_infra.components.cognitive_account import (
    AccountArgs,
    AccountSpec,
    grant_callers,
    hardened_account,
    principal_of,
)

OPENAI_KIND = "OpenAI"
FOUNDRY_KIND = "AIServices"
KINDS = (FOUNDRY_KIND, OPENAI_KIND)
INFERENCE_ROLE = "Cognitive Services OpenAI User"
"""Inference only: call deployments; no keys, no deployment or policy changes."""
HARM_CATEGORIES = ("Hate", "Sexual", "Violence", "Selfharm")
THRESHOLDS = ("Low", "Medium", "High")
PROVISIONED_SKUS = frozenset({"ProvisionedManaged", "GlobalProvisionedManaged", "DataZoneProvisionedManaged"})
TOKEN_ALERT_FRACTION = 0.8
METRIC_NAMESPACE = "Microsoft.CognitiveServices/accounts"
SERVER_ERROR_CODES = ("500", "502", "503", "504")
"""`StatusCode` values of `AzureOpenAIRequests` that count as server errors."""


@dataclass(frozen=True, kw_only=True)
class ModelDeployment:
    """One model deployment on the account."""

    name: str
    model: str
    version: str
    sku: str = "Standard"
    capacity: int
    """Thousands of tokens per minute (PTUs for provisioned SKUs)."""
    auto_upgrade: bool = False
    """Let Azure move the deployment to new model versions. Default: pinned (NoAutoUpgrade)."""


@dataclass(frozen=True, kw_only=True)
class Project:
    """One Foundry project (a team or use case) under the account."""

    name: str
    display_name: str = ""
    """Name shown in the Foundry portal. Default: the name."""
    agents: bool = False
    """The Agent Service's standard setup runs in this project (`agent_setup.AgentSetup`). Default: off."""


@dataclass(frozen=True, kw_only=True)
class OpenAIEndpointsArgs(AccountArgs):
    """Placement, name (the Namer's "openai") and subscription (`AccountArgs`), deployments, callers
    and alert thresholds."""

    service: ClassVar[str] = "openai"
    zones: ClassVar[str] = "privatelink.openai.azure.com and privatelink.cognitiveservices.azure.com"

    max_total_capacity: int
    """Cap on the summed capacity of the deployments (cost.max_openai_capacity)."""
    deployments: list[ModelDeployment] = field(default_factory=list)
    """The model deployments of the account. Default: none."""
    content_filter_threshold: str = "Medium"
    """Severity at which harmful content is blocked; Low blocks the most, High the least. Default: Medium."""
    allowed_fqdns: list[str] = field(default_factory=list)
    """The only hosts the account itself may call (outbound access is always restricted).
    Default: none, the account calls no host."""
    inference_principal_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Identities (by workload name) that call the deployments: "Cognitive Services OpenAI User".
    Default: no identity gets the role."""
    action_group_id: pulumi.Input[str] | None = None
    """Where latency, error and token-usage alerts go. Default: no alerts (tests only)."""
    allow_provisioned_throughput: bool = False
    """Allow PTU SKUs, billed hourly whether used or not. Default: rejected."""
    rai_policy_name: str = "llmops-content-filter"
    """Name of the account's content filter (RAI) policy. Default: llmops-content-filter."""
    latency_threshold_ms: float = 10_000
    """Average time to response (ms) above which the account raises an alert. Default: 10 seconds."""
    error_threshold: float = 5
    """Server errors (5xx) per 15 minutes that raise an alert. Default: five."""
    kind: str = FOUNDRY_KIND
    """AIServices (a Foundry resource, projects allowed) or OpenAI (plain Azure OpenAI). Default: AIServices."""
    projects: list[Project] = field(default_factory=list)
    """Foundry projects under the account (kind AIServices only). Default: none."""
    agent_subnet_id: pulumi.Input[str] | None = None
    """The subnet the Agent Service is injected into (needed when a project has agents). Default: none."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind not in KINDS:
            raise ValueError(f"model account kind {self.kind!r}: use one of {list(KINDS)}")
        if self.projects and self.kind != FOUNDRY_KIND:
            raise ValueError(f"projects need a Foundry resource (kind {FOUNDRY_KIND}), not kind {self.kind}")
        if any(p.agents for p in self.projects) and self.agent_subnet_id is None:
            raise ValueError("foundry projects with agents need agent_subnet_id: the subnet agents are injected into")
        project_names = [p.name for p in self.projects]
        if len(set(project_names)) != len(project_names):
            raise ValueError(f"foundry projects: names {sorted(project_names)} must be unique")
        if self.content_filter_threshold not in THRESHOLDS:
            raise ValueError(
                f"openai content_filter_threshold {self.content_filter_threshold!r} is not one "
                f"of {list(THRESHOLDS)}: use Medium (default) or Low (stricter)"
            )
        names = [d.name for d in self.deployments]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"openai deployments: name(s) {duplicates} appear twice: names must be unique")
        total = sum(d.capacity for d in self.deployments)
        if total > self.max_total_capacity:
            parts = " + ".join(f"{d.name} {d.capacity}" for d in self.deployments)
            raise ValueError(
                f"openai deployments request {total}K tokens per minute ({parts}), above the cap of "
                f"{self.max_total_capacity} (cost.max_openai_capacity): lower the deployments' capacity "
                "or raise cost.max_openai_capacity"
            )
        for dep in self.deployments:
            if dep.capacity < 1:
                raise ValueError(f"openai deployment {dep.name}: capacity must be at least 1")
            if dep.sku in PROVISIONED_SKUS and not self.allow_provisioned_throughput:
                raise ValueError(
                    f"openai deployment {dep.name}: sku {dep.sku} is provisioned throughput (billed hourly "
                    "whether used or not): use Standard/GlobalStandard or set cost.allow_provisioned_throughput"
                )


def content_filters(threshold: str) -> list[cognitiveservices.RaiPolicyContentFilterArgs]:
    """Blocking filters: harm categories on prompt and completion, jailbreak, protected material."""
    filters = [
        cognitiveservices.RaiPolicyContentFilterArgs(
            name=category, source=source, severity_threshold=threshold, blocking=True, enabled=True
        )
        for category in HARM_CATEGORIES
        for source in ("Prompt", "Completion")
    ]
    filters.append(
        cognitiveservices.RaiPolicyContentFilterArgs(name="Jailbreak", source="Prompt", blocking=True, enabled=True)
    )
    filters.extend(
        cognitiveservices.RaiPolicyContentFilterArgs(name=name, source="Completion", blocking=True, enabled=True)
        for name in ("Protected Material Text", "Protected Material Code")
    )
    return filters


class OpenAIEndpoints(pulumi.ComponentResource):
    """An Azure OpenAI account with a content-filter policy and filtered, chained deployments.

    Children: the account, its private endpoint, its diagnostic setting, the RAI policy, one
    deployment per model (each after the previous), role assignments, metric alerts.
    """

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    deployment_names: pulumi.Output[list[str]]
    deployments: dict[str, cognitiveservices.Deployment]
    """Deployment name -> its resource (an app that calls it is created after it)."""
    project_ids: dict[str, pulumi.Output[str]]
    projects: dict[str, cognitiveservices.Project]
    """Project name -> its resource (the agent setup connects and grants each one)."""
    rai_policy_name: pulumi.Output[str]
    principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: OpenAIEndpointsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:ai:OpenAIEndpoints", name, None, opts)
        account = hardened_account(
            name,
            AccountSpec(
                kind=args.kind,
                account_name=args.account_name,
                restrict_outbound=True,
                allowed_fqdns=list(args.allowed_fqdns),
                allow_project_management=args.kind == FOUNDRY_KIND,
                agent_subnet_id=args.agent_subnet_id,
            ),
            args,
            parent=self,
        )
        policy = cognitiveservices.RaiPolicy(
            f"{name}-filter",
            rai_policy_name=args.rai_policy_name,
            account_name=account.name,
            resource_group_name=args.resource_group_name,
            properties=cognitiveservices.RaiPolicyPropertiesArgs(
                base_policy_name="Microsoft.DefaultV2",
                mode="Blocking",
                content_filters=content_filters(args.content_filter_threshold),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        deployments: list[cognitiveservices.Deployment] = []
        for spec in args.deployments:
            # Chained: Azure rejects concurrent deployment operations on one account (409).
            after: list[pulumi.Resource] = [policy, *deployments[-1:]]
            deployments.append(
                cognitiveservices.Deployment(
                    f"{name}-deploy-{spec.name}",
                    deployment_name=spec.name,
                    account_name=account.name,
                    resource_group_name=args.resource_group_name,
                    sku=cognitiveservices.SkuArgs(name=spec.sku, capacity=spec.capacity),
                    properties=cognitiveservices.DeploymentPropertiesArgs(
                        model=cognitiveservices.DeploymentModelArgs(
                            format="OpenAI", name=spec.model, version=spec.version
                        ),
                        version_upgrade_option="OnceNewDefaultVersionAvailable"
                        if spec.auto_upgrade
                        else "NoAutoUpgrade",
                        rai_policy_name=policy.name,
                    ),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=after),
                )
            )
        projects: list[cognitiveservices.Project] = []
        for spec_project in args.projects:
            # After the deployments and one at a time: writes to one account are serialized (409 otherwise).
            after_project: list[pulumi.Resource] = [policy, *deployments[-1:], *projects[-1:]]
            projects.append(
                cognitiveservices.Project(
                    f"{name}-project-{spec_project.name}",
                    project_name=spec_project.name,
                    account_name=account.name,
                    resource_group_name=args.resource_group_name,
                    location=args.location,
                    identity=cognitiveservices.IdentityArgs(
                        type=cognitiveservices.ResourceIdentityType.SYSTEM_ASSIGNED
                    ),
                    properties=cognitiveservices.ProjectPropertiesArgs(
                        display_name=spec_project.display_name or spec_project.name,
                        description=f"Foundry project {spec_project.name}",
                    ),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=after_project),
                )
            )
        grant_callers(
            name,
            account,
            args.inference_principal_ids,
            role=INFERENCE_ROLE,
            calls="the OpenAI deployments",
            subscription_id=args.subscription_id,
            parent=self,
        )
        if args.action_group_id is not None:
            _alerts(name, args, account.id, args.action_group_id, parent=self)
        self.account_id = account.id
        self.account_name = account.name
        self.endpoint = account.properties.apply(lambda p: p.endpoint)
        self.principal_id = principal_of(account)
        self.rai_policy_name = policy.name
        self.deployment_names = pulumi.Output.all(*[d.name for d in deployments]).apply(list)
        self.deployments = {spec.name: d for spec, d in zip(args.deployments, deployments, strict=True)}
        self.project_ids = {p.name: project.id for p, project in zip(args.projects, projects, strict=True)}
        self.projects = {p.name: project for p, project in zip(args.projects, projects, strict=True)}
        self.register_outputs(
            {
                "account_id": self.account_id,
                "endpoint": self.endpoint,
                "deployment_names": self.deployment_names,
                "project_ids": self.project_ids,
            }
        )


def _alerts(
    name: str,
    args: OpenAIEndpointsArgs,
    account_id: pulumi.Input[str],
    action_group_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> None:
    """Latency, server errors and token usage (Azure Monitor platform metrics of
    `Microsoft.CognitiveServices/accounts`, each split by dimension `ModelDeploymentName`).

    `AzureOpenAITimeToResponse`: ms to the first response, over all deployments.
    Server errors: `AzureOpenAIRequests` (a count, dimension `StatusCode`) filtered on the 5xx
    codes, against `error_threshold` per 15 minutes. Chosen over `AzureOpenAIAvailabilityRate`
    < 99 %: a rate swings on a few calls at dev's low volume, a count means the same in every
    environment.
    `TokenTransaction` (total inference tokens: `ProcessedPromptTokens` + `GeneratedTokens`): one
    alert per pay-as-you-go deployment, filtered on its `ModelDeploymentName`, at 80 % of that
    deployment's capacity over 15 minutes. Provisioned (PTU) deployments get none: their
    capacity is in PTUs, not tokens.
    """
    common = AlertTarget(
        resource_group_name=args.resource_group_name,
        scopes=[account_id],
        window_size="PT15M",
        evaluation_frequency="PT5M",
        action_group_id=action_group_id,
        metric_namespace=METRIC_NAMESPACE,
        parent=parent,
    )
    metric_alert(
        f"{name}-alert-latency",
        rule_name=f"alrt-{args.account_name}-latency",
        metric_name="AzureOpenAITimeToResponse",
        aggregation="Average",
        threshold=args.latency_threshold_ms,
        description=f"Azure OpenAI time to response above {args.latency_threshold_ms:g} ms",
        **common,
    )
    metric_alert(
        f"{name}-alert-errors",
        rule_name=f"alrt-{args.account_name}-errors",
        metric_name="AzureOpenAIRequests",
        aggregation="Total",
        threshold=args.error_threshold,
        severity=1,
        dimensions=[("StatusCode", "Include", SERVER_ERROR_CODES)],
        description=f"More than {args.error_threshold:g} Azure OpenAI server errors (5xx) in 15 minutes",
        **common,
    )
    for dep in args.deployments:
        if dep.sku in PROVISIONED_SKUS:
            continue
        # Capacity is thousands of tokens per minute: alert at 80 % of a 15-minute window's worth.
        metric_alert(
            f"{name}-alert-tokens-{dep.name}",
            rule_name=f"alrt-{args.account_name}-tokens-{dep.name}",
            metric_name="TokenTransaction",
            aggregation="Total",
            threshold=TOKEN_ALERT_FRACTION * dep.capacity * 1000 * 15,
            dimensions=[("ModelDeploymentName", "Include", [dep.name])],
            description=f"{dep.name}: tokens above {TOKEN_ALERT_FRACTION:.0%} of its capacity "
            f"({dep.capacity}K per minute) for 15 minutes: requests will soon be throttled (429)",
            **common,
        )
