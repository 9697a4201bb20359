"""Lifecycle rules (LIFE-01, LIFE-02): nothing pinned is retired, nothing retires unnoticed.

Judged from the resources themselves, against the lifecycle catalog (`lifecycle_catalog.py`),
so a user's own Pulumi program is judged the same way as the estate:

- AKS: `kubernetesVersion` and every `orchestratorVersion` (inline pools and `AgentPool`);
- Azure OpenAI deployments: `properties.model.name` / `version` with `sku.name`;
- Helm releases of the NVIDIA GPU operator (`chart` / `version`) and a pinned `driver.version`;
- container images the catalog knows, by tag or digest (the inference image);
- Azure ML online deployments that serve prompt flows (`PROMPTFLOW_RUN_MODE`): the feature's retirement.

The day judged is today, or the policy parameter `lifecycle_date` (YYYY-MM-DD) when set.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, get, items, mapping, resource_rule
from llmops_infra.policies.lifecycle_catalog import DEPRECATED, RETIRED, RETIRING, UNKNOWN, Verdict, parse_day
from llmops_infra.policies.lifecycle_files import load_catalog

CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
MODEL_DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
WORKLOADS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:core/v1:Pod",
)
ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
TYPES = [CLUSTER, AGENT_POOL, MODEL_DEPLOYMENT, HELM_RELEASE, *WORKLOADS, ONLINE_DEPLOYMENT]


def judged_day(params: Params) -> date:
    return parse_day(params.get("lifecycle_date")) or date.today()


def verdicts(resource_type: str, props: Any, day: date) -> Iterator[Verdict]:
    """What the catalog says about every pin of one resource on `day`."""
    catalog = load_catalog()
    if resource_type == CLUSTER:
        if get(props, "kubernetesVersion"):
            yield catalog.kubernetes(str(get(props, "kubernetesVersion")), day)
        for pool in items(get(props, "agentPoolProfiles")):
            if get(pool, "orchestratorVersion"):
                yield catalog.kubernetes(str(get(pool, "orchestratorVersion")), day)
    elif resource_type == AGENT_POOL:
        if get(props, "orchestratorVersion"):
            yield catalog.kubernetes(str(get(props, "orchestratorVersion")), day)
    elif resource_type == MODEL_DEPLOYMENT:
        model = mapping(get(props, "properties.model"))
        if model.get("name") and model.get("version"):
            yield catalog.model(str(model["name"]), str(model["version"]), get(props, "sku.name"), day)
    elif resource_type == HELM_RELEASE:
        yield from _helm(catalog, props, day)
    elif resource_type in WORKLOADS:
        yield from _images(catalog, props, day)
    elif resource_type == ONLINE_DEPLOYMENT:
        variables = mapping(get(props, "properties.environmentVariables"))
        if "PROMPTFLOW_RUN_MODE" in variables:
            yield catalog.feature("azureml-prompt-flow", day)


def _helm(catalog: Any, props: Any, day: date) -> Iterator[Verdict]:
    chart = str(get(props, "chart") or "")
    if not chart.endswith("gpu-operator") or not get(props, "version"):
        return
    yield catalog.gpu_operator(str(get(props, "version")), day)
    driver = get(props, "values.driver.version")
    if driver:
        yield catalog.driver(str(driver), day)


def _images(catalog: Any, props: Any, day: date) -> Iterator[Verdict]:
    spec = get(props, "spec.template.spec") or get(props, "spec") or {}
    containers = [*items(get(spec, "containers")), *items(get(spec, "initContainers"))]
    for container in containers:
        image = get(container, "image")
        if not isinstance(image, str):
            continue
        repository, tag, digest = split_image(image)
        if catalog.image(repository, tag=tag, digest=digest):
            yield catalog.image_verdict(repository, day, tag=tag, digest=digest)


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """`reg.io/vllm/vllm-openai@sha256:…` -> (repository, None, digest); `repo:tag` -> (repository, tag, None)."""
    if "@" in image:
        repository, digest = image.split("@", 1)
        return repository, None, digest
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = image.rsplit(":", 1)
        return repository, tag, None
    return image, None, None


@resource_rule(
    "LIFE-01",
    "nothing-retired",
    scope="A",
    severity=Severity.HIGH,
    types=TYPES,
    params=["lifecycle_date"],
    description="Nothing pinned is retired or out of support today: AKS Kubernetes versions, model versions, "
    "GPU operator releases, driver branches, catalogued images, platform features.",
    remediation="Move the pin to the replacement the message names (`llmops-infra lifecycle ENV` lists every pin "
    "with its dates); refresh the catalog with `llmops-infra lifecycle refresh`.",
)
def life_retired(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    for verdict in verdicts(args.resource_type, args.props, judged_day(params)):
        if verdict.state == RETIRED:
            report(verdict.sentence() + ".")


@resource_rule(
    "LIFE-02",
    "retiring-soon",
    scope="advisory",
    severity=Severity.LOW,
    types=TYPES,
    params=["lifecycle_date"],
    description="Nothing pinned retires within 90 days (or is deprecated for new customers, or unknown to the "
    "lifecycle catalog), so the move is planned before it is forced.",
    remediation="Plan the move to the named replacement before the date; `llmops-infra lifecycle ENV` shows "
    "every pin with its dates.",
)
def life_retiring(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    for verdict in verdicts(args.resource_type, args.props, judged_day(params)):
        if verdict.state in (RETIRING, DEPRECATED):
            report(verdict.sentence() + ".")
        elif verdict.state == UNKNOWN and verdict.kind in ("kubernetes", "model", "gpu-operator", "driver"):
            report(verdict.sentence() + ": its support window cannot be judged.")
