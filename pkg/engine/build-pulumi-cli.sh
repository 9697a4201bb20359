#!/usr/bin/env bash
# Build the Pulumi CLI (the deployment engine) and a Python language host from
# the Go module proxy, and install them into a cache outside the repository.
#
#   scripts/build-pulumi-cli.sh            # prints the bin directory as the last stdout line
#   export PATH="$(scripts/build-pulumi-cli.sh | tail -n1):$PATH"
#
# Environment:
#   PULUMI_VERSION         version wanted (default: the installed Python SDK's, e.g. 3.272.0)
#   PULUMI_ENGINE_VERSION  build exactly this github.com/pulumi/pulumi/pkg/v3 release instead of
#                          searching downwards from PULUMI_VERSION for one the proxy serves
#   LLMOPS_PULUMI_HOME     install root (default ${XDG_CACHE_HOME:-$HOME/.cache}/llmops-infra/pulumi/v<PULUMI_VERSION>)
#   PYTHON                 interpreter used to read the SDK version (default python3)
#   PULUMI_BUILD_FORCE=1   rebuild even if the installed binaries already match
#
# See docs/engine-build.md for why the engine may be older than the Python SDK and
# why the language host is generated here rather than fetched.
set -euo pipefail

log() { printf '[build-pulumi-cli] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH"
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON is not on PATH"

# The Python SDK has no pulumi.__version__; read the distribution metadata.
requested=${PULUMI_VERSION:-}
if [[ -z "$requested" ]]; then
  requested=$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("pulumi"))') ||
    die "cannot read the installed pulumi Python SDK version; set PULUMI_VERSION"
fi
requested=${requested#v}
[[ "$requested" =~ ^3\.[0-9]+\.[0-9]+$ ]] || die "unsupported version '$requested' (want 3.x.y)"

home=${LLMOPS_PULUMI_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/llmops-infra/pulumi/v$requested}
bin=$home/bin
info_file=$bin/BUILD-INFO
# Any change to this script (e.g. to the generated language host) invalidates the cached build.
recipe=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)

export GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off
export PULUMI_SKIP_UPDATE_CHECK=true

# Prints "v<version>" as reported by the installed binaries, or nothing.
installed_cli_version() { "$bin/pulumi" version 2>/dev/null | head -n1 || true; }
installed_host_version() { "$bin/pulumi-language-python" -version 2>/dev/null | head -n1 || true; }

# One build at a time per install root; a second caller waits, then finds the cache up to date.
mkdir -p "$home"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$home/.build.lock"
  flock 9
fi

# --- idempotency: nothing to do when the cache already holds a matching build ----------------------
if [[ "${PULUMI_BUILD_FORCE:-0}" != 1 && -f "$info_file" && -x "$bin/pulumi" && -x "$bin/pulumi-language-python" &&
      -x "$bin/pulumi-language-python-exec" ]]; then
  engine=$(sed -n 's/^engine_version=//p' "$info_file")
  host=$(sed -n 's/^language_host_version=//p' "$info_file")
  if [[ -n "$engine" && "$(sed -n 's/^recipe=//p' "$info_file")" == "$recipe" && ( -z "${PULUMI_ENGINE_VERSION:-}" || "${PULUMI_ENGINE_VERSION#v}" == "$engine" ) &&
        "$(installed_cli_version)" == "v$engine" && "$(installed_host_version)" == "v$host" ]]; then
    log "up to date: pulumi v$engine, pulumi-language-python v$host in $bin"
    printf '%s\n' "$bin"
    exit 0
  fi
fi

start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/llmops-pulumi-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Prints the JSON field $2 of `go mod download -json $1`, or fails (the error goes to stderr).
mod_download() {
  local out
  out=$(go mod download -json "$1" 2>/dev/null) || true
  "$PYTHON" - "$1" "$2" "$out" <<'PY'
import json, sys
mod, field, raw = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    d = json.loads(raw) if raw.strip() else {}
except ValueError:
    d = {"Error": raw.strip()}
if d.get("Error") or not d.get(field):
    print(f"[build-pulumi-cli]   {mod}: {d.get('Error', 'not available')}".splitlines()[0], file=sys.stderr)
    sys.exit(1)
print(d[field])
PY
}

