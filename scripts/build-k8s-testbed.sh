#!/usr/bin/env bash
# Build the Kubernetes test bed from the Go module proxy and install it into a cache outside the
# repository: kube-apiserver and kube-controller-manager, the pulumi-resource-kubernetes provider
# (labelled with the installed pulumi-kubernetes SDK version and linked into a PULUMI_HOME plugin
# directory), the CRDs the estate's custom resources need and the GPU operator's Helm chart.
#
#   scripts/build-k8s-testbed.sh            # prints the install root as the last stdout line
#
# Environment:
#   PYTHON                   interpreter whose pulumi-kubernetes SDK version labels the provider (default python3)
#   LLMOPS_K8S_HOME          install root (default ${XDG_CACHE_HOME:-$HOME/.cache}/llmops-infra/k8s/<pinned versions>)
#   K8S_TESTBED_BUILD_FORCE=1  rebuild everything even if the cache matches
#
# Pins: scripts/k8s-testbed/versions.env and the wrapper modules next to it (go.mod, go.sum).
# Each artifact is keyed on the hash of the files that define it (its "recipe"), recorded in
# <root>/BUILD-INFO: a matching artifact is kept, a changed recipe rebuilds only what it feeds.
# Builds run one at a time under `nice` (peak memory ~5 GB each). Only the binaries are cached
# (~440 MB stripped), not the Go build cache (~7 GB). See docs/k8s-testbed.md.
set -euo pipefail

