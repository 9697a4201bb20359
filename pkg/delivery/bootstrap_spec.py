"""What `bootstrap ENV` sets up, derived from the environment file: names, identities, variables.

Everything here is computed without the network, so `--dry-run` prints the same plan a real
run executes. Names follow the estate's naming module (CAF abbreviations, Azure's rules);
the state account's name carries the deterministic suffix of globally unique names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmops_infra.components.naming import Namer
from llmops_infra.errors import ConfigError

if TYPE_CHECKING:
    from llmops_infra.config.models import EnvironmentConfig

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"
STATE_CONTAINER = "pulumi-state"
SOFT_DELETE_DAYS = 30
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
"""Built-in role id (components/roles.py; learn.microsoft.com/azure/role-based-access-control/built-in-roles)."""


@dataclass(frozen=True)
class Reviewer:
    """A GitHub reviewer (`user:LOGIN` or `team:SLUG`) or an Azure DevOps approver (a user or group name)."""

    kind: str
    name: str

    @classmethod
    def parse(cls, text: str, provider: str) -> Reviewer:
        if provider == "github":
            match = re.fullmatch(r"(user|team):([A-Za-z0-9][A-Za-z0-9_.-]{0,99})", text)
            if not match:
                raise ConfigError(
                    f"{text!r}: give user:LOGIN or team:SLUG (a team of the repository's organization)",
                    key="--reviewer",
                )
            return cls(match.group(1), match.group(2))
        if not text.strip() or any(ord(ch) < 32 for ch in text) or len(text) > 256:
            raise ConfigError(
                f"{text!r}: give a user (email) or group name, e.g. [Project]\\Release Approvers", key="--reviewer"
            )
        return cls("identity", text.strip())


@dataclass(frozen=True)
class BootstrapSpec:
    environment: str
    provider: str
    subscription_id: str
    tenant_id: str
    location: str
    tags: dict[str, str]
    resource_group: str
    storage_account: str
    identity: str
    private: bool
    """The environment's cluster is private: the state account denies public networks by default."""
    requires_approval: bool
    passphrase: bool
    reviewers: tuple[Reviewer, ...] = ()
    allow_ips: tuple[str, ...] = ()
    """Public IPv4 ranges let through the state account's firewall (private environments)."""
    runner_subnet_id: str | None = None
    """The subnet of the CI runners, let through the state account's firewall once it exists."""
    github_repository: str | None = None
    github_environment: str | None = None
    ado_organization: str | None = None
    ado_project: str | None = None
    ado_service_connection: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    seed_env: tuple[str, ...] = ()
    """Variables `up`'s bootstrap seeds Key Vault from (key_vault.secrets_from_env, import credentials)."""

    @property
    def container(self) -> str:
        return STATE_CONTAINER

    @property
    def state_url(self) -> str:
        return f"azblob://{STATE_CONTAINER}?storage_account={self.storage_account}"

    @property
    def ado_environment(self) -> str:
        return f"llmops-{self.environment}"

    @property
    def ado_variable_group(self) -> str:
        return f"llmops-{self.environment}"

    def container_scope(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers/"
            f"Microsoft.Storage/storageAccounts/{self.storage_account}/blobServices/default/containers/{STATE_CONTAINER}"
        )


def spec_for(
    config: EnvironmentConfig,
    provider: str,
    *,
    reviewers: list[str] | None = None,
    allow_ips: list[str] | None = None,
) -> BootstrapSpec:
    """The bootstrap of `config`'s environment for `provider`; bad input names the key to fix."""
    import ipaddress

    namer = Namer(config.workload, config.name, config.azure.location, config.azure.subscription_id)
    where = f"environments/{config.name}.yaml"
    pipeline = config.identity.pipeline
    github = ado = None
    if provider == "github":
        github = pipeline.github
        if github is None:
            raise ConfigError(
                "is not set: give the repository (owner/repo) and the GitHub environment that deploys this "
                "environment, e.g. {repository: contoso/llmops-estate, environment: " + config.name + "}",
                file=where,
                key="identity.pipeline.github",
            )
    elif provider == "azure-devops":
        ado = pipeline.azure_devops
        if ado is None:
            raise ConfigError(
                "is not set: give organization, organization_id, project and service_connection",
                file=where,
                key="identity.pipeline.azure_devops",
            )
    else:
        raise ConfigError(f"unknown provider {provider!r}: use github or azure-devops", key="--provider")
    ranges = []
    for cidr in allow_ips or []:
        try:
            net = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError:
            raise ConfigError(f"{cidr!r} is not an IPv4 CIDR (e.g. 203.0.113.7/32)", key="--allow-ip") from None
        if net.is_private or net.is_loopback or net.is_link_local:
            raise ConfigError(
                f"{cidr} is not a public range: the storage firewall takes public ranges", key="--allow-ip"
            )
        ranges.append(str(net))
    ci = getattr(config, "ci", None)
    runners = getattr(ci, "runners", None) if ci is not None else None
    runner_subnet = None
    if runners is not None and getattr(runners, "enabled", False):
        runner_subnet = (
            f"/subscriptions/{config.azure.subscription_id}/resourceGroups/{namer.name('resource_group')}/providers/"
            f"Microsoft.Network/virtualNetworks/{namer.name('virtual_network')}/subnets/{namer.name('subnet', 'ci')}"
        )
    return BootstrapSpec(
        environment=config.name,
        provider=provider,
        subscription_id=config.azure.subscription_id,
        tenant_id=config.azure.tenant_id,
        location=config.azure.location,
        tags={
            "environment": config.name,
            "owner": config.tags.owner,
            "cost-center": config.tags.cost_center,
            "workload": config.tags.workload,
            "managed-by": "llmops-infra-bootstrap",
        },
        resource_group=namer.name("resource_group", "bootstrap"),
        storage_account=namer.name("storage_account", "state"),
        identity=namer.name("managed_identity", "deployer"),
        private=config.cluster.private_cluster,
        requires_approval=config.promotion.requires_approval,
        passphrase=config.state.secrets_provider == "passphrase",
        reviewers=tuple(Reviewer.parse(r, provider) for r in reviewers or []),
        allow_ips=tuple(ranges),
        runner_subnet_id=runner_subnet,
        seed_env=config.bootstrap_variables(),
        github_repository=github.repository if github else None,
        github_environment=github.environment if github else None,
        ado_organization=ado.organization if ado else None,
        ado_project=ado.project if ado else None,
        ado_service_connection=ado.service_connection if ado else None,
    )
