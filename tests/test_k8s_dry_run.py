"""Every Kubernetes object the estate makes passes the real API server's validation, strictly.

The objects are the `kubernetes:*` resources of the offline plans (wire props = the manifests
the provider sends) of every shipped environment, in both GPU driver modes. Each is sent to the
test bed's kube-apiserver as a server-side dry run (`dryRun=All`) with strict field validation
(`fieldValidation=Strict`: an unknown or duplicate field is an error, not a dropped field), after
the CRDs of KEDA, Secrets Store CSI and managed Prometheus are installed, so custom resources are
checked against their real schemas. Namespaces are created for real (renamed per environment and
mode, so nothing collides), the other objects only dry-run in them.

Not here: the GPU operator's Helm release is not a Kubernetes object (Helm renders the chart at
install time); tests/test_k8s_deploy.py installs it for real.
"""

from __future__ import annotations

import itertools

import k8s_api as kapi
import pytest

from llmops_infra.config.loader import load_environment
from llmops_infra.offline.planning import plan_config

pytestmark = pytest.mark.k8s

ENVIRONMENTS = ("dev", "staging", "prod")
MODES = ("operator", "aks")
NOT_OBJECTS = ("kubernetes:helm.sh/v3:Release",)
STRICT_DRY_RUN = {"dryRun": "All", "fieldValidation": "Strict"}


def estate_manifests(project_dir) -> dict[str, list[tuple[str, dict]]]:
    """(resource name, manifest) of every Kubernetes object, by `<env>-<gpu driver mode>`."""
    found = {}
    for env, mode in itertools.product(ENVIRONMENTS, MODES):
        config = load_environment(env, project_dir)
        config = config.model_copy(update={"cluster": config.cluster.model_copy(update={"gpu_driver": mode})})
        plan = plan_config(config)
        found[f"{env}-{mode}"] = [
            (r.name, kapi.as_sent(r.props))
            for r in plan.custom_resources()
            if r.type.startswith("kubernetes:") and r.type not in NOT_OBJECTS
        ]
    return found


def renamed(manifest: dict, prefix: str) -> dict:
    """The manifest in namespace `<prefix>-<namespace>` (a Namespace: renamed the same way)."""
    metadata = dict(manifest["metadata"])
    if manifest["kind"] == "Namespace":
        metadata["name"] = f"{prefix}-{metadata['name']}"
    elif "namespace" in metadata:
        metadata["namespace"] = f"{prefix}-{metadata['namespace']}"
    return {**manifest, "metadata": metadata}


@pytest.fixture(scope="module")
def manifests(project_dir):
    return estate_manifests(project_dir)


def test_the_plans_hold_every_kind_the_estate_makes(manifests):
    kinds = {m["kind"] for objects in manifests.values() for _, m in objects}
    assert kinds >= {
        "Namespace",
        "ServiceAccount",
        "Deployment",
        "DaemonSet",
        "Service",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "ScaledObject",
        "TriggerAuthentication",
        "SecretProviderClass",
        "PodMonitor",
        "Job",
    }


def test_the_plans_hold_the_gateways_internal_load_balancers(manifests):
    """Each model's LoadBalancer Service (and its NetworkPolicy) is among the objects dry-run below."""
    for variant, objects in manifests.items():
        balancers = [m for _, m in objects if m["kind"] == "Service" and m["spec"]["type"] == "LoadBalancer"]
        assert balancers, variant
        for service in balancers:
            assert (
                service["metadata"]["annotations"]["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
            )
        policies = {m["metadata"]["name"] for _, m in objects if m["kind"] == "NetworkPolicy"}
        assert "allow-gateway-lb" in policies, variant


def test_every_object_passes_a_strict_server_side_dry_run(k8s_client, manifests):
    failures, warnings, checked = [], [], 0
    created = []
    try:
        for variant, objects in manifests.items():
            prefix = f"dry-{variant}"
            # Namespaces for real, strictly validated, first: the other objects dry-run in them.
            ordered = sorted(objects, key=lambda o: o[1]["kind"] != "Namespace")
            for name, manifest in ordered:
                body = renamed(manifest, prefix)
                if "name" not in body["metadata"]:  # auto-named by the provider (the staging Job): <name>-<suffix>
                    body = {**body, "metadata": {**body["metadata"], "name": f"{name}-0000"}}
                is_namespace = body["kind"] == "Namespace"
                query = {"fieldValidation": "Strict"} if is_namespace else STRICT_DRY_RUN
                result = kapi.api_request(k8s_client, "POST", kapi.collection_path(k8s_client, body), body, query)
                checked += 1
                if is_namespace and result.ok:
                    created.append(body["metadata"]["name"])
                if not result.ok:
                    failures.append(f"{variant} {name} ({body['kind']}): HTTP {result.status}: {result.message}")
                warnings += [f"{variant} {name} ({body['kind']}): {w}" for w in result.warnings]
    finally:
        for namespace in created:
            kapi.api_request(k8s_client, "DELETE", f"/api/v1/namespaces/{namespace}")
    assert checked >= 6 * 10
    assert failures == [], "\n".join(failures)
    assert warnings == [], "\n".join(warnings)


def test_strict_validation_is_real(k8s_client, manifests):
    """An unknown field, a wrong type in a CRD schema and a bad value are refused, with the API
    server's message, so a passing dry run above means something."""
    objects = dict(manifests["dev-operator"])
    namespace = renamed(objects["qwen-3b-ns"], "strict")
    assert kapi.api_request(k8s_client, "POST", "/api/v1/namespaces", namespace).ok
    try:
        deployment = renamed(objects["qwen-3b-deploy"], "strict")
        typo = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
        result = kapi.api_request(k8s_client, "POST", kapi.collection_path(k8s_client, typo), typo, STRICT_DRY_RUN)
        assert result.status == 400 and 'unknown field "spec.replica"' in result.message

        scaled = renamed(objects["qwen-3b-scaledobject"], "strict")
        bad = {**scaled, "spec": {**scaled["spec"], "maxReplicaCount": "many"}}
        result = kapi.api_request(k8s_client, "POST", kapi.collection_path(k8s_client, bad), bad, STRICT_DRY_RUN)
        assert result.status >= 400 and "maxReplicaCount" in result.message

        pdb = renamed(objects["qwen-3b-pdb"], "strict")
        both = {**pdb, "spec": {**pdb["spec"], "minAvailable": 1}}
        result = kapi.api_request(k8s_client, "POST", kapi.collection_path(k8s_client, both), both, STRICT_DRY_RUN)
        assert result.status == 422 and "minAvailable" in result.message
    finally:
        kapi.api_request(k8s_client, "DELETE", f"/api/v1/namespaces/{namespace['metadata']['name']}")
