"""SCHEMA-01: every property an azure-native resource sends is in its API (the installed SDK's input types)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.policies.schema import camel, closest
from llmops_infra.policies.sdk_types import args_class, fields, resource_shape
from llmops_infra.policies.testing import violations

REPO = Path(__file__).resolve().parent.parent
PROGRAM = REPO / "tests" / "fixtures" / "programs" / "untranslated_keys.py"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value unknown at preview
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
VAULT = "azure-native:keyvault:Vault"
NSG = "azure-native:network:NetworkSecurityGroup"
ACTION_GROUP = "azure-native:monitor:ActionGroup"

GOOD_VAULT = {
    "resourceGroupName": "rg",
    "tags": {"any-key": "tags are a free map"},
    "properties": {
        "tenantId": "t",
        "sku": {"family": "A", "name": "standard"},
        "networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24"}]},
    },
}


def test_the_sdk_names_wire_names_and_nested_types() -> None:
    vault = args_class(VAULT)
    assert vault is not None and {"properties", "resourceGroupName", "vaultName", "tags"} <= set(fields(vault))
    (properties,) = fields(vault)["properties"].objects
    assert "enablePurgeProtection" in fields(properties)
    # a union of input types: both variants' names
    deployment = resource_shape(DEPLOYMENT)
    assert deployment is not None
    union = fields(deployment.objects[0])["properties"].objects
    assert {c.__name__ for c in union} == {"KubernetesOnlineDeploymentArgs", "ManagedOnlineDeploymentArgs"}
    # where a nested type took the plain name, the resource's args are <Name>InitArgs
    group = args_class(ACTION_GROUP)
    assert group is not None and group.__name__ == "ActionGroupInitArgs" and "groupShortName" in fields(group)
    assert args_class("azure-native:nosuch:Thing") is None and args_class("kubernetes:core/v1:Pod") is None


def test_compliant_resources_pass() -> None:
    assert violations("SCHEMA-01", VAULT, GOOD_VAULT) == []
    deployment = {
        "resourceGroupName": "rg",
        "workspaceName": "ws",
        "endpointName": "chat",
        "properties": {"endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2", "appInsightsEnabled": True},
        "sku": {"name": "Default", "capacity": 1},
    }
    assert violations("SCHEMA-01", DEPLOYMENT, deployment) == []
    # other providers and unknown azure-native types are not judged
    assert violations("SCHEMA-01", "kubernetes:core/v1:Pod", {"spec": {"whatever": 1}}) == []
    assert violations("SCHEMA-01", "azure-native:nosuch:Thing", {"x": 1}) == []


def test_untranslated_snake_case_keys_are_named_with_their_wire_name() -> None:
    deployment = {
        "resourceGroupName": "rg",
        "workspaceName": "ws",
        "endpointName": "chat",
        "properties": {"endpoint_compute_type": "Managed", "instance_type": "Standard_DS3_v2"},
    }
    found = violations("SCHEMA-01", DEPLOYMENT, deployment)
    assert len(found) == 2
    assert any(
        "Property properties.instance_type is not in the API" in f and "properties.instanceType?" in f for f in found
    )
    assert all("snake_case key the SDK did not translate" in f for f in found)


def test_typos_at_any_depth_are_found_with_the_closest_name() -> None:
    vault = json.loads(json.dumps(GOOD_VAULT))
    vault["properties"]["networkAcls"]["defaultActon"] = "Deny"
    vault["properties"]["networkAcls"]["ipRules"][0]["vaule"] = "x"
    vault["enablePurgeProtection"] = True  # at the top: it belongs in properties
    found = violations("SCHEMA-01", VAULT, vault)
    assert any(
        "properties.networkAcls.defaultActon" in f and "properties.networkAcls.defaultAction?" in f for f in found
    )
    assert any("properties.networkAcls.ipRules[0].vaule" in f and "ipRules[0].value?" in f for f in found)
    assert any(f.startswith("Property enablePurgeProtection is not in the API") for f in found)
    nsg = {"resourceGroupName": "rg", "securityRules": [{"name": "ssh", "destinationPortRnage": "22"}]}
    (rule,) = violations("SCHEMA-01", NSG, nsg)
    assert "securityRules[0].destinationPortRnage" in rule and "destinationPortRange?" in rule


def test_values_unknown_at_preview_are_not_looked_into() -> None:
    vault = {"resourceGroupName": "rg", "properties": UNKNOWN, "tags": UNKNOWN}
    assert violations("SCHEMA-01", VAULT, vault) == []
    vault = {"resourceGroupName": "rg", "propertiez": UNKNOWN}  # an unknown value under a wrong key: the key is wrong
    (found,) = violations("SCHEMA-01", VAULT, vault)
    assert "Property propertiez" in found and "Did you mean properties?" in found


def test_closest_name() -> None:
    assert camel("app_insights_enabled") == "appInsightsEnabled"
    assert closest("instance_type", ["instanceType", "instanceCount"]) == "instanceType"
    assert closest("IPRules", ["ipRules", "bypass"]) == "ipRules"
    assert closest("zzz", ["ipRules"]) is None


def test_a_program_is_judged_and_each_finding_points_at_its_constructor() -> None:
    result = CliRunner().invoke(app, ["policy", "check", "--program", str(PROGRAM), "--format", "json"])
    assert result.exit_code == 1, result.output
    found = [v for v in json.loads(result.stdout)["violations"] if v["rule_id"] == "SCHEMA-01"]
    by_resource: dict[str, list[str]] = {}
    for v in found:
        by_resource.setdefault(v["resource_name"], []).append(v["message"])
    assert sorted(by_resource) == ["snake", "vault"]  # the typed deployment is fine
    assert len(by_resource["snake"]) == 3 and any("properties.instanceType?" in m for m in by_resource["snake"])
    lines = PROGRAM.read_text().splitlines()
    (vault,) = [v for v in found if v["resource_name"] == "vault"]
    assert vault["location"]["file"] == "tests/fixtures/programs/untranslated_keys.py"
    assert lines[vault["location"]["line"] - 1].startswith("keyvault.Vault(")


def test_the_shipped_estate_sends_only_known_properties(plans) -> None:
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.policy_check import policy_settings
    from llmops_infra.policies.runner import check_plan

    for env in ("dev", "staging", "prod"):
        result = check_plan(plans(env), policy_settings(load_environment(env, REPO)))
        assert [v.message for v in result.violations if v.rule_id == "SCHEMA-01"] == [], env


SHAPES = """
import sys
if sys.argv[1] == "lean":
    from llmops_infra.offline import lean_imports
    lean_imports.install()
from llmops_infra.policies.sdk_types import known, resource_shape

def tree(shape, depth=0):
    if shape is None or depth > 3:
        return None
    return {name: (inner.free, tree(inner.items, depth + 1), sorted(known(inner)))
            for name, inner in sorted(known(shape).items())}

for token in ("azure-native:network:VirtualNetwork", "azure-native:keyvault:Vault",
              "azure-native:containerservice:ManagedCluster"):
    print(token, tree(resource_shape(token)))
"""


def test_known_properties_are_the_same_when_the_sdk_classes_are_built_on_first_use() -> None:
    import subprocess
    import sys

    def shapes(mode: str) -> str:
        return subprocess.run([sys.executable, "-c", SHAPES, mode], capture_output=True, text=True, check=True).stdout

    lean = shapes("lean")
    assert lean == shapes("full")
    assert "addressPrefix" in lean and "enableRbacAuthorization" in lean
