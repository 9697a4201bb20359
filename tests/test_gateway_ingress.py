"""The AI gateway's path to a vLLM service: an internal load balancer on a fixed node-subnet address and a
NetworkPolicy admitting only the gateway's subnet (the API server tier checks the same objects for real:
tests/test_k8s_dry_run.py, tests/test_k8s_deploy.py)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest
from helpers import synth
from test_inference_service import _args

from llmops_infra.components.gateway_ingress import GatewayLoadBalancer
from llmops_infra.components.inference_service import InferenceService
from llmops_infra.stacks.stage_gateway import vllm_gateway_ip

LB = GatewayLoadBalancer(ip="10.20.0.200", subnet_name="snet-aks-nodes", gateway_cidrs=["10.20.19.0/27"])
SERVICE = "kubernetes:core/v1:Service"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _plan(gateway_lb):
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
        InferenceService("llama", _args(provider, gateway_lb=gateway_lb))

    return synth(program)


@pytest.fixture(scope="module")
def plan():
    return _plan(LB)


def _named(plan, type_, name):
    [found] = [r for r in plan.of_type(type_) if r.props["metadata"]["name"] == name]
    return found.props


def test_the_gateway_service_is_an_internal_load_balancer_on_the_fixed_address(plan):
    service = _named(plan, SERVICE, "llama-gateway")
    annotations = service["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-internal-subnet"] == "snet-aks-nodes"
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-ipv4"] == "10.20.0.200"
    spec = service["spec"]
    assert spec["type"] == "LoadBalancer" and "loadBalancerIP" not in spec  # deprecated: the annotation instead
    # Local: the pods see the gateway's own address, so the NetworkPolicy below can admit its subnet.
    assert spec["externalTrafficPolicy"] == "Local"
    assert spec["ports"] == [{"name": "http", "port": 8000, "targetPort": 8000, "protocol": "TCP"}]
    assert spec["selector"] == {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "llama"}


def test_only_the_gateway_subnet_reaches_the_serving_port_through_it(plan):
    policy = _named(plan, POLICY, "allow-gateway-lb")["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["ingress"] == [
        {"from": [{"ipBlock": {"cidr": "10.20.19.0/27"}}], "ports": [{"protocol": "TCP", "port": 8000}]}
    ]
    # The namespace's default deny stays: both directions, every pod.
    assert _named(plan, POLICY, "default-deny")["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_without_a_gateway_no_load_balancer_and_no_subnet_ingress():
    plan = _plan(None)
    assert [s.props["spec"]["type"] for s in plan.of_type(SERVICE)] == ["ClusterIP"]
    assert "allow-gateway-lb" not in {p.props["metadata"]["name"] for p in plan.of_type(POLICY)}


def test_a_gateway_load_balancer_needs_the_gateway_subnet():
    with pytest.raises(ValueError, match="gateway_cidrs"):
        GatewayLoadBalancer(ip="10.20.0.200", subnet_name="snet", gateway_cidrs=[])


def test_the_workload_stack_puts_each_model_on_the_address_the_gateway_backend_names(project):
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.planning import plan_config

    config = load_environment("dev", project)
    plan = plan_config(config)
    gateway_urls = {r.props["url"] for r in plan.of_type("azure-native:apimanagement:Backend") if "url" in r.props}
    for index, model in enumerate(config.inference.models):
        [service] = [r.props for r in plan.of_type(SERVICE) if r.props["metadata"]["name"] == f"{model.name}-gateway"]
        ip = service["metadata"]["annotations"]["service.beta.kubernetes.io/azure-load-balancer-ipv4"]
        assert ip == vllm_gateway_ip(config.network.subnets.aks_nodes, index)
        assert f"http://{ip}:8000/v1" in gateway_urls
        assert service["metadata"]["annotations"][
            "service.beta.kubernetes.io/azure-load-balancer-internal-subnet"
        ].endswith("aks-nodes")
