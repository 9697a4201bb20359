"""The ARM reader against a local replay server: paging, throttling with Retry-After, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from arm_replay import AKS_VERSIONS, SKUS, ArmReplay, FakeToken

from llmops_infra.engine.arm_client import ARM, ArmClient, ArmError, retry_after_seconds


def client(replay: ArmReplay, waits: list[float], **kwargs) -> ArmClient:
    return ArmClient(token_getter=FakeToken, base_url=replay.url, sleep=waits.append, **kwargs)


def test_list_reads_values_and_sends_a_bearer_token():
    with ArmReplay() as replay:
        replay.route(AKS_VERSIONS, "aks-kubernetes-versions")
        waits: list[float] = []
        versions = client(replay, waits).list(AKS_VERSIONS, "2025-09-01")
    assert [v["version"] for v in versions] == ["1.35", "1.36", "1.37", "1.38"]
    (request,) = replay.requests
    assert request["bearer"] and request["query"] == {"api-version": "2025-09-01"}
    assert waits == []


def test_next_links_are_followed():
    first = (200, {}, {"value": [{"name": "a"}], "nextLink": None})
    with ArmReplay() as replay:
        first[2]["nextLink"] = f"{replay.url}/page2?api-version=2021-07-01&$skiptoken=x"
        replay.route(SKUS, first).route("/page2", (200, {}, {"value": [{"name": "b"}]}))
        items = client(replay, []).list(SKUS, "2021-07-01", {"$filter": "location eq 'eastus2'"})
    assert [i["name"] for i in items] == ["a", "b"]
    assert replay.requests[0]["query"]["$filter"] == "location eq 'eastus2'"
    assert replay.requests[1]["query"]["$skiptoken"] == "x"


def test_throttling_waits_as_long_as_retry_after_says_then_succeeds():
    with ArmReplay() as replay:
        replay.route(AKS_VERSIONS, "error-throttled", "error-throttled", "aks-kubernetes-versions")
        waits: list[float] = []
        versions = client(replay, waits).list(AKS_VERSIONS, "2025-09-01")
    assert len(versions) == 4
    assert waits == [2.0, 2.0]
    assert replay.hits(AKS_VERSIONS) == 3


def test_persistent_throttling_ends_in_a_clear_error_after_bounded_attempts():
    with ArmReplay() as replay:
        replay.route(AKS_VERSIONS, "error-throttled")
        waits: list[float] = []
        with pytest.raises(ArmError) as err:
            client(replay, waits, max_attempts=3, max_wait=1.5).list(AKS_VERSIONS, "2025-09-01")
    assert err.value.status == 429 and err.value.code == "TooManyRequests"
    assert waits == [1.5, 1.5]  # Retry-After 2 capped at max_wait
    assert replay.hits(AKS_VERSIONS) == 3


def test_server_errors_back_off_exponentially_and_forbidden_is_not_retried():
    with ArmReplay() as replay:
        replay.route(AKS_VERSIONS, "error-server", "error-server", "aks-kubernetes-versions")
        waits: list[float] = []
        client(replay, waits).list(AKS_VERSIONS, "2025-09-01")
        assert waits == [1.0, 2.0]
        replay.route(SKUS, "error-forbidden")
        with pytest.raises(ArmError) as err:
            client(replay, waits).list(SKUS, "2021-07-01")
    assert err.value.forbidden and err.value.code == "AuthorizationFailed"
    assert "test-token" not in str(err.value) and replay.hits(SKUS) == 1


def test_unreachable_endpoint_is_an_error_not_a_traceback():
    with pytest.raises(ArmError) as err:
        ArmClient(token_getter=FakeToken, base_url="http://127.0.0.1:9", sleep=lambda s: None, max_attempts=2).get("/x")
    assert err.value.status == 0 and "unreachable" in err.value.message


def test_public_arm_urls_are_redirected_to_the_configured_endpoint():
    arm = ArmClient(token_getter=FakeToken, base_url="http://127.0.0.1:1")
    assert arm.url(f"{ARM}/subscriptions/s?api-version=1") == "http://127.0.0.1:1/subscriptions/s?api-version=1"
    assert arm.url("/a", "2024-01-01") == "http://127.0.0.1:1/a?api-version=2024-01-01"


def test_retry_after_forms():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now) == 30.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