# --- pick the engine release -------------------------------------------------------------------------
# pkg/v3 and sdk/v3 must be the same release (pkg's own go.mod replaces sdk with ../sdk).
pick_engine() {
  local v=$1 minor patch tries=0
  minor=$(cut -d. -f2 <<<"$v"); patch=$(cut -d. -f3 <<<"$v")
  while (( tries < 40 && minor >= 0 )); do
    v=3.$minor.$patch
    if pkg_gomod=$(mod_download "github.com/pulumi/pulumi/pkg/v3@v$v" GoMod) &&
       mod_download "github.com/pulumi/pulumi/sdk/v3@v$v" Dir >/dev/null; then
      engine=$v
      return 0
    fi
    if [[ -n "${PULUMI_ENGINE_VERSION:-}" ]]; then return 1; fi
    minor=$((minor - 1)); patch=0; tries=$((tries + 1))
  done
  return 1
}
engine=""
pkg_gomod=""
if [[ -n "${PULUMI_ENGINE_VERSION:-}" ]]; then
  log "engine version pinned by PULUMI_ENGINE_VERSION=${PULUMI_ENGINE_VERSION#v}"
  pick_engine "${PULUMI_ENGINE_VERSION#v}" || die "github.com/pulumi/pulumi/{pkg,sdk}/v3@v${PULUMI_ENGINE_VERSION#v} not available"
else
  log "looking for github.com/pulumi/pulumi/pkg/v3 v$requested (or the newest older release the proxy serves)"
  pick_engine "$requested" || die "no github.com/pulumi/pulumi/pkg/v3 release <= v$requested is available from the module proxy"
fi
if [[ "$engine" != "$requested" ]]; then
  log "WARNING: pkg/v3@v$requested is not served by the module proxy; building the engine from v$engine"
fi

# The upstream Python language host is a separate module
# (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) that the module proxy does not
# serve, so a minimal host is generated below (same gRPC protocol, upstream python/toolchain package).

# --- wrapper module ------------------------------------------------------------------------------------
cd "$work"
go_version=$(go env GOVERSION); go_version=${go_version#go}
cat > go.mod <<EOF
module llmops.local/pulumi-build

go ${go_version%.*}
EOF
go mod edit -require="github.com/pulumi/pulumi/pkg/v3@v$engine" -require="github.com/pulumi/pulumi/sdk/v3@v$engine"
# Repeat pkg/v3's own replace directives, except the ones pointing at paths inside its repository.
replaces=$(go mod edit -json "$pkg_gomod" | "$PYTHON" -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    new = r["New"]
    if not new.get("Version"):
        continue  # filesystem replacement (e.g. sdk/v3 => ../sdk)
    old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
    print(old + "=" + new["Path"] + "@" + new["Version"])
')
for r in $replaces; do
  log "replace ${r/=/ => }"
  go mod edit -replace="$r"
done

cat > tools.go <<'EOF'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF
mkdir -p langhost
cat > langhost/main.go <<'EOF'
// pulumi-language-python, generated by llmops-infra's scripts/build-pulumi-cli.sh.
//
// A minimal Python language host for the Pulumi engine, used because the upstream host module
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is not available from the
// Go module proxy. It speaks the LanguageRuntime gRPC protocol and resolves the interpreter with
// the upstream toolchain package (github.com/pulumi/pulumi/sdk/v3/python/toolchain), so the
// runtime options `toolchain` and `virtualenv` mean what they mean upstream. Programs run through
// the upstream pulumi-language-python-exec shim, which must sit next to this binary.
//
// Differences from upstream: no resource-plugin discovery from installed packages (offline
// project), no typechecker/debugger support, no code generation, and plugins such as policy
// packs may use the ambient interpreter (upstream forces a `venv` virtualenv for them).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Exit code used by pulumi-language-python-exec after it already showed the user an error.
const exitAfterUserMessage = 32

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	tracing := flag.String("tracing", "", "emit tracing to a Zipkin-compatible endpoint")
	executor := flag.String("use-executor", "", "path of pulumi-language-python-exec (default: next to this binary)")
	// Accepted for compatibility with what the engine may pass; unused.
	flag.String("virtualenv", "", "[obsolete]")
	flag.String("root", "", "[obsolete]")
	flag.String("typechecker", "", "[obsolete]")
	flag.String("toolchain", "", "[obsolete]")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Version)
		return
	}

	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-python", "pulumi-language-python", *tracing)

	execPath := *executor
	if execPath == "" {
		self, err := os.Executable()
		if err != nil {
			cmdutil.Exit(fmt.Errorf("could not determine current executable: %w", err))
		}
		execPath = filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")
	}
	if _, err := os.Stat(execPath); err != nil {
		cmdutil.Exit(fmt.Errorf("missing executor %s: %w", execPath, err))
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(cancel)
	}()

	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	h := &host{exec: execPath, engineAddress: engineAddress, tracing: *tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	exec          string
	engineAddress string
	tracing       string
}

