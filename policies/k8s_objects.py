"""Reading Kubernetes objects: pod templates of workloads, label selectors, image references."""

from __future__ import annotations

from typing import Any

from llmops_infra.policies.framework import get, items, mapping, same

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
POD = "kubernetes:core/v1:Pod"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
SERVICE = "kubernetes:core/v1:Service"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
"""A KEDA ScaledObject: KEDA creates the HPA at run time, so the plan only shows this."""

WORKLOADS = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, POD, JOB, CRON_JOB)
RUN_TO_COMPLETION = (JOB, CRON_JOB)
CONTROLLERS = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET)
WORKLOAD_IDENTITY_LABEL = "azure.workload.identity/use"


def pod_template(resource_type: str, props: Any) -> tuple[Any, Any]:
    """(pod spec, pod metadata) of a workload object."""
    if resource_type == POD:
        return get(props, "spec"), get(props, "metadata")
    if resource_type == CRON_JOB:
        template = get(props, "spec.jobTemplate.spec.template")
    else:
        template = get(props, "spec.template")
    return get(template, "spec"), get(template, "metadata")


def containers(spec: Any, *, init: bool = True) -> list[Any]:
    """The pod's containers; with `init`, its init and ephemeral (debug) containers too, which Pod
    Security judges like the others."""
    found = items(get(spec, "containers"))
    return found + items(get(spec, "initContainers")) + items(get(spec, "ephemeralContainers")) if init else found


def namespace(props: Any) -> str:
    return str(get(props, "metadata.namespace") or "default")


def labels(metadata: Any) -> dict[str, str]:
    source = mapping(get(metadata, "labels"))
    return {str(k): str(source[k]) for k in source}


def selects(selector: Any, pod_labels: dict[str, str]) -> bool:
    """Does a label selector (matchLabels + matchExpressions) select these labels? Empty selects all."""
    match = mapping(get(selector, "matchLabels"))
    if any(pod_labels.get(str(k)) != str(match[k]) for k in match):
        return False
    for expression in items(get(selector, "matchExpressions")):
        key, op = str(get(expression, "key")), str(get(expression, "operator"))
        values = [str(v) for v in items(get(expression, "values"))]
        ok = {
            "In": pod_labels.get(key) in values,
            "NotIn": pod_labels.get(key) not in values,
            "Exists": key in pod_labels,
            "DoesNotExist": key not in pod_labels,
        }.get(op, False)
        if not ok:
            return False
    return True


def image_parts(image: str) -> tuple[str, str | None, str | None]:
    """ "host/repo:tag@sha256:…" -> (host, tag, digest); Docker Hub when no host is given."""
    name, _, digest = image.partition("@")
    first, slash, rest = name.partition("/")
    host = first if slash and ("." in first or ":" in first or first == "localhost") else "docker.io"
    path = rest if host == first else name
    tag = path.rsplit(":", 1)[1] if ":" in path.rsplit("/", 1)[-1] else None
    return host, tag, digest or None


def gpu_opt_out(container: Any) -> bool:
    """Does the container hide every GPU from itself? With NVIDIA_VISIBLE_DEVICES `void` the NVIDIA
    runtime behaves like runc: neither GPUs nor driver capabilities are exposed (NVIDIA Container
    Toolkit, 'Specialized Configurations', GPU enumeration; read 2026-12-01). Without it, a CUDA
    image (which sets `all`) sees every GPU of the node whatever the scheduler allotted."""
    for entry in items(get(container, "env")):
        if get(entry, "name") == "NVIDIA_VISIBLE_DEVICES":
            return same(get(entry, "value"), "void")
    return False


def gpu_pod(spec: Any) -> bool:
    """A pod meant for GPU nodes: it tolerates the nvidia.com/gpu taint or selects GPU nodes."""
    tolerations = [str(get(t, "key", "")) for t in items(get(spec, "tolerations"))]
    selector = " ".join(f"{k}={v}" for k, v in mapping(get(spec, "nodeSelector")).items())
    return any(t.startswith("nvidia.com/gpu") for t in tolerations) or "gpu" in selector.lower()
