"""Azure Cosmos DB for NoSQL for conversation and agent state: private, Entra-only, backed up.

Keys are off (`disableLocalAuth`) and so is key-based metadata writing: data is reached only with
Entra tokens under Cosmos DB's own data-plane roles (sqlRoleAssignments), databases and containers
only through ARM (this stack). Public network access is disabled; a private endpoint (group
`Sql`, zone privatelink.documents.azure.com) serves the VNet; logs go to Log Analytics. Backups are
continuous (point-in-time restore within 7 or 30 days) unless the caller picks periodic. The
account's settings sit at the top level of `Microsoft.DocumentDB/databaseAccounts` in the installed
SDK (API 2025-10-15): `disableLocalAuth`, `backupPolicy: {type: Continuous, continuousModeProperties:
{tier}}` (learn.microsoft.com/azure/cosmos-db/nosql/how-to-grant-data-plane-access: "properties.disableLocalAuth";
learn.microsoft.com/javascript/api/@azure/arm-cosmosdb/continuousmodebackuppolicy; both read 2026-12-01).

Built-in data roles: "Cosmos DB Built-in Data Reader" 00000000-0000-0000-0000-000000000001 and
"Cosmos DB Built-in Data Contributor" 00000000-0000-0000-0000-000000000002, defined on every account
(learn.microsoft.com/azure/cosmos-db/nosql/security/how-to-grant-data-plane-role-based-access,
read 2026-12-01). `data_role_assignment` grants one of them on this account's database only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

import pulumi
from pulumi_azure_native import cosmosdb

from llmops_infra.components.private_service import PrivateServiceArgs, make_private

PRIVATE_LINK_GROUP = "Sql"
BACKUPS = ("periodic", "Continuous7Days", "Continuous30Days")
DATA_ROLES = {
    "Cosmos DB Built-in Data Reader": "00000000-0000-0000-0000-000000000001",
    "Cosmos DB Built-in Data Contributor": "00000000-0000-0000-0000-000000000002",
}
ASSIGNMENT_NAMESPACE = uuid.UUID("8d0c1f5e-2b7a-4c3e-9f61-0a4b5c6d7e8f")


@dataclass(frozen=True, kw_only=True)
class CosmosStoreArgs(PrivateServiceArgs):
    """Placement (`PrivateServiceArgs`), name, database, throughput and backup of the account."""

    service: ClassVar[str] = "Cosmos DB"
    zones: ClassVar[str] = "privatelink.documents.azure.com"

    account_name: str
    """Azure name (globally unique: from the Namer)."""
    database_name: str = "state"
    """The SQL database apps share (their containers live in it). Default: state."""
    throughput: int = 1000
    """Provisioned RU/s of the database, shared by its containers. Default: 1000."""
    backup: str = "Continuous7Days"
    """Continuous7Days, Continuous30Days or periodic. Default: continuous, 7 days of point-in-time restore."""
    total_throughput_limit: int | None = None
    """Cap on the RU/s provisioned on the whole account (`capacity.totalThroughputLimit`), databases and
    containers others (the Agent Service) create included. Default: none, no cap."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.backup not in BACKUPS:
            raise ValueError(f"cosmos backup {self.backup!r}: use one of {list(BACKUPS)}")
        if self.throughput < 400 or self.throughput % 100:
            raise ValueError(f"cosmos throughput {self.throughput}: at least 400 RU/s, in steps of 100")


def _backup_policy(backup: str) -> cosmosdb.ContinuousModeBackupPolicyArgs | cosmosdb.PeriodicModeBackupPolicyArgs:
    if backup == "periodic":
        return cosmosdb.PeriodicModeBackupPolicyArgs(type="Periodic")
    return cosmosdb.ContinuousModeBackupPolicyArgs(
        type="Continuous", continuous_mode_properties=cosmosdb.ContinuousModePropertiesArgs(tier=backup)
    )


class CosmosStore(pulumi.ComponentResource):
    """A Cosmos DB for NoSQL account with keys off, no public access, a private endpoint, diagnostics,
    continuous backup and one database.

    Children: the account, its private endpoint, its diagnostic setting, the database, data-plane
    role assignments made with `data_role_assignment`.
    """

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    database_name: pulumi.Output[str]
    database_scope: pulumi.Output[str]
    """The database's data-plane scope (`<account id>/dbs/<database>`), which app grants are limited to."""

    def __init__(self, name: str, args: CosmosStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:data:CosmosStore", name, None, opts)
        self._args = args
        account = cosmosdb.DatabaseAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind=cosmosdb.DatabaseAccountKind.GLOBAL_DOCUMENT_DB,
            database_account_offer_type=cosmosdb.DatabaseAccountOfferType.STANDARD,
            locations=[cosmosdb.LocationArgs(location_name=args.location, failover_priority=0)],
            consistency_policy=cosmosdb.ConsistencyPolicyArgs(
                default_consistency_level=cosmosdb.DefaultConsistencyLevel.SESSION
            ),
            # Entra only: keys read and write every container; data roles are per identity and database.
            disable_local_auth=True,
            disable_key_based_metadata_write_access=True,
            public_network_access=args.public_network_access,
            is_virtual_network_filter_enabled=False,
            minimal_tls_version="Tls12",
            backup_policy=_backup_policy(args.backup),
            capacity=cosmosdb.CapacityArgs(total_throughput_limit=args.total_throughput_limit)
            if args.total_throughput_limit is not None
            else None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        make_private(
            name, args, resource_id=account.id, group_id=PRIVATE_LINK_GROUP, service_name=args.account_name, parent=self
        )
        database = cosmosdb.SqlResourceSqlDatabase(
            f"{name}-database",
            account_name=account.name,
            resource_group_name=args.resource_group_name,
            database_name=args.database_name,
            resource=cosmosdb.SqlDatabaseResourceArgs(id=args.database_name),
            options=cosmosdb.CreateUpdateOptionsArgs(throughput=args.throughput),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._account = account
        self.account_id = account.id
        self.account_name = account.name
        self.endpoint = account.document_endpoint
        self.database_name = database.name
        self.database_scope = pulumi.Output.concat(account.id, "/dbs/", args.database_name)
        self.register_outputs({"account_id": self.account_id, "endpoint": self.endpoint})

    def data_role_assignment(
        self,
        name: str,
        *,
        principal_id: pulumi.Input[str],
        role: str,
        parent: pulumi.Resource,
        database: str | None = None,
        depends_on: list[pulumi.Resource] | None = None,
    ) -> cosmosdb.SqlResourceSqlRoleAssignment:
        """`role` (a built-in data role) for `principal_id` on one database only, as `name`: this account's
        database, or `database` (one another service creates, such as the Agent Service's enterprise_memory)."""
        if role not in DATA_ROLES:
            raise ValueError(f"cosmos data role {role!r}: use one of {sorted(DATA_ROLES)}")
        definition = pulumi.Output.concat(self._account.id, "/sqlRoleDefinitions/", DATA_ROLES[role])
        scope = self.database_scope if database is None else pulumi.Output.concat(self._account.id, "/dbs/", database)
        assignment_id = pulumi.Output.all(scope, principal_id).apply(
            lambda v: str(uuid.uuid5(ASSIGNMENT_NAMESPACE, f"{str(v[0]).lower()}|{v[1]}|{DATA_ROLES[role]}"))
        )
        return cosmosdb.SqlResourceSqlRoleAssignment(
            name,
            account_name=self._account.name,
            resource_group_name=self._args.resource_group_name,
            role_assignment_id=assignment_id,
            role_definition_id=definition,
            principal_id=principal_id,
            scope=scope,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
        )
