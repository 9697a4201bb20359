"""Checks on where the state lives and how its secrets are unlocked, before the engine runs.

- CI (CI=true) with a file:// backend: refused, a runner's disk does not outlive the job;
- a Pulumi Cloud backend needs PULUMI_ACCESS_TOKEN or a `pulumi login`;
- a passphrase stack needs the passphrase from the environment, never from a file in the
  repository, and never the text of an unexpanded Azure DevOps macro.
"""

from __future__ import annotations

import os
from pathlib import Path

from llmops_infra.errors import ConfigError

PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")

ALLOW_LOCAL_STATE = "LLMOPS_ALLOW_LOCAL_STATE"


def check_state_location(url: str, env: dict[str, str] | None = None) -> None:
    """In CI (CI=true) refuse a file:// backend: a runner's disk does not outlive the job, nor does its state."""
    env = dict(os.environ if env is None else env)
    truthy = {"1", "true", "yes"}
    if not url.startswith("file://") or env.get("CI", "").strip().lower() not in truthy:
        return
    if env.get(ALLOW_LOCAL_STATE, "").strip().lower() in truthy:
        return
    raise ConfigError(
        f"{url} with CI=true: a CI runner's disk does not outlive the job, so the next run would "
        "not find what this one deployed. Run `llmops-infra bootstrap ENV` and set state.url to the azblob:// URL "
        f"it prints (or a Pulumi Cloud URL); pass --allow-local-state (or {ALLOW_LOCAL_STATE}=1) only for a "
        "throw-away run",
        key="state.url",
    )


def check_cloud_login(url: str, env: dict[str, str] | None = None) -> None:
    """A Pulumi Cloud backend needs PULUMI_ACCESS_TOKEN (CI) or a `pulumi login` on this machine."""
    if not url.startswith("https://"):
        return
    env = dict(os.environ if env is None else env)
    if env.get("PULUMI_ACCESS_TOKEN"):
        return
    home = Path(env.get("PULUMI_HOME") or Path.home() / ".pulumi").expanduser()
    if (home / "credentials.json").is_file():
        return
    raise ConfigError(
        f"state.url is {url} (Pulumi Cloud) but PULUMI_ACCESS_TOKEN is not set and nobody ran `pulumi login` here: "
        "export an access token from your secret store (in CI: a pipeline secret)",
        key="state.url",
    )


def check_passphrase(secrets_provider: str, project_dir: Path, env: dict[str, str] | None = None) -> None:
    """A passphrase stack needs the passphrase from the environment, never from a file in the repo."""
    if secrets_provider != "passphrase":
        return
    env = dict(os.environ if env is None else env)
    if not any(var in env for var in PASSPHRASE_VARS):
        raise ConfigError(
            "state.secrets_provider is passphrase but PULUMI_CONFIG_PASSPHRASE is not set: export it from "
            "your secret store (in CI: a pipeline secret) or point PULUMI_CONFIG_PASSPHRASE_FILE at a file "
            "outside the repository",
            key="state.secrets_provider",
        )
    value = env.get("PULUMI_CONFIG_PASSPHRASE", "")
    if value.startswith("$(") and value.endswith(")"):
        # Azure DevOps leaves `$(NAME)` as it is when no variable NAME exists: that literal would become
        # the passphrase of a new stack.
        raise ConfigError(
            "PULUMI_CONFIG_PASSPHRASE is the text of an unexpanded Azure DevOps macro: define the secret variable "
            "PULUMI_CONFIG_PASSPHRASE in the environment's variable group (llmops-infra bootstrap can store it)",
            key="state.secrets_provider",
        )
    file = env.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if file and "PULUMI_CONFIG_PASSPHRASE" not in env:
        resolved = Path(file).expanduser().resolve()
        if resolved.is_relative_to(project_dir.resolve()):
            raise ConfigError(
                f"PULUMI_CONFIG_PASSPHRASE_FILE points into the project ({file}): a passphrase in the "
                "repository is a leaked passphrase. Move it outside the repository",
                key="state.secrets_provider",
            )
