"""A small Azure REST client: ARM reads with paging, writes with long-running operations.

httpx does the HTTP, tenacity the retries: 429 and 5xx answers are retried, honouring ARM's
`Retry-After` (seconds or an HTTP date, capped), then with exponential backoff; a bounded number
of attempts, so a throttled subscription ends in an `ArmError` rather than a hang. Tokens come
from azure-identity (`DefaultAzureCredential` unless a credential or token getter is given) and
are never logged, printed or put in an error; request bodies (a secret's value) never are
either. `base_url` points the client at a local replay server in tests (tests/arm_replay.py).

The same client serves Azure data planes that speak ARM's error shape (Key Vault: `scope`
`https://vault.azure.net/.default`, `base_url` the vault URI). Long-running operations follow
ARM's asynchronous pattern (`wait`): poll `Azure-AsyncOperation` until its `status` is terminal,
else `Location` until it stops answering 202, each poll after `Retry-After`
(learn.microsoft.com/azure/azure-resource-manager/management/async-operations, read 2026-12-01).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from llmops_infra.errors import EngineError

ARM = "https://management.azure.com"
ARM_SCOPE = f"{ARM}/.default"
RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_PAGES = 100


class ArmError(EngineError):
    """ARM answered an error (or not at all). `status` 0: the endpoint was unreachable; 401
    `NoCredential`: no azure-identity credential could sign in. `inner` is the error's
    `innererror.code` where the service sends one (Key Vault: `ForbiddenByFirewall`)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        url: str,
        retry_after: float | None = None,
        inner: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.url = url
        self.retry_after = retry_after
        self.inner = inner
        super().__init__(f"{status or 'no answer'} {code}: {message}")

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE or self.status == 0

    @property
    def forbidden(self) -> bool:
        return self.status in (401, 403)

    @property
    def not_found(self) -> bool:
        return self.status == 404


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After: 7` -> 7.0; an HTTP date -> the seconds until then; absent or bad -> None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _error(response: httpx.Response) -> ArmError:
    code, message, inner = f"HTTP{response.status_code}", response.reason_phrase or "error", None
    try:
        body = response.json()
        error = body.get("error") or {} if isinstance(body, dict) else {}
        if not error and isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
            error = body["errors"][0] if isinstance(body["errors"][0], dict) else {}  # a registry's data plane
        code = str(error.get("code") or code)
        message = str(error.get("message") or message)
        inner_error = error.get("innererror") or error.get("innerError") or {}
        inner = str(inner_error.get("code")) if isinstance(inner_error, dict) and inner_error.get("code") else None
    except ValueError:
        pass
    url = str(response.request.url.copy_with(query=None)) if response.request else ""
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    return ArmError(response.status_code, code, message, url, retry_after, inner)


@dataclass(frozen=True)
class Answer:
    """A response: its status, headers (lower-case names) and JSON body (None when empty)."""

    status: int
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


TERMINAL = {"succeeded": True, "failed": False, "canceled": False, "cancelled": False}
"""Azure-AsyncOperation `status` values that end an operation (-> whether it succeeded)."""


@dataclass
class _Token:
    value: str
    expires_on: float


class ArmClient:
    """GET JSON from ARM. One instance per command run; it caches the token until it nearly expires."""

    def __init__(
        self,
        credential: Any = None,
        *,
        token_getter: Callable[[], Any] | None = None,
        base_url: str = ARM,
        timeout: float = 20.0,
        max_attempts: int = 5,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        scope: str = ARM_SCOPE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.scope = scope
        """The token scope: ARM's, or a data plane's (`https://vault.azure.net/.default`)."""
        self._clock = clock
        self._credential = credential
        self._token_getter = token_getter
        self._token: _Token | None = None
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.waits: list[float] = []
        """Every wait between attempts (seconds), for reports and tests."""
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()
        if self._credential is not None and hasattr(self._credential, "close"):
            self._credential.close()

    def __enter__(self) -> ArmClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ auth

    def _bearer(self) -> str:
        if self._token and self._token.expires_on - 60 > time.time():
            return self._token.value
        if self._token_getter is not None:
            token = self._token_getter()
        else:
            from azure.core.exceptions import ClientAuthenticationError

            if self._credential is None:
                from azure.identity import DefaultAzureCredential

                self._credential = DefaultAzureCredential()
            quiet = logging.getLogger("azure")
            level = quiet.level
            quiet.setLevel(logging.CRITICAL)  # the chain logs every failed source as a warning
            try:
                token = self._credential.get_token(self.scope)
            except ClientAuthenticationError as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise ArmError(
                    401, "NoCredential", f"no Azure credentials: {first.rstrip('.')}", self.base_url
                ) from None
            finally:
                quiet.setLevel(level)
        self._token = _Token(token.token, float(getattr(token, "expires_on", time.time() + 300)))
        return self._token.value

    # ------------------------------------------------------------------ requests

    def url(self, path: str, api_version: str | None = None) -> str:
        """An absolute URL for an ARM path (absolute URLs such as nextLink are kept as they are)."""
        if path.startswith(ARM) and self.base_url != ARM:
            path = self.base_url + path[len(ARM) :]  # azure_access builds public ARM URLs
        if path.startswith(("http://", "https://")):
            return path
        url = f"{self.base_url}/{path.lstrip('/')}"
        if api_version:
            url += ("&" if "?" in url else "?") + f"api-version={api_version}"
        return url

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = exc.retry_after if isinstance(exc, ArmError) else None
        wait = hinted if hinted is not None else min(self.max_wait, 2.0 ** (state.attempt_number - 1))
        wait = min(wait, self.max_wait)
        self.waits.append(wait)
        return wait

    def request(
        self,
        method: str,
        path: str,
        api_version: str | None = None,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        accept: tuple[int, ...] = (),
        bearer: bool = True,
    ) -> Answer:
        """One request, retried on throttling and server errors. Statuses in `accept` (e.g. 404)
        come back as answers; other error statuses raise an `ArmError`. `json`/`data` bodies are
        sent, never kept or reported."""
        url = self.url(path, api_version)

        def attempt() -> Answer:
            sent = {"Accept": "application/json", **(headers or {})}
            if bearer:
                sent["Authorization"] = f"Bearer {self._bearer()}"
            try:
                response = self._http.request(method, url, params=params, json=json, data=data, headers=sent)
            except httpx.TransportError as exc:
                raise ArmError(0, type(exc).__name__, f"unreachable ({exc})", url.split("?", 1)[0]) from None
            if response.status_code >= 400 and response.status_code not in accept:
                raise _error(response)
            body: Any = None
            if method != "HEAD" and response.content:
                try:
                    body = response.json()
                except ValueError:
                    raise ArmError(
                        response.status_code, "NotJson", "the service answered something that is not JSON", url
                    ) from None
            return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body)

        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, ArmError) and e.retryable),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(attempt)

    def get(self, path: str, api_version: str | None = None, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One GET, retried on throttling and server errors; the JSON body, or an `ArmError`."""
        answer = self.request("GET", path, api_version, params=params)
        if not isinstance(answer.body, dict):
            raise ArmError(answer.status, "NotAnObject", "ARM answered JSON that is not an object", path)
        return answer.body

    def find(self, path: str, api_version: str) -> dict[str, Any] | None:
        """A resource's JSON, or None when it does not exist (404)."""
        answer = self.request("GET", path, api_version, accept=(404,))
        if answer.status == 404:
            return None
        return answer.body if isinstance(answer.body, dict) else {}

    def wait(self, started: Answer, *, timeout: float, poll_seconds: float = 5.0, what: str = "operation") -> Answer:
        """Follow a long-running operation that answered `started` (200/201/204: already done;
        202: poll). Raises an `ArmError` when it fails or outlasts `timeout` seconds."""
        if started.status != 202 and not started.header("Azure-AsyncOperation"):
            return started
        monitor = started.header("Azure-AsyncOperation")
        location = started.header("Location")
        if not monitor and not location:
            raise ArmError(202, "NoMonitor", f"the {what} was accepted without a status URL to follow", "")
        deadline = self._clock() + timeout
        answer = started
        while True:
            delay = retry_after_seconds(answer.header("Retry-After"))
            if self._clock() + (delay if delay is not None else poll_seconds) > deadline:
                raise ArmError(
                    408,
                    "OperationTimedOut",
                    f"the {what} did not finish within {timeout:g} s: it may still be "
                    "running in Azure; rerun to pick it up",
                    monitor or location or "",
                )
            self._sleep(min(self.max_wait, delay if delay is not None else poll_seconds))
            if monitor:
                answer = self.request("GET", monitor)
                status = str((answer.body or {}).get("status") or "").lower() if isinstance(answer.body, dict) else ""
                if status in TERMINAL:
                    if TERMINAL[status]:
                        return self.request("GET", location) if location else answer
                    error = (answer.body or {}).get("error") or {}
                    raise ArmError(
                        200,
                        str(error.get("code") or status.capitalize()),
                        str(error.get("message") or f"the {what} ended {status}"),
                        monitor,
                    )
            else:
                assert location is not None
                answer = self.request("GET", location)
                if answer.status != 202:
                    return answer

    def list(self, path: str, api_version: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a list operation (`value`, or `values` as the AKS versions API names it), following nextLink."""
        found: list[dict[str, Any]] = []
        url: str | None = self.url(path, api_version)
        for _ in range(MAX_PAGES):
            if not url:
                return found
            page = self.get(url, params=params)
            params = None  # nextLink carries its own query
            items = page.get("value", page.get("values", []))
            found.extend(item for item in items or [] if isinstance(item, dict))
            url = page.get("nextLink")
        raise ArmError(200, "TooManyPages", f"more than {MAX_PAGES} pages", path)

    def get_json_url(self, url: str, _token: str | None = None) -> dict[str, Any]:
        """The `Fetch` seam of `azure_access` (url, token) -> JSON, served by this client (token ignored)."""
        return self.get(url)
