"""What `bootstrap ENV` sets up, derived from the environment file: names, identities, variables.

Everything here is computed without the network, so `--dry-run` prints the same plan a real
run executes. Names follow the estate's naming module (CAF abbreviations, Azure's rules);
the state account's name carries the deterministic suffix of globally unique names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
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
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
"""Key Vault Crypto User: read a key's public part, sign, verify (and encrypt, decrypt, wrap, unwrap); no key
management. Built-in role id from learn.microsoft.com/azure/role-based-access-control/built-in-roles/security
(MicrosoftDocs/azure-docs built-in-roles.md; the same id in azadvertizer.net's role list), read 2026-12-01."""
KEY_VAULT_CRYPTO_OFFICER = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"
"""Key Vault Crypto Officer: any action on keys except permissions (same sources)."""
SIGNING_KEY = "manifest-signing"
"""The release-manifest signing key's name in the signing vault."""
SIGNING_SOFT_DELETE_DAYS = 90
"""Soft-delete retention of the signing vault (Key Vault's maximum; it cannot change after creation)."""


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
class SigningSpec:
    """The Key Vault and key that sign the release manifests of one promotion chain (dev -> staging -> prod).

    `promote SRC ENV` verifies SRC's manifest with ENV's key, so every environment of a chain signs with
    the same key: the vault belongs to the chain's first environment (its subscription, its bootstrap
    resource group, a name derived like the state account's) and every environment's bootstrap makes sure
    of it and grants its own identity Key Vault Crypto User on the key.
    """

    vault: str
    subscription_id: str
    resource_group: str
    location: str
    owner: str
    """The chain's first environment, whose bootstrap resource group holds the vault."""
    chain: tuple[str, ...]
    """Every environment of the chain, in promotion order."""
    private: bool
    """Some environment of the chain is private: the vault denies public networks."""
    runner_subnets: tuple[str, ...] = ()
    """The CI runner subnets of the chain's environments (admitted once they exist)."""
    hosted: tuple[str, ...] = ()
    """Environments of the chain whose jobs run on hosted runners (no ci.runners)."""
    key: str = SIGNING_KEY

    def vault_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers/"
            f"Microsoft.KeyVault/vaults/{self.vault}"
        )

    def key_scope(self) -> str:
        """The key as an ARM scope (role assignments on the key alone)."""
        return f"{self.vault_id()}/keys/{self.key}"

    @property
    def key_url(self) -> str:
        """The key's URL in Azure's public cloud (a run reads the vault's own URI from ARM)."""
        return f"https://{self.vault}.vault.azure.net/keys/{self.key}"


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
    signing: SigningSpec | None = None
    """The release-signing vault of this environment's promotion chain (None: no signing steps)."""

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
    chain: Sequence[EnvironmentConfig] | None = None,
) -> BootstrapSpec:
    """The bootstrap of `config`'s environment for `provider`; bad input names the key to fix.

    `chain`: the environments of `config`'s promotion chain (`promotion_chain`); default `config` alone."""
    import ipaddress

    namer = _namer(config)
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
                f"{cidr} is not a public range: the firewalls of the state account and the signing vault take public ranges",
                key="--allow-ip",
            )
        ranges.append(str(net))
    runner_subnet = _runner_subnet(config)
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
        signing=_signing(list(chain or [config])),
        github_repository=github.repository if github else None,
        github_environment=github.environment if github else None,
        ado_organization=ado.organization if ado else None,
        ado_project=ado.project if ado else None,
        ado_service_connection=ado.service_connection if ado else None,
    )


def _namer(config: EnvironmentConfig) -> Namer:
    return Namer(config.workload, config.name, config.azure.location, config.azure.subscription_id)


def _runner_subnet(config: EnvironmentConfig) -> str | None:
    """The CI runners' subnet of `config`'s VNet (ci.runners.enabled), whether or not it exists yet."""
    ci = getattr(config, "ci", None)
    runners = getattr(ci, "runners", None) if ci is not None else None
    if runners is None or not getattr(runners, "enabled", False):
        return None
    namer = _namer(config)
    return (
        f"/subscriptions/{config.azure.subscription_id}/resourceGroups/{namer.name('resource_group')}/providers/"
        f"Microsoft.Network/virtualNetworks/{namer.name('virtual_network')}/subnets/{namer.name('subnet', 'ci')}"
    )


def _signing(chain: list[EnvironmentConfig]) -> SigningSpec:
    owner = chain[0]
    namer = _namer(owner)
    subnets = [(c.name, _runner_subnet(c)) for c in chain]
    return SigningSpec(
        vault=namer.name("key_vault", "sign"),
        subscription_id=owner.azure.subscription_id,
        resource_group=namer.name("resource_group", "bootstrap"),
        location=owner.azure.location,
        owner=owner.name,
        chain=tuple(c.name for c in chain),
        private=any(c.cluster.private_cluster for c in chain),
        runner_subnets=tuple(s for _, s in subnets if s),
        hosted=tuple(name for name, s in subnets if not s),
    )


def promotion_chain(config: EnvironmentConfig, project_dir: Path) -> list[EnvironmentConfig]:
    """Every environment that shares `config`'s first environment through `promotion.source`, in promotion
    order (the first environment first). They sign with one key: promote verifies with the target's key."""
    from llmops_infra.config.loader import list_environments, load_environment

    configs = {config.name: config}
    for name in list_environments(project_dir):
        if name not in configs:
            configs[name] = load_environment(name, project_dir)

    def root(name: str) -> str:
        seen: list[str] = []
        while name not in seen:
            seen.append(name)
            source = configs[name].promotion.source
            if source is None or source not in configs:
                return name
            name = source
        raise ConfigError(
            f"promotion sources form a cycle ({' -> '.join([*seen, name])}): one environment must have no source",
            file=f"environments/{config.name}.yaml",
            key="promotion.source",
        )

    first = root(config.name)
    members = [c for n, c in configs.items() if root(n) == first]
    order: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in order:
            source = configs[name].promotion.source
            order[name] = 0 if name == first or source is None else depth(source) + 1
        return order[name]

    return sorted(members, key=lambda c: (depth(c.name), c.name))
