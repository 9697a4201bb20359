"""Kubernetes rules (K8S-01 … K8S-10): Pod Security restricted, resources, probes, images,
service accounts, internal load balancers, network policies and disruption budgets.

They judge workload objects (Deployment, StatefulSet, DaemonSet, Pod, Job, CronJob) through
their pod template, Services, and, as stack rules, NetworkPolicies and PodDisruptionBudgets.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from llmops_infra.policies.framework import (
    Params,
    Report,
    get,
    is_true,
    items,
    mapping,
    prod,
    resource_rule,
    stack_rule,
)
from llmops_infra.policies.graph import Graph
from llmops_infra.policies.k8s_objects import (
    CONTROLLERS,
    DAEMON_SET,
    DEPLOYMENT,
    HPA,
    NETWORK_POLICY,
    PDB,
    RUN_TO_COMPLETION,
    SCALED_OBJECT,
    SERVICE,
    STATEFUL_SET,
    WORKLOAD_IDENTITY_LABEL,
    WORKLOADS,
    containers,
    gpu_opt_out,
    gpu_pod,
    image_parts,
    labels,
    namespace,
    pod_template,
    selects,
)

INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"
ALLOWED_CAPABILITIES = ("NET_BIND_SERVICE",)
"""What Pod Security restricted lets a container add back after dropping ALL."""


_workload_rule = partial(resource_rule, types=WORKLOADS)


def _privileged(args: ResourceValidationArgs, params: Params) -> bool:
    """Node agents in a privileged namespace (Pod Security level privileged) are out of scope."""
    return namespace(args.props) in params["privileged_namespaces"]


def _c_name(container: Any) -> str:
    return str(get(container, "name") or "?")


@_workload_rule(
    "K8S-01",
    "pod-security-restricted",
    scope="A",
    severity=Severity.HIGH,
    description="Containers, init and ephemeral containers meet Pod Security restricted: no privilege "
    "escalation, non-root, RuntimeDefault seccomp, all capabilities dropped and none added but "
    "NET_BIND_SERVICE, not privileged.",
    remediation="In securityContext set allowPrivilegeEscalation: false, runAsNonRoot: true, "
    "seccompProfile.type: RuntimeDefault, capabilities.drop: [ALL] (capabilities.add: at most "
    "[NET_BIND_SERVICE]), privileged: false.",
    params=["privileged_namespaces"],
)
def k8s_restricted(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if _privileged(args, params):
        return
    spec, _ = pod_template(args.resource_type, args.props)
    pod_sc = get(spec, "securityContext")
    for c in containers(spec):
        sc, name = get(c, "securityContext"), _c_name(c)
        if get(sc, "allowPrivilegeEscalation") is not False:
            report(f"Container {name} may escalate privileges.")
        if is_true(get(sc, "privileged")):
            report(f"Container {name} is privileged: it has the node's full power.")
        non_root = get(sc, "runAsNonRoot", get(pod_sc, "runAsNonRoot"))
        if non_root is not True or get(sc, "runAsUser", get(pod_sc, "runAsUser")) == 0:
            report(f"Container {name} may run as root.")
        seccomp = get(sc, "seccompProfile.type", get(pod_sc, "seccompProfile.type"))
        if str(seccomp) not in ("RuntimeDefault", "Localhost"):
            report(f"Container {name} has no RuntimeDefault seccomp profile.")
        if "ALL" not in [str(x) for x in items(get(sc, "capabilities.drop"))]:
            report(f"Container {name} does not drop ALL capabilities.")
        # Pod Security restricted admits only NET_BIND_SERVICE, spelt exactly so (the admission check
        # compares strings: kubernetes.io/docs/concepts/security/pod-security-standards, "Capabilities")
        added = [str(x) for x in items(get(sc, "capabilities.add")) if str(x) not in ALLOWED_CAPABILITIES]
        if added:
            report(
                f"Container {name} adds the capabilities {', '.join(added)}: Pod Security restricted allows "
                "adding NET_BIND_SERVICE only."
            )


@_workload_rule(
    "K8S-02",
    "no-host-namespaces",
    scope="A",
    severity=Severity.HIGH,
    description="No hostNetwork, hostPID, hostIPC, hostPath volumes or hostPorts.",
    remediation="Remove hostNetwork/hostPID/hostIPC, hostPath volumes and hostPort; use emptyDir "
    "or persistent volumes.",
    params=["privileged_namespaces"],
)
def k8s_host(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if _privileged(args, params):
        return
    spec, _ = pod_template(args.resource_type, args.props)
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if is_true(get(spec, key)):
            report(f"The pod sets {key}: it shares the node's namespace.")
    for volume in items(get(spec, "volumes")):
        if get(volume, "hostPath"):
            report(f"Volume {get(volume, 'name')} mounts a hostPath: the pod reaches the node's filesystem.")
    for c in containers(spec):
        if any(get(p, "hostPort") for p in items(get(c, "ports"))):
            report(f"Container {_c_name(c)} binds a hostPort.")


@_workload_rule(
    "K8S-03",
    "resources",
    scope="A",
    severity=Severity.MEDIUM,
    description="Containers set cpu/memory requests and limits; GPU workloads limit nvidia.com/gpu.",
    remediation="Set resources.requests and resources.limits for cpu and memory, and "
    "limits['nvidia.com/gpu'] on containers that run on GPU nodes (a CPU-only container there sets "
    "NVIDIA_VISIBLE_DEVICES=void, so the NVIDIA runtime exposes no GPU to it).",
)
def k8s_resources(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    spec, _ = pod_template(args.resource_type, args.props)
    # Node agents (DaemonSets) tolerate GPU taints without consuming GPUs.
    gpu = gpu_pod(spec) and args.resource_type != DAEMON_SET
    for c in containers(spec, init=False):
        # A CPU container on a GPU node that hides every GPU from itself has nothing to account for.
        gpu_here = gpu and not gpu_opt_out(c)
        requests, limits = mapping(get(c, "resources.requests")), mapping(get(c, "resources.limits"))
        missing = [
            f"{kind}.{res}"
            for kind, values in (("requests", requests), ("limits", limits))
            for res in ("cpu", "memory")
            if res not in values
        ]
        if missing:
            report(f"Container {_c_name(c)} has no {', '.join(missing)}: it can starve its neighbours.")
        if (gpu_here or "nvidia.com/gpu" in requests) and "nvidia.com/gpu" not in limits:
            report(f"Container {_c_name(c)} runs on GPU nodes without limits['nvidia.com/gpu'].")


@_workload_rule(
    "K8S-04",
    "probes",
    scope="P",
    severity=Severity.LOW,
    description="Containers of long-running workloads define readiness, liveness and startup probes.",
    remediation="Add readinessProbe, livenessProbe and startupProbe (model loading can take minutes).",
)
def k8s_probes(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if args.resource_type in RUN_TO_COMPLETION:
        return  # a Job's pod serves nothing and ends by itself: readiness and liveness do not apply
    spec, _ = pod_template(args.resource_type, args.props)
    for c in containers(spec, init=False):
        missing = [p for p in ("readinessProbe", "livenessProbe", "startupProbe") if not get(c, p)]
        if missing:
            report(f"Container {_c_name(c)} has no {', '.join(missing)}.")


@_workload_rule(
    "K8S-05",
    "trusted-pinned-images",
    scope="A",
    severity=Severity.HIGH,
    params=["allowed_registries", "scope"],
    description="Images come from the estate's registry, never `latest`, by digest in prod.",
    remediation="Import the image into the estate's ACR and reference it as "
    "<registry>.azurecr.io/<repo>@sha256:<digest>.",
)
def k8s_images(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    spec, _ = pod_template(args.resource_type, args.props)
    for c in containers(spec):
        image = str(get(c, "image") or "")
        host, tag, digest = image_parts(image)
        if not any(fnmatch.fnmatchcase(host, pattern) for pattern in params["allowed_registries"]):
            report(f"Image {image} comes from {host}, not from the estate's registry.")
        if not digest and (tag is None or tag == "latest"):
            report(f"Image {image} floats on `latest`: what runs changes without a deployment.")
        elif not digest and prod(params):
            report(f"Image {image} is not pinned by digest.")


@_workload_rule(
    "K8S-06",
    "read-only-root",
    scope="P",
    severity=Severity.LOW,
    description="Containers run with a read-only root filesystem.",
    remediation="Set securityContext.readOnlyRootFilesystem: true; mount emptyDir for caches.",
    params=["privileged_namespaces"],
)
def k8s_read_only(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if _privileged(args, params):
        return
    spec, _ = pod_template(args.resource_type, args.props)
    for c in containers(spec):
        if get(c, "securityContext.readOnlyRootFilesystem") is not True:
            report(f"Container {_c_name(c)} can write to its root filesystem.")


@_workload_rule(
    "K8S-07",
    "service-account",
    scope="A",
    severity=Severity.MEDIUM,
    description="Pods use a dedicated service account; token automount is off unless they use workload identity.",
    remediation="Set serviceAccountName to a dedicated account and automountServiceAccountToken: "
    f"false (or label the pod {WORKLOAD_IDENTITY_LABEL}: 'true').",
)
def k8s_service_account(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    spec, metadata = pod_template(args.resource_type, args.props)
    account = get(spec, "serviceAccountName") or get(spec, "serviceAccount")
    if not account or account == "default":
        report("The pod runs as the namespace's default service account.")
    if (
        labels(metadata).get(WORKLOAD_IDENTITY_LABEL) != "true"
        and get(spec, "automountServiceAccountToken") is not False
    ):
        report("The pod mounts a Kubernetes API token it does not need.")


@resource_rule(
    "K8S-08",
    "internal-load-balancers",
    scope="A",
    severity=Severity.HIGH,
    types=[SERVICE],
    description="LoadBalancer services are internal only.",
    remediation=f"Annotate the Service {INTERNAL_LB}: 'true' (expose through a gateway instead).",
)
def k8s_internal_lb(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if str(get(args.props, "spec.type")) != "LoadBalancer":
        return
    if not is_true(mapping(get(args.props, "metadata.annotations")).get(INTERNAL_LB)):
        report("The LoadBalancer service gets a public IP.")


def _workloads(graph: Graph) -> list[PolicyResource]:
    return graph.of_type(*CONTROLLERS)


@stack_rule(
    "K8S-09",
    "network-policies",
    scope="P",
    severity=Severity.MEDIUM,
    description="Every workload is selected by a NetworkPolicy for ingress and egress.",
    remediation="Add NetworkPolicies in the workload's namespace whose podSelector selects it, "
    "with policyTypes [Ingress, Egress].",
)
def k8s_network_policies(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    policies = graph.of_type(NETWORK_POLICY)
    for workload in _workloads(graph):
        ns = namespace(workload.props)
        pod_labels = labels(pod_template(workload.resource_type, workload.props)[1])
        covered: set[str] = set()
        for policy in policies:
            if namespace(policy.props) != ns or not selects(get(policy.props, "spec.podSelector"), pod_labels):
                continue
            types = [str(t) for t in items(get(policy.props, "spec.policyTypes"))]
            if not types:
                types = ["Ingress"] + (["Egress"] if get(policy.props, "spec.egress") is not None else [])
            covered.update(types)
        missing = {"Ingress", "Egress"} - covered
        if missing:
            report(
                f"Workload {ns}/{workload.name} has no NetworkPolicy for {' and '.join(sorted(missing))}: "
                "any pod can reach it or it can reach anything.",
                workload.urn,
            )


@stack_rule(
    "K8S-10",
    "replicas-and-pdb",
    scope="P",
    severity=Severity.MEDIUM,
    description="Workloads run at least 2 replicas and have a PodDisruptionBudget.",
    remediation="Set replicas (or the autoscaler's minReplicas) to 2 or more and add a "
    "PodDisruptionBudget that selects the pods.",
)
def k8s_replicas_pdb(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    for workload in graph.of_type(DEPLOYMENT, STATEFUL_SET):
        ns, name = namespace(workload.props), get(workload.props, "metadata.name") or workload.name
        replicas = get(workload.props, "spec.replicas")
        for hpa in graph.of_type(HPA):
            if namespace(hpa.props) == ns and get(hpa.props, "spec.scaleTargetRef.name") == name:
                replicas = get(hpa.props, "spec.minReplicas", 1)
        for scaler in graph.of_type(SCALED_OBJECT):
            # KEDA's minReplicaCount defaults to 0: an absent one scales the workload to zero.
            if namespace(scaler.props) == ns and get(scaler.props, "spec.scaleTargetRef.name") == name:
                replicas = get(scaler.props, "spec.minReplicaCount", 0)
        replicas = int(replicas) if isinstance(replicas, (int, float)) else 1
        if replicas < 2:
            report(f"Workload {ns}/{name} runs {replicas} replica(s): one disruption takes it down.", workload.urn)
        pod_labels = labels(pod_template(workload.resource_type, workload.props)[1])
        if not any(
            namespace(p.props) == ns and selects(get(p.props, "spec.selector"), pod_labels) for p in graph.of_type(PDB)
        ):
            report(
                f"Workload {ns}/{name} has no PodDisruptionBudget: node upgrades can evict every replica.", workload.urn
            )
