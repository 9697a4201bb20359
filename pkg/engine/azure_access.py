"""Azure access before the engine runs: credentials (azure-identity) and GPU quota (ARM usages).

The stacks set `azure-native:useDefaultAzureCredential`, so the provider authenticates with the
same `DefaultAzureCredential` chain this module checks: what `doctor` and the credentials gate
accept is what the engine will use. Nothing here prints or stores a token.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import os
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken

ARM = "https://management.azure.com"
ARM_SCOPE = f"{ARM}/.default"
USAGES_API_VERSION = "2024-07-01"
TOKEN_TIMEOUT_S = 15.0
HTTP_TIMEOUT_S = 20.0

CREDENTIALS_FIX = (
    "sign in with `az login` (and `az account set --subscription <id>`), or in a pipeline use "
    "OIDC workload identity federation: AZURE_CLIENT_ID, AZURE_TENANT_ID and "
    "LLMOPS_FEDERATED_TOKEN_SOURCE=github|azure-pipelines (the generated pipelines set them; "
    "docs/pipelines.md), or AZURE_FEDERATED_TOKEN_FILE; never a client secret"
)


@dataclass(frozen=True)
class CredentialStatus:
    ok: bool
    sources: list[str]
    """Credential sources configured here (environment, workload identity, Azure CLI...)."""
    message: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "sources": self.sources, "message": self.message, "fix": self.fix}


def configured_sources(env: dict[str, str] | None = None) -> list[str]:
    """Which DefaultAzureCredential sources have what they need, judged without the network."""
    env = dict(os.environ if env is None else env)
    found = []
    if env.get("AZURE_CLIENT_ID") and env.get("AZURE_TENANT_ID"):
        if env.get("AZURE_FEDERATED_TOKEN_FILE"):
            found.append("workload identity (AZURE_FEDERATED_TOKEN_FILE)")
        if env.get("AZURE_CLIENT_SECRET") or env.get("AZURE_CLIENT_CERTIFICATE_PATH"):
            found.append("environment (service principal)")
    if env.get("IDENTITY_ENDPOINT") or env.get("MSI_ENDPOINT"):
        found.append("managed identity")
    if shutil.which("az"):
        found.append("Azure CLI")
    return found


TokenGetter = Callable[[], "AccessToken"]


def _default_token() -> AccessToken:
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential(process_timeout=int(TOKEN_TIMEOUT_S))
    try:
        return credential.get_token(ARM_SCOPE)
    finally:
        credential.close()


def check_credentials(get_token: TokenGetter | None = None, timeout: float = TOKEN_TIMEOUT_S) -> CredentialStatus:
    """Try to get an ARM token through DefaultAzureCredential, bounded by `timeout` seconds."""
    sources = configured_sources()
    getter = get_token or _default_token
    quiet = logging.getLogger("azure")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # the chain logs every failed source as a warning
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        getter_future = pool.submit(getter)
        getter_future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return CredentialStatus(
            False, sources, f"no Azure token within {timeout:.0f}s (is the network reachable?)", CREDENTIALS_FIX
        )
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return CredentialStatus(False, sources, f"no Azure credentials: {first.rstrip('.')}", CREDENTIALS_FIX)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        quiet.setLevel(level)
    return CredentialStatus(True, sources, "an Azure Resource Manager token was obtained")


# --------------------------------------------------------------------------- GPU quota

# ARM usage names of the GPU VM families the estate uses (Microsoft.Compute/locations/usages).
GPU_FAMILIES: list[tuple[str, str]] = [
    (r"^Standard_NC\d+as_T4_v3$", "standardNCASv3_T4Family"),
    (r"^Standard_NC\d+ads_A100_v4$", "StandardNCADSA100v4Family"),
    (r"^Standard_NV\d+ads_A10_v5$", "StandardNVADSA10v5Family"),
    (r"^Standard_ND96asr_v4$", "standardNDASv4_A100Family"),
    (r"^Standard_ND96amsr_A100_v4$", "standardNDAMSv4_A100Family"),
    (r"^Standard_NC\d+adi?s_H100_v5$", "standardNCadsH100v5Family"),
    (r"^Standard_ND96isr_H100_v5$", "standardNDSH100v5Family"),
]
SPOT_USAGE = "lowPriorityCores"


def vm_family(vm_size: str) -> str | None:
    for pattern, family in GPU_FAMILIES:
        if re.match(pattern, vm_size):
            return family
    return None


def vcpus(vm_size: str) -> int:
    """vCPUs of a size, read from its name (Standard_NC24ads_A100_v4 -> 24)."""
    match = re.match(r"^Standard_[A-Z]+?(\d+)", vm_size)
    if not match:
        raise ValueError(f"cannot read the vCPU count from VM size {vm_size!r}")
    return int(match.group(1))


@dataclass(frozen=True)
class QuotaNeed:
    usage: str
    """ARM usage name: a VM family, or lowPriorityCores for spot pools."""
    vcpus: int
    pools: list[str] = field(default_factory=list)


def quota_needs(pools: list[Any]) -> list[QuotaNeed]:
    """vCPUs each quota must allow for the GPU pools at their maximum size."""
    needs: dict[str, QuotaNeed] = {}
    for pool in pools:
        usage = SPOT_USAGE if pool.spot else (vm_family(pool.vm_size) or f"unknown family of {pool.vm_size}")
        cores = vcpus(pool.vm_size) * pool.max_nodes
        prior = needs.get(usage)
        needs[usage] = QuotaNeed(
            usage, cores + (prior.vcpus if prior else 0), (prior.pools if prior else []) + [pool.name]
        )
    return list(needs.values())


Fetch = Callable[[str, str], dict[str, Any]]


def _http_get_json(url: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
        document: dict[str, Any] = json.loads(response.read().decode("utf-8"))
        return document


def fetch_usages(
    subscription_id: str, location: str, token: str, fetch: Fetch | None = None
) -> dict[str, tuple[int, int]]:
    """usage name -> (current, limit) for one region, following nextLink pages."""
    url: str | None = (
        f"{ARM}/subscriptions/{subscription_id}/providers/Microsoft.Compute/locations/"
        f"{location}/usages?api-version={USAGES_API_VERSION}"
    )
    get = fetch or _http_get_json
    usages: dict[str, tuple[int, int]] = {}
    while url:
        page = get(url, token)
        for item in page.get("value", []):
            name = (item.get("name") or {}).get("value")
            if name:
                usages[name.lower()] = (int(item.get("currentValue", 0)), int(item.get("limit", 0)))
        url = page.get("nextLink")
    return usages


def quota_shortfalls(needs: list[QuotaNeed], usages: dict[str, tuple[int, int]], location: str) -> list[str]:
    """One sentence per quota that cannot hold the pools at their maximum size."""
    problems = []
    for need in needs:
        if need.usage.startswith("unknown family"):
            problems.append(f"{need.usage} (pools {', '.join(need.pools)}): check its quota in the portal")
            continue
        current, limit = usages.get(need.usage.lower(), (0, 0))
        free = limit - current
        if free < need.vcpus:
            problems.append(
                f"{need.usage} in {location}: pools {', '.join(need.pools)} need up to {need.vcpus} vCPUs, "
                f"quota allows {free} more ({current} of {limit} in use): request a quota increase "
                "(portal: Quotas > Compute) or lower max_nodes"
            )
    return problems


def access_token(get_token: TokenGetter | None = None) -> str:
    """An ARM bearer token (callers check credentials first)."""
    return (get_token or _default_token)().token


def http_error_text(exc: urllib.error.HTTPError) -> str:
    """The message of an ARM error response, without headers or tokens."""
    try:
        body = json.loads(exc.read().decode("utf-8"))
        return str((body.get("error") or {}).get("message") or exc.reason)
    except (ValueError, OSError):
        return str(exc.reason)


# --------------------------------------------------------------------------- soft-deleted names

KEYVAULT_API_VERSION = "2023-07-01"
COGNITIVE_API_VERSION = "2024-10-01"


@dataclass(frozen=True)
class NamedResource:
    kind: str
    """"vault" or "account" (Cognitive Services: OpenAI, Content Safety)."""
    name: str
    resource_group: str
    location: str


def deleted_url(subscription_id: str, resource: NamedResource) -> str:
    """ARM URL of the soft-deleted twin of `resource` (200: it exists and holds the name; 404: free)."""
    base = f"{ARM}/subscriptions/{subscription_id}/providers"
    if resource.kind == "vault":
        return (
            f"{base}/Microsoft.KeyVault/locations/{resource.location}/deletedVaults/{resource.name}"
            f"?api-version={KEYVAULT_API_VERSION}"
        )
    return (
        f"{base}/Microsoft.CognitiveServices/locations/{resource.location}/resourceGroups/"
        f"{resource.resource_group}/deletedAccounts/{resource.name}?api-version={COGNITIVE_API_VERSION}"
    )


def recover_hint(resource: NamedResource) -> str:
    if resource.kind == "vault":
        return (
            f"`az keyvault recover --name {resource.name}` (then up adopts it) or, if its secrets may go, "
            f"`az keyvault purge --name {resource.name}` (impossible under purge protection)"
        )
    return (
        f"`az cognitiveservices account recover --name {resource.name} --resource-group "
        f"{resource.resource_group} --location {resource.location}` or `az cognitiveservices account purge` "
        "with the same arguments"
    )


def soft_deleted(
    subscription_id: str, resources: list[NamedResource], token: str, fetch: Fetch | None = None
) -> list[NamedResource]:
    """The resources whose name a soft-deleted vault or account still holds."""
    get = fetch or _http_get_json
    held = []
    for resource in resources:
        try:
            get(deleted_url(subscription_id, resource), token)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                continue
            raise
        held.append(resource)
    return held
