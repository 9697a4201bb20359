"""The AI gateway: Azure API Management in the VNet (internal mode), the single front door to the models.

Every model is an API (`models/<name>`) whose policy validates the caller's Entra token, sends the call
to the model's backend (or backend pool) with the gateway's managed identity, and emits token metrics
with Team, UseCase and Model dimensions to Application Insights. Every team is a product that holds the
APIs of its models and a token limit (rate and monthly quota). Add a model later with `add_model_api`, a
team app (`apps/<name>`, same JWT check, in its team's product) with `add_app_api`.

Backend pools (type Pool, services with priority and weight) and circuit breakers are in API version
2024-05-01, which pulumi-azure-native 3.29.0 uses for apimanagement (BackendArgs.pool, circuit_breaker;
learn.microsoft.com/azure/api-management/backends, read 2026-12-01).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
from pulumi_azure_native import apimanagement as apim

from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.gateway_alerts import gateway_alerts
from llmops_infra.components.gateway_backends import circuit_breaker_backend
from llmops_infra.components.gateway_policies import (
    api_policy,
    app_api_policy,
    managed_identity_auth,
    named_value_bearer,
    team_policy,
    weighted_split,
)
from llmops_infra.components.gateway_screening import THRESHOLDS, include_screening, screening_policy_fragment
from llmops_infra.components.gateway_specs import TOKEN_AUDIENCES, AppApiSpec, ModelApiSpec, TeamSpec

APP_METHODS = ["GET", "POST"]
"""Methods a team app's API forwards (any path below `apps/<name>`)."""


@dataclass(frozen=True, kw_only=True)
class AiGatewayArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    service_name: str
    sku: Literal["Developer", "Premium"]
    publisher_name: str
    publisher_email: str
    subnet_id: pulumi.Input[str]
    """The gateway's subnet: the service is injected in internal mode (no public gateway endpoint)."""
    tenant_id: str
    audience: str
    log_analytics_workspace_id: pulumi.Input[str]
    app_insights_id: pulumi.Input[str]
    app_insights_connection_string: pulumi.Input[str]
    action_group_id: pulumi.Input[str]
    models: list[ModelApiSpec]
    teams: list[TeamSpec]
    capacity: int = 1
    """Scale units. Default: 1."""
    content_safety_endpoint: pulumi.Input[str] | None = None
    """Azure AI Content Safety account that screens prompts to self-hosted (vLLM) models, called as the gateway's
    identity (`gateway_screening`). Default: none, no screening at the gateway."""
    screening_threshold: int = THRESHOLDS["Medium"]
    """Lowest severity (0, 2, 4, 6) that blocks a prompt. Default: 4, medium and high are blocked."""
    later_models: tuple[str, ...] = ()
    """Models added after construction with `add_model_api` (a flow route split towards an app, once the app
    exists): teams may name them. Default: none."""

    def __post_init__(self) -> None:
        names = [m.name for m in self.models] + list(self.later_models)
        if len(set(names)) != len(names):
            raise ValueError("gateway: two models share a name")
        known = set(names)
        for team in self.teams:
            unknown = sorted(set(team.models) - known)
            if unknown:
                raise ValueError(f"gateway team {team.name}: models {unknown} are not behind the gateway")


