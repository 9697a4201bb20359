"""Prompt screening for the self-hosted models: a policy fragment that calls Content Safety as the gateway."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from llmops_infra.components.gateway_screening import FRAGMENT_ID, screening_fragment
from llmops_infra.review.access import access_report

FRAGMENT = "azure-native:apimanagement:PolicyFragment"
API_POLICY = "azure-native:apimanagement:ApiPolicy"


def test_the_fragment_calls_text_analyze_as_the_gateway_and_fails_closed():
    doc = ET.fromstring(screening_fragment("https://cs.cognitiveservices.azure.com/", 4))
    [call] = doc.iter("send-request")
    assert call.findtext("set-url") == (
        "https://cs.cognitiveservices.azure.com/contentsafety/text:analyze?api-version=2024-09-01"
    )
    assert call.findtext("set-method") == "POST"
    [identity] = call.iter("authentication-managed-identity")
    assert identity.get("resource") == "https://cognitiveservices.azure.com"
    assert call.get("ignore-error") == "true"  # an error leaves the response null: answered 503 below
    statuses = [s.get("code") for s in doc.iter("set-status")]
    assert statuses == ["413", "503", "403"]
    conditions = [w.get("condition") for w in doc.iter("when")]
    assert any(">= 4" in c for c in conditions) and any("> 10000" in c for c in conditions)
    assert '"Hate", "SelfHarm", "Sexual", "Violence"' in call.findtext("set-body")


def test_the_threshold_must_be_a_four_level_severity():
    assert "&gt;= 2" in screening_fragment("https://cs/", 2)
    with pytest.raises(ValueError, match="threshold 3"):
        screening_fragment("https://cs/", 3)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_vllm_apis_include_the_fragment_and_the_others_do_not(plans, env):
    plan = plans(env)
    [fragment] = plan.of_type(FRAGMENT)
    assert fragment.props["id"] == FRAGMENT_ID and fragment.props["format"] == "rawxml"
    [safety] = [a for a in plan.of_type("azure-native:cognitiveservices:Account") if a.props["kind"] == "ContentSafety"]
    assert safety.props["properties"]["disableLocalAuth"] is True
    endpoint = safety.outputs["properties"]["endpoint"].rstrip("/")
    assert f"<set-url>{endpoint}/contentsafety/text:analyze" in fragment.props["value"]
    from llmops_infra.config.loader import load_environment

    config = load_environment(env, __import__("pathlib").Path(__file__).parents[1])
    vllm = {m.name for m in config.inference.models}
    for policy in plan.of_type(API_POLICY):
        screened = f'<include-fragment fragment-id="{FRAGMENT_ID}" />' in policy.props["value"]
        assert screened == (policy.props["apiId"] in vllm), policy.name
        if screened:
            assert fragment.urn in policy.dependencies


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_gateway_may_call_content_safety_and_nothing_more_there(plans, env):
    """Cognitive Services User (the only built-in data role of Content Safety), on that account only."""
    plan = plans(env)
    [safety] = [a for a in plan.of_type("azure-native:cognitiveservices:Account") if a.props["kind"] == "ContentSafety"]
    [service] = plan.of_type("azure-native:apimanagement:ApiManagementService")
    grants = [g for g in access_report(plan) if g.principal == service.props["serviceName"]]
    on_safety = [g for g in grants if g.scope == safety.props["accountName"]]
    assert [(g.role, g.assignment) for g in on_safety] == [("Cognitive Services User", "gateway-content-safety-user")]
    assert all(g.scope_type != "Microsoft.Resources/resourceGroups" for g in grants)
