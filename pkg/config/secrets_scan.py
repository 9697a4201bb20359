"""Reject values that look like secrets before they reach a model, a plan or a log.

A secret in an environment file ends up in git history, in plans and in pull-request
comments. The scan looks at key names and at value shapes, and its findings never echo the
value: only where it was and what it looked like.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# What the value looks like -> a pattern. Kept specific to avoid flagging resource ids.
VALUE_PATTERNS: dict[str, re.Pattern[str]] = {
    "a storage connection string": re.compile(r"(AccountKey|SharedAccessKey)=", re.I),
    "a SAS token": re.compile(r"[?&]sig=[A-Za-z0-9%+/=]{20,}"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\."),
    "a GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
    "a Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    "an OpenAI API key": re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),
    "an Azure storage or Cognitive Services key": re.compile(r"^[A-Za-z0-9+/]{86}==$"),
    "a 32-character hex API key": re.compile(r"^[0-9a-f]{32}$"),
    "a webhook URL with an embedded token": re.compile(
        r"https://(hooks\.slack\.com/services/|[a-z0-9.-]*webhook\.office\.com/|discord(app)?\.com/api/webhooks/)", re.I
    ),
    "a password in a URL": re.compile(r"://[^/\s:@]+:[^/\s@]+@"),
    "a connection string with a password": re.compile(r"(^|;)\s*(password|pwd)\s*=\s*[^;\s]+", re.I),
    "a Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "an AWS access key": re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
}

# Key names whose value is itself a secret. Keys that *name* a secret (hub_token_secret,
# chat_webhook_env) are references and allowed.
SECRET_KEYS = re.compile(
    r"^(secret|(?:[a-z0-9]+_)*(password|passwd|pwd|client_secret|token|api_key|apikey|access_key|account_key|"
    r"connection_string|sas_token|private_key|webhook_url))$",
    re.I,
)  # `slack_token` and `db_password` too; `hub_token_secret` (a reference to a secret) does not match


def find_secrets(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield (key path, what it looks like) for every value that looks like a secret."""
    if isinstance(data, dict):
        for key, value in data.items():
            sub = (*path, key)
            if isinstance(key, str) and SECRET_KEYS.match(key) and value not in (None, ""):
                yield sub, f"a value under the secret-like key {key!r}"
                continue
            yield from find_secrets(value, sub)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from find_secrets(value, (*path, index))
    elif isinstance(data, str):
        for what, pattern in VALUE_PATTERNS.items():
            if pattern.search(data):
                yield path, what
                return
