"""The estate program: compose components from an `EnvironmentConfig`.

The program is a list of stages run in order. Each stage reads the config and what earlier
stages built (attributes of `Estate`), creates one concern's components, and stores them
on the `Estate` for later stages. Adding a concern means adding a stage module and one line
in `STAGES`; no other stage changes. The same program serves synthesis (offline plan) and
the Automation API (real engine).
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from llmops_infra.components.naming import Namer
from llmops_infra.components.tags import standard_tags, tagging_transformation
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.stacks import context as keys
from llmops_infra.stacks import stage_ai as ai
from llmops_infra.stacks import stage_compute as compute
from llmops_infra.stacks import stage_security as security
from llmops_infra.stacks.context import Estate, config_key

PROJECT = "llmops"


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


STAGES: list[tuple[str, str, Stage]] = [
    ("foundation", "azure", _foundation),
    ("monitoring", "monitoring", security.monitoring_stage),
    ("network", "network", security.network_stage),
    ("key_vault", "key_vault", security.key_vault_stage),
    ("identity", "identity", security.identity_stage),
    ("registry", "registry", compute.registry_stage),
    ("model_storage", "inference", compute.model_storage_stage),
    ("cluster", "cluster", compute.cluster_stage),
    ("gpu_runtime", "cluster", compute.gpu_runtime_stage),
    ("inference", "inference", compute.inference_stage),
    ("content_safety", "content_safety", ai.content_safety_stage),
    ("openai", "openai", ai.openai_stage),
    ("ml", "ml", ai.ml_stage),
    ("budget", "budget", security.budget_stage),
]
"""(name, config section, stage) in dependency order; a component refusing its args names the section."""


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


def build_estate(config: EnvironmentConfig) -> Estate:
    """The Pulumi program body: register every component of the environment."""
    estate = new_estate(config)
    pulumi.runtime.register_stack_transformation(tagging_transformation(estate.tags))
    for _name, section, stage in STAGES:
        with config_key(section):
            stage(estate)
    for key, value in estate.exports.items():
        pulumi.export(key, value)
    return estate


def program_for(config: EnvironmentConfig) -> Callable[[], None]:
    """An inline program (for synthesis and the Automation API)."""

    def program() -> None:
        build_estate(config)

    return program
