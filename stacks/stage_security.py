"""Stages of the security foundation: monitoring, network, key vault, identities, budget.

Each stage reads the config and what earlier stages built, composes components and
registers them on the `Estate` under the keys of docs/architecture.md. Role assignments
made here (who may do what on which resource):

- workload identities: nothing here. A role belongs to the identity of a workload that uses it, on
  the one resource (or secret, or container) it uses: the inference identity reads its API-key
  secret (granted by the workload stack, once the bootstrap has created the secret) and the
  models container (model storage stage); nothing the estate runs acts as the promptflow or
  chatops identities with Application Insights, OpenAI or Content Safety (the ML endpoints use
  their own system identities), so they get no such role;
- Grafana's system identity: Monitoring Data Reader on the Azure Monitor workspace (queries
  managed Prometheus);
- the Entra ID groups of `monitoring.grafana_admin_group_object_ids`: Grafana Admin on the
  Grafana instance only;
- pipeline principal: Key Vault Secrets Officer on the vault, so the pipeline can write the
  runtime secrets it holds (e.g. the model hub token) without being able to change the
  vault itself. The control-plane rights `pulumi up` needs on the resource group are not
  granted by the estate: a principal cannot bootstrap its own deployer rights, and IAM-01
  forbids Owner/Contributor at group scope. An administrator grants them once, out of band
  (a custom role limited to the estate's resource providers is the recommended way).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

import pulumi

from llmops_infra.components.alerts import metric_alert
from llmops_infra.components.budget import Budget, BudgetArgs
from llmops_infra.components.dns_zones import PROMETHEUS_GROUP, regional_zones
from llmops_infra.components.identity import WorkloadIdentities, WorkloadIdentitiesArgs
from llmops_infra.components.key_vault import KeyVault, KeyVaultArgs
from llmops_infra.components.monitoring import Monitoring, MonitoringArgs
from llmops_infra.components.network import SUBNET_KEYS, Network, NetworkArgs, RunnerSubnetSpec, SubnetSpec
from llmops_infra.components.pipeline_principal import (
    DeployerIdentity,
    DeployerIdentityArgs,
    Federation,
    PipelinePrincipal,
    PipelinePrincipalArgs,
    azure_devops_federation,
    github_federation,
)
from llmops_infra.components.private_endpoint import PRIVATE_DNS_ZONES, private_endpoint, zones_for_group
from llmops_infra.components.roles import RoleGrant, assign_role
from llmops_infra.config.models import PipelineIdentity
from llmops_infra.errors import ConfigError
from llmops_infra.stacks import context as keys
from llmops_infra.stacks.context import Estate
from llmops_infra.stacks.stage_compute import node_resource_group_name

PIPELINE_GRANTS: list[tuple[str, str]] = [("Key Vault Secrets Officer", "key_vault")]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def chat_webhook_url(env_var: str | None, environ: dict[str, str] | None = None) -> pulumi.Output[str] | None:
    """The chat webhook URL from the environment variable `env_var`, as a secret; None if unset."""
    if not env_var:
        return None
    value = (environ if environ is not None else os.environ).get(env_var, "").strip()
    if not value:
        return None
    if not value.startswith("https://"):
        # Never echo the value: it carries a token.
        raise ConfigError(
            f"environment variable {env_var} does not hold an https:// URL: set it to the "
            "chat channel's incoming webhook",
            key="monitoring.chat_webhook_env",
        )
    return pulumi.Output.secret(value)


def monitoring_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    foundation = estate.get(keys.FOUNDATION)
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            workspace_name=namer.name("log_analytics"),
            app_insights_name=namer.name("application_insights"),
            monitor_workspace_name=namer.name("monitor_workspace"),
            action_group_name=namer.name("action_group"),
            action_group_short_name=f"{config.workload}-{config.name}"[:12],
            alert_emails=list(config.monitoring.alert_emails),
            log_retention_days=config.monitoring.log_retention_days,
            grafana_name=namer.name("grafana") if config.monitoring.grafana else None,
            chat_webhook_url=chat_webhook_url(config.monitoring.chat_webhook_env),
            allow_public_network_access=config.monitoring.allow_public_network_access,
            # CAF abbreviation ampls; the naming module has no rule for it yet, so it follows the workspace's.
            private_link_scope_name="ampls-" + namer.name("log_analytics").removeprefix("log-"),
        ),
    )
    estate.add(keys.MONITORING, monitoring)
    if monitoring.grafana_principal_id is not None:
        assign_role(
            "monitoring-grafana-monitoring-data-reader",
            RoleGrant(
                principal_id=monitoring.grafana_principal_id,
                role="Monitoring Data Reader",
                scope=monitoring.monitor_workspace_id,
                description="Grafana queries managed Prometheus.",
            ),
            subscription_id=config.azure.subscription_id,
            parent=monitoring,
        )
    if monitoring.grafana_id is not None:
        for group in config.monitoring.grafana_admin_group_object_ids:
            assign_role(
                f"monitoring-grafana-admin-{group.lower()}",
                RoleGrant(
                    principal_id=group,
                    role="Grafana Admin",
                    scope=monitoring.grafana_id,
                    principal_type="Group",
                    description="Grafana administrators (dashboards, data sources, Grafana roles).",
                ),
                subscription_id=config.azure.subscription_id,
                parent=monitoring,
            )
    estate.export("log_analytics_workspace_id", monitoring.log_analytics_workspace_id)
    estate.export("monitor_workspace_id", monitoring.monitor_workspace_id)
    estate.export("action_group_id", monitoring.action_group_id)


def network_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    foundation, monitoring = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING)
    cidrs = config.network.subnets.model_dump()
    net = Network(
        "network",
        NetworkArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            vnet_name=namer.name("virtual_network"),
            address_space=config.network.address_space,
            subnets={
                key: SubnetSpec(
                    name=namer.name("subnet", key), cidr=cidrs[key], nsg_name=namer.name("network_security_group", key)
                )
                for key in SUBNET_KEYS
            },
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            existing_private_dns_zones=dict(config.network.existing_private_dns_zones),
            runner_subnet=_runner_subnet(estate),
            app_subnet=_optional_subnet(estate, "apps", config.network.subnets.apps),
            agent_subnet=_optional_subnet(estate, "agents", config.network.subnets.agents),
            regional_private_dns_zones=regional_zones(config.azure.location),
            gateway_subnet=SubnetSpec(
                name=namer.name("subnet", "apim"),
                cidr=cidrs["gateway"],
                nsg_name=namer.name("network_security_group", "apim"),
            )
            if cidrs.get("gateway")
            else None,
            firewall_subnet_cidr=cidrs.get("firewall"),
            node_route_table_name=namer.name("route_table", "aks") if config.egress.mode != "direct" else None,
        ),
    )
    estate.add(keys.NETWORK, net)

    def endpoint(name: str, target: pulumi.Output[str], group: str, qualifier: str) -> None:
        private_endpoint(
            name,
            resource_group_name=foundation.resource_group_name,
            subnet_id=net.subnet_ids["private_endpoints"],
            target_resource_id=target,
            group_id=group,
            dns_zone_ids=[net.dns_zone_ids[zone] for zone in zones_for_group(group)],
            endpoint_name=namer.name("private_endpoint", qualifier),
            parent=net,
        )

    if monitoring.grafana_id is not None:
        # Grafana's public access is off: its users reach it through this endpoint.
        endpoint("grafana", monitoring.grafana_id, "grafana", "grafana")
    # Agents in the VNet (AKS, ML) ingest and query Log Analytics and App Insights through the
    # scope's endpoint; with public access off it is the only way in.
    endpoint("monitor", monitoring.private_link_scope_id, "azuremonitor", "monitor")
    if monitoring.monitor_workspace_public_network_access == "Disabled":
        # KEDA (in the cluster) queries managed Prometheus through the workspace's own endpoint.
        private_endpoint(
            "prometheus",
            resource_group_name=foundation.resource_group_name,
            subnet_id=net.subnet_ids["private_endpoints"],
            target_resource_id=monitoring.monitor_workspace_id,
            group_id=PROMETHEUS_GROUP,
            dns_zone_ids=[net.dns_zone_ids[PROMETHEUS_GROUP]],
            endpoint_name=namer.name("private_endpoint", "amw"),
            parent=net,
        )
    estate.export("vnet_id", net.vnet_id)


def _optional_subnet(estate: Estate, key: str, cidr: str | None) -> SubnetSpec | None:
    """The subnet `key` (apps, agents) with its NSG, named by the estate's namer; None when it has no range."""
    if not cidr:
        return None
    namer = estate.namer
    return SubnetSpec(name=namer.name("subnet", key), cidr=cidr, nsg_name=namer.name("network_security_group", key))


