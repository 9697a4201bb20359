"""GW-01 … GW-04: each rule fails on a violating fixture and passes on a compliant one."""

from llmops_infra.components.gateway_policies import api_policy, app_api_policy, managed_identity_auth, team_policy
from llmops_infra.components.gateway_screening import screening_fragment
from llmops_infra.policies.testing import Fixture, stack_violations, violations

SERVICE = "azure-native:apimanagement:ApiManagementService"
API = "azure-native:apimanagement:Api"
API_POLICY = "azure-native:apimanagement:ApiPolicy"
BACKEND = "azure-native:apimanagement:Backend"
NAMED_VALUE = "azure-native:apimanagement:NamedValue"
FRAGMENT = "azure-native:apimanagement:PolicyFragment"
PRODUCT = "azure-native:apimanagement:Product"
PRODUCT_POLICY = "azure-native:apimanagement:ProductPolicy"
TENANT = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
GOOD_POLICY = api_policy(
    tenant_id=TENANT,
    audience="api://llmops-gateway",
    backend_id="chat-0",
    model="chat",
    auth=managed_identity_auth("https://cognitiveservices.azure.com"),
)
NO_JWT = (
    '<policies><inbound><base /><set-backend-service backend-id="chat-0" /></inbound>'
    "<backend><base /></backend><outbound><base /></outbound></policies>"
)
APP_POLICY = app_api_policy(
    tenant_id=TENANT, audience="api://llmops-gateway", backend_id="app-chat-api", client_app_ids=["11111111-2222"]
)
COMMENTED_JWT = (
    '<policies><inbound><base /><!-- <validate-azure-ad-token tenant-id="x" /> -->'
    '<set-backend-service backend-id="chat-0" /><authentication-managed-identity resource="r" /></inbound></policies>'
)


def test_gw_01_gateway_private():
    internal = {
        "virtualNetworkType": "Internal",
        "virtualNetworkConfiguration": {"subnetResourceId": "/x/subnets/apim"},
    }
    assert violations("GW-01", SERVICE, internal) == []
    assert violations("GW-01", SERVICE, {"virtualNetworkType": "None", "publicNetworkAccess": "Disabled"}) == []
    found = violations("GW-01", SERVICE, {"virtualNetworkType": "External"})
    assert len(found) == 1 and "reachable from the internet" in found[0]
    assert len(violations("GW-01", SERVICE, {})) == 1
    assert "no subnet" in violations("GW-01", SERVICE, {"virtualNetworkType": "Internal"})[0]


def _api(policy: str | None) -> list[Fixture]:
    fixtures = [Fixture(API, "api-chat", {"apiId": "chat"})]
    if policy is not None:
        fixtures.append(Fixture(API_POLICY, "api-chat-policy", {"apiId": "chat", "value": policy}))
    return fixtures


def test_gw_02_every_api_validates_a_token():
    assert stack_violations("GW-02", _api(GOOD_POLICY)) == []
    assert "no inbound validate" in stack_violations("GW-02", _api(NO_JWT))[0]
    assert len(stack_violations("GW-02", _api(None))) == 1
    # a commented-out statement is not a statement
    assert len(stack_violations("GW-02", _api(COMMENTED_JWT))) == 1
    assert "does not parse" in stack_violations("GW-02", _api("<policies><inbound>"))[0]
    # a global policy that validates covers every API
    service_policy = Fixture("azure-native:apimanagement:Policy", "global", {"value": GOOD_POLICY})
    assert stack_violations("GW-02", [*_api(None), service_policy]) == []


def test_gw_03_backends_use_the_managed_identity():
    assert violations("GW-03", BACKEND, {"url": "https://oai.example/openai", "protocol": "http"}) == []
    keyed = violations("GW-03", BACKEND, {"url": "u", "credentials": {"header": {"api-key": ["k"]}}})
    assert len(keyed) == 1 and "header" in keyed[0]
    assert (
        violations("GW-03", NAMED_VALUE, {"secret": True, "keyVault": {"secretIdentifier": "https://kv/secrets/k"}})
        == []
    )
    assert len(violations("GW-03", NAMED_VALUE, {"secret": True, "value": "plain-key"})) == 1
    assert violations("GW-03", API_POLICY, {"value": GOOD_POLICY}) == []
    assert len(violations("GW-03", API_POLICY, {"value": NO_JWT})) == 1


