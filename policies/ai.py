"""Azure AI rules (AI-01 … AI-07): Cognitive Services accounts, model deployments, content filters.

Account, Deployment and RaiPolicy keep their settings in `properties`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, get, items, prod, resource_rule, same, stack_rule
from llmops_infra.policies.graph import Graph

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
RAI_POLICY = "azure-native:cognitiveservices:RaiPolicy"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
MODEL_KINDS = ("OpenAI", "AIServices")
HARM_CATEGORIES = ("hate", "sexual", "violence", "selfharm")
SEVERITY_ORDER = {"low": 0, "medium": 1, "high": 2}


_account_rule = partial(resource_rule, types=[ACCOUNT])


@_account_rule(
    "AI-01",
    "no-local-auth",
    scope="A",
    severity=Severity.HIGH,
    description="Cognitive Services accounts disable local (key) authentication.",
    remediation="Set properties.disableLocalAuth: true; callers use Entra ID tokens.",
)
def ai_local_auth(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if get(args.props, "properties.disableLocalAuth") is not True:
        report("Key authentication is on: anyone holding a key can call the account, unaudited.")


@_account_rule(
    "AI-02",
    "no-public-access",
    scope="P",
    severity=Severity.HIGH,
    params=["scope"],
    description="Public network access is disabled (outside prod: network ACL Deny at least).",
    remediation="Set properties.publicNetworkAccess: Disabled and use a private endpoint "
    "(outside prod, networkAcls.defaultAction: Deny may stand in).",
)
def ai_public_access(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if same(get(args.props, "properties.publicNetworkAccess"), "Disabled"):
        return
    if not prod(params) and same(get(args.props, "properties.networkAcls.defaultAction"), "Deny"):
        return
    report("The account is reachable from public networks.")


@_account_rule(
    "AI-03",
    "identity-and-subdomain",
    scope="A",
    severity=Severity.MEDIUM,
    description="Accounts have a managed identity and a custom subdomain.",
    remediation="Set identity.type (SystemAssigned or UserAssigned) and properties.customSubDomainName "
    "(required for Entra ID tokens and private endpoints).",
)
def ai_identity(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if same(get(args.props, "identity.type", "None"), "None"):
        report("The account has no managed identity.")
    if not get(args.props, "properties.customSubDomainName"):
        report("The account has no custom subdomain: Entra ID authentication and private endpoints need one.")


@_account_rule(
    "AI-04",
    "outbound-allow-list",
    scope="P",
    severity=Severity.MEDIUM,
    description="OpenAI accounts restrict outbound access to an FQDN allow-list.",
    remediation="Set properties.restrictOutboundNetworkAccess: true and list allowedFqdnList.",
)
def ai_outbound(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not same(get(args.props, "kind"), *MODEL_KINDS):
        return
    if get(args.props, "properties.restrictOutboundNetworkAccess") is not True:
        report("Outbound access is unrestricted: data can be sent anywhere through model features.")
    elif not items(get(args.props, "properties.allowedFqdnList")):
        report("Outbound access is restricted but allowedFqdnList is empty.")


def filter_gaps(props: Any, ceiling: str = "medium") -> list[str]:
    """What a RAI policy's content filters fail to block at `ceiling` or stricter."""
    filters = items(get(props, "properties.contentFilters"))
    gaps = []
    for source in ("Prompt", "Completion"):
        for category in HARM_CATEGORIES:
            match = [
                f
                for f in filters
                if same(get(f, "source"), source)
                and str(get(f, "name", "")).lower().replace("_", "").replace("-", "") == category
            ]
            ok = any(
                get(f, "enabled") is True
                and get(f, "blocking") is True
                and SEVERITY_ORDER.get(str(get(f, "severityThreshold", "")).lower(), 9) <= SEVERITY_ORDER[ceiling]
                for f in match
            )
            if not ok:
                gaps.append(f"{category}/{source.lower()}")
    return gaps


@resource_rule(
    "AI-06",
    "content-filters",
    scope="A",
    severity=Severity.HIGH,
    types=[DEPLOYMENT, RAI_POLICY],
    description="Every model deployment names a content-filter (RAI) policy that blocks prompts "
    "and completions at Medium or stricter.",
    remediation="Set properties.raiPolicyName on the deployment; in the RaiPolicy, enable and block "
    "hate, sexual, violence and selfharm for Prompt and Completion at Medium or Low.",
)
def ai_content_filters(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if args.resource_type == DEPLOYMENT:
        if not get(args.props, "properties.raiPolicyName"):
            report("The deployment names no content-filter policy.")
        return
    gaps = filter_gaps(args.props)
    if gaps:
        report("The content-filter policy does not block at Medium or stricter: " + ", ".join(gaps) + ".")


@stack_rule(
    "AI-07",
    "content-safety-present",
    scope="P",
    severity=Severity.MEDIUM,
    description="A Content Safety account exists wherever a model endpoint does.",
    remediation="Add the ContentSafety component (a Cognitive Services account of kind ContentSafety).",
)
def ai_content_safety(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    endpoints = [r for r in graph.of_type(ACCOUNT) if same(get(r.props, "kind"), *MODEL_KINDS)]
    endpoints += graph.of_type(ONLINE_ENDPOINT)
    safety = [r for r in graph.of_type(ACCOUNT) if same(get(r.props, "kind"), "ContentSafety", "AIServices")]
    if endpoints and not safety:
        report(
            f"{len(endpoints)} model endpoint(s) but no Content Safety account: prompts and outputs are not screened.",
            endpoints[0].urn,
        )
