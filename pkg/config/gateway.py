"""Config of the AI gateway (API Management), the teams that call it, and outbound traffic control.

`gateway` sizes and places the gateway; `teams` names who may call which model and how much;
`egress` says how the cluster's nodes reach the internet. Team checks that need the rest of the
environment (which models exist, the caps) run in `check_teams`, called by `EnvironmentConfig`:
each error is a `ConfigError` naming the exact key (`teams.1.models.0`), which the loader turns
into file and line.
"""

from __future__ import annotations

import re
from ipaddress import ip_address, ip_network
from typing import Literal

from pydantic import Field, field_validator, model_validator

from llmops_infra.config.common import UUID_PATTERN, DnsLabel, Email, Strict
from llmops_infra.errors import ConfigError

GatewaySku = Literal["Developer", "Premium"]
"""API Management tiers that can be injected into the VNet in internal mode (no public endpoint):
"Virtual network injection - internal | Developer, Premium" (learn.microsoft.com/azure/api-management/
virtual-network-concepts, read 2026-12-01). Standard v2 integrates with a VNet for outbound calls only
(its gateway stays public) and Premium v2 injection was in preview there: neither is offered."""


class TeamConfig(Strict):
    """One consumer of the gateway: a product of its own with token limits, billed to its cost center."""

    name: DnsLabel = Field(description="Team name: the product id, the Team dimension of the token metrics.")
    cost_center: str = Field(min_length=1, description="Cost center the team's token usage is charged to.")
    tokens_per_minute: int = Field(ge=1, description="Prompt plus completion tokens per minute (llm-token-limit).")
    monthly_token_quota: int = Field(ge=1, description="Tokens per calendar month (token-quota, period Monthly).")
    models: list[DnsLabel] = Field(
        min_length=1,
        description="Models the team may call: names of openai.deployments, inference.models or ml.endpoints.",
    )
    client_app_ids: list[str] = Field(
        default_factory=list,
        description="Entra ID application (client) ids of the team's apps whose tokens the gateway accepts. Default: "
        "any app the gateway's audience admits; the subscription key then identifies the team.",
    )

    @field_validator("client_app_ids")
    @classmethod
    def _uuids(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.fullmatch(UUID_PATTERN, v)]
        if bad:
            raise ValueError(f"client_app_ids {bad} are not application (client) ids (GUIDs)")
        return value


class GatewayConfig(Strict):
    """The estate's AI gateway: Azure API Management injected into the VNet in internal mode."""

    sku: GatewaySku = Field(
        description="Developer (no SLA, one unit: dev and staging) or Premium (SLA, zones: prod); both support "
        "internal VNet mode, so the gateway has no public endpoint."
    )
    capacity: int = Field(1, ge=1, le=10, description="Scale units (Developer: 1).")
    publisher_name: str = Field(min_length=1, description="Organization shown as the API publisher.")
    publisher_email: Email = Field(description="Who receives the gateway's system notifications.")
    audience: str = Field(
        min_length=1,
        description="The audience (aud) every caller's Entra token must carry, e.g. api://llmops-gateway: the "
        "application id URI of the gateway's app registration.",
    )
    max_team_tokens_per_minute: int = Field(
        ge=1, description="Cap on any team's tokens_per_minute in this environment."
    )
    max_team_monthly_tokens: int = Field(ge=1, description="Cap on any team's monthly_token_quota in this environment.")

    @model_validator(mode="after")
    def _capacity(self) -> GatewayConfig:
        if self.sku == "Developer" and self.capacity != 1:
            raise ValueError(f"gateway.capacity is {self.capacity} but the Developer tier has one unit: set 1")
        return self


