"""Pod Security, for real: the pods of every workload template the estate makes are admitted.

A Deployment is admitted even when its pods would not be (the API server only warns); the pods
are refused later, when the controller manager's ReplicaSet controller creates them, and the
refusal is a `FailedCreate` event on the ReplicaSet. So each template is created in a namespace
labelled as the estate labels it (`pod-security.kubernetes.io/enforce: restricted` for the
inference services), and the test waits until the controller manager has created its pods.

Templates: the vLLM Deployment and the weights staging Job of every model of every shipped
environment (from the offline plans, i.e. exactly what the provider would send). The GPU node agents (device plugin and DCGM
exporter DaemonSets, `gpu_driver: aks`) mount kubelet paths from the host, which no Pod Security
level but `privileged` allows: they live in the `privileged` runtime namespace. A DaemonSet only
makes pods for nodes, so the test registers a Node object labelled like a GPU node (no kubelet
behind it) and shows that the DaemonSet controller gets their pods admitted at `privileged` and
refused at `baseline` and `restricted`. The GPU operator chart's workloads are checked in
tests/test_k8s_deploy.py, where Helm installs them.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import time

import k8s_api as kapi
import pytest

from llmops_infra.config.loader import load_environment
from llmops_infra.offline.planning import plan_config

pytestmark = pytest.mark.k8s

ENVIRONMENTS = ("dev", "staging", "prod")
ENFORCE = "pod-security.kubernetes.io/enforce"
POD_SETTLE_S = 30.0
HOSTNAME = "kubernetes.io/hostname"


def _plan(project_dir, env: str, gpu_driver: str = "operator"):
    config = load_environment(env, project_dir)
    config = config.model_copy(update={"cluster": config.cluster.model_copy(update={"gpu_driver": gpu_driver})})
    return plan_config(config)


def _objects(plan, kind: str) -> list[dict]:
    return [
        kapi.as_sent(r.props)
        for r in plan.custom_resources()
        if r.type.startswith("kubernetes:") and r.props.get("kind") == kind
    ]


def _in(manifest: dict, namespace: str) -> dict:
    return {**manifest, "metadata": {**manifest["metadata"], "namespace": namespace}}


def _create(client, manifest: dict) -> kapi.ApiResult:
    result = kapi.api_request(client, "POST", kapi.collection_path(client, manifest), manifest)
    assert result.ok, f"{manifest['kind']} {manifest['metadata'].get('name')}: {result.message}"
    return result


def _namespace(client, name: str, labels: dict[str, str]) -> None:
    _create(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})


def _delete_namespace(client, name: str) -> None:
    kapi.api_request(client, "DELETE", f"/api/v1/namespaces/{name}")


def _items(client, path: str) -> list[dict]:
    result = kapi.api_request(client, "GET", path)
    assert result.ok, result.message
    return result.body.get("items", [])


def _owned_by(items: list[dict], owner_uid: str) -> list[dict]:
    return [i for i in items if any(o.get("uid") == owner_uid for o in i["metadata"].get("ownerReferences", []))]


def _failed_creates(client, namespace: str, owners: set[str] | None = None) -> list[str]:
    """FailedCreate event messages in `namespace` (of the objects named `owners` only, if given)."""
    return [
        f"{e['involvedObject']['kind']} {e['involvedObject']['name']}: {e['message']}"
        for e in _items(client, f"/api/v1/namespaces/{namespace}/events")
        if e.get("reason") == "FailedCreate" and (owners is None or e["involvedObject"]["name"] in owners)
    ]


def _pods_of(client, namespace: str, kind: str, name: str, expected: int) -> tuple[list[dict], list[str]]:
    """Wait until the controllers made `expected` pods for the Deployment (through its ReplicaSets)
    or DaemonSet `name`, or a FailedCreate event appears; returns (pods, FailedCreate messages)."""
    group = f"/apis/{'batch' if kind == 'Job' else 'apps'}/v1/namespaces/{namespace}"
    deadline = time.monotonic() + POD_SETTLE_S
    while True:
        owner = kapi.api_request(client, "GET", f"{group}/{kind.lower()}s/{name}").body
        owners = [owner]
        if kind == "Deployment":
            owners = _owned_by(_items(client, f"{group}/replicasets"), owner["metadata"]["uid"])
        all_pods = _items(client, f"/api/v1/namespaces/{namespace}/pods")
        pods = [p for o in owners for p in _owned_by(all_pods, o["metadata"]["uid"])]
        failed = _failed_creates(client, namespace, {o["metadata"]["name"] for o in owners})
        if failed or (len(pods) >= expected and owners) or time.monotonic() > deadline:
            return pods, failed
        time.sleep(0.3)


def _deployment_templates(project_dir, kind: str = "Deployment") -> list[tuple[str, dict, dict, dict]]:
    """(env, namespace, service account, workload) of every inference service of every environment: its vLLM
    Deployment, or (`kind` Job) its weights staging Job, named `weights` (the provider auto-names it)."""
    found = []
    for env in ENVIRONMENTS:
        plan = _plan(project_dir, env)
        namespaces = {n["metadata"]["name"]: n for n in _objects(plan, "Namespace")}
        accounts = {(a["metadata"]["namespace"], a["metadata"]["name"]): a for a in _objects(plan, "ServiceAccount")}
        for manifest in _objects(plan, kind):
            workload = {**manifest, "metadata": {"name": "weights", **manifest["metadata"]}}
            ns = workload["metadata"]["namespace"]
            account = workload["spec"]["template"]["spec"]["serviceAccountName"]
            found.append((env, namespaces[ns], accounts[(ns, account)], workload))
    return found


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_every_inference_template_gets_its_pods_in_a_restricted_namespace(k8s_client, project_dir, kind):
    templates = _deployment_templates(project_dir, kind)
    assert {env for env, *_ in templates} == set(ENVIRONMENTS)
    problems = []
    for env, namespace, account, deployment in templates:
        labels = namespace["metadata"]["labels"]
        assert labels[ENFORCE] == "restricted", f"{env}: {namespace['metadata']['name']} is not restricted"
        name = f"psa-{kind.lower()}-{env}-{namespace['metadata']['name']}"
        _namespace(k8s_client, name, labels)  # the estate's own labels
        try:
            _create(k8s_client, _in(account, name))
            body = _in(deployment, name)
            replicas = max(1, body["spec"].get("replicas", 1))  # a template scaled to zero still has to admit
            if kind == "Deployment":
                body["spec"] = {**body["spec"], "replicas": replicas}
            created = _create(k8s_client, body)
            assert created.warnings == [], created.warnings  # no "would violate PodSecurity" either
            pods, failed = _pods_of(k8s_client, name, kind, body["metadata"]["name"], replicas)
            if failed or len(pods) < replicas:
                problems.append(f"{env} {body['metadata']['name']}: {len(pods)}/{replicas} pods; {failed}")
            for pod in pods:  # the pods the controller made carry the template's restricted settings
                assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
                assert pod["spec"]["containers"][0]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        finally:
            _delete_namespace(k8s_client, name)
    assert problems == [], "\n".join(problems)


def test_a_non_compliant_template_is_refused_with_the_api_servers_message(k8s_client, project_dir):
    [(_, namespace, account, deployment), *_] = _deployment_templates(project_dir)
    name = "psa-refused"
    _namespace(k8s_client, name, namespace["metadata"]["labels"])
    try:
        _create(k8s_client, _in(account, name))
        bad = copy.deepcopy(_in(deployment, name))
        bad["spec"]["replicas"] = 1
        container = bad["spec"]["template"]["spec"]["containers"][0]
        container["securityContext"] = {
            **container["securityContext"],
            "privileged": True,
            "allowPrivilegeEscalation": True,
        }
        created = _create(k8s_client, bad)
        # The Deployment is stored, with a warning; its pods are refused by the ReplicaSet controller.
        assert any('would violate PodSecurity "restricted:latest"' in w for w in created.warnings), created.warnings
        pods, failed = _pods_of(k8s_client, name, "Deployment", bad["metadata"]["name"], 1)
        assert pods == []
        assert failed, "no FailedCreate event"
        assert 'violates PodSecurity "restricted:latest"' in failed[0]
        assert 'privileged (container "vllm" must not set securityContext.privileged=true)' in failed[0]
        assert "allowPrivilegeEscalation != false" in failed[0]

        # The same pod created directly: refused at once, with the same message.
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "namespace": name}}
        pod["spec"] = bad["spec"]["template"]["spec"]
        result = kapi.api_request(k8s_client, "POST", f"/api/v1/namespaces/{name}/pods", pod)
        assert result.status == 403
        assert 'pods "bare" is forbidden: violates PodSecurity "restricted:latest": privileged' in result.message
    finally:
        _delete_namespace(k8s_client, name)


@contextlib.contextmanager
def _gpu_node(client, labels: dict[str, str]):
    """A Node object with `labels` and a Ready condition: enough for the DaemonSet controller to
    make a pod for it (no kubelet: the pod is never started)."""
    name = "testbed-gpu-0"
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {**labels, HOSTNAME: name}}}
    _create(client, node)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ready = {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": now}
    patched = kapi.api_request(
        client,
        "PATCH",
        f"/api/v1/nodes/{name}/status",
        {"status": {"conditions": [{**ready, "lastTransitionTime": now}]}},
        content_type="application/merge-patch+json",
    )
    assert patched.ok, patched.message
    try:
        yield name
    finally:
        kapi.api_request(client, "DELETE", f"/api/v1/nodes/{name}")


def test_gpu_node_agents_get_their_pods_at_the_privileged_level_only(k8s_client, project_dir):
    plan = _plan(project_dir, "dev", gpu_driver="aks")
    [runtime] = [
        n for n in _objects(plan, "Namespace") if n["metadata"]["labels"].get("llmops.io/role") == "gpu-runtime"
    ]
    labels = runtime["metadata"]["labels"]
    assert labels[ENFORCE] == "privileged"
    agents = _objects(plan, "DaemonSet")
    accounts = [
        a for a in _objects(plan, "ServiceAccount") if a["metadata"]["namespace"] == runtime["metadata"]["name"]
    ]
    assert {a["metadata"]["name"] for a in agents} == {"nvidia-device-plugin", "nvidia-dcgm-exporter"}
    [selector] = {tuple(a["spec"]["template"]["spec"]["nodeSelector"].items()) for a in agents}
    problems = []
    with _gpu_node(k8s_client, dict(selector)):
        for level in ("privileged", "baseline", "restricted"):
            name = f"psa-agents-{level}"
            _namespace(k8s_client, name, {**labels, ENFORCE: level})
            try:
                for account in accounts:
                    _create(k8s_client, _in(account, name))
                for agent in agents:
                    _create(k8s_client, _in(agent, name))
                    pods, failed = _pods_of(k8s_client, name, "DaemonSet", agent["metadata"]["name"], 1)
                    where = f"{agent['metadata']['name']} at {level}"
                    if level == "privileged" and (failed or len(pods) != 1):
                        problems.append(f"{where}: {len(pods)} pod(s), {failed}")
                    elif level != "privileged" and (pods or not failed):
                        problems.append(f"{where}: not refused ({len(pods)} pod(s))")
                    elif level != "privileged":
                        assert f'violates PodSecurity "{level}:latest"' in failed[0], failed[0]
                        # baseline: "hostPath volumes (...)"; restricted: "restricted volume types (... "hostPath")"
                        assert "hostPath" in failed[0], failed[0]
            finally:
                _delete_namespace(k8s_client, name)
    assert problems == [], "\n".join(problems)