def _runner_subnet(estate: Estate) -> RunnerSubnetSpec | None:
    config, namer = estate.config, estate.namer
    cidr = config.network.subnets.ci_runners
    if cidr is None or not config.ci.runners.enabled:
        return None
    return RunnerSubnetSpec(
        name=namer.name("subnet", "ci"),
        cidr=cidr,
        nsg_name=namer.name("network_security_group", "ci"),
        kind=config.ci.runners.kind,
        nat_gateway_name=namer.name("nat_gateway", "ci"),
        public_ip_name=namer.name("public_ip", "ci"),
    )


def key_vault_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    vault = KeyVault(
        "key_vault",
        KeyVaultArgs(
            vault_name=namer.name("key_vault"),
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            tenant_id=config.azure.tenant_id,
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            private_endpoint_subnet_id=net.subnet_ids["private_endpoints"],
            private_dns_zone_id=net.dns_zone_ids[PRIVATE_DNS_ZONES["vault"]],
            private_endpoint_name=namer.name("private_endpoint", "kv"),
            soft_delete_retention_days=config.key_vault.soft_delete_retention_days,
            allow_public_network_access=config.key_vault.allow_public_network_access,
            allowed_ip_ranges=list(config.key_vault.allowed_ip_ranges),
        ),
    )
    estate.add(keys.KEY_VAULT, vault)
    metric_alert(
        "key_vault-availability",
        rule_name=namer.name("alert", "kv-availability"),
        resource_group_name=foundation.resource_group_name,
        scopes=[vault.vault_id],
        metric_name="Availability",
        metric_namespace="Microsoft.KeyVault/vaults",
        operator="LessThan",
        threshold=99.0,
        aggregation="Average",
        severity=1,
        description="Key Vault availability under 99 %: pods cannot read their secrets.",
        action_group_id=monitoring.action_group_id,
        parent=vault,
    )
    estate.export("key_vault_name", vault.vault_name)
    estate.export("key_vault_uri", vault.vault_uri)


