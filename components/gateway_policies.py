"""API Management policy documents of the AI gateway, as XML built from data (values escaped).

Policy statements and attributes as Microsoft documents them (learn.microsoft.com/azure/api-management/,
read 2026-12-01):
- `validate-azure-ad-token` tenant-id, header-name, failed-validation-httpcode; <audiences>, <client-application-ids>
  (validate-azure-ad-token-policy);
- `authentication-managed-identity` resource, client-id (system identity when absent)
  (authentication-managed-identity-policy);
- `llm-token-limit` counter-key, tokens-per-minute, token-quota, token-quota-period
  (Hourly | Daily | Weekly | Monthly | Yearly), estimate-prompt-tokens, remaining-tokens-header-name:
  429 past the rate, 403 past the quota (llm-token-limit-policy);
- `llm-emit-token-metric` namespace, <dimension name value>: at most 5 custom dimensions
  (llm-emit-token-metric-policy);
- `set-backend-service` backend-id (backends);
- `choose` / `when condition` / `otherwise` (choose-policy); `new Random(context.RequestId.GetHashCode())` in a
  policy expression (api-management-policy-expressions: System.Random is an allowed type), the usual weighted
  split of API Management samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

METRIC_NAMESPACE = "llmops-gateway"
"""Custom-metric namespace of the token metrics in Application Insights (the chargeback query reads it)."""
USE_CASE_HEADER = "x-use-case"
"""Header a caller names its use case in; the UseCase dimension ("unspecified" when absent)."""
TOKEN_DIMENSIONS = ("Team", "UseCase", "Model")
"""Custom dimensions of the token metrics (API Management allows 5 per policy)."""


def _attrs(**values: str) -> str:
    return "".join(f" {key.replace('_', '-')}={quoteattr(value)}" for key, value in values.items())


def api_policy(
    *,
    tenant_id: str,
    audience: str,
    backend_id: str,
    model: str,
    auth: str,
    client_app_ids: Sequence[str] = (),
    screening: str = "",
    routing: str = "",
) -> str:
    """The policy of one model's API: JWT first, then prompt screening (when given), backend, credentials,
    token metrics.

    `auth` is one `authentication-managed-identity` or `set-header` statement (`managed_identity_auth`,
    `named_value_bearer`). `routing` (`weighted_split`) replaces the backend and its credentials."""
    jwt = validate_token(tenant_id=tenant_id, audience=audience, client_app_ids=client_app_ids)
    dimensions = "".join(
        f"<dimension{_attrs(name=name, value=value)} />"
        for name, value in (
            ("Team", '@(context.Product?.Name ?? "none")'),
            ("UseCase", f'@(context.Request.Headers.GetValueOrDefault("{USE_CASE_HEADER}", "unspecified"))'),
            ("Model", model),
        )
    )
    metric = f"<llm-emit-token-metric{_attrs(namespace=METRIC_NAMESPACE)}>{dimensions}</llm-emit-token-metric>"
    backend = f"<set-backend-service{_attrs(backend_id=backend_id)} />"
    return (
        "<policies><inbound><base />"
        f"{jwt}{screening}{routing or backend + auth}{metric}"
        "</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
    )


def weighted_split(*, percent: int, backend_id: str, auth: str, default_backend_id: str, default_auth: str) -> str:
    """`percent` of the requests (drawn per request) go to `backend_id` with `auth`, the rest to the default."""
    if not 0 <= percent <= 100:
        raise ValueError(f"gateway split: {percent} is not a percentage")
    condition = f"@(new Random(context.RequestId.GetHashCode()).Next(100) < {percent})"
    chosen = f"<set-backend-service{_attrs(backend_id=backend_id)} />{auth}"
    default = f"<set-backend-service{_attrs(backend_id=default_backend_id)} />{default_auth}"
    return f"<choose><when{_attrs(condition=condition)}>{chosen}</when><otherwise>{default}</otherwise></choose>"


def validate_token(*, tenant_id: str, audience: str, client_app_ids: Sequence[str] = ()) -> str:
    """The inbound Entra token check every gateway API starts with (401 when it fails)."""
    apps = ""
    if client_app_ids:
        ids = "".join(f"<application-id>{escape(i)}</application-id>" for i in client_app_ids)
        apps = f"<client-application-ids>{ids}</client-application-ids>"
    return (
        f"<validate-azure-ad-token{_attrs(tenant_id=tenant_id, header_name='Authorization', failed_validation_httpcode='401')}>"
        f"<audiences><audience>{escape(audience)}</audience></audiences>{apps}</validate-azure-ad-token>"
    )


def app_api_policy(*, tenant_id: str, audience: str, backend_id: str, client_app_ids: Sequence[str] = ()) -> str:
    """The policy of one team app's API: the same JWT check as the model APIs, then the app's backend, called
    with a token of the gateway's identity for the gateway's own audience (the caller's token is replaced:
    an app can check that the call came through the gateway). No token metrics: an app is not a model; the
    models it calls are metered on their own APIs, which the app calls through the gateway as well."""
    jwt = validate_token(tenant_id=tenant_id, audience=audience, client_app_ids=client_app_ids)
    backend = f"<set-backend-service{_attrs(backend_id=backend_id)} />"
    return (
        f"<policies><inbound><base />{jwt}{backend}{managed_identity_auth(audience)}</inbound>"
        "<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
    )


def managed_identity_auth(resource: str) -> str:
    """The gateway's system identity gets a token for `resource` and sends it as the bearer."""
    return f"<authentication-managed-identity{_attrs(resource=resource)} />"


def named_value_bearer(named_value: str) -> str:
    """`Authorization: Bearer {{named value}}`: only for a Key Vault-backed named value (vLLM's API key)."""
    return (
        '<set-header name="Authorization" exists-action="override">'
        f"<value>Bearer {{{{{escape(named_value)}}}}}</value></set-header>"
    )


def team_policy(*, team: str, tokens_per_minute: int, monthly_token_quota: int) -> str:
    """A team product's limits: one counter per team across its APIs, a rate and a monthly quota."""
    limit = _attrs(
        counter_key=team,
        tokens_per_minute=str(tokens_per_minute),
        token_quota=str(monthly_token_quota),
        token_quota_period="Monthly",
        estimate_prompt_tokens="false",
        remaining_tokens_header_name="x-ratelimit-remaining-tokens",
    )
    return (
        f"<policies><inbound><base /><llm-token-limit{limit} /></inbound>"
        "<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
    )
