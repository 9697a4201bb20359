"""Identities: one per workload, federation by exact subject, least-privilege grants."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import one, synth

from llmops_infra.components.roles import ROLES
from llmops_infra.plan import Plan

FORBIDDEN = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
}


def _assignments(plan: Plan, principal_id: str) -> dict[str, str]:
    """role name -> scope of the assignments held by `principal_id`."""
    names = {guid: name for name, guid in ROLES.items()}
    return {
        names[a.props["roleDefinitionId"].rsplit("/", 1)[-1]]: a.props["scope"]
        for a in plan.of_type("azure-native:authorization:RoleAssignment")
        if a.props["principalId"] == principal_id
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_one_identity_per_workload(plans, env):
    plan = plans(env)
    identities = {i.name: i for i in plan.of_type("azure-native:managedidentity:UserAssignedIdentity")}
    for workload in ("inference", "promptflow", "chatops"):
        identity = identities[f"identity-{workload}"]
        assert identity.props["resourceName"].startswith(f"id-llmops-{env}-")
        assert identity.props["resourceName"].endswith(f"-{workload}")
    assert set(plan.outputs["workload_client_ids"]) == {"inference", "promptflow", "chatops"}


def test_workload_grants_are_narrow_and_wired_to_the_identities(plans):
    plan = plans("dev")
    vault_id = one(plan, "azure-native:keyvault:Vault", "key_vault-vault").outputs["id"]
    principal = {
        w: one(plan, "azure-native:managedidentity:UserAssignedIdentity", f"identity-{w}").outputs["principalId"]
        for w in ("inference", "promptflow", "chatops")
    }
    loader = one(plan, "azure-native:managedidentity:UserAssignedIdentity", "model_loader-identity")
    # The inference pods read one secret (the API key); the staging job another (the hub token).
    inference = _assignments(plan, principal["inference"])
    assert inference["Key Vault Secrets User"] == f"{vault_id}/secrets/vllm-api-key"
    assert _assignments(plan, loader.outputs["principalId"])["Key Vault Secrets User"] == (
        f"{vault_id}/secrets/hf-hub-token"
    )
    # Nothing the estate runs sends telemetry or calls models as these identities: no role for it.
    assert "Monitoring Metrics Publisher" not in inference
    assert not _assignments(plan, principal["promptflow"])
    on_vault = {
        (a.props["principalId"], a.props["roleDefinitionId"].rsplit("/", 1)[-1])
        for a in plan.of_type("azure-native:authorization:RoleAssignment")
        if a.props["scope"] == vault_id
    }
    # Only the deployer, which creates the secrets (a secret that does not exist has no scope yet).
    assert on_vault == {(deployer_principal("dev"), ROLES["Key Vault Secrets Officer"])}
    chatops = _assignments(plan, principal["chatops"])
    # chatops reads monitoring (Monitoring Data Reader, Reader on Log Analytics) and nothing else
    assert not any(role.startswith("Key Vault") for role in chatops)
    assert "Monitoring Metrics Publisher" not in chatops


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_no_assignment_is_privileged_or_broad(plans, env):
    plan = plans(env)
    rg = one(plan, "azure-native:resources:ResourceGroup", "foundation-rg").outputs["id"]
    assignments = plan.of_type("azure-native:authorization:RoleAssignment")
    assert assignments
    for a in assignments:
        assert a.props["roleDefinitionId"].rsplit("/", 1)[-1] not in FORBIDDEN
        assert a.props["scope"].startswith(rg + "/providers/"), a.props["scope"]
        assert a.props["principalType"] in ("ServicePrincipal", "Group", "User")
        assert len(a.props["roleAssignmentName"]) == 36


def deployer_principal(env: str) -> str:
    """The principal id the mocks answer for bootstrap's deployer identity of `env` (looked up, not created)."""
    from llmops_infra.components.naming import Namer
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.mocks import stable_uuid

    config = load_environment(env, Path(__file__).resolve().parent.parent)
    namer = Namer(config.workload, config.name, config.azure.location, config.azure.subscription_id)
    rid = (
        f"/subscriptions/{config.azure.subscription_id}/resourceGroups/{namer.name('resource_group', 'bootstrap')}"
        f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{namer.name('managed_identity', 'deployer')}"
    )
    return stable_uuid(rid, "principal")


