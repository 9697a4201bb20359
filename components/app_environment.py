"""The application tier's home: an internal Container Apps environment in the estate's VNet.

Workload profiles (Consumption), an internal load balancer only (`vnetConfiguration.internal`:
no public endpoint; learn.microsoft.com/azure/container-apps/networking, read 2026-12-01), public
network access disabled, logs to Log Analytics through a diagnostic setting (destination
azure-monitor: no workspace key in the environment). An internal environment's apps answer on
`<app>.<default domain>` at its static IP, which only a private DNS zone makes resolvable in the
VNet: the zone is named after the environment's default domain and holds `*` and `@` A records to
its static IP (learn.microsoft.com/azure/container-apps/networking, "DNS", read 2026-12-01).

Children: the environment, its diagnostic setting, the private DNS zone, its VNet link, two records.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import app, privatedns

from llmops_infra.components.diagnostics import diagnostic_setting

WORKLOAD_PROFILE = "Consumption"


@dataclass(frozen=True, kw_only=True)
class AppEnvironmentArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    environment_name: str
    subnet_id: pulumi.Input[str]
    """The apps subnet, delegated to Microsoft.App/environments (/27 or larger)."""
    vnet_id: pulumi.Input[str]
    """The VNet the private DNS zone is linked to."""
    log_analytics_workspace_id: pulumi.Input[str]


class AppEnvironment(pulumi.ComponentResource):
    """An internal, workload-profile Container Apps environment with private DNS and diagnostics."""

    environment_id: pulumi.Output[str]
    default_domain: pulumi.Output[str]
    static_ip: pulumi.Output[str]

    def __init__(self, name: str, args: AppEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:apps:AppEnvironment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        environment = app.ManagedEnvironment(
            f"{name}-environment",
            environment_name=args.environment_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            vnet_configuration=app.VnetConfigurationArgs(infrastructure_subnet_id=args.subnet_id, internal=True),
            workload_profiles=[app.WorkloadProfileArgs(name=WORKLOAD_PROFILE, workload_profile_type=WORKLOAD_PROFILE)],
            app_logs_configuration=app.AppLogsConfigurationArgs(destination="azure-monitor"),
            public_network_access="Disabled",
            opts=child,
        )
        diagnostic_setting(
            f"{name}-environment", resource_id=environment.id, workspace_id=args.log_analytics_workspace_id, parent=self
        )
        zone = privatedns.PrivateZone(
            f"{name}-dns",
            private_zone_name=environment.default_domain,
            resource_group_name=args.resource_group_name,
            location="global",
            opts=child,
        )
        privatedns.VirtualNetworkLink(
            f"{name}-dns-link",
            virtual_network_link_name="link-apps",
            private_zone_name=zone.name,
            resource_group_name=args.resource_group_name,
            location="global",
            virtual_network=privatedns.SubResourceArgs(id=args.vnet_id),
            registration_enabled=False,
            opts=child,
        )
        for record, label in (("*", "wildcard"), ("@", "apex")):
            privatedns.PrivateRecordSet(
                f"{name}-dns-{label}",
                record_type="A",
                relative_record_set_name=record,
                private_zone_name=zone.name,
                resource_group_name=args.resource_group_name,
                ttl=300,
                a_records=[privatedns.ARecordArgs(ipv4_address=environment.static_ip)],
                opts=child,
            )
        self.environment_id = environment.id
        self.default_domain = environment.default_domain
        self.static_ip = environment.static_ip
        self.register_outputs({"environment_id": self.environment_id, "default_domain": self.default_domain})
