"""Stages of the AI services: Content Safety, Azure OpenAI, Azure ML online endpoints.

They run after the security foundation (monitoring, network, key_vault, identity) and the
registry and model storage, and register `content_safety`, `openai` and `ml` (see
docs/architecture.md). Who may call what (each role scoped to the one account):

- no user-assigned workload identity gets "Cognitive Services User" on Content Safety or
  "Cognitive Services OpenAI User" on the OpenAI account: nothing the estate runs calls them
  as one (`MODEL_CALLERS` is empty; the vLLM pods serve their own model, and flows run on the ML
  endpoints under the endpoints' identities). A workload added later that calls the models
  names its identity in `MODEL_CALLERS`;
- each ML online endpoint's system identity gets the same two roles (flows call the models
  and screen text); the workspace's managed network reaches the two accounts only through
  private-endpoint outbound rules.

Config mistakes the components reject (capacity above `cost.max_openai_capacity`, a PTU SKU
without `cost.allow_provisioned_throughput`) become a `ConfigError` that names the key.
"""

from __future__ import annotations

import pulumi

from llmops_infra.components.content_safety import ContentSafety, ContentSafetyArgs
from llmops_infra.components.ml_endpoints import FlowEndpoint, FlowSlot, MlEndpoints, MlEndpointsArgs
from llmops_infra.components.openai_endpoints import (
    FOUNDRY_KIND,
    ModelDeployment,
    OpenAIEndpoints,
    OpenAIEndpointsArgs,
    Project,
)
from llmops_infra.components.private_endpoint import PRIVATE_DNS_ZONES
from llmops_infra.stacks import context as keys
from llmops_infra.stacks.context import Estate, config_key

MODEL_CALLERS: tuple[str, ...] = ()
"""Workload identities that call the models and Content Safety: none today (see the module docstring)."""


def _callers(estate: Estate) -> dict[str, pulumi.Output[str]]:
    principal_ids = estate.get(keys.IDENTITY).principal_ids
    return {w: principal_ids[w] for w in MODEL_CALLERS if w in principal_ids}


def content_safety_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    safety = ContentSafety(
        "content_safety",
        ContentSafetyArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            account_name=namer.name("content_safety"),
            subscription_id=config.azure.subscription_id,
            subnet_id=net.subnet_ids["private_endpoints"],
            dns_zone_ids=[net.dns_zone_ids[PRIVATE_DNS_ZONES["account"]]],
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            consumer_principal_ids=_callers(estate),
            allow_public_network_access=config.content_safety.allow_public_network_access,
            private_endpoint_name=namer.name("private_endpoint", "cs"),
        ),
    )
    estate.add(keys.CONTENT_SAFETY, safety)
    estate.export("content_safety_endpoint", safety.endpoint)


def openai_args(estate: Estate) -> OpenAIEndpointsArgs:
    """The OpenAI component's args from the config; a `ConfigError` names the key to fix."""
    config, namer = estate.config, estate.namer
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    openai = config.openai
    with config_key("openai.deployments"):
        return OpenAIEndpointsArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            account_name=namer.name("openai"),
            subscription_id=config.azure.subscription_id,
            subnet_id=net.subnet_ids["private_endpoints"],
            # The account answers on <name>.openai.azure.com and <name>.cognitiveservices.azure.com, a Foundry
            # resource also on <name>.services.ai.azure.com.
            dns_zone_ids=[
                net.dns_zone_ids[PRIVATE_DNS_ZONES["openai"]],
                net.dns_zone_ids[PRIVATE_DNS_ZONES["account"]],
                *([net.dns_zone_ids[PRIVATE_DNS_ZONES["account-foundry"]]] if openai.kind == FOUNDRY_KIND else []),
            ],
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            max_total_capacity=config.cost.max_openai_capacity,
            allow_provisioned_throughput=config.cost.allow_provisioned_throughput,
            deployments=[
                ModelDeployment(
                    name=d.name,
                    model=d.model,
                    version=d.version,
                    sku=d.sku,
                    capacity=d.capacity,
                    auto_upgrade=d.auto_upgrade,
                )
                for d in openai.deployments
            ],
            content_filter_threshold=openai.content_filter_threshold.value,
            allowed_fqdns=list(openai.allowed_fqdns),
            inference_principal_ids=_callers(estate),
            action_group_id=monitoring.action_group_id,
            allow_public_network_access=openai.allow_public_network_access,
            private_endpoint_name=namer.name("private_endpoint", "oai"),
            kind=openai.kind,
            projects=[
                Project(name=p.name, display_name=p.display_name, agents=p.agents) for p in config.foundry.projects
            ],
            agent_subnet_id=net.subnet_ids["agents"] if any(p.agents for p in config.foundry.projects) else None,
        )


def openai_stage(estate: Estate) -> None:
    openai = OpenAIEndpoints("openai", openai_args(estate))
    estate.add(keys.OPENAI, openai)
    if openai.project_ids:
        estate.export("foundry_project_ids", openai.project_ids)
    estate.export("openai_endpoint", openai.endpoint)
    estate.export("openai_deployment_names", openai.deployment_names)


def flow_endpoints(estate: Estate) -> list[FlowEndpoint]:
    """The configured online endpoints and their slots, as both stacks declare them."""
    return [
        FlowEndpoint(
            key=ep.name,
            endpoint_name=estate.namer.name("ml_online_endpoint", ep.name),
            slots=[
                FlowSlot(
                    name=d.name,
                    flow_version=d.flow_version,
                    instance_type=d.instance_type,
                    instance_count=d.instance_count,
                    traffic_percent=d.traffic_percent,
                    request_timeout_seconds=d.request_timeout_seconds,
                    workers=d.workers,
                    worker_threads=d.worker_threads,
                )
                for d in ep.deployments
            ],
        )
        for ep in estate.config.ml.endpoints
    ]


def ml_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    ml_config = config.ml
    ml = MlEndpoints(
        "ml",
        MlEndpointsArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            workspace_name=namer.name("ml_workspace"),
            subscription_id=config.azure.subscription_id,
            key_vault_id=estate.get(keys.KEY_VAULT).vault_id,
            storage_account_id=estate.get(keys.MODEL_STORAGE).storage_account_id,
            container_registry_id=estate.get(keys.REGISTRY).registry_id,
            app_insights_id=monitoring.app_insights_id,
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            subnet_id=net.subnet_ids["private_endpoints"],
            dns_zone_ids=[
                net.dns_zone_ids[PRIVATE_DNS_ZONES["amlworkspace"]],
                net.dns_zone_ids[PRIVATE_DNS_ZONES["amlworkspace-notebooks"]],
            ],
            allowed_instance_types=list(ml_config.allowed_instance_types),
            max_instances=ml_config.max_instances,
            endpoints=flow_endpoints(estate),
            openai_account_id=estate.get(keys.OPENAI).account_id,
            content_safety_account_id=estate.get(keys.CONTENT_SAFETY).account_id,
            action_group_id=monitoring.action_group_id,
            allow_public_network_access=ml_config.allow_public_network_access,
            private_endpoint_name=namer.name("private_endpoint", "mlw"),
        ),
    )
    estate.add(keys.ML, ml)
    estate.export("ml_workspace_name", ml.workspace_name)
    estate.export("ml_scoring_uris", ml.scoring_uris)