class AiGateway(pulumi.ComponentResource):
    """API Management in internal VNet mode with a system identity, App Insights token metrics and alerts.

    Children: the service, its App Insights logger and diagnostic, one API (with a wildcard POST
    operation and its policy) and backend(s) per model, one product (with its limits) per team and the
    links of its models, Key Vault-backed named values for vLLM keys, a diagnostic setting, four alerts.
    With `content_safety_endpoint`, the vLLM APIs screen prompts with Azure AI Content Safety through a policy
    fragment that calls it as the gateway's identity (`gateway_screening` says why not `llm-content-safety`).
    """

    service_id: pulumi.Output[str]
    service_name: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    private_ip: pulumi.Output[str]
    """The service's private virtual IP in the gateway subnet (internal mode): what its host names resolve to."""
    apis: dict[str, apim.Api]
    """API id (a model's name, `app-<name>` for a team app) -> its API (add more with `add_model_api`,
    `add_app_api`)."""
    products: dict[str, apim.Product]
    """Team name -> its product."""

    def __init__(self, name: str, args: AiGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:ai:AiGateway", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        service = apim.ApiManagementService(
            f"{name}-apim",
            service_name=args.service_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=apim.ApiManagementServiceSkuPropertiesArgs(name=args.sku, capacity=args.capacity),
            publisher_name=args.publisher_name,
            publisher_email=args.publisher_email,
            identity=apim.ApiManagementServiceIdentityArgs(type="SystemAssigned"),
            virtual_network_type="Internal",
            virtual_network_configuration=apim.VirtualNetworkConfigurationArgs(subnet_resource_id=args.subnet_id),
            opts=child,
        )
        self._service = service
        self.service_id = service.id
        self.service_name = service.name
        self.principal_id = service.identity.apply(lambda i: (i.principal_id or "") if i else "")
        self.gateway_url = service.gateway_url
        self.private_ip = service.private_ip_addresses.apply(lambda ips: ips[0] if ips else "")
        # App Insights with local auth off: the logger signs in as the gateway (Monitoring Metrics Publisher).
        logger = apim.Logger(
            f"{name}-appinsights",
            logger_id="appinsights",
            service_name=service.name,
            resource_group_name=args.resource_group_name,
            logger_type="applicationInsights",
            resource_id=args.app_insights_id,
            credentials={"connectionString": args.app_insights_connection_string, "identityClientId": "SystemAssigned"},
            opts=child,
        )
        apim.Diagnostic(
            f"{name}-diagnostic",
            diagnostic_id="applicationinsights",
            service_name=service.name,
            resource_group_name=args.resource_group_name,
            logger_id=logger.id,
            always_log="allErrors",
            metrics=True,  # custom metrics with dimensions: the token metrics
            verbosity="error",
            sampling=apim.SamplingSettingsArgs(sampling_type="fixed", percentage=100),
            opts=child,
        )
        self._screen = (
            screening_policy_fragment(
                name,
                service_name=service.name,
                resource_group_name=args.resource_group_name,
                endpoint=args.content_safety_endpoint,
                threshold=args.screening_threshold,
                parent=self,
            )
            if args.content_safety_endpoint is not None
            else None
        )
        self.apis = {}
        self.products = {}
        for team in args.teams:
            self.products[team.name] = self._product(team)
        for model in args.models:
            self.add_model_api(model, teams=[t.name for t in args.teams if model.name in t.models])
        diagnostic_setting(name, resource_id=service.id, workspace_id=args.log_analytics_workspace_id, parent=self)
        gateway_alerts(
            name,
            service_id=service.id,
            resource_group_name=args.resource_group_name,
            action_group_id=args.action_group_id,
            parent=self,
        )
        self.register_outputs({"service_id": self.service_id, "gateway_url": self.gateway_url})

    def add_model_api(self, spec: ModelApiSpec, teams: list[str] | None = None) -> apim.Api:
        """Put one more model behind the gateway and into the named teams' products; returns its API."""
        args, name = self._args, self._name
        if spec.name in self.apis:
            raise ValueError(f"gateway: model {spec.name} is already behind the gateway")
        singles = [
            self._backend(f"{spec.name}-{i}", u.url, f"{spec.name} ({spec.kind}) #{i}") for i, u in enumerate(spec.urls)
        ]
        backend_id = f"{spec.name}-0"
        ready: list[pulumi.Resource] = list(singles)
        screening = ""
        if len(singles) > 1:
            pool = apim.Backend(
                f"{name}-backend-{spec.name}-pool",
                backend_id=f"{spec.name}-pool",
                service_name=self._service.name,
                resource_group_name=args.resource_group_name,
                type="Pool",
                description=f"{spec.name}: lower priority first, weight within a priority",
                pool=apim.BackendBaseParametersPoolArgs(
                    services=[
                        apim.BackendPoolItemArgs(id=b.id, priority=u.priority, weight=u.weight)
                        for b, u in zip(singles, spec.urls, strict=True)
                    ]
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            backend_id = f"{spec.name}-pool"
            ready.append(pool)
        if spec.kind == "vllm":
            named = apim.NamedValue(
                f"{name}-key-{spec.name}",
                named_value_id=f"{spec.name}-api-key",
                display_name=f"{spec.name}-api-key",
                service_name=self._service.name,
                resource_group_name=args.resource_group_name,
                secret=True,
                key_vault=apim.KeyVaultContractCreatePropertiesArgs(secret_identifier=spec.api_key_secret_uri),
                opts=pulumi.ResourceOptions(parent=self),
            )
            auth = named_value_bearer(f"{spec.name}-api-key")
            ready.append(named)
            if self._screen is not None:  # no built-in filter: the gateway screens its prompts
                screening = include_screening()
                ready.append(self._screen)
        else:
            auth = managed_identity_auth(TOKEN_AUDIENCES[spec.kind])
        routing = ""
        if spec.split is not None:
            split = spec.split
            url = pulumi.Output.from_input(split.fqdn).apply(lambda host: f"https://{host}{split.path}")
            app_backend = self._backend(f"{spec.name}-app", url, f"{spec.name} -> app {split.app}", split.resource)
            ready.append(app_backend)
            routing = weighted_split(
                percent=split.percent,
                backend_id=f"{spec.name}-app",
                auth=managed_identity_auth(args.audience),
                default_backend_id=backend_id,
                default_auth=auth,
            )
        apps = [a for t in args.teams if spec.name in t.models for a in t.client_app_ids]
        policy = pulumi.Output.all(*apps).apply(
            lambda ids: api_policy(
                tenant_id=args.tenant_id,
                audience=args.audience,
                backend_id=backend_id,
                model=spec.name,
                auth=auth,
                client_app_ids=sorted(set(ids)),
                screening=screening,
                routing=routing,
            )
        )
        title, path = f"{spec.name} ({spec.kind})", f"models/{spec.name}"
        return self._publish(spec.name, title, path, ["POST"], policy, ready, teams or [], spec.target)

    def add_app_api(self, spec: AppApiSpec) -> apim.Api:
        """Put one team app behind the gateway (`apps/<name>`, API id `app-<name>`), in its team's product, with the
        model APIs' JWT check; the gateway calls `https://<fqdn>` with its identity. Returns the API."""
        api_id = f"app-{spec.name}"
        if api_id in self.apis:
            raise ValueError(f"gateway: app {spec.name} is already behind the gateway")
        if spec.team not in self.products:
            raise ValueError(f"gateway: app {spec.name}'s team {spec.team} has no product (add it to teams)")
        team = next(t for t in self._args.teams if t.name == spec.team)
        url = pulumi.Output.from_input(spec.fqdn).apply(lambda host: f"https://{host}")
        backend = self._backend(api_id, url, f"app {spec.name} (team {spec.team})", spec.app)
        policy = pulumi.Output.all(*team.client_app_ids).apply(
            lambda ids: app_api_policy(
                tenant_id=self._args.tenant_id,
                audience=self._args.audience,
                backend_id=api_id,
                client_app_ids=sorted(set(ids)),
            )
        )
        title = f"app {spec.name} (team {spec.team})"
        return self._publish(api_id, title, f"apps/{spec.name}", APP_METHODS, policy, [backend], [spec.team], spec.app)

    def add_subscription(self, sid: str, team: str, title: str) -> apim.Subscription:
        """An active subscription to `team`'s product (an app of the team calling the models), tracing off."""
        if team not in self.products:
            raise ValueError(f"gateway: subscription {sid}: team {team} has no product (add it to teams)")
        return apim.Subscription(
            f"{self._name}-subscription-{sid}",
            sid=sid,
            service_name=self._service.name,
            resource_group_name=self._args.resource_group_name,
            display_name=title,
            scope=self.products[team].id,
            state=apim.SubscriptionState.ACTIVE,
            allow_tracing=False,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _publish(
        self,
        api_id: str,
        title: str,
        path: str,
        methods: list[str],
        policy: pulumi.Input[str],
        ready: list[pulumi.Resource],
        teams: list[str],
        uses: pulumi.Resource | None = None,
    ) -> apim.Api:
        """An API with a wildcard operation per method, its policy (after `ready`) and its teams' product links."""
        name, service, group = self._name, self._service.name, self._args.resource_group_name
        api = apim.Api(
            f"{name}-api-{api_id}",
            api_id=api_id,
            service_name=service,
            resource_group_name=group,
            display_name=title,
            path=path,
            protocols=["https"],
            subscription_required=True,
            api_type="http",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[uses] if uses else None),
        )
        for method in methods:
            apim.ApiOperation(
                f"{name}-api-{api_id}-{method.lower()}",
                operation_id=f"{method.lower()}-any",
                api_id=api.name,
                service_name=service,
                resource_group_name=group,
                display_name=f"{method} any path",
                method=method,
                url_template="/*",
                opts=pulumi.ResourceOptions(parent=self),
            )
        apim.ApiPolicy(
            f"{name}-api-{api_id}-policy",
            api_id=api.name,
            policy_id="policy",
            service_name=service,
            resource_group_name=group,
            format="rawxml",
            value=policy,
            opts=pulumi.ResourceOptions(parent=self, depends_on=ready),
        )
        for team in teams:
            apim.ProductApiLink(
                f"{name}-team-{team}-{api_id}",
                api_link_id=api_id,
                product_id=self.products[team].name,
                api_id=api.id,
                service_name=service,
                resource_group_name=group,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.apis[api_id] = api
        return api

    def _backend(
        self, key: str, url: pulumi.Input[str], title: str, uses: pulumi.Resource | None = None
    ) -> apim.Backend:
        return circuit_breaker_backend(
            f"{self._name}-backend-{key}",
            backend_id=key,
            service_name=self._service.name,
            resource_group_name=self._args.resource_group_name,
            url=url,
            title=title,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[uses] if uses else None),
        )

    def _product(self, team: TeamSpec) -> apim.Product:
        args = self._args
        product = apim.Product(
            f"{self._name}-team-{team.name}",
            product_id=team.name,
            service_name=self._service.name,
            resource_group_name=args.resource_group_name,
            display_name=f"{team.name} (cost center {team.cost_center})",
            description=f"Models for team {team.name}, billed to {team.cost_center}.",
            subscription_required=True,
            approval_required=True,
            state=apim.ProductState.PUBLISHED,
            opts=pulumi.ResourceOptions(parent=self),
        )
        apim.ProductPolicy(
            f"{self._name}-team-{team.name}-limits",
            product_id=product.name,
            policy_id="policy",
            service_name=self._service.name,
            resource_group_name=args.resource_group_name,
            format="rawxml",
            value=team_policy(
                team=team.name,
                tokens_per_minute=team.tokens_per_minute,
                monthly_token_quota=team.monthly_token_quota,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return product
