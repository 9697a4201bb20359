"""Artifact store in Azure Blob Storage: `azblob://<account>/<container>[/prefix]`.

Signs in with azure-identity's DefaultAzureCredential (workload identity in CI, the Azure CLI
on a laptop): the pipeline principal needs "Storage Blob Data Contributor" on the container.
Needs the `azure` extra: `pip install llmops-infra[azure]`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops_infra.errors import ConfigError
from llmops_infra.release.artifacts.base import ArtifactNotFound, ArtifactStoreError, split_url

if TYPE_CHECKING:  # an optional extra: imported where the store is opened
    from azure.storage.blob import ContainerClient


class AzureBlobArtifactStore:
    """Blobs in one container, under an optional prefix."""

    def __init__(self, container: ContainerClient, prefix: str = "", url: str | None = None) -> None:
        self.container = container
        self.prefix = prefix.strip("/")
        self.url = url or f"azblob://{container.account_name}/{container.container_name}" + (
            f"/{self.prefix}" if self.prefix else ""
        )

    @classmethod
    def from_url(cls, url: str) -> AzureBlobArtifactStore:
        account, rest = split_url(url, "azblob://", "storage account")
        container_name, _, prefix = rest.partition("/")
        if not container_name:
            raise ConfigError(
                f"artifact store {url!r} names no container: use azblob://<account>/<container>[/prefix]",
                key="--artifacts",
            )
        try:
            from azure.storage.blob import ContainerClient
        except ImportError:
            raise ConfigError(
                "the Azure Blob artifact store needs azure-storage-blob: pip install 'llmops-infra[azure]'",
                key="--artifacts",
            ) from None
        from llmops_infra.release.artifacts.credentials import azure_credential

        # one token up front: no credential is one line at once, not the chain's report on every retry
        credential = azure_credential(f"the artifact store {url}")
        container = ContainerClient(f"https://{account}.blob.core.windows.net", container_name, credential=credential)
        return cls(container, prefix, url=url)

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        from azure.core.exceptions import AzureError

        try:
            self.container.upload_blob(self._name(key), data, overwrite=True)
        except AzureError as exc:
            raise ArtifactStoreError(f"cannot write {key} to {self.url}: {_reason(exc)}") from None

    def get(self, key: str) -> bytes:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        try:
            return self.container.download_blob(self._name(key)).readall()
        except ResourceNotFoundError:
            raise ArtifactNotFound(key, self.url) from None
        except AzureError as exc:
            raise ArtifactStoreError(f"cannot read {key} from {self.url}: {_reason(exc)}") from None

    def list(self, prefix: str) -> list[str]:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        start = len(self.prefix) + 1 if self.prefix else 0
        try:
            names = [b.name for b in self.container.list_blobs(name_starts_with=self._name(prefix))]
        except ResourceNotFoundError:
            return []
        except AzureError as exc:
            raise ArtifactStoreError(f"cannot list {self.url}: {_reason(exc)}") from None
        return sorted(name[start:] for name in names)


def _reason(exc: Exception) -> str:
    """The first line of an Azure error: never the request headers (they may carry tokens)."""
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
