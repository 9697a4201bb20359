#!/usr/bin/env bash
# Build actionlint (the GitHub Actions workflow linter the pipeline tests run) with `go install`
# from the Go module proxy into a cache outside the repository, and print its path.
#
#   scripts/install-actionlint.sh         # last stdout line: the actionlint binary
#
# ACTIONLINT_VERSION v1.7.12: the newest tag on proxy.golang.org on 2026-12-01
# (proxy.golang.org/github.com/rhysd/actionlint/@v/v1.7.12.info, released 2026-03-30).
# Keep it equal to ACTIONLINT_VERSION in tests/pipeline_linters.py.
set -euo pipefail

version=${ACTIONLINT_VERSION:-v1.7.12}
command -v go >/dev/null 2>&1 || { echo "[install-actionlint] error: go is not on PATH" >&2; exit 1; }
bin=${XDG_CACHE_HOME:-$HOME/.cache}/llmops-infra/tools/actionlint/$version/bin
if [[ ! -x "$bin/actionlint" ]]; then
  mkdir -p "$bin"
  GOBIN=$bin go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi
echo "$bin/actionlint"