// options turns the runtime options of Pulumi.yaml / PulumiPolicy.yaml into toolchain options.
func options(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if info == nil {
		return opts, nil
	}
	opts.Root, opts.ProgramDir = info.RootDirectory, info.ProgramDirectory
	raw := map[string]interface{}{}
	if info.Options != nil {
		raw = info.Options.AsMap()
	}
	if v, ok := raw["virtualenv"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("virtualenv option must be a string")
		}
		opts.Virtualenv = s
	}
	if v, ok := raw["toolchain"]; ok {
		switch v {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "uv":
			opts.Toolchain = toolchain.Uv
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		default:
			return opts, fmt.Errorf("unsupported toolchain option: %v", v)
		}
	}
	if v, ok := raw["typechecker"]; ok && v != "" {
		return opts, fmt.Errorf("typechecker option %v is not supported by this language host build", v)
	}
	return opts, nil
}

func (h *host) Handshake(ctx context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.EngineAddress != "" {
		h.engineAddress = req.EngineAddress
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// Resource plugins are not discovered from installed Python packages: the project runs
// offline, so provider plugins have to be installed explicitly anyway.
func (h *host) GetRequiredPlugins(ctx context.Context,
	req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(ctx context.Context,
	req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	opts, err := options(req.Info)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	// -u: unbuffered output, so the engine sees program output as it happens.
	args := []string{"-u", h.exec}
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("project", req.GetProject())
	if req.Info != nil {
		add("root_directory", req.Info.RootDirectory)
	}
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	add("organization", req.GetOrganization())
	entry := "."
	if req.Info != nil && req.Info.EntryPoint != "" {
		entry = req.Info.EntryPoint
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	if cfg := req.GetConfig(); cfg != nil {
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		env = append(env, "PULUMI_CONFIG="+string(b))
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	b, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
	}
	cmd.Env = append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(b))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	logging.V(5).Infof("language host launching: %v", cmd.Args)

	if err := cmd.Run(); err != nil {
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				switch ws.ExitStatus() {
				case exitAfterUserMessage:
					return &pulumirpc.RunResponse{Bail: true}, nil
				case 0:
					return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exitErr)}, nil
				default:
					return &pulumirpc.RunResponse{
						Error: fmt.Sprintf("program exited with non-zero exit code: %d", ws.ExitStatus()),
					}, nil
				}
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exitErr)}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a Python plugin directory (e.g. a policy pack) as `python -u <dir> <args...>`,
// i.e. its __main__.py. Without a `virtualenv` runtime option the ambient interpreter
// (PULUMI_PYTHON_CMD, else python3, else python on PATH) is used.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	opts, err := options(req.Info)
	if err != nil {
		return err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	if err := tc.ValidateVenv(server.Context()); err != nil {
		return err
	}
	dir := "."
	if req.Info != nil && req.Info.ProgramDirectory != "" {
		dir = req.Info.ProgramDirectory
	}
	// -u is required: plugins announce their gRPC port on stdout without flushing it
	// (pulumi_policy does), and a pipe would otherwise keep it buffered forever.
	cmd, err := tc.Command(server.Context(), append([]string{"-u", dir}, req.Args...)...)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	cmd.Dir = req.Pwd
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, req.Env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				return server.Send(&pulumirpc.RunPluginResponse{
					Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(ws.ExitStatus())}, //nolint:gosec
				})
			}
			return fmt.Errorf("plugin exited unexpectedly: %w", exitErr)
		}
		return fmt.Errorf("problem executing plugin program: %w", err)
	}
	return closer.Close()
}

