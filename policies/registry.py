"""Container registry rules (ACR-01, ACR-02). Registry keeps settings at the top level."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, get, is_true, resource_rule, same

REGISTRY = "azure-native:containerregistry:Registry"


@resource_rule(
    "ACR-01",
    "no-admin-no-anonymous",
    scope="A",
    severity=Severity.HIGH,
    types=[REGISTRY],
    description="Registries disable the admin user and anonymous pull.",
    remediation="Set adminUserEnabled: false and anonymousPullEnabled: false; grant AcrPull to identities.",
)
def acr_admin(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if is_true(get(args.props, "adminUserEnabled")):
        report("The admin user is on: one shared password can push and pull every image.")
    if is_true(get(args.props, "anonymousPullEnabled")):
        report("Anonymous pull is on: anyone can download the estate's images.")


@resource_rule(
    "ACR-02",
    "premium-private-retention",
    scope="P",
    severity=Severity.MEDIUM,
    types=[REGISTRY],
    description="Registries are Premium, without public access, with a retention policy.",
    remediation="Set sku.name: Premium, publicNetworkAccess: Disabled and policies.retentionPolicy.status: enabled.",
)
def acr_premium(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    sku = get(args.props, "sku.name")
    if not same(sku, "Premium"):
        report(f"The registry SKU is {sku}: only Premium supports private endpoints and retention.")
    if not same(get(args.props, "publicNetworkAccess"), "Disabled"):
        report("Public network access is not disabled.")
    if not same(get(args.props, "policies.retentionPolicy.status"), "enabled"):
        report("No retention policy: untagged manifests accumulate forever.")
