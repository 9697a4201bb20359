"""The estate diagram: components hold their resources; dependencies are arrows."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.render.graph import dot, mermaid
from llmops_infra.review.graph import EstateGraph, changed_graph

PLAN = {
    "environment": "dev",
    "resources": [
        {
            "urn": "urn:pulumi:dev::p::llmops:core:Foundation::foundation",
            "type": "llmops:core:Foundation",
            "name": "foundation",
            "custom": False,
            "parent": "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev",
            "dependencies": [],
            "props": {},
        },
        {
            "urn": "urn:pulumi:dev::p::llmops:core:Foundation$azure-native:resources:ResourceGroup::rg",
            "type": "azure-native:resources:ResourceGroup",
            "name": "rg",
            "custom": True,
            "parent": "urn:pulumi:dev::p::llmops:core:Foundation::foundation",
            "dependencies": [],
            "props": {"a": 1},
        },
        {
            "urn": "urn:pulumi:dev::p::azure-native:keyvault:Vault::kv",
            "type": "azure-native:keyvault:Vault",
            "name": 'kv "main"',
            "custom": True,
            "parent": None,
            "props": {},
            "dependencies": ["urn:pulumi:dev::p::llmops:core:Foundation$azure-native:resources:ResourceGroup::rg"],
        },
        {
            "urn": "urn:pulumi:dev::p::pulumi:providers:azure-native::default",
            "type": "pulumi:providers:azure-native",
            "name": "default",
            "custom": True,
            "parent": None,
            "dependencies": [],
            "props": {},
        },
    ],
}


def test_mermaid_nests_resources_in_components_and_draws_dependencies():
    graph = EstateGraph(PLAN)
    text = mermaid(graph)
    ids = graph.ids
    foundation = ids["urn:pulumi:dev::p::llmops:core:Foundation::foundation"]
    rg = ids["urn:pulumi:dev::p::llmops:core:Foundation$azure-native:resources:ResourceGroup::rg"]
    kv = ids["urn:pulumi:dev::p::azure-native:keyvault:Vault::kv"]
    assert text.startswith("flowchart LR\n")
    assert (
        f'subgraph {foundation}["foundation<br/>core:Foundation"]\n    {rg}["rg<br/>resources:ResourceGroup"]\n  end'
        in text
    )
    assert f"{kv} --> {rg}" in text
    assert "#quot;main#quot;" in text  # quotes escaped
    assert "providers" not in text  # providers are not drawn


def test_dot_output():
    text = dot(EstateGraph(PLAN))
    assert text.startswith("digraph estate {") and text.rstrip().endswith("}")
    assert "subgraph cluster_" in text and re.search(r"n\d+ -> n\d+;", text)
    assert 'label="kv \\"main\\"\\nkeyvault:Vault"' in text


def test_changed_graph_marks_only_what_changed():
    after = {**PLAN, "resources": [dict(r) for r in PLAN["resources"]]}
    after["resources"][1] = {**after["resources"][1], "props": {"a": 2}}
    after["resources"].append(
        {
            "urn": "urn:pulumi:dev::p::azure-native:storage:StorageAccount::st",
            "type": "azure-native:storage:StorageAccount",
            "name": "st",
            "custom": True,
            "parent": None,
            "dependencies": [],
            "props": {},
        }
    )
    graph = changed_graph(PLAN, after)
    assert sorted(graph.marks.values()) == ["added", "changed"]
    text = mermaid(graph)
    assert "kv" not in text  # unchanged resources are left out
    assert "classDef added" in text and "classDef changed" in text and "foundation" in text
    removed = changed_graph(after, PLAN)
    assert list(removed.marks.values()) == ["removed", "changed"] or sorted(removed.marks.values()) == [
        "changed",
        "removed",
    ]
    assert "st<br/>storage:StorageAccount" in mermaid(removed)


def test_graph_of_a_shipped_environment(plans):
    plan = plans("dev")
    graph = EstateGraph(plan.to_dict())
    customs = [r for r in plan.custom_resources() if not r.type.startswith("pulumi:providers:")]
    assert len(graph.resources) == len(customs)
    assert graph.edges, "the estate has wiring"
    vault = next(r.urn for r in customs if r.type == "azure-native:keyvault:Vault")
    assert vault in graph.ids
    result = CliRunner().invoke(app, ["graph", "dev", "--format", "dot"])
    assert result.exit_code == 0 and result.output.startswith("digraph estate {")


def test_graph_as_json_nodes_and_edges():
    graph = EstateGraph(PLAN)
    data = graph.to_dict()
    ids = {n["id"]: n for n in data["nodes"]}
    assert len(ids) == len(graph.ids)
    assert {n["kind"] for n in data["nodes"]} == {"component", "resource"}
    assert all(n["parent"] is None or ids[n["parent"]]["kind"] == "component" for n in data["nodes"])
    assert [(e["from"], e["to"]) for e in data["edges"]] == [(graph.ids[a], graph.ids[b]) for a, b in graph.edges]
    result = CliRunner().invoke(app, ["graph", "dev", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["environment"] == "dev"


def test_default_mermaid_of_a_shipped_environment_draws_its_components(plans):
    # too many resources for one diagram: the default format still draws something useful, not just a note
    plan = plans("dev")
    graph = EstateGraph(plan.to_dict())
    text = mermaid(graph)
    boxes = re.findall(r'^  n\d+\["(.+?)<br/>.*?<br/>(\d+) resource\(s\)"\]$', text, re.M)
    assert {name for name, _ in boxes} >= {"network", "cluster", "key_vault", "monitoring"}
    assert sum(int(count) for _, count in boxes) == len(graph.resources)
    assert re.search(r"^  n\d+ --> n\d+$", text, re.M)
    assert "components only" in text and "note[" not in text


def test_graph_draws_the_request_path_gateway_app_gateway_model(plans):
    """clients -> gateway (apps/<name>) -> app -> gateway (models/<name>) -> deployment: the app calls its models
    through the gateway, never the deployments directly."""
    plan = plans("dev")
    graph = EstateGraph(plan.to_dict())
    app_urn = next(r.urn for r in plan.of_type("azure-native:app:ContainerApp") if r.name == "app-chat-api-app")
    apis = {r.props["apiId"]: r.urn for r in plan.of_type("azure-native:apimanagement:Api")}
    backend = next(
        r.urn for r in plan.of_type("azure-native:apimanagement:Backend") if r.props["backendId"] == "app-chat-api"
    )
    assert (apis["app-chat-api"], app_urn) in graph.edges and (backend, app_urn) in graph.edges
    # the app -> the model APIs its config names (apps[0].models: chat, embeddings), no other, no deployment
    deployments = {r.urn: r.props["deploymentName"] for r in plan.of_type("azure-native:cognitiveservices:Deployment")}
    model_apis = {urn: api_id for api_id, urn in apis.items() if not api_id.startswith("app-")}
    assert {model_apis[b] for a, b in graph.edges if a == app_urn and b in model_apis} == {"chat", "embeddings"}
    assert not [b for a, b in graph.edges if a == app_urn and b in deployments]
    # each model API -> its deployment
    for name in ("chat", "embeddings"):
        assert {deployments[b] for a, b in graph.edges if a == apis[name] and b in deployments} == {name}
    data = graph.to_dict()
    assert {"from": graph.ids[apis["app-chat-api"]], "to": graph.ids[app_urn]} in data["edges"]
