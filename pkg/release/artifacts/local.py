"""The default store: a directory in the project."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.release.artifacts.base import ArtifactNotFound, ArtifactStoreError


class LocalArtifactStore:
    """A directory; writes are atomic (temporary file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.url = str(self.root)

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise ArtifactStoreError(f"invalid artifact key {key!r} for {self.url}")
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes) -> None:
        from llmops_infra.errors import ConfigError
        from llmops_infra.files import write_atomic

        path = self._path(key)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data, root=self.root)
        except (OSError, ConfigError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise ArtifactStoreError(f"cannot write {key} to {self.url}: {reason}") from None

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ArtifactNotFound(key, self.url) from None
        except OSError as exc:
            raise ArtifactStoreError(f"cannot read {key} from {self.url}: {exc.strerror}") from None

    def list(self, prefix: str) -> list[str]:
        if not self.root.is_dir():
            return []
        keys = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix) and not _temporary(k.rsplit("/", 1)[-1]))


def _temporary(name: str) -> bool:
    """A write in flight (`files.write_atomic`: `.<name>.<hex>.tmp`), or one of the older `.tmp-…`."""
    return name.startswith(".tmp-") or (name.startswith(".") and name.endswith(".tmp"))
