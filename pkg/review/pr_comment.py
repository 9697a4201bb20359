"""Post the pull-request report as one comment, updated in place on every run.

The comment is found again by the hidden marker the report starts with
(`pipelines.PR_MARKER`). Azure DevOps: a pull-request thread through the REST API with the
job's `System.AccessToken`. GitHub: an issue comment with `GITHUB_TOKEN` (the generated
workflow's comment job, the only one with `pull-requests: write`: no third-party action holds
the token). Tokens come from the environment and never appear in errors.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops_infra.delivery.pipelines import PR_MARKER
from llmops_infra.errors import ConfigError, EngineError

TIMEOUT_S = 30
GITHUB_COMMENT_LIMIT = 65_536
"""GitHub rejects a longer comment body (422); `pr-report` stays under 65,000 characters."""
ADO_API = "api-version=7.1"


@dataclass(frozen=True)
class Target:
    """Where the comment goes: list/create/update URLs and the token."""

    provider: str
    list_url: str
    create_url: str
    token: str


MAX_REPORT_BYTES = 262_144
"""GitHub takes a comment body of at most 65,536 characters (4 bytes each at most)."""


def read_report(path: Path) -> str:
    """The report to post (bad input, exit 2, when it is not a regular UTF-8 text file of a sane size)."""
    from llmops_infra.errors import clean
    from llmops_infra.files import read_regular

    raw = read_regular(path, limit=MAX_REPORT_BYTES, display=str(path), key="REPORT")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(
            "not UTF-8 text (a binary file?): give the Markdown file pr-report wrote", file=str(path), key="REPORT"
        ) from None
    if clean(text.replace("\r", "")) != text.replace("\r", ""):
        raise ConfigError(
            "the file holds control characters (a binary file?): give the Markdown file pr-report wrote",
            file=str(path),
            key="REPORT",
        )
    return text


def _need(environ: Mapping[str, str], *names: str) -> list[str]:
    missing = [n for n in names if not environ.get(n)]
    if missing:
        raise ConfigError(
            f"cannot find the pull request: set {', '.join(missing)} (the CI sets them; "
            "Azure DevOps: map System.AccessToken to SYSTEM_ACCESSTOKEN)",
            key="pr-comment",
        )
    return [environ[n] for n in names]


def target_from_env(provider: str, environ: Mapping[str, str]) -> Target:
    if provider == "azure-devops":
        collection, project, repo, pr, token = _need(
            environ,
            "SYSTEM_COLLECTIONURI",
            "SYSTEM_TEAMPROJECT",
            "BUILD_REPOSITORY_ID",
            "SYSTEM_PULLREQUEST_PULLREQUESTID",
            "SYSTEM_ACCESSTOKEN",
        )
        base = f"{collection.rstrip('/')}/{project}/_apis/git/repositories/{repo}/pullRequests/{pr}/threads"
        return Target(provider, f"{base}?{ADO_API}", f"{base}?{ADO_API}", token)
    if provider == "github":
        repo, ref, token = _need(environ, "GITHUB_REPOSITORY", "GITHUB_REF", "GITHUB_TOKEN")
        match = re.fullmatch(r"refs/pull/(\d+)/(merge|head)", ref)
        if not match:
            raise ConfigError(
                f"GITHUB_REF {ref!r} is not a pull request ref: run on pull_request events", key="pr-comment"
            )
        api = environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
        url = f"{api}/repos/{repo}/issues/{match.group(1)}/comments"
        return Target(provider, f"{url}?per_page=100", url, token)
    raise ConfigError(f"unknown provider {provider!r}: github or azure-devops", key="--provider")


def _request(method: str, url: str, token: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "llmops-infra",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as exc:
        raise EngineError(
            f"{method} {url.split('?', maxsplit=1)[0]} answered {exc.code} {exc.reason}: check that the job's "
            "token may write pull-request comments"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise EngineError(f"{method} {url.split('?', maxsplit=1)[0]} failed: {getattr(exc, 'reason', exc)}") from None
    return json.loads(text) if text else None


MAX_PAGES = 30


def _github_comments(target: Target, first: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every comment of the pull request, page by page (100 a page): a busy PR has more than one."""
    page, comments = 1, first
    while True:
        yield from comments
        if len(comments) < 100 or page >= MAX_PAGES:
            return
        page += 1
        comments = _request("GET", f"{target.list_url}&page={page}", target.token) or []


def upsert(target: Target, text: str) -> str:
    """Update the comment that carries the marker, or create it. Returns "updated" or "created"."""
    if PR_MARKER not in text:
        text = f"{PR_MARKER}\n{text}"
    if target.provider == "github" and len(text) > GITHUB_COMMENT_LIMIT:
        raise ConfigError(
            f"the report is {len(text):,} characters and GitHub accepts {GITHUB_COMMENT_LIMIT:,}: "
            "write it with `llmops-infra pr-report`, which summarizes to fit",
            key="REPORT",
        )
    existing = _request("GET", target.list_url, target.token)
    if target.provider == "azure-devops":
        for thread in (existing or {}).get("value", []):
            comments = thread.get("comments") or []
            if comments and PR_MARKER in (comments[0].get("content") or ""):
                url = target.create_url.replace("/threads?", f"/threads/{thread['id']}/comments/{comments[0]['id']}?")
                _request("PATCH", url, target.token, {"content": text})
                return "updated"
        _request(
            "POST",
            target.create_url,
            target.token,
            {"comments": [{"parentCommentId": 0, "content": text, "commentType": 1}], "status": 1},
        )
        return "created"
    for comment in _github_comments(target, existing or []):
        if PR_MARKER in (comment.get("body") or ""):
            url = target.create_url.rsplit("/issues/", 1)[0] + f"/issues/comments/{comment['id']}"
            _request("PATCH", url, target.token, {"body": text})
            return "updated"
    _request("POST", target.create_url, target.token, {"body": text})
    return "created"
