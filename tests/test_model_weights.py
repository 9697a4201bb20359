"""Model weights from storage: sizing from the checkpoint, and the loader scripts run for real.

The scripts run under /bin/sh (and python3) against a fake `az` on PATH that keeps blobs in a
directory, so what they do in each state (not staged, staged, copied, a failed upload) is
measured, not assumed: the skip on an existing marker, the marker written last, the refusal to
serve unstaged weights, and a rerun after a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llmops_infra.components import model_weights as w

REVISION = "0123456789abcdef0123456789abcdef01234567"
LOCATION = w.WeightsLocation(model="org/model", revision=REVISION, container="models", account_name="stmodels1")

FAKE_AZ = textwrap.dedent(
    """\
    import fnmatch, json, os, shutil, sys
    from pathlib import Path

    args = sys.argv[1:]
    with open(os.environ["AZ_LOG"], "a") as log:
        log.write(json.dumps(args) + "\\n")

    def opt(name):
        return args[args.index(name) + 1]

    blobs = Path(os.environ["FAKE_BLOBS"])
    if args[0] == "login":
        token = Path(os.environ["AZURE_FEDERATED_TOKEN_FILE"]).read_text()
        # No ARM call: serving pods reach only Entra ID and the storage private endpoint.
        assert opt("--federated-token") == token and "--skip-subscription-discovery" in args
        sys.exit(0)
    assert args[:2] == ["storage", "blob"] and opt("--auth-mode") == "login", args
    verb = args[2]
    if verb == "exists":
        print("true" if (blobs / opt("--container-name") / opt("--name")).is_file() else "false")
    elif verb == "download-batch":
        root = blobs / opt("--source")
        for path in root.rglob("*"):
            name = path.relative_to(root).as_posix()
            if path.is_file() and fnmatch.fnmatchcase(name, opt("--pattern")):
                target = Path(opt("--destination")) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
    elif verb == "upload-batch":
        if os.environ.get("FAKE_FAIL_UPLOAD"):
            sys.exit("upload failed: connection reset")
        source = Path(opt("--source"))
        for path in source.rglob("*"):
            if path.is_file():
                target = blobs / opt("--destination") / opt("--destination-path") / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
    elif verb == "upload":
        target = blobs / opt("--container-name") / opt("--name")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(opt("--file"), target)
    else:
        sys.exit(f"unexpected az call {args}")
    """
)

FAKE_HUB = textwrap.dedent(
    """\
    import json, os
    from pathlib import Path

    def snapshot_download(repo_id, revision, local_dir, allow_patterns):
        Path(os.environ["HUB_LOG"]).write_text(json.dumps(
            {"repo_id": repo_id, "revision": revision, "allow_patterns": allow_patterns,
             "token_path": os.environ.get("HF_TOKEN_PATH")}))
        local = Path(local_dir)
        (local / ".cache" / "huggingface").mkdir(parents=True)
        (local / "config.json").write_text("{}")
        (local / "model-00001-of-00001.safetensors").write_bytes(b"weights")
    """
)


class Sandbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"
        self.dest = root / "weights"
        self.log = root / "az.log"
        bin_dir = root / "bin"
        for path in (self.blobs / "models", self.dest, bin_dir, root / "hub"):
            path.mkdir(parents=True)
        az = bin_dir / "az"
        az.write_text(f"#!{sys.executable}\n{FAKE_AZ}")
        az.chmod(0o755)
        (root / "hub" / "huggingface_hub.py").write_text(FAKE_HUB)
        token = root / "token"
        token.write_text("federated-token-value")
        self.env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "AZ_LOG": str(self.log),
            "FAKE_BLOBS": str(self.blobs),
            "AZURE_CLIENT_ID": "client",
            "AZURE_TENANT_ID": "tenant",
            "AZURE_FEDERATED_TOKEN_FILE": str(token),
            "HUB_LOG": str(root / "hub.log"),
            "PYTHONPATH": str(root / "hub"),
        }
        for entry in LOCATION.env():
            self.env[entry["name"]] = str(entry["value"])
        self.env["DEST"] = str(self.dest)

    def run(self, script: str, *, python: bool = False, **extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", script] if python else ["/bin/sh", "-c", script]
        return subprocess.run(command, env={**self.env, **extra}, capture_output=True, text=True, check=False)

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def stage(self) -> None:
        """What a completed staging leaves in the container."""
        files = self.blobs / "models" / LOCATION.prefix
        files.mkdir(parents=True)
        (files / "config.json").write_text("{}")
        (files / "model.safetensors").write_bytes(b"weights")
        (self.blobs / "models" / LOCATION.marker).write_text(REVISION)


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


def test_layout_of_a_revision_in_the_container() -> None:
    assert LOCATION.prefix == f"org/model/{REVISION}"
    assert LOCATION.marker == f"org/model/{REVISION}.staged"
    assert LOCATION.local_path == f"/weights/org/model/{REVISION}"
    env = {e["name"]: e["value"] for e in LOCATION.env()}
    assert env == {
        "STORAGE_ACCOUNT": "stmodels1",
        "CONTAINER": "models",
        "PREFIX": LOCATION.prefix,
        "MARKER": LOCATION.marker,
        "MODEL_ID": "org/model",
        "REVISION": REVISION,
        "DEST": "/weights",
    }


def test_sizing_follows_the_checkpoint() -> None:
    small, large = w.WeightsSizing(checkpoint_gb=7, gpus=1), w.WeightsSizing(checkpoint_gb=40, gpus=2)
    assert (small.volume_gi, small.memory_gi, small.ephemeral_storage_gi) == (10, 15, 22)
    assert (large.volume_gi, large.memory_gi, large.ephemeral_storage_gi) == (46, 52, 58)
    assert small.startup_failure_threshold == 74 and large.startup_failure_threshold == 140
    assert small.ready_timeout_minutes < large.ready_timeout_minutes
    assert large.ready_timeout_minutes * 60 >= large.load_seconds + large.startup_failure_threshold * 10
    with pytest.raises(ValueError, match="checkpoint_gb"):
        w.WeightsSizing(checkpoint_gb=0, gpus=1)


def test_a_pod_refuses_weights_that_are_not_staged(box: Sandbox) -> None:
    result = box.run(w.FETCH_SCRIPT)
    assert result.returncode == 1
    assert f"weights {LOCATION.prefix} are not staged in models" in result.stderr
    assert [c[2] for c in box.calls() if c[0] == "storage"] == ["exists"]  # no download attempted


def test_a_pod_copies_a_staged_revision_once(box: Sandbox) -> None:
    box.stage()
    first = box.run(w.FETCH_SCRIPT)
    assert first.returncode == 0, first.stderr
    local = box.dest / LOCATION.prefix
    assert (local / "model.safetensors").read_bytes() == b"weights" and (local / ".complete").exists()
    assert not (box.dest / LOCATION.marker).exists()  # the marker is not part of the revision's files
    calls = len(box.calls())
    again = box.run(w.FETCH_SCRIPT)  # the pod's sandbox restarted: the emptyDir survived
    assert again.returncode == 0 and "already copied" in again.stdout
    assert len(box.calls()) == calls  # no sign-in, no download


def test_staging_skips_a_staged_revision(box: Sandbox) -> None:
    box.stage()
    assert box.run(w.CHECK_SCRIPT).returncode == 0
    assert (box.dest / ".skip").exists()
    download = box.run(w.DOWNLOAD_SCRIPT, python=True)
    assert download.returncode == 0 and not (box.root / "hub.log").exists()
    before = len(box.calls())
    assert box.run(w.UPLOAD_SCRIPT).returncode == 0
    assert len(box.calls()) == before


def test_staging_copies_the_pinned_revision_and_writes_the_marker_last(box: Sandbox) -> None:
    assert box.run(w.CHECK_SCRIPT).returncode == 0 and not (box.dest / ".skip").exists()
    download = box.run(w.DOWNLOAD_SCRIPT, python=True, HF_TOKEN_PATH="/mnt/secrets-store/hub-token")
    assert download.returncode == 0, download.stderr
    hub = json.loads((box.root / "hub.log").read_text())
    assert (hub["repo_id"], hub["revision"]) == ("org/model", REVISION)
    assert "*.safetensors" in hub["allow_patterns"] and "*.bin" not in hub["allow_patterns"]
    assert hub["token_path"] == "/mnt/secrets-store/hub-token"
    assert not (box.dest / LOCATION.prefix / ".cache").exists()  # the hub's bookkeeping is not uploaded
    upload = box.run(w.UPLOAD_SCRIPT)
    assert upload.returncode == 0, upload.stderr
    verbs = [c[2] for c in box.calls() if c[0] == "storage"]
    assert verbs == ["exists", "upload-batch", "upload"]
    stored = box.blobs / "models"
    assert (stored / LOCATION.prefix / "model-00001-of-00001.safetensors").exists()
    assert (stored / LOCATION.marker).read_text().strip() == REVISION


def test_a_failed_upload_leaves_no_marker_and_a_rerun_completes(box: Sandbox) -> None:
    assert box.run(w.DOWNLOAD_SCRIPT, python=True).returncode == 0
    failed = box.run(w.UPLOAD_SCRIPT, FAKE_FAIL_UPLOAD="1")
    assert failed.returncode != 0
    assert not (box.blobs / "models" / LOCATION.marker).exists()
    assert box.run(w.FETCH_SCRIPT).returncode == 1  # serving pods still refuse the partial copy
    assert box.run(w.UPLOAD_SCRIPT).returncode == 0
    assert (box.blobs / "models" / LOCATION.marker).exists()
    assert box.run(w.FETCH_SCRIPT).returncode == 0


def test_loader_container_is_restricted_and_gpu_blind() -> None:
    security = {"readOnlyRootFilesystem": True}
    container = w.loader_container(name="x", image="img", script="true", location=LOCATION, security=security)
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["NVIDIA_VISIBLE_DEVICES"] == "void"
    assert env["AZURE_CONFIG_DIR"].startswith("/tmp/") and env["HOME"] == "/tmp"
    assert container["securityContext"] is security
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "2Gi"}
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/weights", "/tmp"}
