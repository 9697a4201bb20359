"""AKS rules (AKS-01 … AKS-13). ManagedCluster and AgentPool keep settings at the top level.

Node pools are judged in both forms: inline `agentPoolProfiles[]` and separate `AgentPool`.
"""

from __future__ import annotations

import ipaddress
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from llmops_infra.policies.framework import (
    Params,
    Report,
    expect,
    get,
    is_true,
    items,
    mapping,
    prod,
    resource_rule,
    same,
)

CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
SYSTEM_TAINT = "CriticalAddonsOnly=true:NoSchedule"


def node_pools(args: ResourceValidationArgs | PolicyResource) -> list[tuple[str, Any]]:
    """(pool name, pool settings) of a cluster's inline pools or of one AgentPool resource."""
    if args.resource_type == CLUSTER:
        return [(str(get(p, "name") or "?"), p) for p in items(get(args.props, "agentPoolProfiles"))]
    if args.resource_type == AGENT_POOL:
        return [(str(get(args.props, "agentPoolName") or args.name), args.props)]
    return []


def addon(props: Any, *names: str) -> Any:
    """An addon profile by any of its spellings (`omsagent`, `omsAgent`…)."""
    profiles = mapping(get(props, "addonProfiles"))
    wanted = {n.lower() for n in names}
    for key in profiles:
        if key.lower() in wanted:
            return profiles[key]
    return None


_cluster_rule = partial(resource_rule, types=[CLUSTER])


