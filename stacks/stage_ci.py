"""Stage of CI runners inside the VNet (ci.runners): what lets the pipeline reach a private cluster.

GitHub: ephemeral runners as Container Apps jobs scaled by KEDA (components/github_runners.py),
labelled `llmops-<env>` so that only this environment's deploy jobs land on them. Azure DevOps:
a Managed DevOps Pool injected into the same subnet (components/devops_pool.py). The subnet,
its delegation and its NAT gateway come from the network stage; role assignments made here:
the runners' identity gets AcrPull on the registry and Key Vault Secrets User on the one
secret holding the repository token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops_infra.stacks import context as keys

if TYPE_CHECKING:
    from llmops_infra.stacks.context import Estate


def runner_label(environment: str) -> str:
    """The label the runners carry and the deploy job asks for (delivery.pipeline uses the same)."""
    return f"llmops-{environment}"


def runners_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    runners = config.ci.runners
    if not runners.enabled:
        return
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    subnet_id = net.subnet_ids["ci_runners"]
    if runners.kind == "github":
        from llmops_infra.components.github_runners import GitHubRunners, GitHubRunnersArgs

        github, federation = runners.github, config.identity.pipeline.github
        assert github is not None and federation is not None  # the config's cross-checks guarantee both
        registry, vault = estate.get(keys.REGISTRY), estate.get(keys.KEY_VAULT)
        component = GitHubRunners(
            "ci_runners",
            GitHubRunnersArgs(
                resource_group_name=foundation.resource_group_name,
                location=config.azure.location,
                subscription_id=config.azure.subscription_id,
                subnet_id=subnet_id,
                log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
                environment_name=namer.name("container_apps_environment", "ci"),
                job_name=namer.name("container_apps_job", "runner"),
                identity_name=namer.name("managed_identity", "runner"),
                registry_id=registry.registry_id,
                registry_login_server=registry.login_server,
                image=github.image,
                key_vault_id=vault.vault_id,
                key_vault_uri=vault.vault_uri,
                token_secret=github.token_secret,
                repository=federation.repository,
                labels=[runner_label(config.name)],
                max_runners=runners.max_runners,
                timeout_minutes=runners.timeout_minutes,
                cpu=github.cpu,
                memory_gi=github.memory_gi,
            ),
        )
        estate.add(keys.GITHUB_RUNNERS, component)
        estate.export("ci_runner_job_id", component.job_id)
        return
    from llmops_infra.components.devops_pool import DevOpsPool, DevOpsPoolArgs

    ado = config.identity.pipeline.azure_devops
    assert ado is not None  # the config's cross-checks guarantee it
    pool = DevOpsPool(
        "ci_runners",
        DevOpsPoolArgs(
            resource_group_name=foundation.resource_group_name,
            location=config.azure.location,
            subnet_id=subnet_id,
            dev_center_name=namer.name("dev_center", "ci"),
            project_name=namer.name("dev_center_project", "ci"),
            pool_name=namer.name("devops_pool"),
            organization=ado.organization,
            ado_project=ado.project,
            vm_size=runners.azure_devops.vm_size,
            image=runners.azure_devops.image,
            max_agents=runners.max_runners,
        ),
    )
    estate.add(keys.DEVOPS_POOL, pool)
    estate.export("ci_pool_id", pool.pool_id)
