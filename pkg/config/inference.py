"""Config of the inference services on the GPU cluster: the models, their weights and how they are served."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from llmops_infra.components.egress import ENTRA_ID_CIDRS
from llmops_infra.components.rules import check_bounds
from llmops_infra.config.common import DnsLabel, RegistryHost, Strict

CronExpression = Annotated[str, StringConstraints(pattern=r"^\S+( \S+){4}$")]
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,127}$")]
Digest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
Repository = Annotated[str, StringConstraints(pattern=r"^[a-z0-9._-]+(/[a-z0-9._-]+)*$")]
Tag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]


class ActiveHours(Strict):
    """A window in which KEDA keeps replicas running whatever the queue (a cron trigger)."""

    timezone: str = Field(
        "UTC", pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", description="IANA time zone, e.g. Europe/Paris."
    )
    start: CronExpression = Field(description="Cron expression (5 fields) opening the window, e.g. '0 8 * * 1-5'.")
    end: CronExpression = Field(description="Cron expression (5 fields) closing the window, e.g. '0 19 * * 1-5'.")
    replicas: int = Field(1, ge=1, le=100, description="Replicas kept during the window.")


class InferenceModel(Strict):
    name: DnsLabel = Field(description="Name of the inference service (Kubernetes namespace and objects).")
    model: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Hugging Face model id (org/name). Its weights are staged once into the model storage "
        "account (under <model>/<revision>/) and served from there: serving pods never reach the hub.",
    )
    revision: str = Field(
        pattern=r"^[0-9a-f]{40}$",
        description="The hub commit (40 hex characters) of the weights to serve: staging copies exactly this "
        "revision and skips the copy when its marker blob exists. Find it on the model's 'Files and versions' "
        "page or in the snapshot directory name of a local download.",
    )
    image: Repository = Field(
        "vllm/vllm-openai",
        description="Repository in the estate's registry (imported from upstream), without tag.",
    )
    image_digest: Digest = Field(description="Image digest; images are pinned by digest.")
    image_source: RegistryHost = Field(
        "docker.io",
        description="Public registry the bootstrap imports the image from (ACR importImage, by digest), e.g. "
        "docker.io, nvcr.io, ghcr.io. The pods pull the copy in the estate's registry, never from here.",
    )
    image_tag: Tag | None = Field(
        None,
        description="The upstream tag the digest was taken from (e.g. v0.28.0): the lifecycle catalog reads the "
        "image's CUDA requirement from it and checks it against the GPU driver. Pods still pull by digest.",
    )
    gpu_pool: str = Field(description="Name of the GPU pool the service runs on.")
    gpus_per_replica: int = Field(1, ge=1, le=8, description="GPUs per replica (tensor parallel size).")
    min_replicas: int = Field(
        1,
        ge=0,
        le=100,
        description="Autoscaler minimum. 0 lets KEDA scale the service to zero when nothing is queued "
        "(the PodDisruptionBudget then allows one disruption instead of holding a floor).",
    )
    max_replicas: int = Field(2, ge=1, le=100, description="Autoscaler maximum.")
    queue_threshold: int = Field(
        5,
        ge=1,
        le=1000,
        description="Waiting requests per replica (vllm:num_requests_waiting) above which KEDA adds a replica.",
    )
    active_hours: ActiveHours | None = Field(
        None,
        description="Keep replicas running in a weekly window. With min_replicas 0 this is what wakes the service: "
        "vLLM's queue metric has no series while no replica runs, so the queue alone never scales up from zero.",
    )
    max_model_len: int = Field(8192, ge=256, description="vLLM --max-model-len.")
    dtype: Literal["auto", "half", "bfloat16"] = Field(
        "auto",
        description="vLLM --dtype of weights and activations. T4 GPUs have no bfloat16: use half there.",
    )
    quantization: Literal["none", "awq", "awq_marlin", "gptq", "gptq_marlin", "fp8"] = Field(
        "none",
        description="vLLM --quantization; the model must be published in that format (e.g. an -AWQ repository), "
        "except fp8, which vLLM can apply on load. The *_marlin kernels are the fast ones on Ampere and newer "
        "(plain awq/gptq force the slower kernels).",
    )
    weights_gb: float = Field(
        gt=0,
        le=2000,
        description="Size of the weights in GPU memory, GB (after quantization): the sum of the checkpoint's "
        "safetensors files on the model card for a model served as published. Validation checks that "
        "weights_gb x 1.2 fits the GPU memory of gpus_per_replica GPUs of the pool's VM size; the pod's memory, "
        "its weights volume and its startup probe are sized from it.",
    )
    weights_disk_gb: float | None = Field(
        None,
        gt=0,
        le=4000,
        description="Size of the checkpoint files, GB, when it differs from weights_gb (e.g. a 16-bit checkpoint "
        "that vLLM quantizes to fp8 on load is twice weights_gb). Default: weights_gb.",
    )
    hub_token_secret: SecretName | None = Field(
        None,
        description="Name of the Key Vault secret with a model hub token (gated models). Only the weights staging "
        "job mounts it; serving pods never see it. Default: the model is downloaded without a token.",
    )

    @model_validator(mode="after")
    def _bounds(self) -> InferenceModel:
        check_bounds(self.min_replicas, self.max_replicas, "min_replicas", "max_replicas")
        if self.active_hours is not None:
            check_bounds(self.active_hours.replicas, self.max_replicas, "active_hours.replicas", "max_replicas")
        return self

    @property
    def checkpoint_gb(self) -> float:
        """Size of the files staged, copied into each pod and read at load."""
        return self.weights_disk_gb if self.weights_disk_gb is not None else self.weights_gb


class WeightsLoader(Strict):
    """The image that moves weights between the model hub, blob storage and the pods: the Azure CLI
    (`az login --federated-token` with workload identity, `az storage blob upload-batch/download-batch
    --auth-mode login`), which works with shared keys off on the account."""

    image: Repository = Field("azure-cli", description="Repository in the estate's registry, without tag.")
    image_digest: Digest = Field(description="Digest of the image in the estate's registry (imported by digest).")
    image_source: RegistryHost = Field(
        "mcr.microsoft.com", description="Registry the bootstrap imports the image from (ACR importImage, by digest)."
    )
    image_tag: Tag | None = Field(
        None, description="The upstream tag (mcr.microsoft.com/azure-cli:<tag>) the digest was taken from."
    )


class InferenceConfig(Strict):
    gateway_namespace: DnsLabel = Field("gateway", description="Namespace whose pods may call the inference services.")
    api_key_secret: SecretName = Field(
        "vllm-api-key",
        description="Name of the Key Vault secret holding the API key every vLLM server requires (--api-key, read "
        "from a file mounted by the secrets provider, never written in a manifest); the gateway presents it.",
    )
    weights_loader: WeightsLoader | None = Field(
        None,
        description="The image that stages weights into storage and copies them into each pod. Required when "
        "models are configured.",
    )
    entra_id_cidrs: list[str] = Field(
        default_factory=lambda: list(ENTRA_ID_CIDRS),
        min_length=1,
        description="IPv4 ranges of Microsoft Entra ID sign-in (Microsoft 365 endpoint set 56): the only public "
        "egress a serving pod gets (its weights loader exchanges a workload identity token there). Default: the "
        "ranges published on 2026-12-01; override when Microsoft changes them.",
    )
    models: list[InferenceModel] = Field(default_factory=list, description="Models served on the cluster.")

    @field_validator("entra_id_cidrs")
    @classmethod
    def _cidrs(cls, cidrs: list[str]) -> list[str]:
        for cidr in cidrs:
            try:
                network = ipaddress.IPv4Network(cidr)
            except ValueError as exc:
                raise ValueError(f"entra_id_cidrs: {cidr!r} is not an IPv4 CIDR ({exc})") from None
            if network.prefixlen < 8:
                raise ValueError(f"entra_id_cidrs: {cidr} is wider than /8: list Entra ID's ranges, not the internet")
        return cidrs

    def key_vault_secrets(self) -> list[str]:
        """The Key Vault secrets the inference workloads read (the bootstrap seeds them before the workload
        stack, which grants each to its reader): the API key, then each hub token once."""
        if not self.models:
            return []
        tokens = sorted({m.hub_token_secret for m in self.models if m.hub_token_secret})
        return [self.api_key_secret, *tokens]

    def pinned_images(self) -> list[str]:
        """`repository@digest` of every image the inference workloads pull from the estate's registry."""
        images = {f"{m.image}@{m.image_digest}" for m in self.models}
        if self.models and self.weights_loader is not None:
            images.add(f"{self.weights_loader.image}@{self.weights_loader.image_digest}")
        return sorted(images)

    @model_validator(mode="after")
    def _loader(self) -> InferenceConfig:
        if self.models and self.weights_loader is None:
            raise ValueError(
                "inference.models are configured but inference.weights_loader is not: pin the Azure CLI image "
                "(image, image_digest) that stages and copies the weights"
            )
        return self
