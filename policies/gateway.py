"""AI gateway rules (GW-01 … GW-04): API Management private, callers with Entra tokens, backends with the
gateway's identity, team products with token limits and chargeback dimensions.

API Management keeps its settings at the top level of the props (serviceName, apiId, value, format ...).
Policy documents are XML: they are parsed, never matched as text, so a commented-out statement does not
count. A policy whose XML does not parse is a finding of its own (API Management would refuse it too).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, get, is_true, mapping, resource_rule, same, stack_rule
from llmops_infra.policies.graph import Graph

SERVICE = "azure-native:apimanagement:ApiManagementService"
API = "azure-native:apimanagement:Api"
API_POLICY = "azure-native:apimanagement:ApiPolicy"
SERVICE_POLICY = "azure-native:apimanagement:Policy"
BACKEND = "azure-native:apimanagement:Backend"
NAMED_VALUE = "azure-native:apimanagement:NamedValue"
POLICY_FRAGMENT = "azure-native:apimanagement:PolicyFragment"
KEY_HEADERS = ("ocp-apim-subscription-key", "api-key", "authorization")
PRODUCT = "azure-native:apimanagement:Product"
PRODUCT_POLICY = "azure-native:apimanagement:ProductPolicy"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
JWT_STATEMENTS = ("validate-azure-ad-token", "validate-jwt")
TOKEN_LIMITS = ("llm-token-limit", "azure-openai-token-limit")
TOKEN_METRICS = ("llm-emit-token-metric", "azure-openai-emit-token-metric")
CHARGEBACK_DIMENSIONS = ("team", "usecase")
APP_PATH_PREFIX = "apps/"
"""Team apps' APIs (`apps/<name>`): not models, they carry no tokens (an app calls the models with its own
identity), so GW-04's token metrics are asked of the other (model) APIs only."""