class EgressConfig(Strict):
    """How the cluster's nodes reach the internet."""

    mode: Literal["firewall", "hub", "direct"] = Field(
        "firewall",
        description="firewall (default): an Azure Firewall in the estate (network.subnets.firewall) and a route "
        "table sends all node traffic through it (AKS outboundType userDefinedRouting). hub: the same route, to "
        "the hub's firewall at hub_firewall_ip. direct: dangerous, nodes go out through the cluster's load "
        "balancer to any address (reported by FW-01).",
    )
    hub_firewall_ip: str | None = Field(
        None, description="Private IP of the hub's firewall (mode hub only). Default: none."
    )
    firewall_sku: Literal["Standard", "Premium"] = Field(
        "Standard",
        description="Azure Firewall tier (mode firewall). Standard and Premium both deny known-malicious traffic "
        "(threat intelligence in Deny mode); Basic only alerts, so it is not offered. Default: Standard.",
    )
    model_hub_fqdns: list[str] = Field(
        default_factory=lambda: ["huggingface.co", "cdn-lfs.huggingface.co", "cas-bridge.xethub.hf.co"],
        description="Where the weights staging job downloads model weights from. Default: the Hugging Face hub and "
        "its download hosts.",
    )
    registry_fqdns: list[str] = Field(
        default_factory=lambda: ["nvcr.io", "registry-1.docker.io", "production.cloudflare.docker.com"],
        description="Registries the bootstrap imports pinned images from (through the registry's import, and the "
        "GPU operator's images). Default: NVIDIA's and Docker Hub.",
    )
    extra_fqdns: list[str] = Field(
        default_factory=list, description="More FQDNs the nodes may reach over HTTPS. Default: none."
    )

    @field_validator("model_hub_fqdns", "registry_fqdns", "extra_fqdns")
    @classmethod
    def _no_wildcard_everything(cls, value: list[str]) -> list[str]:
        for fqdn in value:
            if fqdn.strip() in ("*", "*.*") or not fqdn.strip():
                raise ValueError(f"FQDN {fqdn!r} would allow every destination: name the hosts")
        return value

    @model_validator(mode="after")
    def _hub(self) -> EgressConfig:
        if self.mode == "hub":
            if self.hub_firewall_ip is None:
                raise ValueError("egress.mode hub needs egress.hub_firewall_ip: the hub firewall's private IP")
            ip_address(self.hub_firewall_ip)
        elif self.hub_firewall_ip is not None:
            raise ValueError(f"egress.hub_firewall_ip is set but egress.mode is {self.mode}: remove it or use mode hub")
        return self


GATEWAY_LB_OFFSET = 200
"""vLLM services reach the gateway through an internal load balancer on a fixed address of the node subnet: the
subnet's network address + 200 + the model's index (stacks/stage_gateway.py `vllm_gateway_ip`)."""


def check_gateway_addresses(nodes_cidr: str, max_nodes: int, models: int) -> None:
    """The fixed load-balancer addresses fit the node subnet and stay above the addresses its nodes can take.

    Nodes take subnet addresses from the bottom (Azure CNI overlay: pods do not); Azure keeps the first four.
    Every node is counted twice, for the surge nodes of an upgrade. Raises `ConfigError` with the key to change.
    """
    if GATEWAY_LB_OFFSET + models > ip_network(nodes_cidr).num_addresses - 1:  # the last address is broadcast
        raise ConfigError(
            f"network.subnets.aks_nodes ({nodes_cidr}) has no room for the gateway's load-balancer addresses of "
            f"{models} vLLM models (offset {GATEWAY_LB_OFFSET} + one per model): use a /24 or larger node subnet",
            key="network.subnets.aks_nodes",
        )
    if 4 + 2 * max_nodes >= GATEWAY_LB_OFFSET:
        raise ConfigError(
            f"the cluster's pools can grow to {max_nodes} nodes, which with upgrade surge may take the subnet "
            f"addresses from offset {GATEWAY_LB_OFFSET} where the gateway's vLLM load balancers live: lower the "
            "pools' max_nodes (at most 97 in all)",
            key="cluster.gpu_pools",
        )


def check_teams(
    teams: list[TeamConfig],
    gateway: GatewayConfig | None,
    models: set[str],
) -> None:
    """Every team exists once, calls only models the environment serves, and stays under the caps.

    Raises `ConfigError` with the exact key of the first problem (the loader adds file and line).
    """
    if teams and gateway is None:
        raise ConfigError("teams call the models through the gateway: configure gateway", key="teams")
    seen: dict[str, int] = {}
    for index, team in enumerate(teams):
        if team.name in seen:
            raise ConfigError(
                f"team {team.name!r} is defined twice (teams.{seen[team.name]} and teams.{index}): merge them or "
                "rename one",
                key=f"teams.{index}.name",
            )
        seen[team.name] = index
        for position, model in enumerate(team.models):
            if model not in models:
                raise ConfigError(
                    f"team {team.name!r} names model {model!r}, which this environment does not serve: use one of "
                    f"{sorted(models)}",
                    key=f"teams.{index}.models.{position}",
                )
        if gateway is None:  # unreachable: refused above; keeps the type checker informed
            continue
        if team.tokens_per_minute > gateway.max_team_tokens_per_minute:
            raise ConfigError(
                f"team {team.name!r}: tokens_per_minute {team.tokens_per_minute} is above the cap "
                f"gateway.max_team_tokens_per_minute ({gateway.max_team_tokens_per_minute}): lower it or raise the cap",
                key=f"teams.{index}.tokens_per_minute",
            )
        if team.monthly_token_quota > gateway.max_team_monthly_tokens:
            raise ConfigError(
                f"team {team.name!r}: monthly_token_quota {team.monthly_token_quota} is above the cap "
                f"gateway.max_team_monthly_tokens ({gateway.max_team_monthly_tokens}): lower it or raise the cap",
                key=f"teams.{index}.monthly_token_quota",
            )
