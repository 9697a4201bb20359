"""The wheel of the running llmops-infra, for pipelines to install (the package is not on PyPI).

`pipeline generate` and `init` write it into the estate repository (ci/), and the generated
pipelines install exactly that file: the version that wrote the pipelines, installable
without any index. Where it comes from, in order:

1. `LLMOPS_WHEEL`: a wheel file you built or downloaded;
2. the wheel this installation was installed from, when pip recorded it (direct_url.json);
3. the source tree of an editable or local-directory install, built with
   `pip wheel --no-deps --no-build-isolation` (needs setuptools and wheel; a few seconds,
   cached under ~/.cache/llmops-infra/wheels by a digest of the sources).

Otherwise the error says how to choose another install spec (`--install`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import distributions
from pathlib import Path
from urllib.parse import unquote, urlsplit

from llmops_infra import __version__
from llmops_infra.delivery.pipeline_options import wheel_name
from llmops_infra.errors import ConfigError

SKIP_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".llmops", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
FIX = (
    "choose another install spec with --install: a git URL with a tag (git+https://host/org/llmops-infra@v"
    f"{__version__}), a package index (index:https://host/simple/) or a wheel URL; or point LLMOPS_WHEEL at a wheel "
    f"of llmops-infra {__version__}"
)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmops-infra" / "wheels"


def _installed_from() -> tuple[str, Path] | None:
    """("wheel", file) or ("source", directory) as pip recorded the installation; None if unknown."""
    # The first distribution with an install record: an egg-info in the working directory
    # (a source checkout) comes first on sys.path but records nothing.
    raws = [d.read_text("direct_url.json") for d in distributions(name="llmops-infra")]
    raw = next((r for r in raws if r), None)
    if raw is None:
        return None
    record = json.loads(raw)
    parts = urlsplit(record.get("url", ""))
    if parts.scheme != "file":
        return None
    path = Path(unquote(parts.path))
    if "dir_info" in record and (path / "pyproject.toml").is_file():
        return "source", path
    if path.suffix == ".whl" and path.is_file():
        return "wheel", path
    return None


def _source_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".whl")):
                continue
            path = Path(dirpath) / name
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _build(source: Path) -> Path:
    cached = _cache_dir() / _source_digest(source) / wheel_name()
    if cached.is_file():
        return cached
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp, str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        built = Path(tmp) / wheel_name()
        if result.returncode != 0 or not built.is_file():
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise ConfigError(
                f"could not build the wheel of llmops-infra from {source} ({' / '.join(tail) or 'no output'}): "
                f"install setuptools and wheel, or {FIX}",
                key="--install",
            )
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, cached)
    return cached


def locate_wheel() -> Path:
    """A wheel file of this llmops-infra version."""
    explicit = os.environ.get("LLMOPS_WHEEL")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file() or path.name != wheel_name():
            raise ConfigError(
                f"LLMOPS_WHEEL={explicit} is not a file named {wheel_name()}: point it at the wheel of this version",
                key="LLMOPS_WHEEL",
            )
        return path
    origin = _installed_from()
    if origin is None:
        raise ConfigError(
            f"cannot find a wheel of the installed llmops-infra {__version__} to vendor: {FIX}", key="--install"
        )
    kind, path = origin
    if kind == "wheel":
        if path.name != wheel_name():
            raise ConfigError(
                f"llmops-infra was installed from {path.name}, not {wheel_name()}: {FIX}", key="--install"
            )
        return path
    return _build(path)


def vendor_wheel(repository: Path, relative: str) -> Path:
    """Copy the wheel to `repository`/`relative` (unchanged when the same file is there)."""
    source = locate_wheel()
    target = Path(repository) / relative
    if target.is_file() and not target.is_symlink() and target.read_bytes() == source.read_bytes():
        return target
    from llmops_infra.files import write_atomic

    return write_atomic(target, source.read_bytes(), root=Path(repository), key="--output")