def test_gw_03_content_screening_calls_content_safety_as_the_gateway():
    good = screening_fragment("https://cs.cognitiveservices.azure.com/", 4)
    assert violations("GW-03", FRAGMENT, {"value": good}) == []
    anonymous = good.replace('<authentication-managed-identity resource="https://cognitiveservices.azure.com" />', "")
    found = violations("GW-03", FRAGMENT, {"value": anonymous})
    assert len(found) == 1 and "without the gateway's managed identity" in found[0]
    assert "text:analyze" in found[0]
    keyed = anonymous.replace(
        "<set-body>",
        '<set-header name="Ocp-Apim-Subscription-Key" exists-action="override"><value>{{cs-key}}</value></set-header>'
        "<set-body>",
    )
    found = violations("GW-03", FRAGMENT, {"value": keyed})
    assert len(found) == 2 and any("Ocp-Apim-Subscription-Key" in f for f in found)
    # the same check inside an API policy
    inline = GOOD_POLICY.replace(
        "<set-backend-service",
        anonymous.removeprefix("<fragment>").removesuffix("</fragment>") + "<set-backend-service",
    )
    assert len(violations("GW-03", API_POLICY, {"value": inline})) == 1


def _product(policy: str | None) -> list[Fixture]:
    fixtures = [Fixture(PRODUCT, "team-search", {"productId": "search"}), *_api(GOOD_POLICY)]
    if policy is not None:
        fixtures.append(Fixture(PRODUCT_POLICY, "team-search-limits", {"productId": "search", "value": policy}))
    return fixtures


def test_gw_04_team_products_have_token_limits_and_chargeback_dimensions():
    good = team_policy(team="search", tokens_per_minute=5000, monthly_token_quota=20_000_000)
    assert stack_violations("GW-04", _product(good)) == []
    assert "no token limit" in stack_violations("GW-04", _product(None))[0]
    rate_only = '<policies><inbound><llm-token-limit counter-key="search" tokens-per-minute="5" /></inbound></policies>'
    found = stack_violations("GW-04", _product(rate_only))
    assert len(found) == 1 and "token-quota" in found[0]
    no_dims = GOOD_POLICY.replace('name="Team"', 'name="Region"')
    fixtures = [
        Fixture(PRODUCT, "team-search", {"productId": "search"}),
        Fixture(PRODUCT_POLICY, "l", {"productId": "search", "value": good}),
        *_api(no_dims),
    ]
    assert "Team and UseCase" in stack_violations("GW-04", fixtures)[0]
    assert "emits no token metrics" in stack_violations("GW-04", [*_api(NO_JWT)])[0]


def _app_api(policy: str) -> list[Fixture]:
    return [
        Fixture(API, "api-app-chat-api", {"apiId": "app-chat-api", "path": "apps/chat-api"}),
        Fixture(API_POLICY, "api-app-chat-api-policy", {"apiId": "app-chat-api", "value": policy}),
    ]


def test_team_app_apis_validate_tokens_and_sign_in_as_the_gateway_but_carry_no_token_metrics():
    good = team_policy(team="search", tokens_per_minute=5000, monthly_token_quota=20_000_000)
    product = [
        Fixture(PRODUCT, "team-search", {"productId": "search"}),
        Fixture(PRODUCT_POLICY, "team-search-limits", {"productId": "search", "value": good}),
    ]
    # compliant: JWT, the gateway's identity towards the app, no token metrics (an app is not a model)
    assert stack_violations("GW-02", _app_api(APP_POLICY)) == []
    assert violations("GW-03", API_POLICY, {"value": APP_POLICY}) == []
    assert stack_violations("GW-04", [*product, *_app_api(APP_POLICY)]) == []
    assert "<application-id>11111111-2222</application-id>" in APP_POLICY
    # violating: without the JWT check, or calling the app anonymously
    no_jwt = APP_POLICY.replace(APP_POLICY[APP_POLICY.index("<validate") : APP_POLICY.index("<set-backend")], "")
    assert "no inbound validate" in stack_violations("GW-02", _app_api(no_jwt))[0]
    anonymous = APP_POLICY.replace('<authentication-managed-identity resource="api://llmops-gateway" />', "")
    assert len(violations("GW-03", API_POLICY, {"value": anonymous})) == 1
    # a model API at another path still needs its token metrics
    model = [Fixture(API, "api-x", {"apiId": "x", "path": "models/x"})]
    assert "emits no token metrics" in stack_violations("GW-04", [*product, *model])[0]
