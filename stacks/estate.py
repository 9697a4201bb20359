"""The estate programs: compose components from an `EnvironmentConfig`, in two stacks.

`platform` holds the Azure resources; `workload` the Kubernetes objects, run after it and
reading its outputs through a StackReference (`PlatformOutputs`). Each stack's program is a
list of stages run in order. A stage reads the config and what earlier stages built (typed
lookups on `Estate`), creates one concern's components, and stores them for later stages.
Adding a concern means adding a stage and one line in `PLATFORM_STAGES` or `WORKLOAD_STAGES`.
The same programs serve synthesis (offline plan) and the Automation API (real engine).
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from llmops_infra.components.naming import Namer
from llmops_infra.components.tags import standard_tags, tagging_transformation
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.stacks import context as keys
from llmops_infra.stacks import stage_agents as agents
from llmops_infra.stacks import stage_ai as ai
from llmops_infra.stacks import stage_apps as apps
from llmops_infra.stacks import stage_ci as ci
from llmops_infra.stacks import stage_compute as compute
from llmops_infra.stacks import stage_gateway as gateway
from llmops_infra.stacks import stage_security as security
from llmops_infra.stacks import stage_workload as workload
from llmops_infra.stacks.context import Estate, config_key
from llmops_infra.stacks.platform_outputs import PlatformOutputs, platform_stack_name

PROJECT = "llmops"
"""The estate's name; each stack is a Pulumi project of its own, named after it."""
PLATFORM_PROJECT = f"{PROJECT}-platform"
WORKLOAD_PROJECT = f"{PROJECT}-workload"


Stage = Callable[[Estate], None]


def _foundation(estate: Estate) -> None:
    from llmops_infra.components.foundation import Foundation, FoundationArgs

    config = estate.config
    estate.add(
        keys.FOUNDATION,
        Foundation(
            "foundation",
            FoundationArgs(resource_group_name=estate.namer.name("resource_group"), location=config.azure.location),
        ),
    )
    estate.export("resource_group_name", estate.get(keys.FOUNDATION).resource_group_name)


PLATFORM_STAGES: list[tuple[str, str, Stage]] = [
    ("foundation", "azure", _foundation),
    ("monitoring", "monitoring", security.monitoring_stage),
    ("network", "network", security.network_stage),
    ("egress", "egress", gateway.egress_stage),
    ("key_vault", "key_vault", security.key_vault_stage),
    ("identity", "identity", security.identity_stage),
    ("registry", "registry", compute.registry_stage),
    ("model_storage", "inference", compute.model_storage_stage),
    ("cluster", "cluster", compute.cluster_stage),
    ("inference_identity", "inference", compute.inference_identity_stage),
    ("content_safety", "content_safety", ai.content_safety_stage),
    ("openai", "openai", ai.openai_stage),
    ("ml", "ml", ai.ml_stage),
    ("stores", "apps", apps.stores_stage),
    ("agents", "foundry", agents.agents_stage),
    ("app_identities", "apps", apps.app_identities_stage),
    ("gateway", "gateway", gateway.gateway_stage),
    ("apps", "apps", apps.apps_stage),
    ("gateway_routes", "gateway", gateway.gateway_routes_stage),
    ("ci_runners", "ci.runners", ci.runners_stage),
    ("budget", "budget", security.budget_stage),
    ("workload_exports", "inference", compute.workload_exports),
]
"""The platform stack (Azure): (name, config section, stage) in dependency order; a component
refusing its args names the section."""

WORKLOAD_STAGES: list[tuple[str, str, Stage]] = [
    ("cluster_access", "cluster", workload.cluster_access_stage),
    ("gpu_runtime", "cluster", workload.gpu_runtime_stage),
    ("secret_access", "inference", workload.secret_access_stage),
    ("inference", "inference", workload.inference_stage),
    ("ml_deployments", "ml", workload.ml_deployments_stage),
]
"""The workload stack (Kubernetes objects; ML deployments and the Azure grants that need what the
bootstrap created), run after the platform stack and the bootstrap, reading the platform's outputs."""

AZURE_WORKLOAD_STAGES = frozenset({"secret_access", "ml_deployments"})
"""Workload stages that create Azure resources: left out by `build_estate(..., kubernetes_only=True)`."""

STACKS: dict[str, tuple[str, list[tuple[str, str, Stage]]]] = {
    "platform": (PLATFORM_PROJECT, PLATFORM_STAGES),
    "workload": (WORKLOAD_PROJECT, WORKLOAD_STAGES),
}
"""Stack name -> (Pulumi project, stages), in the order `up` runs them."""


def new_estate(config: EnvironmentConfig) -> Estate:
    namer = Namer(config.workload, config.name, config.azure.location, config.azure.subscription_id)
    tags = standard_tags(
        environment=config.name,
        owner=config.tags.owner,
        cost_center=config.tags.cost_center,
        workload=config.tags.workload,
        extra=config.tags.extra,
    )
    return Estate(config=config, namer=namer, tags=tags)


def build_estate(
    config: EnvironmentConfig,
    stack: str = "platform",
    platform: PlatformOutputs | None = None,
    *,
    kubeconfig: pulumi.Input[str] | None = None,
    kubernetes_only: bool = False,
) -> Estate:
    """The Pulumi program body of one stack: register every component of the environment's
    `stack`. The workload stack reads `platform`, by default through a StackReference to the
    platform stack of the same environment, and reaches the cluster with its user credentials
    from Azure, or with `kubeconfig` when given (another API server, e.g. a test cluster).
    `kubernetes_only` leaves out the workload stack's Azure resources (`AZURE_WORKLOAD_STAGES`: the
    Key Vault grants of the workload identities), for an API server where no Azure provider runs,
    such as the `k8s` tier's test bed; the Kubernetes objects are the same."""
    _project, stages = STACKS[stack]
    estate = new_estate(config)
    if stack == "workload":
        estate.platform = platform or PlatformOutputs.from_stack_reference(
            pulumi.StackReference(platform_stack_name(PLATFORM_PROJECT, config.name))
        )
        estate.kubeconfig = kubeconfig
    elif kubeconfig is not None or kubernetes_only:
        raise ValueError(f"a kubeconfig is for the workload stack: the {stack} stack holds no Kubernetes object")
    pulumi.runtime.register_stack_transformation(tagging_transformation(estate.tags))
    for name, section, stage in stages:
        if kubernetes_only and name in AZURE_WORKLOAD_STAGES:
            continue
        with config_key(section):
            stage(estate)
    for key, value in estate.exports.items():
        pulumi.export(key, value)
    return estate


def program_for(
    config: EnvironmentConfig,
    stack: str = "platform",
    platform: PlatformOutputs | None = None,
    *,
    kubeconfig: pulumi.Input[str] | None = None,
    kubernetes_only: bool = False,
) -> Callable[[], None]:
    """An inline program of one stack (for synthesis and the Automation API); `platform`, `kubeconfig`
    and `kubernetes_only` as in `build_estate`."""
    if stack not in STACKS:
        raise ValueError(f"unknown stack {stack!r}: one of {sorted(STACKS)}")

    def program() -> None:
        build_estate(config, stack, platform, kubeconfig=kubeconfig, kubernetes_only=kubernetes_only)

    return program
