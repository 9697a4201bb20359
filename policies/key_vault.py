"""Key Vault rules (KV-01 … KV-06). Vault settings are wrapped in `properties`."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, get, items, prod, resource_rule, same, stack_rule
from llmops_infra.policies.graph import Graph

VAULT = "azure-native:keyvault:Vault"
ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"
"""An access policy as its own resource: the separate form of a vault's `accessPolicies[]`."""


@resource_rule(
    "KV-01",
    "purge-protection",
    scope="P",
    severity=Severity.HIGH,
    types=[VAULT],
    description="Key Vaults keep purge protection on.",
    remediation="Set properties.enablePurgeProtection: true (it cannot be turned off afterwards).",
)
def kv_purge_protection(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if get(args.props, "properties.enablePurgeProtection") is not True:
        report(
            "Purge protection is off: a deleted vault and its secrets can be destroyed at once, "
            "by mistake or by an attacker."
        )


@resource_rule(
    "KV-02",
    "soft-delete",
    scope="A",
    severity=Severity.HIGH,
    types=[VAULT],
    params=["scope"],
    description="Key Vaults keep soft delete on with at least 7 days of retention (90 in prod).",
    remediation="Set properties.enableSoftDelete: true and softDeleteRetentionInDays: 90 (at least 7 outside prod).",
)
def kv_soft_delete(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if get(args.props, "properties.enableSoftDelete") is False:
        report("Soft delete is off: deleted secrets and keys cannot be recovered.")
    days = get(args.props, "properties.softDeleteRetentionInDays", 90)  # Azure's default is 90
    floor = 90 if prod(params) else 7
    if isinstance(days, (int, float)) and days < floor:
        report(f"Soft-delete retention is {days} days; at least {floor} are required here.")


@resource_rule(
    "KV-03",
    "rbac-authorization",
    scope="A",
    severity=Severity.HIGH,
    types=[VAULT, ACCESS_POLICY],
    description="Key Vaults use Azure RBAC authorization, not access policies.",
    remediation="Set properties.enableRbacAuthorization: true and remove accessPolicies; "
    "grant data-plane roles (Key Vault Secrets User) instead.",
)
def kv_rbac(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if args.resource_type == ACCESS_POLICY:
        report(
            f"An access policy is granted on vault {get(args.props, 'vaultName') or '?'}: grant Azure RBAC "
            "roles instead."
        )
        return
    if get(args.props, "properties.enableRbacAuthorization") is not True:
        report(
            "RBAC authorization is off: access policies grant vault-wide rights that Azure RBAC cannot audit or scope."
        )
    if items(get(args.props, "properties.accessPolicies")):
        report("The vault defines access policies: grant Azure RBAC roles instead.")


@resource_rule(
    "KV-04",
    "no-public-access",
    scope="P",
    severity=Severity.HIGH,
    types=[VAULT],
    description="Key Vaults disable public network access.",
    remediation="Set properties.publicNetworkAccess: Disabled and reach the vault through its private endpoint.",
)
def kv_public_access(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not same(get(args.props, "properties.publicNetworkAccess"), "Disabled"):
        report("Public network access is not disabled: the vault's data plane is reachable from the internet.")


@resource_rule(
    "KV-05",
    "acl-deny",
    scope="A",
    severity=Severity.MEDIUM,
    types=[VAULT],
    description="Key Vault firewalls deny by default.",
    remediation="Set properties.networkAcls.defaultAction: Deny (allow listed IPs or trusted services explicitly).",
)
def kv_acl_deny(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not same(get(args.props, "properties.networkAcls.defaultAction"), "Deny"):
        report("The vault firewall's default action is not Deny: any network may reach it.")


@stack_rule(
    "KV-06",
    "private-endpoint",
    scope="P",
    severity=Severity.MEDIUM,
    description="A private endpoint (group `vault`) serves every Key Vault.",
    remediation="Create a private endpoint with group id `vault` for the vault, in the private-endpoints subnet.",
)
def kv_private_endpoint(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    for vault in graph.of_type(VAULT):
        if not graph.private_endpoints_for(vault, "vault"):
            report(
                f"Key Vault {vault.name} has no private endpoint with group `vault`: clients reach "
                "it over public endpoints.",
                vault.urn,
            )
