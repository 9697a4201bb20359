"""Stage of the Foundry Agent Service's standard setup (foundry.projects[].agents; docs/apps.md).

After the stores stage (which creates AI Search and Cosmos DB whenever a project enables agents): a storage
account of the agents' own for their files, then the connections, roles and capability host of each agent
project (`components.agent_setup`). The agents' files get an account of their own rather than the model
storage account: the Agent Service needs a blob role on the whole account (it names its containers after the
project), which on the model account would let agents write model weights. The account is private (blob
private endpoint), Entra-only (shared keys off) and logs to Log Analytics, like the model account.
"""

from __future__ import annotations

from llmops_infra.components.private_endpoint import PRIVATE_DNS_ZONES
from llmops_infra.stacks import context as keys
from llmops_infra.stacks.context import Estate, config_key


def agents_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    agent_projects = [p.name for p in config.foundry.projects if p.agents]
    if not agent_projects:
        return
    from llmops_infra.components.agent_setup import AgentSetup, AgentSetupArgs, AgentStores
    from llmops_infra.components.model_storage import ModelStorage, ModelStorageArgs

    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    files = ModelStorage(
        "agent_storage",
        ModelStorageArgs(
            resource_group_name=foundation.resource_group_name,
            account_name=namer.name("storage_account", "agents"),
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            private_endpoint_subnet_id=net.subnet_ids["private_endpoints"],
            private_dns_zone_id=net.dns_zone_ids[PRIVATE_DNS_ZONES["blob"]],
            private_endpoint_name=namer.name("private_endpoint", "agents"),
            # the Agent Service creates the project's containers itself
            container_name=None,
        ),
    )
    models, search, cosmos = estate.get(keys.OPENAI), estate.get(keys.SEARCH), estate.get(keys.COSMOS)
    with config_key("foundry.projects"):
        setup = AgentSetup(
            "agents",
            AgentSetupArgs(
                resource_group_name=foundation.resource_group_name,
                location=config.azure.location,
                subscription_id=config.azure.subscription_id,
                account_name=models.account_name,
                projects={name: models.projects[name] for name in agent_projects},
                stores=AgentStores(
                    search_service_id=search.service_id,
                    search_endpoint=search.endpoint,
                    cosmos=cosmos,
                    storage_account_id=files.storage_account_id,
                    blob_endpoint=files.blob_endpoint,
                ),
            ),
        )
    estate.add(keys.AGENT_SETUP, setup)
    estate.export("agent_projects", agent_projects)