def test_the_estate_grants_bootstraps_deployer_and_creates_no_credential_of_its_own(plans):
    from llmops_infra.config.loader import load_environment
    from llmops_infra.delivery.bootstrap_spec import spec_for

    plan = plans("prod")
    assert not [
        r for r in plan.of_type("azure-native:managedidentity:UserAssignedIdentity") if r.name == "pipeline-identity"
    ]
    assert not plan.of_type("azure-native:managedidentity:FederatedIdentityCredential") or all(
        not r.name.startswith("pipeline-")
        for r in plan.of_type("azure-native:managedidentity:FederatedIdentityCredential")
    )
    vault_id = one(plan, "azure-native:keyvault:Vault", "key_vault-vault").outputs["id"]
    assert _assignments(plan, deployer_principal("prod"))["Key Vault Secrets Officer"] == vault_id
    # bootstrap creates exactly the identity the estate looks up
    spec = spec_for(load_environment("prod", Path(__file__).resolve().parent.parent), "github")
    assert (spec.resource_group, spec.identity) == ("rg-llmops-prod-eus2-bootstrap", "id-llmops-prod-eus2-deployer")


def test_an_estate_owned_pipeline_principal_is_federated_to_github_without_secrets(project_dir):
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.planning import plan_config

    config = load_environment("prod", project_dir)
    pipeline = config.identity.pipeline.model_copy(update={"deployer": "estate"})
    plan = plan_config(
        config.model_copy(update={"identity": config.identity.model_copy(update={"pipeline": pipeline})})
    )
    identity = one(plan, "azure-native:managedidentity:UserAssignedIdentity", "pipeline-identity")
    credential = one(plan, "azure-native:managedidentity:FederatedIdentityCredential", "pipeline-github")
    assert credential.props["resourceName"] == identity.props["resourceName"] == "id-llmops-prod-eus2-pipeline"
    assert credential.props["issuer"] == "https://token.actions.githubusercontent.com"
    assert credential.props["subject"] == "repo:contoso/llmops-estate:environment:prod"
    assert credential.props["audiences"] == ["api://AzureADTokenExchange"]
    vault_id = one(plan, "azure-native:keyvault:Vault", "key_vault-vault").outputs["id"]
    assert _assignments(plan, identity.outputs["principalId"])["Key Vault Secrets Officer"] == vault_id
    assert plan.outputs["pipeline_client_id"] == identity.outputs["clientId"]


def test_pipeline_principal_with_github_and_azure_devops_chains_credentials():
    from llmops_infra.components.pipeline_principal import (
        PipelinePrincipal,
        PipelinePrincipalArgs,
        azure_devops_federation,
        github_federation,
    )

    org_id = "12345678-1234-4234-8234-123456789012"

    def program():
        PipelinePrincipal(
            "pipeline",
            PipelinePrincipalArgs(
                identity_name="id-pipeline",
                resource_group_name="rg",
                location="eastus",
                federations=[
                    github_federation("contoso/estate", "prod"),
                    azure_devops_federation("contoso", org_id, "llmops", "azure-prod"),
                ],
            ),
        )

    plan = synth(program)
    github = one(plan, "azure-native:managedidentity:FederatedIdentityCredential", "pipeline-github")
    ado = one(plan, "azure-native:managedidentity:FederatedIdentityCredential", "pipeline-azure-devops")
    assert ado.props["issuer"] == f"https://vstoken.dev.azure.com/{org_id}"
    assert ado.props["subject"] == "sc://contoso/llmops/azure-prod"
    assert ado.props["audiences"] == ["api://AzureADTokenExchange"]
    assert github.urn in ado.dependencies


