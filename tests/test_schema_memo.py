"""SCHEMA-01's memo of the SDK's known properties: the same findings from it, rebuilt when not trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import replace_with_link
from test_policies_schema import DEPLOYMENT, GOOD_VAULT, NSG, VAULT

from llmops_infra.policies import schema_memo, sdk_types
from llmops_infra.policies.testing import violations


def _wrong_everywhere() -> list[tuple[str, dict[str, object]]]:
    vault = json.loads(json.dumps(GOOD_VAULT))
    vault["properties"]["networkAcls"]["defaultActon"] = "Deny"
    vault["properties"]["networkAcls"]["ipRules"][0]["vaule"] = "x"
    deployment = {
        "resourceGroupName": "rg",
        "workspaceName": "ws",
        "endpointName": "chat",
        "properties": {"endpoint_compute_type": "Managed", "instance_type": "Standard_DS3_v2"},
    }
    nsg = {"resourceGroupName": "rg", "securityRules": [{"name": "ssh", "destinationPortRnage": "22"}]}
    return [
        (VAULT, vault),
        (DEPLOYMENT, deployment),
        (NSG, nsg),
        (VAULT, GOOD_VAULT),
        ("azure-native:nosuch:Thing", {}),
    ]


def _findings() -> list[list[str]]:
    return [violations("SCHEMA-01", token, props) for token, props in _wrong_everywhere()]


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new process: nothing in memory."""
    monkeypatch.setattr(schema_memo, "_MEMO", {})


def _no_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("read the SDK although the memo has it")

    monkeypatch.setattr(sdk_types, "fields", refuse)
    monkeypatch.setattr(sdk_types, "resource_shape", refuse)


def test_the_findings_are_the_same_from_the_memo_without_the_sdk(monkeypatch):
    _forget(monkeypatch)
    first = _findings()
    assert sum(map(len, first)) == 5 and first[3] == first[4] == []
    schema_memo.save()
    stored = schema_memo.path()
    assert stored.is_file() and oct(stored.stat().st_mode & 0o777) == "0o600"
    _forget(monkeypatch)
    _no_sdk(monkeypatch)
    assert _findings() == first


def _spoil_dangling(where: Path) -> None:
    data = json.loads(where.read_text())
    next(iter(data["nodes"].values()))["i"] = "a node that is not there"
    where.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda where: where.write_text("not json"),
        lambda where: where.write_text(json.dumps({"digest": "another SDK", "tokens": {}, "nodes": {}})),
        _spoil_dangling,
        lambda where: where.chmod(0o666),
        replace_with_link,
    ],
    ids=["damaged", "another-sdk", "dangling", "writable-by-others", "a-link"],
)
def test_a_memo_that_is_not_trusted_or_does_not_read_back_is_rebuilt_from_the_sdk(monkeypatch, spoil):
    _forget(monkeypatch)
    first = _findings()
    schema_memo.save()
    where = schema_memo.path()
    spoil(where)
    _forget(monkeypatch)
    assert schema_memo.memo().tokens == {}  # not read
    assert _findings() == first


def test_an_input_type_the_sdk_does_not_have_is_not_judged(monkeypatch):
    _forget(monkeypatch)
    memo = schema_memo.memo()
    key = json.dumps([False, ["pulumi_azure_native.nosuch._inputs:GoneArgs"], None, None], separators=(",", ":"))
    memo.nodes[key] = {"f": False, "o": ["pulumi_azure_native.nosuch._inputs:GoneArgs"], "i": None, "v": None}
    memo.tokens[VAULT] = key
    assert violations("SCHEMA-01", VAULT, {"anything": 1, "at": {"all": 2}}) == []


def test_another_sdk_version_is_another_memo(monkeypatch):
    from importlib import metadata

    before = schema_memo.path()
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "0.0.1" if name == "pulumi-azure-native" else real(name))
    schema_memo._digest.cache_clear()
    try:
        assert schema_memo.path() != before
    finally:
        monkeypatch.setattr(metadata, "version", real)
        schema_memo._digest.cache_clear()
    assert schema_memo.path() == before


def test_off_by_variable(monkeypatch):
    monkeypatch.setenv(schema_memo.DISABLE_ENV, "1")
    _forget(monkeypatch)
    _findings()
    schema_memo.save()
    assert not schema_memo.path().exists()


def test_a_memo_whose_links_loop_is_walked_only_as_deep_as_the_value(monkeypatch):
    _forget(monkeypatch)
    memo = schema_memo.memo()
    key = "loop"
    memo.nodes[key] = {"f": False, "o": [], "i": key, "v": None}  # a list of lists of lists ...
    memo.tokens[VAULT] = key
    assert violations("SCHEMA-01", VAULT, {"x": 1}) == []
    assert violations("SCHEMA-01", VAULT, [[[{"a": 1}]]]) == []
