"""The access report: role assignments of a plan, resolved to identities, roles and resources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.plan import Plan, PlannedResource
from llmops_infra.review.access import access_report

REPO = Path(__file__).resolve().parent.parent
SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"
RG = f"{SUB}/resourceGroups/rg"
ROLE = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions"


def _resource(type_: str, name: str, props: dict, outputs: dict) -> PlannedResource:
    return PlannedResource(
        type=type_,
        name=name,
        urn=f"urn:pulumi:t::p::{type_}::{name}",
        parent=None,
        custom=True,
        props=props,
        outputs=outputs,
    )


def _assignment(name: str, principal: str, role_guid: str, scope: str) -> PlannedResource:
    return _resource(
        "azure-native:authorization:RoleAssignment",
        name,
        {
            "principalId": principal,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": f"{ROLE}/{role_guid}",
            "scope": scope,
        },
        {},
    )


def test_dev_report_lists_each_grant_by_name(plans):
    rows = {(g.principal, g.role, g.scope, g.scope_type) for g in access_report(plans("dev"))}
    vault = next(iter(plans("dev").of_type("azure-native:keyvault:Vault"))).props["vaultName"]
    account = next(
        r for r in plans("dev").of_type("azure-native:storage:StorageAccount") if r.name == "model_storage-st"
    ).props["accountName"]
    secret_type = "Microsoft.KeyVault/vaults/secrets"
    container_type = "Microsoft.Storage/storageAccounts/blobServices/containers"
    assert ("id-llmops-dev-eus-inference", "Key Vault Secrets User", f"{vault}/vllm-api-key", secret_type) in rows
    assert ("id-llmops-dev-eus-loader", "Key Vault Secrets User", f"{vault}/hf-hub-token", secret_type) in rows
    assert ("id-llmops-dev-eus-inference", "Storage Blob Data Reader", f"{account}/models", container_type) in rows
    assert ("id-llmops-dev-eus-loader", "Storage Blob Data Contributor", f"{account}/models", container_type) in rows
    assert ("id-llmops-dev-eus-deployer", "Key Vault Secrets Officer", vault, "Microsoft.KeyVault/vaults") in rows
    chatops = [g for g in access_report(plans("dev")) if g.principal == "id-llmops-dev-eus-chatops"]
    assert not [g for g in chatops if g.scope_type == "Microsoft.KeyVault/vaults"]
    # ARM role assignments and Cosmos DB's own data-plane grants
    assert len(rows) == len(plans("dev").of_type("azure-native:authorization:RoleAssignment")) + len(
        plans("dev").of_type("azure-native:cosmosdb:SqlResourceSqlRoleAssignment")
    )


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_workload_data_grant_is_at_secret_or_container_scope(plans, env):
    """Reading secrets and blobs: one secret, one container, never a whole vault or account. The deployer's
    Secrets Officer on the vault is the one exception: it creates the secrets (bootstrap), which have no
    scope before they exist."""
    grants = access_report(plans(env))
    data = [g for g in grants if g.role.startswith(("Key Vault", "Storage Blob"))]
    assert {g.principal.rsplit("-", 1)[-1] for g in data} >= {"inference", "loader", "deployer"}
    assignments = {r.name: r for r in plans(env).of_type("azure-native:authorization:RoleAssignment")}
    for g in data:
        if g.principal.endswith("-deployer"):
            assert (g.role, g.scope_type) == ("Key Vault Secrets Officer", "Microsoft.KeyVault/vaults")
            continue
        if g.principal.startswith("openai-project-") and g.scope_type == "Microsoft.Storage/storageAccounts":
            # an agent project names its containers only when its capability host creates them: an ABAC
            # condition on the container name narrows the account-wide role to the project's own
            condition = assignments[g.assignment].props["condition"]
            assert "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]" in condition, g
            continue
        assert g.scope_type in (
            "Microsoft.KeyVault/vaults/secrets",
            "Microsoft.Storage/storageAccounts/blobServices/containers",
        ), g


def test_report_resolves_system_and_kubelet_identities_and_unknown_principals():
    cluster_id = f"{RG}/providers/Microsoft.ContainerService/managedClusters/aks-1"
    registry_id = f"{RG}/providers/Microsoft.ContainerRegistry/registries/cr1"
    plan = Plan(
        environment="t",
        project="p",
        resources=[
            _resource(
                "azure-native:containerservice:ManagedCluster",
                "cluster",
                {"resourceName": "aks-1"},
                {
                    "id": cluster_id,
                    "name": "aks-1",
                    "identity": {"type": "SystemAssigned", "principalId": "p-cluster"},
                    "identityProfile": {"kubeletidentity": {"objectId": "p-kubelet"}},
                },
            ),
            _resource(
                "azure-native:containerregistry:Registry",
                "registry",
                {"registryName": "cr1"},
                {"id": registry_id, "name": "cr1"},
            ),
            _assignment("kubelet-acrpull", "p-kubelet", "7f951dda-4ed3-4680-a7ca-43fe172d538d", registry_id),
            _assignment("admins", "group-1", "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b", cluster_id),
            _assignment(
                "odd", "p-cluster", "00000000-0000-0000-0000-000000000000", f"{RG}/providers/Microsoft.Foo/bars/x"
            ),
        ],
    )
    grants = {g.assignment: g for g in access_report(plan)}
    assert (grants["kubelet-acrpull"].principal, grants["kubelet-acrpull"].role) == ("aks-1 kubelet", "AcrPull")
    assert grants["kubelet-acrpull"].scope_type == "Microsoft.ContainerRegistry/registries"
    assert grants["admins"].principal == "group-1"
    assert grants["admins"].role == "Azure Kubernetes Service RBAC Cluster Admin"
    assert grants["admins"].scope == "aks-1"
    assert grants["odd"].principal_kind == "system identity of Microsoft.ContainerService/managedClusters"
    assert grants["odd"].role.endswith("/00000000-0000-0000-0000-000000000000")
    assert (grants["odd"].scope, grants["odd"].scope_type) == ("x", "Microsoft.Foo/bars")


def test_cli_table():
    result = CliRunner().invoke(app, ["access", "dev", "--project-dir", str(REPO)])
    assert result.exit_code == 0, result.output
    assert "Access: dev" in result.output
    assert "id-llmops-dev-eus-inference" in result.output and "Key Vault Secrets User" in result.output


def test_cli_json():
    result = CliRunner().invoke(app, ["access", "prod", "--format", "json", "--project-dir", str(REPO)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["environment"] == "prod"
    pipeline = [g for g in report["grants"] if g["principal"] == "id-llmops-prod-eus2-deployer"]
    assert ("Key Vault Secrets Officer", "Microsoft.KeyVault/vaults") in [
        (g["role"], g["scope_type"]) for g in pipeline
    ]
    inference = {
        (g["role"], g["scope"].split("/")[-1]) for g in report["grants"] if g["principal"].endswith("-inference")
    }
    # One secret and one container, named after their vault and account.
    assert inference == {("Key Vault Secrets User", "vllm-api-key"), ("Storage Blob Data Reader", "models")}


def test_cli_unknown_environment_exits_2():
    result = CliRunner().invoke(app, ["access", "nope", "--project-dir", str(REPO)])
    assert result.exit_code == 2
    assert "unknown environment 'nope'" in result.output
