"""What a generated pipeline is made of: the tool install, pinned tools, and one target per environment.

Every value here may come from a user (CLI options, environment files). Each is checked once,
when the options are built, and refused with the option or key that holds it and the fix:
one line, no control characters, and none of the CI system's own expression syntax
(GitHub evaluates `${{ }}` in any string of a workflow; Azure DevOps expands `$( )`, `$[ ]`
and `${{ }}`), since such a value would be evaluated by CI, not read as data. Everything else
(quotes, `: `, `#`, YAML indicators, `$( )` on GitHub) is data: the YAML writer quotes it and
the scripts read it from `env:`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from llmops_infra import __version__
from llmops_infra.errors import ConfigError

Provider = Literal["github", "azure-devops"]
PROVIDERS: tuple[Provider, ...] = ("github", "azure-devops")

# Pins, each with its source, checked 2026-12-01.
PULUMI_CLI_VERSION = "3.272.0"
"""The Pulumi CLI the pipelines install: the version of the pulumi SDK this package is built and
tested with (pyproject; the Automation API expects a CLI of the same release). Release tag
github.com/pulumi/pulumi sdk/v3@v3.272.0, 2026-10-22 (proxy.golang.org .../sdk/v3/@v/v3.272.0.info)."""
PULUMI_ACTION = "pulumi/actions@v7"
"""Installs the CLI when `command` is omitted; input `pulumi-version` (github.com/pulumi/actions
README "Installation Only", tag v7.0.0 of 2026-05-04)."""
KUBELOGIN_VERSION = "0.2.22"
"""github.com/Azure/kubelogin v0.2.22, 2026-10-24 (proxy.golang.org .../kubelogin/@v/v0.2.22.info)."""
KUBELOGIN_ACTION = "azure/use-kubelogin@v1"
"""Input `kubelogin-version`, e.g. v0.2.22 (github.com/Azure/use-kubelogin README)."""
PULUMI_INSTALLER = "https://get.pulumi.com"
"""`curl -fsSL https://get.pulumi.com | sh -s -- --version X` installs X into ~/.pulumi/bin
(pulumi.com/docs/install; pulumi/pulumi CONTRIBUTING.md)."""

HOSTED_JOB_LIMIT_MINUTES = 360
"""GitHub-hosted runners: a job runs at most 6 hours (docs.github.com, actions usage limits);
Microsoft-hosted agents with paid parallel jobs: 360 minutes
(learn.microsoft.com/azure/devops/pipelines/licensing/concurrent-jobs)."""
SELF_HOSTED_JOB_LIMIT_MINUTES = {"github": 5 * 24 * 60, "azure-devops": 0}
"""GitHub self-hosted runners: 5 days per job (docs.github.com, usage limits for self-hosted
runners); Azure DevOps self-hosted agents: no limit (0 means none in `timeoutInMinutes`)."""
APPROVAL_LIMIT_MINUTES = 30 * 24 * 60
"""ManualValidation rejects or resumes after its timeout or 30 days, whichever is first
(learn.microsoft.com/azure/devops/pipelines/tasks/reference/manual-validation-v1)."""

DEFAULT_ARTIFACTS = "azblob://stllmopsreleases/releases"
HOSTED_RUNNER = "ubuntu-latest"
WHEEL_DIR = "ci"


def wheel_name(version: str = __version__) -> str:
    return f"llmops_infra-{version}-py3-none-any.whl"


def check_value(value: str, key: str, provider: Provider) -> str:
    """`value` if it can sit in a pipeline file as data; a ConfigError naming `key` otherwise."""
    if not isinstance(value, str):
        raise ConfigError(f"must be text, not {type(value).__name__}", key=key)
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value):
        raise ConfigError(
            "contains a newline or another control character: give it on one line "
            "(a newline in a pipeline value can add steps or variables)",
            key=key,
        )
    if provider == "github" and "${{" in value:
        raise ConfigError(
            "contains '${{': GitHub would evaluate it as an expression, not read it as text. "
            "Remove it; values that must come from CI belong in repository or environment variables",
            key=key,
        )
    if provider == "azure-devops":
        for syntax in ("$(", "$[", "${{"):
            if syntax in value:
                raise ConfigError(
                    f"contains '{syntax}': Azure DevOps would expand it as a macro or expression, "
                    "not read it as text. Remove it; values that must come from CI belong in variable groups",
                    key=key,
                )
    return value


@dataclass(frozen=True)
class ToolInstall:
    """How a pipeline installs llmops-infra (it is not on PyPI).

    kinds: `wheel` (a wheel committed to the repository or at an https URL), `git` (a git URL
    with a tag), `index` (a private package index that also proxies PyPI, e.g. an Azure
    Artifacts feed with PyPI as upstream; `--index-url`, never `--extra-index-url`, so that a
    package of the same name on PyPI cannot shadow it).
    """

    kind: Literal["wheel", "git", "index"]
    requirement: str
    """What `pip install` is given (through the environment variable LLMOPS_INSTALL)."""
    index_url: str | None = None
    vendored_wheel: str | None = None
    """Repository-relative path of the wheel `pipeline generate` writes (default install)."""

    @classmethod
    def default(cls) -> ToolInstall:
        path = f"{WHEEL_DIR}/{wheel_name()}"
        return cls(kind="wheel", requirement=f"./{path}[azure]", vendored_wheel=path)

    @classmethod
    def parse(cls, spec: str | None, provider: Provider) -> ToolInstall:
        if spec is None or spec == "vendored":
            return cls.default()
        spec = check_value(spec.strip(), "--install", provider)
        if spec.startswith("git+"):
            return cls._git(spec)
        if spec.startswith("index:"):
            return cls._index(spec.removeprefix("index:"))
        if spec.startswith("wheel:") or spec.endswith(".whl"):
            return cls._wheel(spec.removeprefix("wheel:"))
        raise ConfigError(
            f"{spec!r} is not an install spec: llmops-infra is not on PyPI. Use a git URL with a tag "
            f"(git+https://host/org/llmops-infra@v{__version__}), a package index (index:https://host/simple/, "
            f"which serves llmops-infra=={__version__} and proxies PyPI), a wheel (wheel:ci/{wheel_name()} or an "
            "https URL ending in .whl), or 'vendored' (the default: a wheel of this version written into ci/)",
            key="--install",
        )

    @classmethod
    def _git(cls, spec: str) -> ToolInstall:
        url = spec.removeprefix("git+")
        parts = urlsplit(url)
        ref = parts.path.rpartition("@")[2] if "@" in parts.path else ""
        if parts.scheme not in ("https", "ssh") or not parts.netloc:
            raise ConfigError(f"{spec!r}: use git+https://host/org/repo@TAG (or git+ssh://)", key="--install")
        if not ref or not re.fullmatch(r"[A-Za-z0-9._/+-]+", ref) or parts.fragment or parts.query:
            raise ConfigError(
                f"{spec!r} names no tag: append @v{__version__} (a tag, so that every run installs the same code)",
                key="--install",
            )
        return cls(kind="git", requirement=f"llmops-infra[azure] @ {spec}")

    @classmethod
    def _index(cls, url: str) -> ToolInstall:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc:
            raise ConfigError(f"index:{url!r}: the index URL must be https://", key="--install")
        if parts.username or parts.password:
            raise ConfigError(
                "index: the URL carries credentials: never put them in a pipeline file. "
                "Give the bare URL and let the pipeline authenticate (e.g. PipAuthenticate@1, or a secret "
                "PIP_INDEX_URL)",
                key="--install",
            )
        return cls(kind="index", requirement=f"llmops-infra[azure]=={__version__}", index_url=url)

    @classmethod
    def _wheel(cls, location: str) -> ToolInstall:
        if location.startswith("https://"):
            if not location.endswith(".whl"):
                raise ConfigError(f"wheel:{location!r}: the URL must end in .whl", key="--install")
            return cls(kind="wheel", requirement=f"llmops-infra[azure] @ {location}")
        path = PurePosixPath(location)
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._/+-]*\.whl", location) or "//" in location or ".." in path.parts:
            raise ConfigError(
                f"wheel:{location!r}: give a path inside the repository ending in .whl, of letters, digits and "
                f"._/+- (e.g. ci/{wheel_name()}), or an https URL",
                key="--install",
            )
        return cls(kind="wheel", requirement=f"./{path}[azure]")


@dataclass(frozen=True)
class DeployTarget:
    """One environment the main-branch pipeline deploys."""

    name: str
    source: str | None = None
    """The environment whose tested release this one receives (`promote SOURCE NAME`); None: `up`."""
    requires_approval: bool = False
    runs_on: tuple[str, ...] = (HOSTED_RUNNER,)
    """GitHub: the runner labels (`self-hosted` first for runners in the VNet)."""
    pool: str | None = None
    """Azure DevOps: the agent pool name (e.g. a Managed DevOps Pool in the VNet); None: Microsoft-hosted."""
    timeout_minutes: int = 120
    private_cluster: bool = False
    passphrase: bool = True
    """The state's secrets provider is `passphrase`: the job gets PULUMI_CONFIG_PASSPHRASE."""
    pulumi_cloud: bool = False
    """The backend is Pulumi Cloud: the job gets PULUMI_ACCESS_TOKEN."""
    service_connection: str | None = None
    """Azure DevOps workload-identity service connection; default llmops-<name>."""
    github_environment: str | None = None
    """GitHub deployment environment (identity.pipeline.github.environment); default the environment's name."""
    bootstrap_env: tuple[str, ...] = ()
    """Variables the bootstrap between the stacks reads (key_vault.secrets_from_env, registry.import_credentials):
    the deploy step gets each from the CI environment's secret of the same name."""

    @property
    def ci_environment(self) -> str:
        return self.github_environment or self.name

    @property
    def self_hosted(self) -> bool:
        return self.runs_on[0] == "self-hosted" if self.runs_on else False