@_cluster_rule(
    "AKS-01",
    "private-api-server",
    scope="P",
    severity=Severity.HIGH,
    params=["scope"],
    description="The API server is private (outside prod: limited to authorized IP ranges at least).",
    remediation="Set apiServerAccessProfile.enablePrivateCluster: true (outside prod, "
    "authorizedIPRanges may stand in).",
)
def aks_private(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    access = get(args.props, "apiServerAccessProfile")
    if get(access, "enablePrivateCluster") is True:
        return
    ranges = [str(r) for r in items(get(access, "authorizedIPRanges"))]
    if not prod(params) and ranges and not any(_everywhere(r) for r in ranges):
        return
    report("The API server is public" + ("" if prod(params) else " and open to every IP range") + ".")


def _everywhere(cidr: str) -> bool:
    """An authorized range that admits every address (0.0.0.0/0, ::/0, *) restricts nothing."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return cidr.strip() == "*"


@_cluster_rule(
    "AKS-02",
    "no-local-accounts",
    scope="A",
    severity=Severity.HIGH,
    description="Local accounts (static admin kubeconfig) are disabled.",
    remediation="Set disableLocalAccounts: true; sign in through Entra ID.",
)
def aks_local_accounts(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if get(args.props, "disableLocalAccounts") is not True:
        report("Local accounts are enabled: a static admin credential bypasses Entra ID and auditing.")


@_cluster_rule(
    "AKS-03",
    "entra-rbac",
    scope="A",
    severity=Severity.HIGH,
    description="Kubernetes RBAC on, with Entra ID integration and Azure RBAC.",
    remediation="Set enableRBAC: true, aadProfile.managed: true and aadProfile.enableAzureRBAC: true.",
)
def aks_entra_rbac(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    expect(
        args.props,
        report,
        ("enableRBAC", True, "Kubernetes RBAC is not explicitly on."),
        (
            "aadProfile.enableAzureRBAC",
            True,
            "Entra ID integration with Azure RBAC is off: cluster access is not governed by Azure roles.",
        ),
    )


@_cluster_rule(
    "AKS-04",
    "workload-identity",
    scope="A",
    severity=Severity.MEDIUM,
    description="The OIDC issuer and workload identity are on.",
    remediation="Set oidcIssuerProfile.enabled: true and securityProfile.workloadIdentity.enabled: true.",
)
def aks_workload_identity(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    expect(
        args.props,
        report,
        ("oidcIssuerProfile.enabled", True, "The OIDC issuer is off: pods cannot federate to managed identities."),
        (
            "securityProfile.workloadIdentity.enabled",
            True,
            "Workload identity is off: pods would need secrets to reach Azure.",
        ),
    )


@_cluster_rule(
    "AKS-05",
    "network-policy",
    scope="A",
    severity=Severity.MEDIUM,
    description="A network policy engine is set (azure, calico or cilium).",
    remediation="Set networkProfile.networkPolicy to azure, calico or cilium.",
)
def aks_network_policy(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not same(get(args.props, "networkProfile.networkPolicy"), "azure", "calico", "cilium"):
        report("No network policy engine: NetworkPolicy objects would be silently ignored.")


@_cluster_rule(
    "AKS-06",
    "auto-upgrade",
    scope="A",
    severity=Severity.MEDIUM,
    description="An auto-upgrade channel and a NodeImage or SecurityPatch node OS channel are set.",
    remediation="Set autoUpgradeProfile.upgradeChannel (patch or stable) and "
    "nodeOSUpgradeChannel: NodeImage or SecurityPatch.",
)
def aks_upgrades(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    channel = get(args.props, "autoUpgradeProfile.upgradeChannel")
    if not channel or same(channel, "none"):
        report("No auto-upgrade channel: the cluster falls behind on security patches.")
    if not same(get(args.props, "autoUpgradeProfile.nodeOSUpgradeChannel"), "NodeImage", "SecurityPatch"):
        report("The node OS upgrade channel is not NodeImage or SecurityPatch: nodes miss OS fixes.")


@_cluster_rule(
    "AKS-07",
    "monitoring",
    scope="A",
    severity=Severity.MEDIUM,
    description="Container Insights or managed Prometheus is on.",
    remediation="Enable addonProfiles.omsagent or azureMonitorProfile.metrics.enabled: true.",
)
def aks_monitoring(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    insights = get(addon(args.props, "omsagent"), "enabled") is True
    prometheus = get(args.props, "azureMonitorProfile.metrics.enabled") is True
    if not (insights or prometheus):
        report("Neither Container Insights nor managed Prometheus is on: the cluster is unobserved.")


@_cluster_rule(
    "AKS-08",
    "policy-and-defender",
    scope="P",
    severity=Severity.MEDIUM,
    description="The Azure Policy add-on and Defender for Containers are on.",
    remediation="Enable addonProfiles.azurepolicy and securityProfile.defender.securityMonitoring.",
)
def aks_policy_defender(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if get(addon(args.props, "azurepolicy"), "enabled") is not True:
        report("The Azure Policy add-on is off: admission guardrails are not enforced.")
    if get(args.props, "securityProfile.defender.securityMonitoring.enabled") is not True:
        report("Defender for Containers is off: runtime threats go undetected.")


@resource_rule(
    "AKS-09",
    "no-node-public-ip",
    scope="A",
    severity=Severity.HIGH,
    types=[CLUSTER, AGENT_POOL],
    description="Nodes get no public IPs.",
    remediation="Set enableNodePublicIP: false on every pool.",
)
def aks_node_public_ip(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    for name, pool in node_pools(args):
        if is_true(get(pool, "enableNodePublicIP")):
            report(f"Pool {name} gives nodes public IPs: they are reachable from the internet.")


@resource_rule(
    "AKS-11",
    "system-pool-taint",
    scope="P",
    severity=Severity.LOW,
    types=[CLUSTER, AGENT_POOL],
    description=f"System pools are tainted {SYSTEM_TAINT}.",
    remediation=f"Add nodeTaints: [{SYSTEM_TAINT}] to the system pool.",
)
def aks_system_taint(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    for name, pool in node_pools(args):
        if same(get(pool, "mode"), "System") and SYSTEM_TAINT not in [str(t) for t in items(get(pool, "nodeTaints"))]:
            report(f"System pool {name} is not tainted {SYSTEM_TAINT}: workloads can crowd out system pods.")


@_cluster_rule(
    "AKS-12",
    "paid-tier",
    scope="P",
    severity=Severity.MEDIUM,
    description="The cluster uses a paid tier (Standard or Premium) with the uptime SLA.",
    remediation="Set sku.tier: Standard (or Premium).",
)
def aks_tier(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    tier = get(args.props, "sku.tier")
    if not same(tier, "Standard", "Premium"):
        report(f"The cluster tier is {tier or 'Free (default)'}: the API server has no uptime SLA.")


@_cluster_rule(
    "AKS-13",
    "secrets-provider-rotation",
    scope="A",
    severity=Severity.MEDIUM,
    description="The Key Vault secrets provider is on, with rotation.",
    remediation="Enable addonProfiles.azureKeyvaultSecretsProvider with config.enableSecretRotation: 'true'.",
)
def aks_secrets_provider(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    provider = addon(args.props, "azureKeyvaultSecretsProvider")
    if get(provider, "enabled") is not True:
        report("The Key Vault secrets provider is off: secrets would be copied into Kubernetes secrets.")
    elif not is_true(get(provider, "config.enableSecretRotation")):
        report("Secret rotation is off: rotated Key Vault secrets never reach the pods.")
