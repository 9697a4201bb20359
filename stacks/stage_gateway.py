"""Stages of controlled egress (before the cluster) and the AI gateway (after the model endpoints).

Role assignments made here (who may do what on which resource):

- the gateway's system identity: Cognitive Services OpenAI User on the OpenAI account (calls the
  deployments), Cognitive Services User on the Content Safety account (screens prompts to the vLLM models;
  the only built-in data role of Content Safety, which has local auth off), AzureML Data Scientist on the ML workspace (scores the online endpoints, which take
  Entra tokens), Key Vault Secrets User on the vLLM API-key secret only (the Key Vault-backed named
  value), Monitoring Metrics Publisher on Application Insights (token metrics; local auth is off);
- chatops identity: Monitoring Data Reader on the Azure Monitor workspace and Reader on the Log Analytics
  workspace (reads monitoring), nothing else in Azure; it calls the gateway with its Entra token like any
  team app (the gateway's JWT check and a product subscription admit it, no Azure role does).
"""

from __future__ import annotations

import ipaddress

import pulumi

from llmops_infra.components.ai_gateway import AiGateway, AiGatewayArgs
from llmops_infra.components.chargeback import chargeback_query, chargeback_search
from llmops_infra.components.egress_firewall import EgressFirewall, EgressFirewallArgs, default_route
from llmops_infra.components.gateway_dns import gateway_dns
from llmops_infra.components.gateway_keys import app_subscription_key
from llmops_infra.components.gateway_screening import THRESHOLDS
from llmops_infra.components.gateway_specs import AppApiSpec, AppSplit, BackendUrl, ModelApiSpec, TeamSpec
from llmops_infra.components.roles import RoleGrant, assign_role
from llmops_infra.config.gateway import GATEWAY_LB_OFFSET
from llmops_infra.config.token_prices import gateway_model_prices
from llmops_infra.stacks import context as keys
from llmops_infra.stacks.context import Estate


def egress_stage(estate: Estate) -> None:
    """Mode firewall: a firewall and the default route to it; mode hub: the route to the hub's firewall."""
    config, namer = estate.config, estate.namer
    egress = config.egress
    if egress.mode == "direct":
        return
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    if net.route_table_name is None:
        raise ValueError(
            "egress needs the node route table: the network stage creates it when egress.mode is not direct"
        )
    if egress.mode == "hub":
        route = default_route(
            "egress-hub-default-route",
            resource_group_name=foundation.resource_group_name,
            route_table_name=net.route_table_name,
            next_hop_ip=egress.hub_firewall_ip or "",
            parent=net,
        )
        estate.add(keys.EGRESS_READY, route)
        return
    firewall = EgressFirewall(
        "egress",
        EgressFirewallArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            firewall_name=namer.name("firewall"),
            policy_name=namer.name("firewall_policy"),
            public_ip_name=namer.name("public_ip", "afw"),
            firewall_subnet_id=net.subnet_ids["firewall"],
            route_table_name=net.route_table_name,
            source_cidrs=[config.network.subnets.aks_nodes],
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            action_group_id=monitoring.action_group_id,
            private_cluster=config.cluster.private_cluster,
            allowed_fqdns={
                "model-hub": list(egress.model_hub_fqdns),
                "image-registries": list(egress.registry_fqdns),
                "extra": list(egress.extra_fqdns),
            },
            sku_tier=egress.firewall_sku,
        ),
    )
    estate.add(keys.EGRESS, firewall)
    estate.add(keys.EGRESS_READY, firewall.default_route)
    estate.export("firewall_private_ip", firewall.private_ip)


def vllm_gateway_ip(nodes_cidr: str, index: int) -> str:
    """The fixed internal load-balancer address of the `index`-th vLLM model in the node subnet."""
    net = ipaddress.ip_network(nodes_cidr)
    address = net.network_address + GATEWAY_LB_OFFSET + index
    if address not in net or address == net.broadcast_address:
        raise ValueError(f"the node subnet {nodes_cidr} has no room for the gateway address of model {index}")
    return str(address)