def test_pipeline_principal_needs_a_federation():
    from llmops_infra.components.pipeline_principal import PipelinePrincipalArgs

    with pytest.raises(ValueError, match="no CI federation"):
        PipelinePrincipalArgs(identity_name="id", resource_group_name="rg", location="eastus", federations=[])


def test_federate_service_account_trusts_one_exact_subject():
    from llmops_infra.components.identity import WorkloadIdentities, WorkloadIdentitiesArgs, federate_service_account

    issuer = "https://eastus.oic.prod-aks.azure.com/tenant/cluster/"

    def program():
        ids = WorkloadIdentities(
            "identity",
            WorkloadIdentitiesArgs(
                resource_group_name="rg", location="eastus", identity_names={"inference": "id-inference"}
            ),
        )
        first = federate_service_account(
            "fic-llama",
            identity_name=ids.identity_names["inference"],
            resource_group_name="rg",
            issuer_url=issuer,
            namespace="llama-8b",
            service_account="vllm",
            parent=ids,
        )
        federate_service_account(
            "fic-other",
            identity_name=ids.identity_names["inference"],
            resource_group_name="rg",
            issuer_url=issuer,
            namespace="other",
            service_account="vllm",
            parent=ids,
            depends_on=[first],
        )

    plan = synth(program)
    fic = one(plan, "azure-native:managedidentity:FederatedIdentityCredential", "fic-llama")
    assert fic.props["subject"] == "system:serviceaccount:llama-8b:vllm"
    assert fic.props["issuer"] == issuer
    assert fic.props["audiences"] == ["api://AzureADTokenExchange"]
    assert fic.props["resourceName"] == "id-inference"
    assert fic.props["federatedIdentityCredentialResourceName"] == "k8s-llama-8b-vllm"
    assert fic.urn in one(plan, "azure-native:managedidentity:FederatedIdentityCredential", "fic-other").dependencies


@pytest.mark.parametrize(
    "namespace,service_account,message",
    [
        ("team-*", "vllm", "not a Kubernetes name"),
        ("ns", "Bad_Name", "not a Kubernetes name"),
    ],
)
def test_federation_rejects_wildcards_and_bad_names(namespace, service_account, message):
    from llmops_infra.components.identity import federate_service_account

    with pytest.raises(ValueError, match=message):
        federate_service_account(
            "fic",
            identity_name="id",
            resource_group_name="rg",
            issuer_url="https://issuer/",
            namespace=namespace,
            service_account=service_account,
            parent=None,
        )


def test_federated_credential_rejects_wildcard_subjects():
    from llmops_infra.components.identity import federated_credential

    with pytest.raises(ValueError, match="wildcard"):
        federated_credential(
            "fic",
            identity_name="id",
            resource_group_name="rg",
            issuer="https://issuer",
            subject="repo:contoso/*:ref:refs/heads/main",
            credential_name="c",
            parent=None,
        )


def test_config_needs_distinct_workloads_and_an_inference_identity_for_models():
    from pydantic import ValidationError

    from llmops_infra.config.loader import load_environment
    from llmops_infra.config.models import IdentityConfig

    with pytest.raises(ValidationError, match="at least 1 item"):
        IdentityConfig(workloads=[])
    with pytest.raises(ValidationError, match="workload 'chatops' appears twice"):
        IdentityConfig(workloads=["chatops", "chatops"])
    config = load_environment("dev", Path(__file__).resolve().parent.parent)
    data = config.model_dump(mode="json")
    data["identity"]["workloads"] = ["promptflow", "chatops"]
    with pytest.raises(ValidationError, match=r"add inference to identity.workloads"):
        type(config).model_validate(data)
    data["inference"]["models"] = []
    data["teams"] = []  # the dev teams name qwen-3b
    assert type(config).model_validate(data).identity.workloads == ["promptflow", "chatops"]
