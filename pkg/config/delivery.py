"""Config of how CI deploys an environment: where its jobs run, for how long, and the runners in the VNet."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from llmops_infra.config.common import SecretName, Strict, VmSize

RunnerLabel = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,100}$")]
ImageRef = Annotated[str, StringConstraints(pattern=r"^[a-z0-9._-]+(/[a-z0-9._-]+)*@sha256:[0-9a-f]{64}$")]


class GitHubRunners(Strict):
    """Self-hosted GitHub Actions runners: Azure Container Apps jobs started by KEDA's github-runner scaler."""

    image: ImageRef = Field(
        description="Runner image in the estate's registry, pinned by digest (repository@sha256:...): an image "
        "whose entrypoint registers an ephemeral runner from GITHUB_PAT and REGISTRATION_TOKEN_API_URL, e.g. the "
        "one Microsoft's tutorial builds (docs/pipelines.md, 'Runner image')."
    )
    token_secret: SecretName = Field(
        description="Name of the Key Vault secret holding a fine-grained token of the repository (Actions: read, "
        "Administration: read and write): the scaler reads the job queue with it and each runner registers with "
        "it. The token never appears in YAML or in the stack; the job reads it from the vault."
    )
    cpu: float = Field(2.0, ge=0.25, le=4.0, description="vCPUs of one runner (Container Apps consumption: up to 4).")
    memory_gi: float = Field(4.0, ge=0.5, le=8.0, description="Memory of one runner in GiB (2 GiB per vCPU).")

    @model_validator(mode="after")
    def _ratio(self) -> GitHubRunners:
        if abs(self.memory_gi - 2 * self.cpu) > 1e-9:
            raise ValueError(
                f"memory_gi ({self.memory_gi}) must be twice cpu ({self.cpu}): Container Apps consumption pairs "
                "0.5 GiB with each 0.25 vCPU"
            )
        return self


class AzureDevOpsRunners(Strict):
    """Azure DevOps agents from a Managed DevOps Pool injected into the VNet."""

    vm_size: VmSize = Field("Standard_D2ads_v5", description="VM size of each agent.")
    image: Literal["ubuntu-22.04/latest", "ubuntu-22.04"] = Field(
        "ubuntu-22.04/latest", description="Well-known Azure Pipelines image the agents run."
    )


class RunnerConfig(Strict):
    enabled: bool = Field(
        False,
        description="Provision CI runners in the VNet subnet network.subnets.ci_runners, with their own identity "
        "(pull from the registry, read the runner token; nothing else). Needed to deploy a private cluster.",
    )
    kind: Literal["github", "azure-devops"] = Field("github", description="The CI system the runners serve.")
    max_runners: int = Field(4, ge=1, le=20, description="Most runners at once (Container Apps executions, pool size).")
    timeout_minutes: int = Field(
        240, ge=30, le=1440, description="Longest a runner lives (it is removed after one job in any case)."
    )
    github: GitHubRunners | None = Field(None, description="kind github: the runner image and token.")
    azure_devops: AzureDevOpsRunners = Field(
        default_factory=AzureDevOpsRunners, description="kind azure-devops: the pool's VM size and image."
    )

    @model_validator(mode="after")
    def _kind(self) -> RunnerConfig:
        if self.enabled and self.kind == "github" and self.github is None:
            raise ValueError(
                "runners of kind github need github.image (the runner image, by digest) and github.token_secret"
            )
        return self


class CiConfig(Strict):
    """Where the deploy jobs of this environment run."""

    runners: RunnerConfig = Field(default_factory=RunnerConfig, description="Runners inside the VNet.")
    runs_on: list[RunnerLabel] = Field(
        default_factory=list,
        description="GitHub: runner labels of the deploy job. Default: self-hosted and llmops-<env> with runners, "
        "else ubuntu-latest.",
    )
    pool: str | None = Field(
        None,
        pattern=r"^[^\x00-\x1f$]{1,128}$",
        description="Azure DevOps: agent pool of the deploy job. Default: the Managed DevOps Pool with runners, "
        "else Microsoft-hosted ubuntu-latest.",
    )
    timeout_minutes: int = Field(
        120,
        ge=1,
        le=7200,
        description="Deploy job timeout. Hosted runners stop at 360 minutes; self-hosted GitHub runners at 5 days.",
    )

    def github_runs_on(self, environment: str) -> list[str]:
        if self.runs_on:
            return list(self.runs_on)
        if self.runners.enabled and self.runners.kind == "github":
            return ["self-hosted", f"llmops-{environment}"]
        return ["ubuntu-latest"]

    def azure_devops_pool(self, pool_name: str) -> str | None:
        if self.pool:
            return self.pool
        if self.runners.enabled and self.runners.kind == "azure-devops":
            return pool_name
        return None
