"""Prompt screening at the AI gateway for self-hosted models (vLLM has no built-in content filter).

Why not `llm-content-safety`: that policy calls Azure AI Content Safety through a gateway *backend* that
authenticates to it (learn.microsoft.com/azure/api-management/llm-content-safety-policy, prerequisites), and a
backend can carry only header/query/authorization/certificate credentials in API version 2024-05-01 (the one
pulumi-azure-native 3.29.0 ships for apimanagement) and in 2024-06-01-preview (BackendCredentialsContract in
azure-rest-api-specs specification/apimanagement/.../2024-06-01-preview/definitions.json, read 2026-12-01): no
managed identity. The account has local auth off (AI-01), so a key is no option either.

What the docs allow instead: `send-request` with a nested `authentication-managed-identity` ("Use managed
identity in send-request policy", learn.microsoft.com/azure/api-management/authentication-managed-identity-policy,
read 2026-12-01). A policy fragment (`PolicyFragment`, API 2024-05-01) does it: it gathers the prompt's text
(chat `messages[].content`, string or text parts, `prompt`, `input`), calls `POST {endpoint}/contentsafety/
text:analyze?api-version=2024-09-01` (learn.microsoft.com/rest/api/contentsafety/text-operations/analyze-text)
as the gateway's identity, and answers 403 when a category reaches the threshold (FourSeverityLevels: 0, 2, 4,
6). It fails closed: 413 past the service's 10k-character limit (same page), 503 when the service does not
answer 200. The identity needs "Cognitive Services User" on the account (the stack grants it, that account only).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import pulumi
from pulumi_azure_native import apimanagement as apim

FRAGMENT_ID = "content-safety-screen"
ANALYZE_PATH = "/contentsafety/text:analyze?api-version=2024-09-01"
COGNITIVE_SERVICES = "https://cognitiveservices.azure.com"
MAX_CHARACTERS = 10_000
CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
THRESHOLDS = {"Low": 2, "Medium": 4, "High": 6}
"""The estate's content-filter level (openai.content_filter_threshold) -> the lowest blocked severity:
Low blocks low, medium and high severities, like Azure OpenAI's filter levels."""
_TEXT = "llmops-screen-text"
_RESULT = "llmops-screen"
_GATHER = (
    "@{"
    "var body = context.Request.Body?.As<JObject>(preserveContent: true);"
    'if (body == null) { return ""; }'
    'var parts = body.SelectTokens("$.messages[*].content")'
    '.Concat(body.SelectTokens("$.messages[*].content[*].text"))'
    '.Concat(body.SelectTokens("$.prompt")).Concat(body.SelectTokens("$.prompt[*]"))'
    '.Concat(body.SelectTokens("$.input")).Concat(body.SelectTokens("$.input[*]"))'
    ".Where(t => t.Type == JTokenType.String).Select(t => (string)t);"
    'return string.Join("\\n", parts);'
    "}"
)


def _text() -> str:
    return f'((string)context.Variables["{_TEXT}"])'


def _response() -> str:
    return f'((IResponse)context.Variables["{_RESULT}"])'


def _refuse(code: int, reason: str) -> str:
    return f"<return-response><set-status code={quoteattr(str(code))} reason={quoteattr(reason)} /></return-response>"


def screening_fragment(endpoint: str, threshold: int) -> str:
    """The fragment's XML: screen the prompt as the gateway's identity, block at `threshold` or above."""
    if threshold not in THRESHOLDS.values():
        raise ValueError(f"content screening threshold {threshold}: use one of {sorted(THRESHOLDS.values())}")
    url = endpoint.rstrip("/") + ANALYZE_PATH
    categories = ", ".join(f'"{c}"' for c in CATEGORIES)
    body = (
        f'@(new JObject(new JProperty("text", {_text()}), new JProperty("categories", new JArray({categories})), '
        'new JProperty("outputType", "FourSeverityLevels")).ToString())'
    )
    unanswered = (
        f'@(context.Variables.GetValueOrDefault<IResponse>("{_RESULT}") == null || {_response()}.StatusCode != 200)'
    )
    harmful = f'@({_response()}.Body.As<JObject>()["categoriesAnalysis"].Any(c => (int)c["severity"] >= {threshold}))'
    call = (
        f'<send-request mode="new" response-variable-name="{_RESULT}" timeout="10" ignore-error="true">'
        f"<set-url>{escape(url)}</set-url><set-method>POST</set-method>"
        '<set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>'
        f"<set-body>{escape(body)}</set-body>"
        f"<authentication-managed-identity resource={quoteattr(COGNITIVE_SERVICES)} />"
        "</send-request>"
    )
    verdict = (
        f"<choose><when condition={quoteattr(unanswered)}>{_refuse(503, 'Content screening unavailable')}</when>"
        f"<when condition={quoteattr(harmful)}>{_refuse(403, 'Blocked by content screening')}</when></choose>"
    )
    return (
        f"<fragment><set-variable name={quoteattr(_TEXT)} value={quoteattr(_GATHER)} />"
        f"<choose><when condition={quoteattr(f'@({_text()}.Length > {MAX_CHARACTERS})')}>"
        f"{_refuse(413, 'Prompt too long to screen')}</when>"
        f"<when condition={quoteattr(f'@({_text()}.Length > 0)')}>{call}{verdict}</when></choose></fragment>"
    )


def include_screening() -> str:
    """The statement an API policy runs the fragment with."""
    return f"<include-fragment fragment-id={quoteattr(FRAGMENT_ID)} />"


def screening_policy_fragment(
    name: str,
    *,
    service_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    threshold: int,
    parent: pulumi.Resource,
) -> apim.PolicyFragment:
    return apim.PolicyFragment(
        f"{name}-content-safety-screen",
        id=FRAGMENT_ID,
        service_name=service_name,
        resource_group_name=resource_group_name,
        description="Screens prompts to self-hosted models with Azure AI Content Safety as the gateway's identity.",
        format="rawxml",
        value=pulumi.Output.from_input(endpoint).apply(lambda e: screening_fragment(e, threshold)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
