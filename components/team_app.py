"""One team app on the internal Container Apps environment: its identity, its rights, its revisions.

The app runs `<registry>/<image>@<digest>` from the estate's private registry, pulled with its own
user-assigned identity (AcrPull on the registry, no password; the identity is made by an earlier stage, so
that the gateway can admit it). That identity holds only the roles the app's config names: "Search Index
Data Reader"/"Contributor" on the AI Search service, "Cosmos DB Built-in Data Reader"/"Contributor" on the
Cosmos DB database, and for its models either "Cognitive Services OpenAI User" on the Foundry resource (no
gateway) or, behind the gateway, "Key Vault Secrets User" on the one secret holding its gateway key: its
model calls then go through the gateway (its team's product: token limits, metrics, chargeback) and the
identity has no right on the Foundry resource. Nothing else.

Revisions (multiple revision mode): the template deploys the newest revision (the last in the
config, suffix = its name, so Azure names it `<app>--<name>`), and the traffic split names every
revision by that name (learn.microsoft.com/azure/container-apps/traffic-splitting: weights sum to
100, by revision name or label, read 2026-12-01). Earlier revisions keep the image they were
deployed with; docs/apps.md shows a blue/green rollout step by step.

Ingress and reachability: in an internal environment the environment's inbound address is a
private IP of the VNet, and ingress `external: true` means "reachable through that address" (from
the VNet, never the internet); `external: false` would limit the app to callers inside the
environment, so that a gateway in the VNet could not reach it (learn.microsoft.com/azure/
container-apps/ingress-overview, read 2026-12-01). Ingress is therefore open to the environment's
inbound address only when the environment is internal, and IP rules admit the gateway subnet only
when the estate has a gateway (the app is the gateway's API `apps/<name>`), else the VNet's range.
`fqdn` is the app's internal name, the gateway route's backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import app, keyvault, managedidentity

from llmops_infra.components.cosmos_store import CosmosStore
from llmops_infra.components.roles import RoleGrant, assign_role

SEARCH_ROLES = {False: "Search Index Data Reader", True: "Search Index Data Contributor"}
COSMOS_ROLES = {False: "Cosmos DB Built-in Data Reader", True: "Cosmos DB Built-in Data Contributor"}
GATEWAY_KEY_SECRET = "gateway-key"
"""The container app secret (a Key Vault reference) holding the app's gateway subscription key."""


@dataclass(frozen=True, kw_only=True)
class Revision:
    name: str
    traffic_percent: int


@dataclass(frozen=True, kw_only=True)
class GatewayAccess:
    """How an app behind the gateway calls its models: through the gateway, as a subscriber of its team's product."""

    url: pulumi.Input[str]
    """The gateway's URL (LLMOPS_GATEWAY_URL); a model is at `<url>/models/<name>`."""
    audience: str
    """The token audience the gateway validates (LLMOPS_GATEWAY_AUDIENCE): the app asks its identity for it."""
    key_secret: keyvault.Secret
    """The Key Vault secret holding the app's subscription key (LLMOPS_GATEWAY_KEY, a Key Vault reference)."""
    model_apis: Sequence[pulumi.Resource] = ()
    """The gateway APIs of the app's models: the app is created after them (graph: app -> gateway -> model).
    Default: none."""