// InstallDependencies installs requirements.txt with the configured toolchain (this needs
// package-index access unless everything is already installed). With neither a virtualenv
// nor a requirements.txt there is nothing to do.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	opts, err := options(req.Info)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()
	dir := opts.ProgramDir
	if dir == "" {
		dir = req.Directory //nolint:staticcheck // older engines only set Directory
	}
	if opts.Toolchain == toolchain.Pip && opts.Virtualenv == "" {
		if _, err := os.Stat(filepath.Join(dir, "requirements.txt")); err != nil {
			fmt.Fprintln(stdout, "No virtualenv and no requirements.txt: nothing to install.")
			return closer.Close()
		}
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	if err := tc.InstallDependencies(server.Context(), dir, req.UseLanguageVersionTools,
		true, stdout, stderr); err != nil {
		return err
	}
	return closer.Close()
}

func (h *host) RuntimeOptionsPrompts(ctx context.Context,
	req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	var info *pulumirpc.ProgramInfo
	if req != nil {
		info = req.Info
	}
	opts, err := options(info)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	about, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: about.PythonExecutable, Version: about.PythonVersion.String()}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context,
	req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	opts, err := options(req.Info)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.TransitiveDependencies)
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, len(pkgs))
	for i, p := range pkgs {
		deps[i] = &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}
EOF

log "resolving dependencies (go mod tidy)"
go mod tidy >"$work/tidy.log" 2>&1 || { cat "$work/tidy.log" >&2; die "go mod tidy failed"; }

ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$engine"
mkdir -p out
log "building github.com/pulumi/pulumi/pkg/v3/cmd/pulumi v$engine (slow on a cold build cache)"
go build -trimpath -ldflags "$ldflags" -o out/pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
log "building pulumi-language-python (generated host, v$engine)"
go build -trimpath -ldflags "$ldflags" -o out/pulumi-language-python ./langhost >&2

# --- shims shipped next to the binaries in the upstream CLI distribution ------------------------------
# The exec shim drives the Python SDK, so take it from the SDK release that is installed (the requested
# version), falling back to the engine's release.
shim_src=""
for v in "$requested" "$engine"; do
  if dir=$(mod_download "github.com/pulumi/pulumi/sdk/v3@v$v" Dir 2>/dev/null) &&
     [[ -f "$dir/python/cmd/pulumi-language-python-exec" ]]; then
    shim_src=$dir/python
    shim_version=$v
    break
  fi
done
[[ -n "$shim_src" ]] || die "pulumi-language-python-exec not found in github.com/pulumi/pulumi/sdk/v3@v$requested or v$engine"

# --- install -------------------------------------------------------------------------------------------
# Install by rename so that running processes and concurrent readers never see a partial file.
mkdir -p "$bin"
put() { install -m 0755 "$1" "$bin/.$2.new" && mv -f "$bin/.$2.new" "$bin/$2"; }
put out/pulumi pulumi
put out/pulumi-language-python pulumi-language-python
put "$shim_src/cmd/pulumi-language-python-exec" pulumi-language-python-exec
shims="pulumi-language-python-exec"
for f in "$shim_src"/dist/pulumi-*; do
  [[ -f "$f" && "$f" != *.cmd ]] || continue
  put "$f" "$(basename "$f")"
  shims="$shims $(basename "$f")"
done
if [[ ! -e "$bin/pulumi-analyzer-policy-python" ]]; then
  log "note: sdk v$shim_version ships no pulumi-analyzer-policy-python (legacy); Python policy packs run through the language host"
fi

cat > "$info_file.new" <<EOF
requested_version=$requested
recipe=$recipe
engine_version=$engine
language_host=generated (upstream module not served by the proxy)
language_host_version=$engine
shims_from_sdk=$shim_version
shims=$shims
go=$(go env GOVERSION)
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$(( $(date +%s) - start ))
EOF
mv -f "$info_file.new" "$info_file"

[[ "$(installed_cli_version)" == "v$engine" ]] || die "installed pulumi reports '$(installed_cli_version)', expected v$engine"
[[ "$(installed_host_version)" == "v$engine" ]] || die "installed pulumi-language-python reports '$(installed_host_version)', expected v$engine"
log "installed pulumi v$engine + pulumi-language-python (generated) + {$shims} into $bin in $(( $(date +%s) - start ))s"
printf '%s\n' "$bin"
