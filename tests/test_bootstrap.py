"""bootstrap against local fakes of ARM, GitHub and Azure DevOps: a full run, a failure half-way, a clean rerun."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops_infra.config.loader import load_environment
from llmops_infra.config.models import AzureDevOpsFederation
from llmops_infra.delivery import bootstrap
from llmops_infra.delivery.bootstrap_clients import Clients, Endpoints
from llmops_infra.delivery.bootstrap_spec import promotion_chain, spec_for
from llmops_infra.errors import ConfigError, EngineError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bootstrap_fakes import FakeCredential, Servers

REPO = Path(__file__).resolve().parent.parent
PASSPHRASE = "correct horse battery staple 42"
WRITES = ("PUT", "POST", "PATCH", "DELETE")


@pytest.fixture
def servers(tmp_path):
    fakes = Servers(tmp_path)
    yield fakes
    fakes.close()


def clients(servers: Servers, spec) -> Clients:
    endpoints = Endpoints(
        arm=servers.url(servers.arm),
        github=servers.url(servers.github),
        ado=servers.url(servers.ado),
        vssps=servers.url(servers.ado) + "/_vssps",
        verify=str(servers.ca_path),
        credential=FakeCredential(),
        github_token="ghp_test",
        ado_token="ado-pat",
        retry_total=1,
        backoff_seconds=0,
        seconds_between_writes=None,
        # Key Vault's challenge names vault.azure.net; the vault fake listens on 127.0.0.1
        vault_options={"verify_challenge_resource": False},
        rbac_wait_seconds=(0, 0),
    )
    return Clients(spec.subscription_id, endpoints)


def run(servers, spec, secrets=None):
    seen = []
    outcome = bootstrap.run(
        spec, clients(servers, spec), report=lambda i, n, step, result: seen.append(result), secrets=secrets or {}
    )
    return seen, outcome


def github_spec(env: str = "prod", **kwargs):
    return spec_for(load_environment(env, REPO), "github", **kwargs)


def ado_spec(env: str = "prod", **kwargs):
    config = load_environment(env, REPO)
    ado = AzureDevOpsFederation(
        organization="contoso",
        organization_id="0f0e0d0c-0b0a-4909-8807-060504030201",
        project="llmops",
        service_connection=f"llmops-{env}",
    )
    pipeline = config.identity.pipeline.model_copy(update={"azure_devops": ado, "github": None})
    config = config.model_copy(update={"identity": config.identity.model_copy(update={"pipeline": pipeline})})
    return spec_for(config, "azure-devops", **kwargs)


def arm_resource(servers, suffix: str) -> dict:
    (found,) = [v for k, v in servers.arm.resources.items() if k.endswith(suffix.lower())]
    return found


def test_github_full_run_sets_up_state_identity_environment_and_a_rerun_changes_nothing(servers):
    spec = github_spec("prod", reviewers=["team:platform"], allow_ips=["20.30.40.50/32"])
    results, outcome = run(servers, spec, {"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    # the blob service exists with every account: it is updated, not created
    # signing (vault, key, Crypto User: tests/test_bootstrap_signing.py) comes after the identity
    assert results == ["created", "created", "updated", "created"] + ["created"] * 8 + ["updated"]
    account = arm_resource(servers, f"/storageaccounts/{spec.storage_account}")
    props = account["properties"]
    assert account["kind"] == "StorageV2" and account["sku"] == {"name": "Standard_ZRS"}
    assert props["allowSharedKeyAccess"] is False and props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2" and props["supportsHttpsTrafficOnly"] is True
    # prod's cluster is private: public networks denied but for the given range
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["networkAcls"]["ipRules"] == [{"value": "20.30.40.50/32", "action": "Allow"}]
    blob = arm_resource(servers, "/blobservices/default")["properties"]
    assert blob["isVersioningEnabled"] is True and blob["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert blob["containerDeleteRetentionPolicy"]["enabled"] is True
    assert arm_resource(servers, "/containers/pulumi-state")["properties"]["publicAccess"] == "None"
    credential = arm_resource(servers, "/federatedidentitycredentials/github-prod")["properties"]
    assert credential == {
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:contoso/llmops-estate:environment:prod",
        "audiences": ["api://AzureADTokenExchange"],
        "provisioningState": "Succeeded",
    }
    identity = arm_resource(servers, f"/userassignedidentities/{spec.identity}")["properties"]
    role = next(
        v for k, v in servers.arm.resources.items() if "/containers/pulumi-state/" in k and "/roleassignments/" in k
    )
    assert role["properties"]["principalId"] == identity["principalId"]
    assert role["properties"]["roleDefinitionId"].endswith("ba92f5b4-2d11-453d-a403-e96b0029c9fe")
    assert "/containers/pulumi-state/providers/microsoft.authorization" in next(
        k for k in servers.arm.resources if "/roleassignments/" in k
    )
    environment = servers.github.environments["prod"]
    assert environment["protection_rules"][0]["reviewers"][0]["reviewer"]["id"] == 4242
    assert environment["deployment_branch_policy"] == {"protected_branches": True, "custom_branch_policies": False}
    assert servers.github.variables[("prod", "AZURE_CLIENT_ID")] == identity["clientId"]
    assert servers.github.variables[("prod", "LLMOPS_STATE_STORAGE_ACCOUNT")] == spec.storage_account
    assert servers.github.secrets[("prod", "PULUMI_CONFIG_PASSPHRASE")] == PASSPHRASE  # sealed, decrypted by the fake
    assert outcome.outputs["client_id"] == identity["clientId"]
    assert any("the first `llmops-infra up`" in task for task in outcome.admin)

    for fake in (servers.arm, servers.github):
        fake.log.clear()
    results, _ = run(servers, spec)  # no passphrase this time: the secret is left as it is
    assert results == ["unchanged"] * 12 + ["skipped"]
    writes = [entry for fake in (servers.arm, servers.github) for entry in fake.log if entry[0] in WRITES]
    assert writes == []


def test_a_failure_half_way_stops_with_a_resume_message_and_a_rerun_finishes_cleanly(servers):
    spec = github_spec("dev")
    servers.arm.fail("PUT", r"/userAssignedIdentities/[^/]+$", status=500)  # after retries: still failing
    with pytest.raises(EngineError) as err:
        run(servers, spec)
    message = str(err.value)
    assert err.value.exit_code == 3
    assert "stopped at step 5 of 13" in message and "steps 1-4 are done" in message and "500" in message
    assert "run the same command again" in message
    assert any(k.endswith(f"/storageaccounts/{spec.storage_account}") for k in servers.arm.resources)
    assert not any("/userassignedidentities/" in k for k in servers.arm.resources)
    assert servers.github.environments == {}

    servers.arm.failures.clear()
    results, _ = run(servers, spec)
    assert results[:4] == ["unchanged"] * 4  # what the first run did is not redone
    assert results[4:12] == ["created"] * 8 and results[12] == "skipped"
    assert len([k for k in servers.arm.resources if k.endswith("/federatedidentitycredentials/github-dev")]) == 1
    assert servers.github.environments["dev"]["deployment_branch_policy"]["protected_branches"] is True
    assert servers.github.environments["dev"]["protection_rules"] == []  # no reviewers where no approval
    # dev's cluster is public: the state account admits any network (Entra ID only, no keys)
    account = arm_resource(servers, f"/storageaccounts/{spec.storage_account}")
    assert account["properties"]["networkAcls"]["defaultAction"] == "Allow"
    assert account["properties"]["allowSharedKeyAccess"] is False


def test_role_assignment_refused_goes_to_the_administrator_list(servers):
    servers.arm.forbid_role_assignments = True
    spec = github_spec("dev")
    results, outcome = run(servers, spec)
    assert results[5] == "skipped"
    task = next(t for t in outcome.admin if "Storage Blob Data Contributor" in t)
    assert outcome.outputs["principal_id"] in task and "az role assignment create" in task


def test_azure_devops_full_run_failure_and_rerun(servers):
    spec = ado_spec("prod", reviewers=["Release Approvers"])
    servers.ado.fail("POST", r"/_apis/distributedtask/variablegroups$", status=503)  # retried, then given up
    with pytest.raises(EngineError) as err:
        run(servers, spec, {"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    assert "stopped at step 14 of 14" in str(err.value) and "503" in str(err.value)
    assert PASSPHRASE not in str(err.value)
    assert len([e for e in servers.ado.log if e == ("POST", "/contoso/_apis/distributedtask/variablegroups")]) == 2

    servers.ado.failures.clear()
    results, outcome = run(servers, spec, {"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    assert results == ["unchanged"] * 13 + ["created"]
    (endpoint,) = servers.ado.endpoints.values()
    assert endpoint["authorization"]["scheme"] == "WorkloadIdentityFederation"
    assert endpoint["authorization"]["parameters"]["serviceprincipalid"] == outcome.outputs["client_id"]
    assert endpoint["data"]["creationMode"] == "Manual"
    credential = arm_resource(servers, "/federatedidentitycredentials/azure-devops-prod")["properties"]
    params = endpoint["authorization"]["parameters"]
    assert credential["issuer"] == params["workloadIdentityFederationIssuer"]
    assert credential["subject"] == params["workloadIdentityFederationSubject"]
    assert [e["name"] for e in servers.ado.environments.values()] == ["llmops-prod"]
    (check,) = servers.ado.checks
    assert check["type"]["id"] == "8c6f20a7-a545-4486-9777-f762fafe0d4d"
    assert check["settings"]["approvers"] == [{"id": servers.ado.identities["Release Approvers"]}]
    assert check["settings"]["requesterCannotBeApprover"] is True
    (group,) = servers.ado.groups.values()
    assert group["variables"]["AZURE_CLIENT_ID"]["value"] == outcome.outputs["client_id"]
    assert group["variables"]["PULUMI_CONFIG_PASSPHRASE"] == {"value": PASSPHRASE, "isSecret": True}
    assert any("Build Validation branch policy" in task for task in outcome.admin)

    results, _ = run(servers, spec)  # no passphrase: the secret is kept
    assert results == ["unchanged"] * 14
    (group,) = servers.ado.groups.values()
    assert group["variables"]["PULUMI_CONFIG_PASSPHRASE"]["value"] == PASSPHRASE


def test_dry_run_prints_every_step_and_the_administrator_list_without_calling_anything():
    from llmops_infra.cli.app import app

    result = CliRunner().invoke(
        app,
        [
            "bootstrap",
            "prod",
            "-C",
            str(REPO),
            "--dry-run",
            "--reviewer",
            "team:platform",
            "--allow-ip",
            "20.30.40.50/32",
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    config = load_environment("prod", REPO)
    chain = promotion_chain(config, REPO)  # the CLI signs for the whole chain (tests/test_bootstrap_signing.py)
    spec = spec_for(config, "github", reviewers=["team:platform"], allow_ips=["20.30.40.50/32"], chain=chain)
    for number, step in enumerate(bootstrap.plan(spec), 1):
        assert f"{number:2d}. [{step.system}] {step.describe}" in out
    assert "nothing is changed" in out and "An administrator must still:" in out
    assert spec.state_url in out and "20.30.40.50/32" in out
    assert "repo:contoso/llmops-estate:environment:prod" in out


def test_bad_input_is_refused_with_the_key_to_fix(servers):
    with pytest.raises(ConfigError, match="not a public range") as err:
        github_spec("prod", allow_ips=["10.0.0.0/8"])
    assert err.value.key == "--allow-ip"
    with pytest.raises(ConfigError, match="user:LOGIN or team:SLUG"):
        github_spec("prod", reviewers=["platform; rm -rf /"])
    with pytest.raises(ConfigError, match=r"identity\.pipeline\.azure_devops"):
        spec_for(load_environment("dev", REPO), "azure-devops")
    spec = github_spec("dev")
    no_token = clients(servers, spec)
    no_token.endpoints.github_token = None
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GITHUB_TOKEN", raising=False)
        mp.delenv("GH_TOKEN", raising=False)
        with pytest.raises(ConfigError, match="GITHUB_TOKEN") as err:
            bootstrap.run(spec, no_token, report=lambda *a: None, secrets={})
    assert err.value.exit_code == 2


@pytest.mark.parametrize("make", [github_spec, ado_spec], ids=["github", "azure-devops"])
def test_the_administrator_list_names_the_variables_the_first_up_seeds_the_vault_from(make):
    spec = make()
    assert spec.seed_env == ("LLMOPS_VLLM_API_KEY", "HF_TOKEN", "LLMOPS_GITHUB_RUNNER_TOKEN")
    [task] = [t for t in bootstrap.standing_admin_tasks(spec) if "HF_TOKEN" in t]
    assert "LLMOPS_GITHUB_RUNNER_TOKEN" in task and "key_vault.secrets_from_env" in task
