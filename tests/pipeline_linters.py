"""The two linters every generated pipeline must pass: check-jsonschema and actionlint.

check-jsonschema (a test dependency) validates with its vendored schemas: GitHub workflows
(`vendor.github-workflows`) and Azure Pipelines (`vendor.azure-pipelines`, which needs
`--regex-variant nonunicode`). actionlint is a Go program: `.ci/run` builds it with
`go install` into a cache outside the repository (scripts/install-actionlint.sh); where it is
missing the tests that need it are skipped and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ACTIONLINT_VERSION = "v1.7.12"
"""proxy.golang.org/github.com/rhysd/actionlint/@v/v1.7.12.info: 2026-03-30, the latest tag on the
Go module proxy on 2026-12-01 (`go list -m -versions github.com/rhysd/actionlint`)."""


def actionlint_path() -> Path | None:
    found = shutil.which("actionlint")
    if found:
        return Path(found)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    cached = Path(base) / "llmops-infra" / "tools" / "actionlint" / ACTIONLINT_VERSION / "bin" / "actionlint"
    return cached if cached.is_file() else None


def require_actionlint() -> Path:
    path = actionlint_path()
    if path is None:
        reason = (
            f"actionlint {ACTIONLINT_VERSION} not found on PATH nor in ~/.cache/llmops-infra/tools: "
            "run scripts/install-actionlint.sh (needs Go; .ci/run does it where Go exists)"
        )
        print(f"SKIP: {reason}", file=sys.stderr)
        pytest.skip(reason)
    return path


def check_jsonschema(files: list[Path], provider: str) -> subprocess.CompletedProcess[str]:
    """Validate `files` with the vendored schema of `provider`; the completed process."""
    args = [sys.executable, "-m", "check_jsonschema"]
    if provider == "github":
        args += ["--builtin-schema", "vendor.github-workflows"]
    else:
        args += ["--builtin-schema", "vendor.azure-pipelines", "--regex-variant", "nonunicode"]
    return subprocess.run([*args, *map(str, files)], capture_output=True, text=True, check=False)


def assert_schema_valid(files: list[Path], provider: str) -> None:
    result = check_jsonschema(files, provider)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def assert_actionlint_clean(repo: Path) -> None:
    """actionlint over `repo`'s workflows (with its .github/actionlint.yaml), shellcheck included when installed."""
    binary = require_actionlint()
    if not (repo / ".git").exists():
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = subprocess.run([str(binary), "-no-color"], cwd=repo, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
