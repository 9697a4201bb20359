"""App-tier rules (AI-08, APP-01, APP-02, SRCH-01, COS-01): Foundry, Container Apps, AI Search, Cosmos DB.

Wire names: a Foundry account keeps its settings in `properties` (cognitiveservices Account,
Project); Container Apps environments, container apps, search services and Cosmos DB accounts keep
theirs at the top level (`vnetConfiguration`, `configuration`, `disableLocalAuth`, `backupPolicy`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, get, is_true, items, prod, resource_rule, same, stack_rule
from llmops_infra.policies.graph import Graph

ACCOUNT = "azure-native:cognitiveservices:Account"
PROJECT = "azure-native:cognitiveservices:Project"
APP_ENVIRONMENT = "azure-native:app:ManagedEnvironment"
CONTAINER_APP = "azure-native:app:ContainerApp"
SEARCH = "azure-native:search:Service"
COSMOS = "azure-native:cosmosdb:DatabaseAccount"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|PASSWD|TOKEN|CONNECTION_?STRING|CREDENTIAL)", re.IGNORECASE)


@resource_rule(
    "AI-08",
    "foundry-private-entra",
    scope="A",
    severity=Severity.HIGH,
    types=[ACCOUNT, PROJECT],
    description="Foundry (kind AIServices) accounts: local auth off, public network access off; projects have a "
    "managed identity.",
    remediation="On the account set properties.disableLocalAuth: true and properties.publicNetworkAccess: Disabled "
    "(a private endpoint serves the VNet); give each project identity.type SystemAssigned.",
)
def foundry_private(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if args.resource_type == PROJECT:
        if same(get(args.props, "identity.type", "None"), "None"):
            report("The Foundry project has no managed identity: its agents and connections cannot use Entra auth.")
        return
    if not same(get(args.props, "kind"), "AIServices"):
        return
    if get(args.props, "properties.disableLocalAuth") is not True:
        report("Key authentication is on: a key calls every model and project of the Foundry resource, unaudited.")
    if not same(get(args.props, "properties.publicNetworkAccess"), "Disabled"):
        report("The Foundry resource is reachable from public networks.")


def _logs_to_workspace(graph: Graph, environment: PolicyResource) -> bool:
    if same(get(environment.props, "appLogsConfiguration.destination"), "log-analytics"):
        return bool(get(environment.props, "appLogsConfiguration.logAnalyticsConfiguration.customerId"))
    settings = graph.referring(environment, DIAGNOSTIC_SETTING)
    return any(get(s.props, "workspaceId") for s in settings)


@stack_rule(
    "APP-01",
    "app-environment-internal",
    scope="P",
    severity=Severity.HIGH,
    description="Container Apps environments are internal (a VNet subnet, internal load balancer, no public "
    "network access) and send their logs to Log Analytics.",
    remediation="Set vnetConfiguration.infrastructureSubnetId and internal: true, publicNetworkAccess: Disabled, and "
    "appLogsConfiguration.destination azure-monitor with a DiagnosticSetting to the workspace (or log-analytics).",
)
def app_environment_internal(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    for env in graph.of_type(APP_ENVIRONMENT):
        if not get(env.props, "vnetConfiguration.infrastructureSubnetId") or not is_true(
            get(env.props, "vnetConfiguration.internal")
        ):
            report(f"Environment {env.name} is not internal to the VNet: its apps get a public endpoint.", env.urn)
        if not same(get(env.props, "publicNetworkAccess"), "Disabled"):
            report(f"Environment {env.name} accepts traffic from public networks.", env.urn)
        if not _logs_to_workspace(graph, env):
            report(f"Environment {env.name} sends its app logs to no Log Analytics workspace.", env.urn)


def _internal(environment: PolicyResource | None) -> bool:
    return environment is not None and is_true(get(environment.props, "vnetConfiguration.internal"))


@stack_rule(
    "APP-02",
    "container-app-hardened",
    scope="A",
    severity=Severity.HIGH,
    params=["allowed_registries"],
    description="Container apps: no ingress from the internet (external ingress only in an internal environment), "
    "images by digest from the estate's registry, registry pull with a managed identity, no secrets in plain "
    "environment values.",
    remediation="Run the app in an internal environment (or set ingress.external: false); use "
    "<registry>.azurecr.io/<repo>@sha256:<digest>; give each registry an identity and no passwordSecretRef; "
    "pass secrets as Key Vault references (secrets[].keyVaultUrl) and env secretRef.",
)
def container_app_hardened(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    import fnmatch

    graph = Graph(resources)
    environments = graph.of_type(APP_ENVIRONMENT)
    for ca in graph.of_type(CONTAINER_APP):
        env = next((e for e in environments if graph.refers(ca, e)), None)
        if is_true(get(ca.props, "configuration.ingress.external")) and not _internal(env):
            report(
                f"App {ca.name} has external ingress outside an internal environment: the internet reaches it.", ca.urn
            )
        for container in items(get(ca.props, "template.containers")) + items(get(ca.props, "template.initContainers")):
            image = str(get(container, "image") or "")
            host = image.split("/", 1)[0]
            if not DIGEST.search(image):
                report(f"App {ca.name} runs {image!r} by tag, not by digest: what runs can change unseen.", ca.urn)
            if not any(fnmatch.fnmatchcase(host, p) for p in params["allowed_registries"]):
                report(f"App {ca.name} pulls {host!r}, not the estate's registry.", ca.urn)
            for var in items(get(container, "env")):
                if get(var, "value") is not None and SECRET_NAME.search(str(get(var, "name") or "")):
                    report(f"App {ca.name}: env {get(var, 'name')} looks like a secret given as a plain value.", ca.urn)
        for registry in items(get(ca.props, "configuration.registries")):
            if get(registry, "passwordSecretRef") or not get(registry, "identity"):
                report(f"App {ca.name} pulls from {get(registry, 'server')} with a password, not an identity.", ca.urn)
        for secret in items(get(ca.props, "configuration.secrets")):
            if get(secret, "value") is not None or not get(secret, "keyVaultUrl"):
                report(f"App {ca.name}: secret {get(secret, 'name')!r} is a value in the app definition.", ca.urn)


@stack_rule(
    "SRCH-01",
    "search-private-entra",
    scope="P",
    severity=Severity.HIGH,
    description="AI Search: local auth (API keys) off, public network access off, a private endpoint.",
    remediation="Set disableLocalAuth: true and publicNetworkAccess: Disabled, and add a private endpoint "
    "(group searchService) with a DNS zone group.",
)
def search_private(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    for svc in graph.of_type(SEARCH):
        if get(svc.props, "disableLocalAuth") is not True:
            report(f"Search {svc.name} accepts API keys: a query key reads every index, unaudited.", svc.urn)
        if not same(get(svc.props, "publicNetworkAccess"), "Disabled"):
            report(f"Search {svc.name} is reachable from public networks.", svc.urn)
        if not graph.private_endpoints_for(svc, "searchService"):
            report(f"Search {svc.name} has no private endpoint: the VNet cannot reach it privately.", svc.urn)


@stack_rule(
    "COS-01",
    "cosmos-private-entra-backup",
    scope="P",
    severity=Severity.HIGH,
    params=["scope"],
    description="Cosmos DB: local auth (keys) off, public network access off, a private endpoint, continuous "
    "backup in prod.",
    remediation="Set disableLocalAuth: true, publicNetworkAccess: Disabled, add a private endpoint (group Sql), "
    "and in prod backupPolicy.type: Continuous.",
)
def cosmos_private(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    for acct in graph.of_type(COSMOS):
        if get(acct.props, "disableLocalAuth") is not True:
            report(f"Cosmos DB {acct.name} accepts keys: a key reads and writes every container.", acct.urn)
        if not same(get(acct.props, "publicNetworkAccess"), "Disabled"):
            report(f"Cosmos DB {acct.name} is reachable from public networks.", acct.urn)
        if not graph.private_endpoints_for(acct, "Sql"):
            report(f"Cosmos DB {acct.name} has no private endpoint (group Sql).", acct.urn)
        if prod(params) and not same(get(acct.props, "backupPolicy.type"), "Continuous"):
            report(f"Cosmos DB {acct.name} has no continuous backup: no point-in-time restore.", acct.urn)
