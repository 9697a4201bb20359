"""GitHub runners: Container Apps jobs in the VNet, scaled by KEDA, with a least-privilege identity."""

from __future__ import annotations

import pytest

from llmops_infra.plan import Plan

SUB = "11111111-1111-4111-8111-111111111111"
KV = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-test"
ACR = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/crtest"
DIGEST = "sha256:" + "a" * 64


def _args(**overrides):
    from llmops_infra.components.github_runners import GitHubRunnersArgs

    values = {
        "resource_group_name": "rg",
        "location": "eastus",
        "subscription_id": SUB,
        "subnet_id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/snet-ci",
        "log_analytics_workspace_id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log",
        "environment_name": "cae-test-ci",
        "job_name": "caj-test-runner",
        "identity_name": "id-test-runner",
        "registry_id": ACR,
        "registry_login_server": "crtest.azurecr.io",
        "image": f"github-actions-runner@{DIGEST}",
        "key_vault_id": KV,
        "key_vault_uri": "https://kv-test.vault.azure.net/",
        "token_secret": "github-runner-token",
        "repository": "contoso/llmops-estate",
        "labels": ["llmops-prod"],
        "max_runners": 3,
    }
    values.update(overrides)
    return GitHubRunnersArgs(**values)


def _synth() -> Plan:
    from llmops_infra.components.github_runners import GitHubRunners
    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize

    return synthesize(
        lambda: GitHubRunners("runners", _args()),
        environment="test",
        project="llmops",
        mocks=AzureMocks(SUB, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "eastus"),
    )


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _synth()


def test_the_environment_is_internal_in_the_runner_subnet(plan):
    (environment,) = plan.of_type("azure-native:app:ManagedEnvironment")
    assert environment.props["vnetConfiguration"] == {"infrastructureSubnetId": _args().subnet_id, "internal": True}
    assert environment.props["publicNetworkAccess"] == "Disabled"
    (profile,) = environment.props["workloadProfiles"]
    assert (profile["name"], profile["workloadProfileType"]) == ("Consumption", "Consumption")


def test_the_job_starts_one_ephemeral_runner_per_queued_job_with_the_keda_github_scaler(plan):
    (job,) = plan.of_type("azure-native:app:Job")
    config = job.props["configuration"]
    assert config["triggerType"] == "Event" and config["replicaRetryLimit"] == 0
    trigger = config["eventTriggerConfig"]
    assert trigger["parallelism"] == 1 and trigger["replicaCompletionCount"] == 1
    scale = trigger["scale"]
    assert (scale["minExecutions"], scale["maxExecutions"]) == (0, 3)
    (rule,) = scale["rules"]
    assert rule["type"] == "github-runner"
    assert rule["metadata"] == {
        "owner": "contoso",
        "runnerScope": "repo",
        "repos": "llmops-estate",
        "labels": "llmops-prod",
        "targetWorkflowQueueLength": "1",
    }
    assert rule["auth"] == [{"secretRef": "github-token", "triggerParameter": "personalAccessToken"}]
    (container,) = job.props["template"]["containers"]
    assert container["image"] == f"crtest.azurecr.io/github-actions-runner@{DIGEST}"
    env = {e["name"]: e for e in container["env"]}
    assert env["GITHUB_PAT"] == {"name": "GITHUB_PAT", "secretRef": "github-token"}
    assert env["RUNNER_LABELS"]["value"] == "llmops-prod"


def test_the_token_comes_from_key_vault_and_the_identity_may_read_only_that_secret(plan):
    (job,) = plan.of_type("azure-native:app:Job")
    (identity,) = plan.of_type("azure-native:managedidentity:UserAssignedIdentity")
    (secret,) = job.props["configuration"]["secrets"]
    assert secret == {
        "name": "github-token",
        "keyVaultUrl": "https://kv-test.vault.azure.net/secrets/github-runner-token",
        "identity": identity.outputs["id"],
    }
    assert "value" not in secret
    assert job.props["configuration"]["registries"] == [
        {"server": "crtest.azurecr.io", "identity": identity.outputs["id"]}
    ]
    grants = {
        r.props["scope"]: r.props["roleDefinitionId"].rsplit("/", 1)[-1]
        for r in plan.of_type("azure-native:authorization:RoleAssignment")
    }
    assert grants == {
        ACR: "7f951dda-4ed3-4680-a7ca-43fe172d538d",  # AcrPull
        f"{KV}/secrets/github-runner-token": "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User
    }


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="not pinned by digest"):
        _args(image="github-actions-runner:latest")
    with pytest.raises(ValueError, match="at least one label"):
        _args(labels=[])
    with pytest.raises(ValueError, match="owner/repo"):
        _args(repository="llmops-estate")