def _models(estate: Estate) -> list[ModelApiSpec]:
    config = estate.config
    models: list[ModelApiSpec] = []
    openai = estate.find(keys.OPENAI)
    if openai is not None:
        for d in config.openai.deployments:
            models.append(
                ModelApiSpec(
                    name=d.name,
                    kind="openai",
                    urls=[BackendUrl(url=openai.endpoint.apply(lambda e: f"{e.rstrip('/')}/openai"))],
                    target=openai.deployments[d.name],
                )
            )
    vault = estate.get(keys.KEY_VAULT)
    for index, m in enumerate(config.inference.models):
        ip = vllm_gateway_ip(config.network.subnets.aks_nodes, index)
        models.append(
            ModelApiSpec(
                name=m.name,
                kind="vllm",
                urls=[BackendUrl(url=f"http://{ip}:8000/v1")],
                api_key_secret_uri=vault.vault_uri.apply(
                    lambda uri: f"{uri.rstrip('/')}/secrets/{config.inference.api_key_secret}"
                ),
            )
        )
    ml = estate.find(keys.ML)
    if ml is not None:
        for ep in config.ml.endpoints:
            uri = ml.scoring_uris.get(ep.name)
            if uri is not None and ep.migrate_to is None:  # a flow moving to an app is routed after the apps
                models.append(ModelApiSpec(name=ep.name, kind="ml", urls=[BackendUrl(url=uri)]))
    return models


def _moving_flows(estate: Estate) -> list[ModelApiSpec]:
    """The routes of prompt flows moving to an app (`ml.endpoints[].migrate_to`): a share of each route's
    requests goes to the app (docs/migration.md). Built after the apps stage (the app's host name)."""
    config, ml = estate.config, estate.find(keys.ML)
    routes: list[ModelApiSpec] = []
    for ep in config.ml.endpoints:
        uri = ml.scoring_uris.get(ep.name) if ml is not None else None
        if ep.migrate_to is None or uri is None:
            continue
        app = estate.get(keys.team_app(ep.migrate_to.app))
        split = AppSplit(
            app=ep.migrate_to.app, fqdn=app.fqdn, percent=ep.migrate_to.traffic_percent, resource=app.container_app
        )
        routes.append(ModelApiSpec(name=ep.name, kind="ml", urls=[BackendUrl(url=uri)], split=split))
    return routes


def gateway_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    _chatops_grants(estate)
    gw = config.gateway
    if gw is None:
        return
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    safety = estate.find(keys.CONTENT_SAFETY)
    screen = safety is not None and bool(config.inference.models)
    gateway = AiGateway(
        "gateway",
        AiGatewayArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            service_name=namer.name("api_management"),
            sku=gw.sku,
            capacity=gw.capacity,
            publisher_name=gw.publisher_name,
            publisher_email=gw.publisher_email,
            subnet_id=net.subnet_ids["gateway"],
            tenant_id=config.azure.tenant_id,
            audience=gw.audience,
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            app_insights_id=monitoring.app_insights_id,
            app_insights_connection_string=monitoring.app_insights_connection_string,
            action_group_id=monitoring.action_group_id,
            models=_models(estate),
            later_models=tuple(e.name for e in config.ml.endpoints if e.migrate_to is not None),
            content_safety_endpoint=safety.endpoint if screen and safety is not None else None,
            screening_threshold=THRESHOLDS[config.openai.content_filter_threshold.value],
            teams=[
                TeamSpec(
                    name=t.name,
                    cost_center=t.cost_center,
                    tokens_per_minute=t.tokens_per_minute,
                    monthly_token_quota=t.monthly_token_quota,
                    models=list(t.models),
                    client_app_ids=_admitted(estate, t.name, list(t.client_app_ids)),
                )
                for t in config.teams
            ],
        ),
    )
    estate.add(keys.GATEWAY, gateway)
    # Internal mode registers no public DNS: the default host names resolve in the VNet through this zone.
    gateway_dns(
        "gateway",
        service_name=namer.name("api_management"),
        private_ip=gateway.private_ip,
        resource_group_name=foundation.resource_group_name,
        vnet_id=net.vnet_id,
        vnet_name=namer.name("virtual_network"),
        parent=gateway,
    )
    # The chargeback view, with the catalog's token prices written in at synthesis.
    chargeback_search(
        "gateway",
        workspace_name=monitoring.log_analytics_workspace_id.apply(lambda rid: rid.rsplit("/", 1)[-1]),
        resource_group_name=foundation.resource_group_name,
        query=chargeback_query(gateway_model_prices(config), {t.name: t.cost_center for t in config.teams}),
        parent=gateway,
    )
    _grants(estate, gateway)
    _app_keys(estate, gateway)
    estate.export("gateway_url", gateway.gateway_url)


def _admitted(estate: Estate, team: str, configured: list[str]) -> list[pulumi.Input[str]]:
    """The client ids a team's APIs admit: the config's and, when it lists any, the team's apps' identities (an
    empty list admits any app of the audience, the apps included)."""
    if not configured:
        return []
    apps = [estate.get(keys.app_identity(a.name)).client_id for a in estate.config.apps if a.team == team]
    return [*configured, *apps]


