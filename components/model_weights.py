"""Model weights served from the estate's storage account: where they live, how the pod is sized
for them, and the pure Kubernetes specs that stage them once and copy them into each pod.

Plain functions of plain values (no Pulumi resources), like `inference_manifests`.

Layout in the models container: the files of hub model `org/name` at commit `rev` live under
`org/name/rev/`, and the blob `org/name/rev.staged` marks a complete copy. The staging job writes
the marker last and skips everything when it exists; a serving pod's init container refuses to
start without it. Both run the Azure CLI image with workload identity (Entra tokens: the
account accepts no shared key), so a serving pod reaches only the storage private endpoint and
Entra ID, never the hub.

Why an init container and not the blob CSI driver: with workload identity the driver fetches the
account key (Storage Account Contributor on the account) unless the preview token-only mount is
used, whose token expires after 24 hours (kubernetes-sigs/blob-csi-driver
docs/workload-identity-static-pv-mount.md, read 2026-12-01); the model account has shared keys
off. A copy into an emptyDir needs only Storage Blob Data Reader on the one container.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WEIGHTS_MOUNT = "/weights"
LOADER_SERVICE_ACCOUNT = "model-loader"
"""The staging job's service account in each model namespace; the platform stack federates it to the
weights-loader identity (`ModelLoaderAccess`)."""
AZURE_CONFIG_DIR = "/tmp/azure"
MARKER_SUFFIX = ".staged"

RUNTIME_OVERHEAD_GI = 4
"""Memory of vLLM's API server and engine core besides the weights (Python, tokenizer, CUDA context on the
host side): a vLLM pod loading a model showed about 4 GB resident with the page cache holding the rest
(vllm-project/vllm#3035)."""
WORKER_OVERHEAD_GI = 4
"""Per GPU worker process (tensor parallelism runs one per GPU), each with its own CUDA context and buffers."""
COMPILE_CACHES_GI = 10
"""torch.compile, Triton and vLLM caches on the model-cache volume: independent of the weights' size."""
DISK_READ_MB_S = 100
"""Conservative read and write rate of a node's disk: a 128 GiB Premium SSD OS disk (P10) is rated at 100 MB/s;
ephemeral OS disks and the blob download are faster. Loading time budgets assume this floor."""
STARTUP_BASE_S = 600
"""vLLM's start besides reading the weights: engine start, torch.compile and CUDA graph capture (minutes on a
large model), and the KV cache profile run."""
PROBE_PERIOD_S = 10
NODE_AND_IMAGE_MINUTES = 30
"""A new GPU node (scale-up, GPU operator driver install, device plugin) and the first pull of a ~10 GB image."""


@dataclass(frozen=True, kw_only=True)
class WeightsSizing:
    """What a replica needs for a checkpoint of `checkpoint_gb` served on `gpus` GPUs."""

    checkpoint_gb: float
    gpus: int

    def __post_init__(self) -> None:
        if self.checkpoint_gb <= 0:
            raise ValueError(f"checkpoint_gb ({self.checkpoint_gb}) must be positive: state the weights' size")
        if self.gpus < 1:
            raise ValueError(f"gpus ({self.gpus}) must be at least 1")

    @property
    def volume_gi(self) -> int:
        """The weights volume: the checkpoint (GB is smaller than GiB), 10 % slack, 2 GiB for config and tokenizer."""
        return math.ceil(self.checkpoint_gb * 1.1) + 2

    @property
    def memory_gi(self) -> int:
        """Memory request and limit: the checkpoint is read through the page cache, which the kernel charges to
        the container; sized so that a whole checkpoint fits beside the processes, without reclaim thrashing."""
        return math.ceil(self.checkpoint_gb) + RUNTIME_OVERHEAD_GI + WORKER_OVERHEAD_GI * self.gpus

    @property
    def ephemeral_storage_gi(self) -> int:
        """Node disk the pod's emptyDirs may fill (weights, compile caches, /tmp): what the scheduler must find."""
        return self.volume_gi + COMPILE_CACHES_GI + 2

    @property
    def load_seconds(self) -> int:
        return math.ceil(self.checkpoint_gb * 1000 / DISK_READ_MB_S)

    @property
    def startup_failure_threshold(self) -> int:
        """Startup probe failures allowed (every PROBE_PERIOD_S): the base start plus twice the load time."""
        return math.ceil((STARTUP_BASE_S + 2 * self.load_seconds) / PROBE_PERIOD_S)

    @property
    def ready_timeout_minutes(self) -> int:
        """How long `up` waits for a replica: node and image, the copy from storage, and the startup budget."""
        startup = self.startup_failure_threshold * PROBE_PERIOD_S
        return NODE_AND_IMAGE_MINUTES + math.ceil((self.load_seconds + startup) / 60)

    @property
    def staging_timeout_minutes(self) -> int:
        """The staging job: a node, the hub download and the upload, each at the floor rate, twice over."""
        return NODE_AND_IMAGE_MINUTES + math.ceil(4 * self.load_seconds / 60)


@dataclass(frozen=True, kw_only=True)
class WeightsLocation:
    """Where one model revision lives in the models container."""

    model: str
    """Hub id, org/name."""
    revision: str
    container: Any
    """Blob container name (a plain string or a Pulumi Output: it only appears as an env value)."""
    account_name: Any
    """Storage account name (a plain string or a Pulumi Output: it only appears as an env value)."""

    @property
    def prefix(self) -> str:
        return f"{self.model}/{self.revision}"

    @property
    def marker(self) -> str:
        return f"{self.prefix}{MARKER_SUFFIX}"

    @property
    def local_path(self) -> str:
        """Where a serving pod finds the files (`vllm serve` reads this directory)."""
        return f"{WEIGHTS_MOUNT}/{self.prefix}"

    def env(self) -> list[dict[str, Any]]:
        """What the loader scripts read: passed as values, so no config value is interpolated into a shell."""
        return [
            {"name": "STORAGE_ACCOUNT", "value": self.account_name},
            {"name": "CONTAINER", "value": self.container},
            {"name": "PREFIX", "value": self.prefix},
            {"name": "MARKER", "value": self.marker},
            {"name": "MODEL_ID", "value": self.model},
            {"name": "REVISION", "value": self.revision},
            {"name": "DEST", "value": WEIGHTS_MOUNT},
        ]


AZ_LOGIN = (
    'az login --service-principal --username "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" '
    '--federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --skip-subscription-discovery --output none\n'
)
"""Sign in as the pod's workload identity (the webhook sets these variables and projects the token). Without
--skip-subscription-discovery `az login` lists subscriptions at ARM (management.azure.com) and fails where
that is blocked (Azure/azure-cli#13285); with it and no --subscription it makes no ARM call and keeps a
tenant-level account, enough for data-plane commands (Azure/azure-cli#33181, in Azure CLI 2.90.0)."""
MARKER_EXISTS = (
    'staged="$(az storage blob exists --account-name "$STORAGE_ACCOUNT" --container-name "$CONTAINER" '
    '--name "$MARKER" --auth-mode login --query exists --output tsv)"\n'
)

FETCH_SCRIPT = (
    "set -eu\n"
    'if [ -f "$DEST/$PREFIX/.complete" ]; then echo "weights $PREFIX already copied"; exit 0; fi\n'
    + AZ_LOGIN
    + MARKER_EXISTS
    + 'if [ "$staged" != "true" ]; then\n'
    '  echo "weights $PREFIX are not staged in $CONTAINER (no $MARKER): the staging job has not completed" >&2\n'
    "  exit 1\n"
    "fi\n"
    'az storage blob download-batch --account-name "$STORAGE_ACCOUNT" --source "$CONTAINER" --destination "$DEST" '
    '--pattern "$PREFIX/*" --auth-mode login --max-connections 16 --overwrite true --output none\n'
    'touch "$DEST/$PREFIX/.complete"\n'
)
"""The serving pod's init container: copy one staged revision into the weights volume (once per pod)."""

CHECK_SCRIPT = (
    "set -eu\n"
    + AZ_LOGIN
    + MARKER_EXISTS
    + 'if [ "$staged" = "true" ]; then echo "weights $PREFIX are staged: nothing to do"; touch "$DEST/.skip"; fi\n'
)
"""Staging, step 1: look for the marker; a staged revision is left alone."""

DOWNLOAD_SCRIPT = (
    "import os, pathlib, shutil\n"
    "dest = pathlib.Path(os.environ['DEST'])\n"
    "if (dest / '.skip').exists():\n"
    "    raise SystemExit(0)\n"
    "from huggingface_hub import snapshot_download\n"
    "target = dest / os.environ['PREFIX']\n"
    "snapshot_download(repo_id=os.environ['MODEL_ID'], revision=os.environ['REVISION'], local_dir=target,\n"
    "                  allow_patterns=['*.safetensors', '*.json', '*.model', '*.txt', '*.tiktoken'])\n"
    "shutil.rmtree(target / '.cache', ignore_errors=True)\n"
    'print(f\'downloaded {os.environ["MODEL_ID"]}@{os.environ["REVISION"]}\')\n'
)
"""Staging, step 2 (the vLLM image, which ships huggingface_hub): the pinned revision's weights, config and
tokenizer files; the token, when there is one, is a file on the secrets-store mount (HF_TOKEN_PATH)."""

UPLOAD_SCRIPT = (
    "set -eu\n"
    'if [ -f "$DEST/.skip" ]; then exit 0; fi\n'
    + AZ_LOGIN
    + 'az storage blob upload-batch --account-name "$STORAGE_ACCOUNT" --destination "$CONTAINER" '
    '--destination-path "$PREFIX" --source "$DEST/$PREFIX" --auth-mode login --max-connections 16 '
    "--overwrite true --output none\n"
    'printf "%s\\n" "$REVISION" > "$DEST/marker"\n'
    'az storage blob upload --account-name "$STORAGE_ACCOUNT" --container-name "$CONTAINER" --name "$MARKER" '
    '--file "$DEST/marker" --auth-mode login --overwrite true --output none\n'
    'echo "staged $PREFIX"\n'
)
"""Staging, step 3: upload the files, then the marker (last, so a failed upload is retried in full)."""


NO_GPU = {"name": "NVIDIA_VISIBLE_DEVICES", "value": "void"}
"""The loader runs on GPU nodes without a GPU: `void` makes the NVIDIA runtime expose none to it (a CUDA image
sets `all`, which would show it every GPU of the node whatever the scheduler allotted)."""


def azure_cli_env() -> list[dict[str, str]]:
    """A writable config directory on /tmp (the root filesystem is read-only), no telemetry, an identity the
    image's Python can name (the pod runs as a UID without a passwd entry), and no GPU."""
    return [
        dict(NO_GPU),
        {"name": "AZURE_CONFIG_DIR", "value": AZURE_CONFIG_DIR},
        {"name": "AZURE_CORE_COLLECT_TELEMETRY", "value": "false"},
        {"name": "AZURE_CORE_ONLY_SHOW_ERRORS", "value": "true"},
        {"name": "HOME", "value": "/tmp"},
        {"name": "USER", "value": "loader"},
        {"name": "LOGNAME", "value": "loader"},
    ]


LOADER_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "1", "memory": "1Gi"},
    "limits": {"cpu": "2", "memory": "2Gi"},
}
"""The Azure CLI moving files with 16 connections: a few hundred MiB resident."""


def loader_container(
    *, name: str, image: Any, script: str, location: WeightsLocation, security: dict[str, Any]
) -> dict[str, Any]:
    """A container of the loader image running `script` with /tmp and the weights volume mounted."""
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c", script],
        "env": [*azure_cli_env(), *location.env()],
        "resources": LOADER_RESOURCES,
        "securityContext": security,
        "volumeMounts": [
            {"name": "weights", "mountPath": WEIGHTS_MOUNT},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