def _scopes(estate: Estate) -> dict[str, pulumi.Output[str]]:
    return {"key_vault": estate.get(keys.KEY_VAULT).vault_id}


def pipeline_federations(pipeline: PipelineIdentity) -> list[Federation]:
    feds: list[Federation] = []
    if pipeline.github:
        feds.append(github_federation(pipeline.github.repository, pipeline.github.environment))
    if pipeline.azure_devops:
        ado = pipeline.azure_devops
        feds.append(azure_devops_federation(ado.organization, ado.organization_id, ado.project, ado.service_connection))
    return feds


def identity_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    foundation = estate.get(keys.FOUNDATION)
    subscription = config.azure.subscription_id
    identities = WorkloadIdentities(
        "identity",
        WorkloadIdentitiesArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            identity_names={w: namer.name("managed_identity", w) for w in config.identity.workloads},
        ),
    )
    estate.add(keys.IDENTITY, identities)
    scopes = _scopes(estate)
    estate.export("workload_client_ids", dict(identities.client_ids))

    federations = pipeline_federations(config.identity.pipeline)
    if not federations:
        return
    pipeline: PipelinePrincipal | DeployerIdentity
    if config.identity.pipeline.deployer == "bootstrap":
        # Created by `llmops-infra bootstrap` with its federated credentials (same names as bootstrap_spec).
        pipeline = DeployerIdentity(
            "pipeline",
            DeployerIdentityArgs(
                resource_group_name=namer.name("resource_group", "bootstrap"),
                identity_name=namer.name("managed_identity", "deployer"),
            ),
        )
    else:
        pipeline = PipelinePrincipal(
            "pipeline",
            PipelinePrincipalArgs(
                identity_name=namer.name("managed_identity", "pipeline"),
                resource_group_name=foundation.resource_group_name,
                location=config.azure.location,
                federations=federations,
            ),
        )
    estate.add(keys.PIPELINE, pipeline)
    for role, target in PIPELINE_GRANTS:
        assign_role(
            f"pipeline-{_slug(role)}",
            RoleGrant(
                principal_id=pipeline.principal_id,
                role=role,
                scope=scopes[target],
                description=f"Deployment pipeline: {role} on the {target.replace('_', ' ')}.",
            ),
            subscription_id=subscription,
            parent=pipeline,
        )
    estate.export("pipeline_client_id", pipeline.client_id)
    estate.export("pipeline_principal_id", pipeline.principal_id)
    estate.export("pipeline_identity_name", pipeline.identity_name)


def utc_today() -> date:
    return datetime.now(UTC).date()


def budget_start(configured: date | None, today: date) -> str:
    """The budget's first month, YYYY-MM-01: the configured one, else the current month.

    Azure accepts only the current month or a later one when it creates a budget, so a fixed
    default goes stale; the component ignores later changes, so a new month never replaces it.
    """
    return (configured or today.replace(day=1)).isoformat()


def budget_stage(estate: Estate, *, today: Callable[[], date] = utc_today) -> None:
    """`today` is the clock (UTC); tests pass a fixed one. Read once, so a run plans one date."""
    config, namer = estate.config, estate.namer
    foundation, monitoring = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING)
    budget = config.budget
    estate.add(
        keys.BUDGET,
        Budget(
            "budget",
            BudgetArgs(
                budget_name=namer.name("budget"),
                # The subscription, filtered to the estate's group and AKS's node group: GPU VMs
                # are billed in the node group, which a group-scoped budget would miss.
                scope=f"/subscriptions/{config.azure.subscription_id}",
                resource_group_names=[foundation.resource_group_name, node_resource_group_name(estate)],
                monthly_amount=budget.monthly_usd,
                contact_emails=list(budget.contact_emails),
                start_date=budget_start(budget.start_date, today()),
                actual_threshold_percent=budget.actual_threshold_percent,
                forecast_threshold_percent=budget.forecast_threshold_percent,
                action_group_ids=[monitoring.action_group_id],
            ),
        ),
    )