def _app_keys(estate: Estate, gateway: AiGateway) -> None:
    """Each app that calls models subscribes to its team's product; its key goes to Key Vault for the app to read."""
    foundation, vault = estate.get(keys.FOUNDATION), estate.get(keys.KEY_VAULT)
    for spec in estate.config.apps:
        if not spec.models:
            continue
        subscription = gateway.add_subscription(f"app-{spec.name}", spec.team, f"app {spec.name} (team {spec.team})")
        secret = app_subscription_key(
            f"gateway-app-{spec.name}",
            subscription=subscription,
            service_name=gateway.service_name,
            resource_group_name=foundation.resource_group_name,
            vault_name=vault.vault_name,
            secret_name=f"gateway-key-app-{spec.name}",
            parent=gateway,
        )
        estate.add(keys.app_gateway_key(spec.name), secret)


def gateway_routes_stage(estate: Estate) -> None:
    """Each team app becomes the API `apps/<name>` in its team's product (after the apps stage, which admitted
    only the gateway subnet to the apps' ingress), and a flow moving to an app gets its split route."""
    gateway = estate.find(keys.GATEWAY)
    if gateway is None:
        return
    for route in _moving_flows(estate):
        gateway.add_model_api(route, teams=[t.name for t in estate.config.teams if route.name in t.models])
    for spec in estate.config.apps:
        app = estate.get(keys.team_app(spec.name))
        gateway.add_app_api(AppApiSpec(name=spec.name, team=spec.team, fqdn=app.fqdn, app=app.container_app))


def _grant(
    estate: Estate,
    name: str,
    principal: pulumi.Input[str],
    role: str,
    scope: pulumi.Input[str],
    why: str,
    parent: pulumi.Resource,
) -> None:
    assign_role(
        name,
        RoleGrant(principal_id=principal, role=role, scope=scope, description=why),
        subscription_id=estate.config.azure.subscription_id,
        parent=parent,
    )


def _grants(estate: Estate, gateway: AiGateway) -> None:
    config = estate.config
    me = gateway.principal_id
    openai, ml, vault = estate.find(keys.OPENAI), estate.find(keys.ML), estate.get(keys.KEY_VAULT)
    if openai is not None and config.openai.deployments:
        _grant(
            estate,
            "gateway-openai-user",
            me,
            "Cognitive Services OpenAI User",
            openai.account_id,
            "AI gateway: calls the OpenAI deployments with its identity.",
            gateway,
        )
    if ml is not None and config.ml.endpoints:
        _grant(
            estate,
            "gateway-ml-scorer",
            me,
            "AzureML Data Scientist",
            ml.workspace_id,
            "AI gateway: scores the online endpoints with Entra tokens.",
            gateway,
        )
    if config.inference.models:
        secret = vault.vault_id.apply(lambda vid: f"{vid}/secrets/{config.inference.api_key_secret}")
        _grant(
            estate,
            "gateway-vllm-key-reader",
            me,
            "Key Vault Secrets User",
            secret,
            "AI gateway: reads the vLLM API key (its Key Vault-backed named value), that secret only.",
            gateway,
        )
    safety = estate.find(keys.CONTENT_SAFETY)
    if safety is not None and config.inference.models:
        _grant(
            estate,
            "gateway-content-safety-user",
            me,
            "Cognitive Services User",
            safety.account_id,
            "AI gateway: screens prompts to self-hosted models (Content Safety has local auth off).",
            gateway,
        )
    monitoring = estate.get(keys.MONITORING)
    _grant(
        estate,
        "gateway-metrics-publisher",
        me,
        "Monitoring Metrics Publisher",
        monitoring.app_insights_id,
        "AI gateway: sends token metrics to Application Insights (local auth off).",
        gateway,
    )


def _chatops_grants(estate: Estate) -> None:
    """The chatops identity reads monitoring, nothing else (it calls the gateway with its token)."""
    monitoring, identities = estate.get(keys.MONITORING), estate.get(keys.IDENTITY)
    chatops = identities.principal_ids.get("chatops")
    if chatops is not None:
        _grant(
            estate,
            "chatops-monitoring-reader",
            chatops,
            "Monitoring Data Reader",
            monitoring.monitor_workspace_id,
            "chatops workload: reads metrics (managed Prometheus), changes nothing.",
            identities,
        )
        _grant(
            estate,
            "chatops-log-reader",
            chatops,
            "Reader",
            monitoring.log_analytics_workspace_id,
            "chatops workload: reads the Log Analytics workspace (alerts, chargeback query).",
            identities,
        )