def parse_policy(value: Any) -> ET.Element | None:
    """The policy document as XML; None when absent or not XML (rawxml and xml formats)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return ET.fromstring(value)
    except ET.ParseError:
        return None


def statements(doc: ET.Element, *names: str) -> Iterator[ET.Element]:
    wanted = {n.lower() for n in names}
    return (e for e in doc.iter() if isinstance(e.tag, str) and e.tag.lower() in wanted)


def _inbound(doc: ET.Element) -> ET.Element | None:
    return next((e for e in doc if isinstance(e.tag, str) and e.tag.lower() == "inbound"), None)


@resource_rule(
    "GW-01",
    "gateway-private",
    scope="P",
    severity=Severity.HIGH,
    types=[SERVICE],
    description="The API gateway is private: internal VNet mode, or public network access off (with a private endpoint).",
    remediation="Set virtualNetworkType: Internal with a subnet (Developer, Premium), or publicNetworkAccess: Disabled "
    "and a private endpoint (group Gateway).",
)
def gw_private(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if same(get(args.props, "virtualNetworkType"), "Internal"):
        if not get(args.props, "virtualNetworkConfiguration.subnetResourceId"):
            report("Internal VNet mode names no subnet: the service cannot be placed in the VNet.")
        return
    if not same(get(args.props, "publicNetworkAccess"), "Disabled"):
        mode = get(args.props, "virtualNetworkType") or "None"
        report(
            f"The gateway is reachable from the internet (VNet type {mode}, public network access not disabled): "
            "every model behind it is one stolen token away."
        )


def _api_policies(graph: Graph) -> dict[str, list[ET.Element | None]]:
    found: dict[str, list[ET.Element | None]] = {}
    for policy in graph.of_type(API_POLICY):
        api = get(policy.props, "apiId")
        if isinstance(api, str):
            found.setdefault(api.rsplit("/", 1)[-1], []).append(parse_policy(get(policy.props, "value")))
    return found


def _validates_jwt(doc: ET.Element | None) -> bool:
    inbound = _inbound(doc) if doc is not None else None
    return inbound is not None and any(True for _ in statements(inbound, *JWT_STATEMENTS))


@stack_rule(
    "GW-02",
    "api-validates-jwt",
    scope="A",
    severity=Severity.HIGH,
    description="Every gateway API validates an Entra token (JWT) before it forwards; no API relies on a "
    "subscription key alone.",
    remediation="Put validate-azure-ad-token (or validate-jwt) in the inbound section of the API's policy, or of "
    "the service's global policy.",
)
def gw_jwt(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    global_ok = any(_validates_jwt(parse_policy(get(p.props, "value"))) for p in graph.of_type(SERVICE_POLICY))
    policies = _api_policies(graph)
    for api in graph.of_type(API):
        api_id = get(api.props, "apiId") or api.name
        if global_ok or any(_validates_jwt(doc) for doc in policies.get(str(api_id), [])):
            continue
        unparsed = any(doc is None for doc in policies.get(str(api_id), []))
        why = "its policy XML does not parse" if unparsed else "no inbound validate-azure-ad-token or validate-jwt"
        report(
            f"API {api_id} forwards callers without checking an Entra token ({why}): a leaked subscription key "
            "is enough to spend the team's tokens.",
            api.urn,
        )


@resource_rule(
    "GW-03",
    "backends-managed-identity",
    scope="A",
    severity=Severity.HIGH,
    types=[BACKEND, NAMED_VALUE, API_POLICY, POLICY_FRAGMENT],
    description="Backends authenticate with the gateway's managed identity; no key in a named value unless it is "
    "Key Vault-backed; services a policy calls (send-request, e.g. Content Safety screening) too.",
    remediation="Remove credentials.header/query/authorization from the backend and add authentication-managed-identity "
    "to the API policy (and inside each send-request); keep any unavoidable key as a Key Vault-backed named value "
    "(keyVault.secretIdentifier).",
)
def gw_backends(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    props = args.props
    if args.resource_type == BACKEND:
        creds = mapping(get(props, "credentials"))
        for kind in ("header", "query"):
            if mapping(creds.get(kind)):
                report(f"The backend sends a credential in its {kind}: a key copied into the gateway, not an identity.")
        if mapping(creds.get("authorization")):
            report("The backend sends a fixed Authorization header: a shared secret, not the gateway's identity.")
    elif args.resource_type == NAMED_VALUE:
        if is_true(get(props, "secret")) and not get(props, "keyVault.secretIdentifier"):
            report(
                "A secret named value is stored in the gateway itself: keep it in Key Vault (keyVault.secretIdentifier)."
            )
    else:
        doc = parse_policy(get(props, "value"))
        if doc is None:
            return
        _send_requests(doc, report)
        if args.resource_type == POLICY_FRAGMENT:
            return
        inbound = _inbound(doc)
        if inbound is None or not any(True for _ in statements(inbound, "set-backend-service")):
            return
        mi = any(True for _ in statements(inbound, "authentication-managed-identity"))
        keyed = any("{{" in (e.findtext("value") or "") for e in statements(inbound, "set-header"))
        if not mi and not keyed:
            report(
                "The API forwards to a backend without authentication-managed-identity (nor a Key Vault-backed key)."
            )


def _send_requests(doc: ET.Element, report: Report) -> None:
    """Each send-request signs in as the gateway (a nested authentication-managed-identity) and sends no key."""
    for call in statements(doc, "send-request"):
        url = (call.findtext("set-url") or "").strip() or "its URL"
        if not any(True for _ in statements(call, "authentication-managed-identity")):
            report(f"A send-request to {url} calls it without the gateway's managed identity.")
        for header in statements(call, "set-header"):
            if (header.get("name") or "").lower() in KEY_HEADERS:
                report(f"A send-request to {url} sends a credential header ({header.get('name')}), not an identity.")


@stack_rule(
    "GW-04",
    "team-token-limits",
    scope="A",
    severity=Severity.MEDIUM,
    description="Every team product carries a token-per-minute limit and a quota; token metrics of every model API "
    "(not the team apps' apps/<name> APIs) carry team and use-case dimensions.",
    remediation="Give each product a policy with llm-token-limit (tokens-per-minute, token-quota, "
    "token-quota-period) and each model API llm-emit-token-metric with Team and UseCase dimensions.",
)
def gw_limits(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    limits: dict[str, list[ET.Element]] = {}
    for policy in graph.of_type(PRODUCT_POLICY):
        product = get(policy.props, "productId")
        doc = parse_policy(get(policy.props, "value"))
        if isinstance(product, str) and doc is not None:
            limits.setdefault(product.rsplit("/", 1)[-1], []).extend(statements(doc, *TOKEN_LIMITS))
    for product in graph.of_type(PRODUCT):
        product_id = str(get(product.props, "productId") or product.name)
        found = limits.get(product_id, [])
        if not found:
            report(f"Product {product_id} has no token limit: one team can use up the models' capacity.", product.urn)
            continue
        attrs = {k.lower() for e in found for k in e.attrib}
        missing = [a for a in ("tokens-per-minute", "token-quota", "token-quota-period") if a not in attrs]
        if missing:
            report(
                f"Product {product_id}'s token limit lacks {', '.join(missing)}: a rate and a quota are both needed.",
                product.urn,
            )
    policies = _api_policies(graph)
    for api in graph.of_type(API):
        api_id = str(get(api.props, "apiId") or api.name)
        if str(get(api.props, "path") or "").startswith(APP_PATH_PREFIX):
            continue
        metrics = [m for doc in policies.get(api_id, []) if doc is not None for m in statements(doc, *TOKEN_METRICS)]
        names = {(d.get("name") or "").lower() for m in metrics for d in m if isinstance(d.tag, str)}
        if not metrics:
            report(f"API {api_id} emits no token metrics: its usage cannot be charged back.", api.urn)
        elif not all(dim in names for dim in CHARGEBACK_DIMENSIONS):
            report(
                f"API {api_id}'s token metrics lack the Team and UseCase dimensions: cost cannot be split by team.",
                api.urn,
            )