@dataclass(frozen=True, kw_only=True)
class TeamAppArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    subscription_id: str
    app_name: str
    identity: managedidentity.UserAssignedIdentity
    """The app's own identity (made by the app identities stage, before the gateway)."""
    team: str
    environment_id: pulumi.Input[str]
    environment_default_domain: pulumi.Input[str]
    registry_id: pulumi.Input[str]
    registry_login_server: pulumi.Input[str]
    image: str
    """Repository in the registry (no host, no tag)."""
    image_digest: str
    """sha256:<64 hex>."""
    revisions: Sequence[Revision]
    allowed_source_range: str
    """CIDR admitted by the ingress IP rules: the gateway subnet's when the app is behind the gateway, else the
    VNet's address space."""
    behind_gateway: bool = False
    """`allowed_source_range` is the gateway's subnet (names the IP rule). Default: false, the VNet's range."""
    target_port: int = 8080
    """Port the container listens on. Default: 8080."""
    cpu: float = 0.5
    """vCPUs per replica. Default: 0.5."""
    memory_gi: float = 1.0
    """GiB per replica. Default: 1.0."""
    min_replicas: int = 1
    """Fewest replicas per revision. Default: 1."""
    max_replicas: int = 3
    """Most replicas per revision. Default: 3."""
    model_account_id: pulumi.Input[str] | None = None
    """The Foundry resource the app calls directly (no gateway). Default: none, no model rights."""
    model_endpoint: pulumi.Input[str] | None = None
    """Its endpoint, given to the app as AZURE_OPENAI_ENDPOINT (no gateway). Default: none."""
    gateway: GatewayAccess | None = None
    """Behind the gateway: the app calls its models through it, and has no right on the Foundry resource.
    Default: none, direct calls with the Foundry grant."""
    models: Sequence[str] = field(default_factory=list)
    """Deployment names the app calls (AZURE_OPENAI_DEPLOYMENTS). Default: none."""
    model_deployments: Sequence[pulumi.Resource] = ()
    """The deployments of `models`: the app is created after them (and the estate graph draws app -> model).
    Default: none."""
    search_service_id: pulumi.Input[str] | None = None
    """AI Search the app uses. Default: none."""
    search_endpoint: pulumi.Input[str] | None = None
    """Its endpoint (AZURE_SEARCH_ENDPOINT). Default: none."""
    search_write: bool = False
    """Index Data Contributor instead of Reader. Default: read only."""
    cosmos: CosmosStore | None = None
    """Cosmos DB the app uses. Default: none."""
    cosmos_write: bool = False
    """Built-in Data Contributor instead of Reader. Default: read only."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Extra tags (the team). Default: none."""

    def __post_init__(self) -> None:
        if not self.revisions:
            raise ValueError(f"app {self.app_name}: at least one revision")
        total = sum(r.traffic_percent for r in self.revisions)
        if total != 100:
            raise ValueError(f"app {self.app_name}: revisions' traffic sums to {total}, not 100")
        if not self.image_digest.startswith("sha256:") or len(self.image_digest) != 71:
            raise ValueError(f"app {self.app_name}: image_digest {self.image_digest!r} is not sha256:<64 hex>")
        if self.models and self.model_account_id is None and self.gateway is None:
            raise ValueError(f"app {self.app_name}: models {list(self.models)} but no model account or gateway")
        if self.gateway is not None and self.model_account_id is not None:
            raise ValueError(f"app {self.app_name}: behind the gateway, the app has no right on the model account")
        if "--" in self.app_name:
            raise ValueError(f"app name {self.app_name!r}: '--' separates app and revision names")


class AppIdentities(pulumi.ComponentResource):
    """The team apps' user-assigned identities, made before the gateway (whose model APIs may admit them) and
    handed to each `TeamApp`."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:apps:AppIdentities", name, None, opts)
        self.register_outputs({})

    def add(
        self,
        resource_name: str,
        *,
        name: str,
        resource_group_name: pulumi.Input[str],
        location: pulumi.Input[str],
        team: str,
    ) -> managedidentity.UserAssignedIdentity:
        """One app's identity, tagged with its team."""
        return managedidentity.UserAssignedIdentity(
            resource_name,
            resource_name_=name,
            resource_group_name=resource_group_name,
            location=location,
            tags={"team": team},
            opts=pulumi.ResourceOptions(parent=self),
        )


