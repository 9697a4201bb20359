"""Least-privilege role assignments from a curated catalog of built-in roles.

Only roles in `ROLES` can be assigned, each scoped to a single resource: the narrowest
built-in role that does the job. Owner, Contributor, User Access Administrator and RBAC
Administrator are deliberately absent. Assignment names are deterministic GUIDs of
(scope, principal, role), so re-runs never create duplicates.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

import pulumi
from pulumi_azure_native import authorization

# Built-in role ids (Microsoft's built-in roles reference; see POLICY_CATALOG.md).
ROLES: dict[str, str] = {
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    # May trigger importImage and read what it imported, nothing else (built-in roles reference, read 2026-12-01).
    "Container Registry Data Importer and Data Reader": "577a9874-89fd-4f24-9dbd-b5034d0ad23a",
    "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    "Cognitive Services OpenAI Contributor": "a001fd3d-188f-4b5d-821b-7da978bf7442",
    "Cognitive Services User": "a97b65f3-24c7-4388-baec-2e87135dc908",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    "Azure Kubernetes Service RBAC Writer": "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
    "Azure Kubernetes Service RBAC Reader": "7f6c6a51-bcf8-42ba-9220-52d62157d7db",
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Monitoring Data Reader": "b0d8363b-8ddd-447d-831f-62ca05bff136",
    # Data-plane admin of one Grafana instance (its dashboards, data sources, Grafana roles).
    "Grafana Admin": "22926164-76b3-42b3-bc55-97df8dab3e41",
    # AI Search data plane (learn.microsoft.com/azure/search/search-security-rbac and the built-in roles
    # reference; ids as every public template pins them, read 2026-12-01): query / load documents.
    "Search Index Data Reader": "1407120a-92aa-4202-b7e9-c0e197c71c8f",
    "Search Index Data Contributor": "8ebe5a00-799e-43f5-93ac-243d3dce84a7",
    # What the Agent Service's standard setup gives a Foundry project's identity (foundry-samples
    # 15-private-network-standard-agent-setup; ids checked against the built-in roles reference, read 2026-12-02):
    # manage the Cosmos DB account's databases and containers without its keys (no data access) ...
    "Cosmos DB Operator": "230815da-be43-4aae-9cb4-875f7bd000aa",
    # ... create and manage the agent's indexes on one search service (no data access) ...
    "Search Service Contributor": "7ca78c08-252a-4471-8644-bb5ff32d4ba0",
    # ... and, only under an ABAC condition naming the project's own containers, blob tags.
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
}

RoleName = str
PrincipalType = Literal["ServicePrincipal", "User", "Group"]
ASSIGNMENT_NAMESPACE = uuid.UUID("5b0c8f4e-6a1d-4f51-9a57-3c1d1f0b7e11")


def role_definition_id(subscription_id: str, role: RoleName) -> str:
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not in the curated catalog: use one of {sorted(ROLES)}")
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{ROLES[role]}"


def assignment_name(scope: str, principal_id: str, role: RoleName) -> str:
    """Deterministic GUID for (scope, principal, role)."""
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, f"{scope.lower()}|{principal_id}|{ROLES[role]}"))


@dataclass(frozen=True, kw_only=True)
class RoleGrant:
    """Who gets which role on which single resource."""

    principal_id: pulumi.Input[str]
    role: RoleName
    scope: pulumi.Input[str]
    """Resource id of the one resource the role applies to (never a group or subscription)."""
    principal_type: PrincipalType = "ServicePrincipal"
    description: str = ""
    condition: pulumi.Input[str] | None = None
    """An ABAC condition (version 2.0) that narrows the role, e.g. to some blob containers. Default: none."""


def assign_role(
    name: str,
    grant: RoleGrant,
    *,
    subscription_id: str,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
) -> authorization.RoleAssignment:
    """Create the role assignment of `grant` as a child of `parent`."""
    definition = role_definition_id(subscription_id, grant.role)
    guid = pulumi.Output.all(grant.scope, grant.principal_id).apply(
        lambda values: assignment_name(values[0], values[1], grant.role)
    )
    return authorization.RoleAssignment(
        name,
        role_assignment_name=guid,
        principal_id=grant.principal_id,
        # principalType avoids PrincipalNotFound while a new identity propagates.
        principal_type=grant.principal_type,
        role_definition_id=definition,
        scope=grant.scope,
        description=grant.description or None,
        condition=grant.condition,
        condition_version="2.0" if grant.condition is not None else None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )
