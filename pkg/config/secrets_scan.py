"""Reject values that look like secrets before they reach a model, a plan or a log.

A secret in an environment file ends up in git history, in plans and in pull-request
comments. The scan looks at key names and at value shapes, and its findings never echo the
value: only where it was and what it looked like.

Value shapes come from two sources: the patterns below (Azure's own: storage and Cognitive
Services keys with text around them, Entra client secrets, Functions keys, SAS tokens; and the
common ones) and the regex detectors of detect-secrets (Stripe, SendGrid, GitLab, npm, PyPI,
Twilio, Discord, Telegram, IBM, Mailchimp, Artifactory... tokens). Its entropy detectors flag
digests, commit ids and UUIDs, its keyword detector prose and its public-IP detector allowed
ranges: those are left out (docs/hardening.md has the measurement). Only `analyze_string` is
called: the detectors' `verify` would send the candidate secret over the network.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

# What the value looks like -> a pattern. Kept specific to avoid flagging resource ids.
VALUE_PATTERNS: dict[str, re.Pattern[str]] = {
    "a storage connection string": re.compile(r"(AccountKey|SharedAccessKey)=", re.I),
    "a SAS token": re.compile(r"[?&]sig=[A-Za-z0-9%+/=]{20,}"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----"),
    "a JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\."),
    "a GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
    "a Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    "an OpenAI API key": re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),
    # unanchored: a key with text around it ("key: <key> # prod") is still a key
    "an Azure storage or Cognitive Services key": re.compile(
        r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"
    ),
    "a 32-character hex API key": re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32}(?![0-9A-Za-z])"),
    "an Azure Cognitive Services key": re.compile(
        r"(?<![0-9A-Za-z])[0-9A-Za-z]{84}JQQJ99[0-9A-Za-z]{4}(?![0-9A-Za-z])"
    ),
    "an Azure Functions key in a URL": re.compile(r"[?&]code=[A-Za-z0-9_%/+=-]{20,}", re.I),
    "a Microsoft Entra client secret": re.compile(r"(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}"),
    "a credential in a URL query": re.compile(
        r"[?&][a-z_]*(key|secret|token|password|passwd|sig|signature|code)=[^&\s]{8,}", re.I
    ),
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


LIBRARY_EXCLUDED = {"Base64HighEntropyString", "HexHighEntropyString", "KeywordDetector", "IPPublicDetector"}
"""detect-secrets detectors left out: false positives on environment files (see the module docstring)."""
MAX_LIBRARY_LINE = 4096


@functools.cache
def library_detectors() -> tuple[Any, ...]:
    """detect-secrets' regex detectors (instances), minus `LIBRARY_EXCLUDED`."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes: list[type] = list(get_mapping_from_secret_type_to_class().values())
    return tuple(cls() for cls in sorted(classes, key=lambda c: c.__name__) if cls.__name__ not in LIBRARY_EXCLUDED)


def looks_like(text: str | bytes) -> str | None:
    """What `text` looks like when it looks like a secret, else None. Bytes (a `!!binary` value)
    are read as text too, so an encoded key is found as well as a plain one."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    for what, pattern in VALUE_PATTERNS.items():
        if pattern.search(text):
            return what
    from llmops_infra.config import scan_memo

    if scan_memo.known_clean(text):  # the detectors found nothing in this very string before
        return None
    for line in text.splitlines() or [text]:
        for detector in library_detectors():
            # analyze_string only: regular expressions, no verification request
            if next(iter(detector.analyze_string(line[:MAX_LIBRARY_LINE])), None) is not None:
                return f"a {detector.secret_type} (detect-secrets)"
    scan_memo.add_clean(text)
    return None


def find_secrets(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield (key path, what it looks like) for every key and value that looks like a secret.

    Keys are scanned as well as values (a secret pasted as a tag name is still a secret); a
    finding's key path never contains the key that looked like one: it stops at its parent.
    """
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, (str, bytes)) and (what := looks_like(key)):
                yield path, f"{what}, used as a key"
                continue
            sub = (*path, key)
            if isinstance(key, str) and SECRET_KEYS.match(key) and value not in (None, ""):
                yield sub, "a value under a secret-like key"
                continue
            yield from find_secrets(value, sub)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from find_secrets(value, (*path, index))
    elif isinstance(data, (str, bytes)):
        what = looks_like(data)
        if what:
            yield path, what


def format_path(path: tuple[str | int, ...]) -> str:
    """A key path as a person writes it: `tags.owner`, `models[0].name`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def refuse_secrets(
    document: dict[str, Any],
    locate: Callable[[tuple[str | int, ...]], tuple[str | None, int | None]],
    display: str,
) -> None:
    """A `ConfigError` naming file, key path and line of the first secret in `document`; never its value."""
    from llmops_infra.config import scan_memo
    from llmops_infra.errors import ConfigError

    for path, what in find_secrets(document):
        file, line = locate(path)
        raise ConfigError(
            f"this looks like {what}. Secrets never go in environment files: store it in Key Vault "
            "or pass it through an environment variable at run time, and rotate it if it was committed",
            file=file or display,
            key=format_path(path) or "(top level)",
            line=line,
        )
    scan_memo.save()  # the strings the detectors found clean, for the next process
