"""engine install: the release archive lands where the engine lookup finds it; the build script ships in the package."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files

import pytest

from llmops_infra.engine import install as engine_install
from llmops_infra.engine.pulumi_cli import cache_bin_dir, locate_engine
from llmops_infra.errors import EngineError

FAKE_CLI = '#!/bin/sh\nif [ "$1" = version ]; then echo v3.272.0; fi\n'


def archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in (("pulumi/pulumi", FAKE_CLI), ("pulumi/pulumi-language-python", FAKE_CLI)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def releases():
    payload = archive()
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args):
            pass

        def do_GET(self):
            seen.append(self.path)
            ok = self.path.endswith("-linux-x64.tar.gz") and "v3.272.0" in self.path
            self.send_response(200 if ok else 404)
            body = payload if ok else b"not found"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/releases/sdk", payload, seen
    server.shutdown()
    server.server_close()


def test_the_release_archive_is_installed_where_the_engine_lookup_finds_it(releases, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("LLMOPS_PULUMI_HOME", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no other pulumi
    monkeypatch.setattr(engine_install.platform, "system", lambda: "Linux")
    monkeypatch.setattr(engine_install.platform, "machine", lambda: "x86_64")
    base, payload, seen = releases
    bin_dir = engine_install.install_official("3.272.0", base_url=base, sha256=hashlib.sha256(payload).hexdigest())
    assert bin_dir == cache_bin_dir("3.272.0") and bin_dir.is_relative_to(tmp_path)
    assert seen == ["/releases/sdk/pulumi-v3.272.0-linux-x64.tar.gz"]
    monkeypatch.setattr("llmops_infra.engine.pulumi_cli.sdk_version", lambda: "3.272.0")
    found = locate_engine()
    assert found.cli == bin_dir / "pulumi" and found.version == "3.272.0" and found.source == "cache"
    assert found.language_host == bin_dir / "pulumi-language-python"


def test_a_wrong_checksum_or_version_installs_nothing(releases, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("LLMOPS_PULUMI_HOME", raising=False)
    monkeypatch.setattr(engine_install.platform, "system", lambda: "Linux")
    monkeypatch.setattr(engine_install.platform, "machine", lambda: "x86_64")
    base, _payload, _seen = releases
    with pytest.raises(EngineError, match="is not the expected"):
        engine_install.install_official("3.272.0", base_url=base, sha256="0" * 64)
    assert not (cache_bin_dir("3.272.0") / "pulumi").exists()
    with pytest.raises(EngineError, match="answered 404"):
        engine_install.install_official("3.1.0", base_url=base)


def test_the_build_script_ships_in_the_package():
    script = files("llmops_infra.engine").joinpath("build-pulumi-cli.sh")
    assert script.is_file()
    assert "pulumi-language-python" in script.read_text()
