"""tests/k8s_testbed.py: finding the build, certificates, start-up, and teardown without strays."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import k8s_api as kapi
import k8s_pki
import k8s_testbed as tb
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def test_a_missing_build_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMOPS_K8S_HOME", str(tmp_path / "nothing"))
    reason = tb.find_testbed()
    assert isinstance(reason, str)
    assert str(tmp_path / "nothing") in reason and "scripts/build-k8s-testbed.sh" in reason


def test_the_script_says_why_the_tier_is_skipped(tmp_path):
    """`.ci/run` prints this before the tests run (scripts/k8s-testbed.py check)."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "k8s-testbed.py"
    env = {**os.environ, "LLMOPS_K8S_HOME": str(tmp_path / "nothing")}
    run = subprocess.run([sys.executable, str(script), "check"], env=env, capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stdout.startswith(f"k8s tier skipped: no Kubernetes test bed in {tmp_path / 'nothing'}")
    usage = subprocess.run([sys.executable, str(script), "start"], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage: k8s-testbed.py check | up [DIR]" in usage.stderr


def test_a_stale_build_is_not_used(tmp_path, monkeypatch):
    (tmp_path / "BUILD-INFO").write_text("kube_recipe=0000\nprovider_recipe=0000\nassets_recipe=0000\n")
    monkeypatch.setenv("LLMOPS_K8S_HOME", str(tmp_path))
    reason = tb.find_testbed()
    assert isinstance(reason, str) and "out of date (kube, provider, assets)" in reason


def test_certificates_serve_loopback_and_authenticate_an_admin(tmp_path):
    pki = k8s_pki.write_pki(tmp_path)
    ca = x509.load_pem_x509_certificate(pki["ca.crt"].read_bytes())
    server = x509.load_pem_x509_certificate(pki["apiserver.crt"].read_bytes())
    admin = x509.load_pem_x509_certificate(pki["admin.crt"].read_bytes())
    server.verify_directly_issued_by(ca)
    admin.verify_directly_issued_by(ca)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert "kubernetes.default.svc" in sans.get_values_for_type(x509.DNSName)
    usage = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in pki.values())
    config = json.loads(k8s_pki.kubeconfig_text("https://127.0.0.1:1", pki))
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:1"


def test_free_ports_are_distinct_and_bindable():
    ports = tb.free_ports(4)
    assert len(set(ports)) == 4
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))


@pytest.mark.k8s
def test_the_session_control_plane_is_the_pinned_version_and_runs_controllers(k8s_testbed, k8s_client):
    version = kapi.api_request(k8s_client, "GET", "/version").body
    assert version["gitVersion"] == f"v{tb._versions()['KUBE_VERSION']}"
    assert kapi.api_request(k8s_client, "GET", "/api/v1/namespaces/kube-system/serviceaccounts/default").ok
    assert {"scaledobjects.keda.sh", "podmonitors.azmonitoring.coreos.com"} <= set(k8s_testbed.crd_names)


@pytest.mark.k8s
def test_stop_leaves_no_process_and_no_listener(tmp_path, k8s_testbed):
    bed = tb.Testbed(k8s_testbed.binaries, tmp_path)
    with bed:
        pids = bed.pids()
        assert set(pids) == {"etcd", "kube-apiserver", "kube-controller-manager"}
        assert all(tb.process_alive(p) for p in pids.values())
    assert not [name for name, pid in pids.items() if tb.process_alive(pid)]
    for port in bed.ports.values():
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.k8s
def test_a_component_that_fails_is_reported_with_its_log_and_the_rest_stopped(tmp_path, k8s_testbed):
    broken = tmp_path / "kube-apiserver"
    broken.write_text('#!/bin/sh\necho \'E0101 run.go:72] "command failed" err="simulated"\' >&2\nexit 1\n')
    broken.chmod(0o755)
    bed = tb.Testbed(dataclasses.replace(k8s_testbed.binaries, kube_apiserver=broken), tmp_path / "bed")
    with pytest.raises(tb.TestbedError, match=r"kube-apiserver exited with code 1:\n.*simulated"):
        bed.start()
    assert not [name for name, pid in bed.pids().items() if tb.process_alive(pid)]


def test_warnings_are_unquoted_and_numbers_sent_as_the_provider_sends_them():
    header = r'299 - "would violate PodSecurity \"restricted:latest\": privileged"'
    assert kapi._warning_text(header) == 'would violate PodSecurity "restricted:latest": privileged'
    assert kapi._warning_text("not a warning header") == "not a warning header"
    sent = kapi.as_sent({"port": 8000.0, "ratio": 0.5, "items": [1.0, "1.0"], "name": "x"})
    assert sent == {"port": 8000, "ratio": 0.5, "items": [1, "1.0"], "name": "x"}
    assert isinstance(sent["port"], int)