log() { printf '[build-k8s-testbed] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
recipes=$here/k8s-testbed
command -v go >/dev/null 2>&1 || die "go is not on PATH"
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON is not on PATH"
# The script changes directory: keep a relative interpreter path (a venv's, not resolved) usable.
if [[ "$PYTHON" == */* ]]; then PYTHON=$(realpath -s "$PYTHON"); fi

# shellcheck source=k8s-testbed/versions.env
source "$recipes/versions.env"
provider_module=github.com/pulumi/pulumi-kubernetes/provider/v4
provider_version=$(awk -v m="$provider_module" '$1 == "require" && $2 == m {print $3}' "$recipes/provider/go.mod")
[[ -n "$provider_version" ]] || die "no 'require $provider_module' line in $recipes/provider/go.mod"
provider_commit=${provider_version##*-}

# The engine asks for the kubernetes plugin at the Python SDK's version (pulumi-plugin.json).
sdk_version=$("$PYTHON" -c '
import json, importlib.resources as r
print(json.loads(r.files("pulumi_kubernetes").joinpath("pulumi-plugin.json").read_text())["version"])') ||
  die "cannot read the installed pulumi-kubernetes SDK version with $PYTHON (pip install -e '.[test]' first)"
[[ "$sdk_version" =~ ^4\.[0-9]+\.[0-9]+$ ]] || die "unexpected pulumi-kubernetes SDK version '$sdk_version'"

root=${LLMOPS_K8S_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/llmops-infra/k8s/kube-v$KUBE_VERSION-provider-$provider_commit}
bin=$root/bin
info=$root/BUILD-INFO

hash_of() { cat "$@" | sha256sum | cut -c1-16; }
kube_recipe=$(hash_of "$recipes/versions.env" "$recipes"/controlplane/{go.mod,go.sum,tools.go})
provider_recipe=$(hash_of "$recipes/versions.env" "$recipes"/provider/{go.mod,go.sum,tools.go,gen_embed.py})-sdk$sdk_version
assets_recipe=$(hash_of "$recipes/versions.env" "$here/build-k8s-testbed.sh")

export GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local GOWORK=off

mkdir -p "$bin"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$root/.build.lock"
  flock 9
fi

recorded() { [[ -f "$info" ]] && sed -n "s/^$1=//p" "$info" | tail -n1; }
record() { # record KEY VALUE: replace or append one line of BUILD-INFO
  touch "$info"
  grep -v "^$1=" "$info" >"$info.new" || true
  printf '%s=%s\n' "$1" "$2" >>"$info.new"
  mv -f "$info.new" "$info"
}
fresh() { [[ "${K8S_TESTBED_BUILD_FORCE:-0}" != 1 && "$(recorded "$1")" == "$2" ]]; }
put() { install -m 0755 "$1" "$bin/.$2.new" && mv -f "$bin/.$2.new" "$bin/$2"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/llmops-k8s-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
total_start=$(date +%s)

# --- kube-apiserver and kube-controller-manager ---------------------------------------------------
kube_ok() {
  [[ -x "$bin/kube-apiserver" && -x "$bin/kube-controller-manager" ]] &&
    [[ "$("$bin/kube-apiserver" --version 2>/dev/null)" == "Kubernetes v$KUBE_VERSION" ]] &&
    [[ "$("$bin/kube-controller-manager" --version 2>/dev/null)" == "Kubernetes v$KUBE_VERSION" ]]
}
if fresh kube_recipe "$kube_recipe" && kube_ok; then
  log "up to date: kube-apiserver, kube-controller-manager v$KUBE_VERSION"
else
  cp -r "$recipes/controlplane" "$work/controlplane"
  cd "$work/controlplane"
  minor=$(cut -d. -f2 <<<"$KUBE_VERSION")
  # Without the version stamps the binaries report v0.0.0-master+$Format:%H$ and clients reject it.
  ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=$KUBE_BUILD_DATE"
  done
  log "downloading the control plane's modules"
  go mod download >&2
  for cmd in kube-apiserver kube-controller-manager; do
    start=$(date +%s)
    log "building $cmd v$KUBE_VERSION (4 min or more on a cold build cache)"
    nice -n 10 go build -trimpath -ldflags "$ldflags" -o "out/$cmd" "k8s.io/kubernetes/cmd/$cmd" >&2
    put "out/$cmd" "$cmd"
    record "${cmd//-/_}_build_seconds" "$(($(date +%s) - start))"
  done
  kube_ok || die "the built control plane does not report Kubernetes v$KUBE_VERSION"
  record kube_version "$KUBE_VERSION"
  record kube_recipe "$kube_recipe"
fi

# --- pulumi-resource-kubernetes ---------------------------------------------------------------------
plugin_dir=$root/pulumi-home/plugins/resource-kubernetes-v$sdk_version
if fresh provider_recipe "$provider_recipe" && [[ -x "$bin/pulumi-resource-kubernetes" ]]; then
  log "up to date: pulumi-resource-kubernetes ($provider_version, labelled v$sdk_version)"
else
  cp -r "$recipes/provider" "$work/provider"
  cd "$work/provider"
  log "downloading the provider's modules"
  go mod download >&2
  src=$(go list -m -f '{{.Dir}}' "$provider_module")/cmd/pulumi-resource-kubernetes
  # Fix 1: the module zip lacks the go:embed inputs made by `go generate`; make them here.
  mkdir -p cmd/pulumi-resource-kubernetes
  cp "$src/main.go" cmd/pulumi-resource-kubernetes/
  chmod u+w cmd/pulumi-resource-kubernetes/main.go
  "$PYTHON" gen_embed.py "$src" cmd/pulumi-resource-kubernetes "$sdk_version"
  # Fix 2 (the sdk/v3 and sdk/v4 pins) is in provider/go.mod.
  start=$(date +%s)
  log "building pulumi-resource-kubernetes $provider_version as v$sdk_version (6 min or more on a cold build cache)"
  nice -n 10 go build -trimpath \
    -ldflags "-s -w -X $provider_module/pkg/version.Version=$sdk_version" \
    -o out/pulumi-resource-kubernetes ./cmd/pulumi-resource-kubernetes >&2
  put out/pulumi-resource-kubernetes pulumi-resource-kubernetes
  record pulumi_resource_kubernetes_build_seconds "$(($(date +%s) - start))"
  record provider_module_version "$provider_version"
  record provider_label "$sdk_version"
  record provider_recipe "$provider_recipe"
fi
# The engine finds the plugin under the version it asks for; a symlink costs nothing (a copy 320 MB).
mkdir -p "$plugin_dir"
ln -sfn "$bin/pulumi-resource-kubernetes" "$plugin_dir/pulumi-resource-kubernetes"

# --- CRDs and the GPU operator chart ------------------------------------------------------------------
module_dir() { # module@version -> its directory in the module cache (downloaded if needed)
  local out
  out=$(go mod download -json "$1") || die "go mod download $1 failed"
  "$PYTHON" -c 'import json, sys; d = json.load(sys.stdin); print(d["Dir"]) if d.get("Dir") else sys.exit(d.get("Error", "no Dir"))' <<<"$out"
}
if fresh assets_recipe "$assets_recipe" && [[ -d "$root/crds" && -d "$root/charts/gpu-operator" ]]; then
  log "up to date: CRDs and the GPU operator chart"
else
  log "downloading the CRD and chart modules"
  stage=$work/assets
  mkdir -p "$stage/crds/keda" "$stage/crds/secrets-store-csi-driver" "$stage/crds/prometheus-operator" \
    "$stage/crds/azure-monitor-metrics" "$stage/charts"
  # -mod=readonly refers to the current module; these downloads are outside any module.
  cd "$work"
  keda=$(GOFLAGS=-mod=mod module_dir "$KEDA_MODULE")
  cp "$keda"/config/crd/bases/keda.sh_*.yaml "$stage/crds/keda/"
  sscsi=$(GOFLAGS=-mod=mod module_dir "$SECRETS_STORE_MODULE")
  cp "$sscsi"/config/crd/bases/secrets-store.csi.x-k8s.io_*.yaml "$stage/crds/secrets-store-csi-driver/"
  promop=$(GOFLAGS=-mod=mod module_dir "$PROMETHEUS_OPERATOR_MODULE")
  cp "$promop"/example/prometheus-operator-crd/monitoring.coreos.com_{podmonitors,servicemonitors}.yaml \
    "$stage/crds/prometheus-operator/"
  # Managed Prometheus (AKS metrics add-on) serves PodMonitor as azmonitoring.coreos.com/v1: "the same
  # custom resource definitions (CRD) as OSS Pod monitors ... except for a change in the group name"
  # (https://learn.microsoft.com/azure/azure-monitor/containers/prometheus-metrics-scrape-crd, checked
  # 2026-12-01). Its own copy (github.com/Azure/prometheus-collector) is not on the module proxy.
  az_crd=$stage/crds/azure-monitor-metrics/azmonitoring.coreos.com_podmonitors.yaml
  sed -e 's/^  name: podmonitors\.monitoring\.coreos\.com$/  name: podmonitors.azmonitoring.coreos.com/' \
    -e 's/^  group: monitoring\.coreos\.com$/  group: azmonitoring.coreos.com/' \
    "$promop/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml" >"$az_crd"
  [[ $(grep -c -e '^  name: podmonitors\.azmonitoring\.coreos\.com$' -e '^  group: azmonitoring\.coreos\.com$' "$az_crd") == 2 ]] ||
    die "could not derive the azmonitoring.coreos.com PodMonitor CRD (the prometheus-operator CRD's layout changed)"
  gpuop=$(GOFLAGS=-mod=mod module_dir "$GPU_OPERATOR_MODULE")
  cp -r "$gpuop/deployments/gpu-operator" "$stage/charts/gpu-operator"
  chmod -R u+w "$stage"
  rm -rf "$root/crds" "$root/charts"
  mv "$stage/crds" "$root/crds"
  mv "$stage/charts" "$root/charts"
  record crd_modules "$KEDA_MODULE $SECRETS_STORE_MODULE $PROMETHEUS_OPERATOR_MODULE"
  record gpu_operator_chart_module "$GPU_OPERATOR_MODULE"
  record assets_recipe "$assets_recipe"
fi

record go "$(go env GOVERSION)"
log "ready in $(($(date +%s) - total_start))s: $root"
printf '%s\n' "$root"
