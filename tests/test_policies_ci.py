"""CI-01 … CI-03: each rule with a compliant and a violating fixture."""

from llmops_infra.policies.testing import violations

ENV = "azure-native:app:ManagedEnvironment"
JOB = "azure-native:app:Job"
POOL = "azure-native:devopsinfrastructure:Pool"
PRIVATE_ENV = {
    "vnetConfiguration": {"infrastructureSubnetId": "/subscriptions/s/.../subnets/snet-ci", "internal": True},
    "publicNetworkAccess": "Disabled",
}
GOOD_JOB = {
    "configuration": {
        "triggerType": "Event",
        "replicaRetryLimit": 0,
        "eventTriggerConfig": {"parallelism": 1},
        "secrets": [{"name": "github-token", "keyVaultUrl": "https://kv.vault.azure.net/secrets/t", "identity": "id"}],
        "registries": [{"server": "cr.azurecr.io", "identity": "id"}],
    }
}
GOOD_POOL = {"agentProfile": {"kind": "Stateless"}, "fabricProfile": {"networkProfile": {"subnetId": "/s/snet-ci"}}}


def test_ci_01_runners_in_vnet():
    assert violations("CI-01", ENV, PRIVATE_ENV) == []
    assert violations("CI-01", POOL, GOOD_POOL) == []
    assert len(violations("CI-01", ENV, {"vnetConfiguration": {"internal": False}})) == 3
    assert len(violations("CI-01", POOL, {"fabricProfile": {}})) == 1


def test_ci_02_runner_secrets_from_key_vault():
    assert violations("CI-02", JOB, GOOD_JOB) == []
    leaky = {
        "configuration": {
            "secrets": [{"name": "github-token", "value": "ghp_plaintext"}],
            "registries": [{"server": "cr.azurecr.io", "username": "admin", "passwordSecretRef": "acr-password"}],
        }
    }
    found = violations("CI-02", JOB, leaky)
    assert len(found) == 2 and "ghp_plaintext" not in " ".join(found)


def test_ci_03_ephemeral_runners():
    assert violations("CI-03", JOB, GOOD_JOB) == []
    assert violations("CI-03", POOL, GOOD_POOL) == []
    reused = {
        "configuration": {"triggerType": "Manual", "replicaRetryLimit": 2, "eventTriggerConfig": {"parallelism": 3}}
    }
    assert len(violations("CI-03", JOB, reused)) == 3
    assert len(violations("CI-03", POOL, {"agentProfile": {"kind": "Stateful"}})) == 1


def test_the_shipped_runners_pass_every_ci_rule(plans):
    from llmops_infra.policies.testing import violations as check

    plan = plans("prod")
    judged = 0
    for resource in plan.custom_resources():
        if resource.type in (ENV, JOB, POOL):
            for rule in ("CI-01", "CI-02", "CI-03"):
                assert check(rule, resource.type, resource.props) == [], (rule, resource.name)
            judged += 1
    assert judged == 3  # the runners' environment and job, and the apps' environment (internal too)