@dataclass(frozen=True)
class PipelineOptions:
    provider: Provider
    targets: tuple[DeployTarget, ...]
    install: ToolInstall = field(default_factory=ToolInstall.default)
    python_version: str = "3.11"
    pulumi_version: str = PULUMI_CLI_VERSION
    kubelogin_version: str = KUBELOGIN_VERSION
    artifacts: str = DEFAULT_ARTIFACTS
    approval_timeout_minutes: int = 1440
    approvers: str = ""
    """Azure DevOps: who is notified of and may act on the manual validation (comma-separated)."""

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ConfigError(
                f"unknown pipeline provider {self.provider!r}: use one of {', '.join(PROVIDERS)}", key="--provider"
            )
        check_value(self.artifacts, "--artifacts", self.provider)
        check_value(self.approvers, "--approvers", self.provider)
        if not re.fullmatch(r"3\.\d{1,2}", self.python_version):
            raise ConfigError(f"{self.python_version!r}: give a version like 3.11", key="--python")
        for key, version in (
            ("--pulumi-version", self.pulumi_version),
            ("--kubelogin-version", self.kubelogin_version),
        ):
            if not re.fullmatch(r"\d+\.\d+\.\d+", version):
                raise ConfigError(f"{version!r}: give an exact version like 1.2.3 (no range)", key=key)
        if not 1 <= self.approval_timeout_minutes <= APPROVAL_LIMIT_MINUTES:
            raise ConfigError(
                f"{self.approval_timeout_minutes}: between 1 and {APPROVAL_LIMIT_MINUTES} minutes "
                "(an approval waits at most 30 days)",
                key="--approval-timeout",
            )
        if not self.targets:
            raise ConfigError("no environment to deploy: add environments/<env>.yaml", key="environments")
        names = [t.name for t in self.targets]
        for target in self.targets:
            self._check_target(target, names)

    def _check_target(self, target: DeployTarget, names: list[str]) -> None:
        where = f"environments/{target.name}.yaml"
        if not re.fullmatch(r"[a-z][a-z0-9]{1,9}", target.name):
            raise ConfigError(f"{target.name!r}: lowercase letters and digits, 2-10", file=where, key="name")
        if target.source is not None and target.source not in names:
            raise ConfigError(
                f"{target.source!r} is not an environment the pipeline deploys", file=where, key="promotion.source"
            )
        for label in target.runs_on:
            check_value(label, f"{where}: ci.runs_on", self.provider)
            if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", label):
                raise ConfigError(
                    f"label {label!r}: letters, digits, '.', '_' and '-' only", file=where, key="ci.runs_on"
                )
        for key, value in (
            ("identity.pipeline.github.environment", target.github_environment),
            ("ci.pool", target.pool),
            ("identity.pipeline.azure_devops.service_connection", target.service_connection),
        ):
            if value is not None:
                check_value(value, f"{where}: {key}", self.provider)
                if not value.strip():
                    raise ConfigError("is empty", file=where, key=key)
        if target.private_cluster and not self._self_hosted(target):
            fix = (
                "set ci.runners.kind: azure-devops (a Managed DevOps Pool in the VNet) or name an agent pool that "
                "reaches it (ci.pool)"
                if self.provider == "azure-devops"
                else "provision runners in the VNet (ci.runners) or name runners that reach it (ci.runs_on)"
            )
            raise ConfigError(
                "the cluster is private (cluster.private_cluster) but the deploy job would run on hosted runners, "
                f"which cannot reach its API server: {fix}",
                file=where,
                key="ci.runners",
            )
        limit = self.job_limit(target)
        if not 1 <= target.timeout_minutes <= (limit or 10**6):
            runner = "self-hosted" if self._self_hosted(target) else "hosted"
            raise ConfigError(
                f"{target.timeout_minutes} exceeds what a {runner} runner allows ({limit} minutes): lower it, "
                "or run the job on runners in the VNet (ci.runners)",
                file=where,
                key="ci.timeout_minutes",
            )

    def _self_hosted(self, target: DeployTarget) -> bool:
        return target.pool is not None if self.provider == "azure-devops" else target.self_hosted

    def job_limit(self, target: DeployTarget) -> int:
        """The longest a deploy job may run on the target's runners (0: no limit)."""
        if self._self_hosted(target):
            return SELF_HOSTED_JOB_LIMIT_MINUTES[self.provider]
        return HOSTED_JOB_LIMIT_MINUTES

    def service_connection(self, target: DeployTarget) -> str:
        return target.service_connection or f"llmops-{target.name}"