class TeamApp(pulumi.ComponentResource):
    """A team's container app with its own identity, least-privilege grants and a revision traffic split.

    Children: the identity's role assignments (AcrPull, models or gateway key, search, cosmos), the container app.
    """

    fqdn: pulumi.Output[str]
    """Internal host name (reachable from the VNet only): the backend of a gateway route."""
    principal_id: pulumi.Output[str]
    app_id: pulumi.Output[str]
    container_app: app.ContainerApp
    """The app itself (a gateway route's API depends on it)."""

    def __init__(self, name: str, args: TeamAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:apps:TeamApp", name, None, opts)
        identity = args.identity
        grants = self._grants(name, args, identity.principal_id)
        latest = args.revisions[-1]
        image = pulumi.Output.from_input(args.registry_login_server).apply(
            lambda server: f"{server}/{args.image}@{args.image_digest}"
        )
        env = [app.EnvironmentVarArgs(name="AZURE_CLIENT_ID", value=identity.client_id)]
        for key, value in (
            ("AZURE_OPENAI_ENDPOINT", args.model_endpoint),
            ("AZURE_SEARCH_ENDPOINT", args.search_endpoint),
            ("AZURE_COSMOS_ENDPOINT", args.cosmos.endpoint if args.cosmos else None),
            ("AZURE_COSMOS_DATABASE", args.cosmos.database_name if args.cosmos else None),
        ):
            if value is not None:
                env.append(app.EnvironmentVarArgs(name=key, value=value))
        if args.models:
            env.append(app.EnvironmentVarArgs(name="AZURE_OPENAI_DEPLOYMENTS", value=",".join(args.models)))
        secrets: list[app.SecretArgs] = []
        if args.gateway is not None:
            env += [
                app.EnvironmentVarArgs(name="LLMOPS_GATEWAY_URL", value=args.gateway.url),
                app.EnvironmentVarArgs(name="LLMOPS_GATEWAY_AUDIENCE", value=args.gateway.audience),
                app.EnvironmentVarArgs(name="LLMOPS_GATEWAY_KEY", secret_ref=GATEWAY_KEY_SECRET),
            ]
            # A Key Vault reference, read with the app's identity: the key is never in the app's template.
            secrets.append(
                app.SecretArgs(
                    name=GATEWAY_KEY_SECRET,
                    # The versionless URI (the latest version at each restart); not a secret itself.
                    key_vault_url=pulumi.Output.unsecret(args.gateway.key_secret.properties.secret_uri),
                    identity=identity.id,
                )
            )
        container_app = app.ContainerApp(
            f"{name}-app",
            container_app_name=args.app_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            managed_environment_id=args.environment_id,
            workload_profile_name="Consumption",
            identity=app.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[identity.id]),
            configuration=app.ConfigurationArgs(
                active_revisions_mode="Multiple",
                ingress=app.IngressArgs(
                    # Reachable at the internal environment's private inbound IP (the VNet), see above.
                    external=True,
                    target_port=args.target_port,
                    transport="auto",
                    allow_insecure=False,
                    ip_security_restrictions=[
                        app.IpSecurityRestrictionRuleArgs(
                            name="gateway-only" if args.behind_gateway else "vnet-only",
                            action="Allow",
                            ip_address_range=args.allowed_source_range,
                            description="Only the AI gateway's subnet may call the app."
                            if args.behind_gateway
                            else "Only the estate's VNet may call the app.",
                        )
                    ],
                    traffic=[
                        app.TrafficWeightArgs(
                            revision_name=f"{args.app_name}--{r.name}", weight=r.traffic_percent, label=r.name
                        )
                        for r in args.revisions
                    ],
                ),
                registries=[app.RegistryCredentialsArgs(server=args.registry_login_server, identity=identity.id)],
                secrets=secrets or None,
                max_inactive_revisions=5,
            ),
            template=app.TemplateArgs(
                revision_suffix=latest.name,
                containers=[
                    app.ContainerArgs(
                        name=args.app_name,
                        image=image,
                        resources=app.ContainerResourcesArgs(cpu=args.cpu, memory=f"{args.memory_gi:g}Gi"),
                        env=env,
                    )
                ],
                scale=app.ScaleArgs(min_replicas=args.min_replicas, max_replicas=args.max_replicas),
            ),
            tags={"team": args.team, **args.tags},
            # The first revision cannot start before its identity may pull the image (and read its gateway key).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*grants, *self._calls(args)]),
        )
        self.container_app = container_app
        self.app_id = container_app.id
        self.principal_id = identity.principal_id
        self.fqdn = pulumi.Output.from_input(args.environment_default_domain).apply(
            lambda domain: f"{args.app_name}.{domain}"
        )
        self.register_outputs({"fqdn": self.fqdn, "principal_id": self.principal_id})

    @staticmethod
    def _calls(args: TeamAppArgs) -> list[pulumi.Resource]:
        """What the app calls: its models' gateway APIs behind the gateway, else the deployments themselves."""
        return list(args.gateway.model_apis) if args.gateway is not None else list(args.model_deployments)

    def _grants(self, name: str, args: TeamAppArgs, principal_id: pulumi.Output[str]) -> list[pulumi.Resource]:
        made: list[pulumi.Resource] = []

        def grant(suffix: str, role: str, scope: pulumi.Input[str], why: str) -> None:
            made.append(
                assign_role(
                    f"{name}-{suffix}",
                    RoleGrant(principal_id=principal_id, role=role, scope=scope, description=why),
                    subscription_id=args.subscription_id,
                    parent=self,
                )
            )

        grant("acr-pull", "AcrPull", args.registry_id, f"{args.app_name} pulls its image.")
        if args.models and args.model_account_id is not None:
            grant(
                "models",
                "Cognitive Services OpenAI User",
                args.model_account_id,
                f"{args.app_name} calls {', '.join(args.models)}.",
            )
        if args.gateway is not None:
            grant(
                "gateway-key",
                "Key Vault Secrets User",
                args.gateway.key_secret.id,
                f"{args.app_name} reads its gateway subscription key (that secret only).",
            )
        if args.search_service_id is not None:
            role = SEARCH_ROLES[args.search_write]
            grant("search", role, args.search_service_id, f"{args.app_name} uses the search indexes.")
        if args.cosmos is not None:
            made.append(
                args.cosmos.data_role_assignment(
                    f"{name}-cosmos", principal_id=principal_id, role=COSMOS_ROLES[args.cosmos_write], parent=self
                )
            )
        return made
