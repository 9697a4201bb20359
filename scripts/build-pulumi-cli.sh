#!/usr/bin/env bash
# The build script ships inside the package (pkg/engine/build-pulumi-cli.sh), so that an
# installed llmops-infra can run it: `llmops-infra engine install --from source`. This wrapper
# keeps the repository's old path working (.ci/run, docs/engine-build.md).
exec bash "$(dirname "${BASH_SOURCE[0]}")/../pkg/engine/build-pulumi-cli.sh" "$@"
