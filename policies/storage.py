"""Storage rules (ST-01 … ST-03). StorageAccount keeps settings at the top level."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, expect, get, resource_rule, same

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"


@resource_rule(
    "ST-01",
    "secure-transport",
    scope="A",
    severity=Severity.HIGH,
    types=[STORAGE_ACCOUNT],
    description="Storage accounts forbid public blob access and require HTTPS with TLS 1.2+.",
    remediation="Set allowBlobPublicAccess: false, minimumTlsVersion: TLS1_2 and enableHttpsTrafficOnly: true.",
)
def st_transport(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if get(args.props, "allowBlobPublicAccess") is not False:
        report("Public blob access is not explicitly off: a container can be made anonymous.")
    if not same(get(args.props, "minimumTlsVersion"), "TLS1_2", "TLS1_3"):
        report(f"Minimum TLS is {get(args.props, 'minimumTlsVersion') or 'unset'}: TLS 1.2 or newer is required.")
    if get(args.props, "enableHttpsTrafficOnly") is False:
        report("Plain HTTP is allowed.")


@resource_rule(
    "ST-02",
    "entra-only",
    scope="A",
    severity=Severity.HIGH,
    types=[STORAGE_ACCOUNT],
    description="Shared key access is off and OAuth (Entra ID) is the default.",
    remediation="Set allowSharedKeyAccess: false and defaultToOAuthAuthentication: true.",
)
def st_entra(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    expect(
        args.props,
        report,
        ("allowSharedKeyAccess", False, "Shared key access is on: account keys and SAS tokens bypass Entra ID."),
        ("defaultToOAuthAuthentication", True, "OAuth is not the default authentication in the portal and tools."),
    )


@resource_rule(
    "ST-03",
    "private-network",
    scope="P",
    severity=Severity.HIGH,
    types=[STORAGE_ACCOUNT],
    description="Storage network rules deny by default and public network access is disabled.",
    remediation="Set networkRuleSet.defaultAction: Deny and publicNetworkAccess: Disabled; "
    "reach the account through a private endpoint.",
)
def st_private(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    expect(
        args.props,
        report,
        ("networkRuleSet.defaultAction", ("Deny",), "The storage firewall's default action is not Deny."),
        ("publicNetworkAccess", ("Disabled",), "Public network access is not disabled."),
    )
