"""Stages of the application tier: the stores (AI Search, Cosmos DB), the Container Apps environment, team apps.

They run after the AI stages (the apps call the Foundry resource's deployments). A store exists only
when an app names it (`apps[].stores`) or a Foundry project enables agents (both stores); each app's identity
gets the data role its config names on that one store (reader, or contributor for `apps[].writes`), and AcrPull
on the registry. For its models: without a gateway, "Cognitive Services OpenAI User" on the Foundry resource;
with one, the app calls them through the gateway as a subscriber of its team's product, and reads only its
subscription key in Key Vault. The identities are made first (`app_identities_stage`, before the gateway stage,
which admits them); the apps after the gateway (their key and the model APIs exist). Each app's internal host
name is exported (`app_fqdns`) for its gateway route (docs/apps.md).
"""

from __future__ import annotations

from llmops_infra.components.private_endpoint import PRIVATE_DNS_ZONES
from llmops_infra.stacks import context as keys
from llmops_infra.stacks.context import Estate, config_key


def stores_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    used = {store for app in config.apps for store in app.stores}
    if any(p.agents for p in config.foundry.projects):
        used |= {"search", "cosmos"}  # the agents' vector stores and threads (stage_agents)
    if not used:
        return
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    rg, location = foundation.resource_group_name, config.azure.location
    subnet_id, workspace_id = net.subnet_ids["private_endpoints"], monitoring.log_analytics_workspace_id
    if "search" in used:
        from llmops_infra.components.search_service import SearchService, SearchServiceArgs

        with config_key("search"):
            search = SearchService(
                "search",
                SearchServiceArgs(
                    resource_group_name=rg,
                    location=location,
                    subnet_id=subnet_id,
                    log_analytics_workspace_id=workspace_id,
                    dns_zone_ids=[net.dns_zone_ids[PRIVATE_DNS_ZONES["searchService"]]],
                    service_name=namer.name("search_service"),
                    sku=config.search.sku,
                    replicas=config.search.replicas,
                    partitions=config.search.partitions,
                    allow_public_network_access=config.search.allow_public_network_access,
                    private_endpoint_name=namer.name("private_endpoint", "srch"),
                ),
            )
        estate.add(keys.SEARCH, search)
        estate.export("search_endpoint", search.endpoint)
    if "cosmos" in used:
        from llmops_infra.components.cosmos_store import CosmosStore, CosmosStoreArgs

        with config_key("cosmos"):
            cosmos = CosmosStore(
                "cosmos",
                CosmosStoreArgs(
                    resource_group_name=rg,
                    location=location,
                    subnet_id=subnet_id,
                    log_analytics_workspace_id=workspace_id,
                    dns_zone_ids=[net.dns_zone_ids[PRIVATE_DNS_ZONES["Sql"]]],
                    account_name=namer.name("cosmos_account"),
                    throughput=config.cosmos.throughput,
                    backup=config.cosmos.backup,
                    total_throughput_limit=config.cosmos.total_throughput_limit,
                    allow_public_network_access=config.cosmos.allow_public_network_access,
                    private_endpoint_name=namer.name("private_endpoint", "cosmos"),
                ),
            )
        estate.add(keys.COSMOS, cosmos)
        estate.export("cosmos_endpoint", cosmos.endpoint)


def app_identities_stage(estate: Estate) -> None:
    """One user-assigned identity per app, before the gateway (the model APIs' JWT check may list them)."""
    config, namer = estate.config, estate.namer
    if not config.apps:
        return
    from llmops_infra.components.team_app import AppIdentities

    foundation = estate.get(keys.FOUNDATION)
    holder = AppIdentities("app-identities")
    for index, spec in enumerate(config.apps):
        with config_key(f"apps.{index}"):
            identity = holder.add(
                f"app-{spec.name}-identity",
                name=namer.name("managed_identity", "app", spec.name),
                resource_group_name=foundation.resource_group_name,
                location=config.azure.location,
                team=spec.team,
            )
        estate.add(keys.app_identity(spec.name), identity)


def apps_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    if not config.apps:
        return
    from llmops_infra.components.app_environment import AppEnvironment, AppEnvironmentArgs
    from llmops_infra.components.team_app import GatewayAccess, Revision, TeamApp, TeamAppArgs

    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    registry, models = estate.get(keys.REGISTRY), estate.get(keys.OPENAI)
    environment = AppEnvironment(
        "apps",
        AppEnvironmentArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            environment_name=namer.name("container_apps_environment", "apps"),
            subnet_id=net.subnet_ids["apps"],
            vnet_id=net.vnet_id,
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
        ),
    )
    estate.add(keys.APP_ENVIRONMENT, environment)
    search, cosmos, gateway = estate.find(keys.SEARCH), estate.find(keys.COSMOS), estate.find(keys.GATEWAY)
    gateway_cidr = config.network.subnets.gateway if config.gateway is not None else None
    fqdns = {}
    for index, spec in enumerate(config.apps):
        access = None
        if gateway is not None and config.gateway is not None and spec.models:
            access = GatewayAccess(
                url=gateway.gateway_url,
                audience=config.gateway.audience,
                key_secret=estate.get(keys.app_gateway_key(spec.name)),
                model_apis=[gateway.apis[m] for m in spec.models],
            )
        direct = access is None and bool(spec.models)
        with config_key(f"apps.{index}"):
            component = TeamApp(
                f"app-{spec.name}",
                TeamAppArgs(
                    resource_group_name=foundation.resource_group_name,
                    location=config.azure.location,
                    subscription_id=config.azure.subscription_id,
                    app_name=namer.name("container_app", spec.name),
                    identity=estate.get(keys.app_identity(spec.name)),
                    team=spec.team,
                    environment_id=environment.environment_id,
                    environment_default_domain=environment.default_domain,
                    registry_id=registry.registry_id,
                    registry_login_server=registry.login_server,
                    image=spec.image,
                    image_digest=spec.image_digest,
                    revisions=[Revision(name=r.name, traffic_percent=r.traffic_percent) for r in spec.revisions],
                    # Behind the gateway, only its subnet reaches the app (the gateway stage adds the route).
                    allowed_source_range=gateway_cidr or config.network.address_space,
                    behind_gateway=gateway_cidr is not None,
                    target_port=spec.target_port,
                    cpu=spec.cpu,
                    memory_gi=spec.memory_gi,
                    min_replicas=spec.min_replicas,
                    max_replicas=spec.max_replicas,
                    model_account_id=models.account_id if direct else None,
                    model_endpoint=models.endpoint if direct else None,
                    gateway=access,
                    models=list(spec.models),
                    model_deployments=[models.deployments[m] for m in spec.models] if direct else [],
                    search_service_id=search.service_id if search and "search" in spec.stores else None,
                    search_endpoint=search.endpoint if search and "search" in spec.stores else None,
                    search_write="search" in spec.writes,
                    cosmos=cosmos if "cosmos" in spec.stores else None,
                    cosmos_write="cosmos" in spec.writes,
                ),
            )
        estate.add(keys.team_app(spec.name), component)
        fqdns[spec.name] = component.fqdn
    estate.export("app_fqdns", fqdns)
    estate.export("apps_environment_id", environment.environment_id)
