"""How the AI gateway (API Management in the VNet) reaches a vLLM service: an internal load balancer on a
fixed address of the node subnet, and a NetworkPolicy that admits the gateway's subnet and nothing else.

Plain builders of plain values, like `inference_manifests`. Facts (read 2026-12-01):

- AKS internal load balancer: annotation `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`;
  `service.beta.kubernetes.io/azure-load-balancer-internal-subnet` names the subnet (its name, same VNet);
  a fixed address is set with `service.beta.kubernetes.io/azure-load-balancer-ipv4` ("Adding the
  LoadBalancerIP property ... is deprecating following upstream Kubernetes ... we highly recommend setting
  service annotations instead"); the address must be in that subnet and not yet assigned
  (learn.microsoft.com/azure/aks/internal-lb).
- `externalTrafficPolicy: Local` keeps the client's source address (no SNAT to a node): without it the pods
  would see a node's address, and a NetworkPolicy on the gateway's subnet would admit nothing
  (kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer, "Preserving the client
  source IP"). The load balancer then sends traffic only to nodes that run a replica (its health probe is the
  service's healthCheckNodePort, answered by kube-proxy on the node, not by the pod).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmops_infra.components.inference_manifests import PORT, pod_labels

INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"
INTERNAL_LB_SUBNET = "service.beta.kubernetes.io/azure-load-balancer-internal-subnet"
LB_IPV4 = "service.beta.kubernetes.io/azure-load-balancer-ipv4"
SKIP_AWAIT = "pulumi.com/skipAwait"


@dataclass(frozen=True, kw_only=True)
class GatewayLoadBalancer:
    """Where the gateway calls a vLLM service: `http://<ip>:8000/v1` (the gateway's backend URL)."""

    ip: str
    """The fixed address in the node subnet (see `stacks.stage_gateway.vllm_gateway_ip`)."""
    subnet_name: str
    """The node subnet's Azure name: the load balancer's frontend lands there."""
    gateway_cidrs: list[str]
    """The API Management subnet(s): the only sources admitted to the serving port through the load balancer."""

    def __post_init__(self) -> None:
        if not self.gateway_cidrs:
            raise ValueError("gateway load balancer: give the gateway subnet's CIDR (gateway_cidrs)")


def gateway_service(name: str, lb: GatewayLoadBalancer) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metadata extras, spec) of the internal LoadBalancer Service of model `name`. The provider's await is
    skipped (`pulumi.com/skipAwait`): it would wait for the load balancer's address, which the cloud controller
    assigns asynchronously (and a test API server without one never does)."""
    annotations = {
        INTERNAL_LB: "true",
        INTERNAL_LB_SUBNET: lb.subnet_name,
        LB_IPV4: lb.ip,
        SKIP_AWAIT: "true",
    }
    spec = {
        "type": "LoadBalancer",
        "externalTrafficPolicy": "Local",
        "selector": pod_labels(name),
        "ports": [{"name": "http", "port": PORT, "targetPort": PORT, "protocol": "TCP"}],
    }
    return {"name": f"{name}-gateway", "annotations": annotations}, spec


def gateway_network_policy(name: str, lb: GatewayLoadBalancer) -> dict[str, Any]:
    """Ingress to the vLLM pods' serving port from the gateway's subnet only (the namespace's default-deny
    stays: this adds one allowed source, for one port)."""
    return {
        "podSelector": {"matchLabels": pod_labels(name)},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"ipBlock": {"cidr": cidr}} for cidr in lb.gateway_cidrs],
                "ports": [{"protocol": "TCP", "port": PORT}],
            }
        ],
    }
