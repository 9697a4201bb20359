"""AI-01 … AI-07: accounts, content filters, Content Safety presence."""

from llmops_infra.policies.testing import Fixture, stack_violations, violations

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
RAI = "azure-native:cognitiveservices:RaiPolicy"
SECURE = {
    "kind": "OpenAI",
    "identity": {"type": "SystemAssigned"},
    "sku": {"name": "S0"},
    "properties": {
        "disableLocalAuth": True,
        "publicNetworkAccess": "Disabled",
        "customSubDomainName": "oai-x",
        "networkAcls": {"defaultAction": "Deny"},
        "restrictOutboundNetworkAccess": True,
        "allowedFqdnList": ["contoso.blob.core.windows.net"],
    },
}


def account(**changes):
    return {**SECURE, "properties": {**SECURE["properties"], **changes}}


def filters(threshold="Medium", blocking=True):
    return {
        "properties": {
            "basePolicyName": "Microsoft.DefaultV2",
            "contentFilters": [
                {"name": c, "source": s, "enabled": True, "blocking": blocking, "severityThreshold": threshold}
                for c in ("Hate", "Sexual", "Violence", "Selfharm")
                for s in ("Prompt", "Completion")
            ],
        }
    }


def test_ai_01_local_auth():
    assert violations("AI-01", ACCOUNT, SECURE) == []
    assert violations("AI-01", ACCOUNT, account(disableLocalAuth=False))


def test_ai_02_public_access_or_acl_deny_outside_prod():
    acl_only = account(publicNetworkAccess="Enabled")
    assert violations("AI-02", ACCOUNT, acl_only, {"scope": "dev"}) == []
    assert violations("AI-02", ACCOUNT, acl_only, {"scope": "prod"})
    assert violations("AI-02", ACCOUNT, SECURE, {"scope": "prod"}) == []


def test_ai_03_identity_and_subdomain():
    assert violations("AI-03", ACCOUNT, SECURE) == []
    assert len(violations("AI-03", ACCOUNT, {**account(customSubDomainName=None), "identity": {"type": "None"}})) == 2


def test_ai_04_outbound_allow_list_for_model_accounts():
    assert violations("AI-04", ACCOUNT, SECURE) == []
    assert violations("AI-04", ACCOUNT, account(restrictOutboundNetworkAccess=False))
    assert "empty" in violations("AI-04", ACCOUNT, account(allowedFqdnList=[]))[0]
    content_safety = {**account(restrictOutboundNetworkAccess=False), "kind": "ContentSafety"}
    assert violations("AI-04", ACCOUNT, content_safety) == []


def test_ai_06_deployment_names_a_policy_that_blocks_at_medium():
    assert violations("AI-06", DEPLOYMENT, {"properties": {"raiPolicyName": "strict"}}) == []
    assert violations("AI-06", DEPLOYMENT, {"properties": {}})
    assert violations("AI-06", RAI, filters("Low")) == []
    assert violations("AI-06", RAI, filters("Medium")) == []
    high = violations("AI-06", RAI, filters("High"))
    assert high and "hate/prompt" in high[0]
    assert violations("AI-06", RAI, filters("Medium", blocking=False))


def test_ai_07_content_safety_wherever_models_are():
    openai = Fixture(ACCOUNT, "oai", SECURE)
    safety = Fixture(ACCOUNT, "cs", {**SECURE, "kind": "ContentSafety"})
    assert stack_violations("AI-07", [openai, safety]) == []
    assert "no Content Safety" in stack_violations("AI-07", [openai])[0]
    assert stack_violations("AI-07", []) == []
