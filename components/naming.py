"""Azure resource names: Cloud Adoption Framework abbreviations and each type's rules.

`Namer("llmops", "dev", "eastus", subscription_id).name("key_vault")` gives
`kv-llmops-dev-eus-3f2a`. Names that must be globally unique (Key Vault, storage, registry,
Cognitive Services subdomains, ML endpoints) carry a short suffix derived from the
subscription, workload, environment and region, so that the same inputs always give the same
name (re-runs never create duplicates) while two subscriptions never collide.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRule:
    """What Azure accepts for one resource type."""

    abbreviation: str
    min_length: int
    max_length: int
    allowed: str
    """Regex character class body of the characters allowed, e.g. 'a-z0-9-'."""
    separator: str = "-"
    lowercase: bool = True
    globally_unique: bool = False
    start: str = "a-z"
    """Character class the name must start with."""
    end: str = "a-z0-9"
    """Character class the name must end with."""


# Abbreviations from the Cloud Adoption Framework's list; limits from Azure's naming rules
# for each resource provider (docs: "Naming rules and restrictions for Azure resources").
RULES: dict[str, NameRule] = {
    "resource_group": NameRule("rg", 1, 90, "a-z0-9._()-", start="a-z0-9", end="a-z0-9_()-"),
    "virtual_network": NameRule("vnet", 2, 64, "a-z0-9._-", start="a-z0-9", end="a-z0-9_"),
    "subnet": NameRule("snet", 1, 80, "a-z0-9._-", start="a-z0-9", end="a-z0-9_"),
    "network_security_group": NameRule("nsg", 1, 80, "a-z0-9._-", start="a-z0-9", end="a-z0-9_"),
    "private_endpoint": NameRule("pep", 2, 64, "a-z0-9._-", start="a-z0-9", end="a-z0-9_"),
    "key_vault": NameRule("kv", 3, 24, "a-z0-9-", globally_unique=True),
    "managed_identity": NameRule("id", 3, 128, "a-z0-9_-", start="a-z0-9"),
    "log_analytics": NameRule("log", 4, 63, "a-z0-9-", start="a-z0-9"),
    "application_insights": NameRule("appi", 1, 260, "a-z0-9._()-", start="a-z0-9"),
    "monitor_workspace": NameRule("amw", 4, 44, "a-z0-9-", start="a-z0-9"),
    "grafana": NameRule("amg", 2, 23, "a-z0-9-", globally_unique=True),
    "action_group": NameRule("ag", 1, 260, "a-z0-9._-", start="a-z0-9"),
    "alert": NameRule("alrt", 1, 260, "a-z0-9._-", start="a-z0-9"),
    "budget": NameRule("budget", 1, 63, "a-z0-9_-", start="a-z0-9"),
    "container_registry": NameRule("cr", 5, 50, "a-z0-9", separator="", globally_unique=True),
    "storage_account": NameRule("st", 3, 24, "a-z0-9", separator="", globally_unique=True),
    "aks_cluster": NameRule("aks", 1, 63, "a-z0-9_-", start="a-z0-9"),
    "aks_dns_prefix": NameRule("aks", 1, 54, "a-z0-9-", start="a-z0-9"),
    "content_safety": NameRule("cs", 2, 64, "a-z0-9-", globally_unique=True),
    "openai": NameRule("oai", 2, 64, "a-z0-9-", globally_unique=True),
    "ml_workspace": NameRule("mlw", 3, 33, "a-z0-9_-", start="a-z0-9"),
    "ml_online_endpoint": NameRule("mle", 3, 32, "a-z0-9-", globally_unique=True),
    # CI runners (ci.runners). Lengths are the strictest of the services' documented rules.
    "container_apps_environment": NameRule("cae", 2, 32, "a-z0-9-", start="a-z", end="a-z0-9"),
    "container_apps_job": NameRule("caj", 2, 32, "a-z0-9-", start="a-z", end="a-z0-9"),
    "nat_gateway": NameRule("ng", 1, 80, "a-z0-9._-", start="a-z0-9", end="a-z0-9_"),
    "public_ip": NameRule("pip", 1, 80, "a-z0-9._-", start="a-z0-9", end="a-z0-9_"),
    "dev_center": NameRule("dc", 3, 26, "a-z0-9-", start="a-z0-9", end="a-z0-9"),
    "dev_center_project": NameRule("dcp", 3, 63, "a-z0-9-", start="a-z0-9", end="a-z0-9"),
    "devops_pool": NameRule("mdp", 3, 44, "a-z0-9-", start="a-z0-9", end="a-z0-9"),
    "entra_application": NameRule("app", 1, 120, "a-z0-9._ -", start="a-z0-9"),
    # the AI gateway and egress (issue 16): API Management names are global DNS labels (<name>.azure-api.net)
    "api_management": NameRule("apim", 1, 50, "a-z0-9-", globally_unique=True, start="a-z", end="a-z0-9"),
    "firewall": NameRule("afw", 1, 80, "a-z0-9._-", start="a-z0-9", end="a-z0-9_"),
    "firewall_policy": NameRule("afwp", 1, 80, "a-z0-9._-", start="a-z0-9", end="a-z0-9_"),
    "route_table": NameRule("rt", 1, 80, "a-z0-9._-", start="a-z0-9", end="a-z0-9_"),
    # The app tier (apps, search, cosmos). Container app names: 2-32, lowercase, no "--" (it separates
    # the revision suffix); search 2-60 and Cosmos DB 3-44, both globally unique (DNS names).
    "container_app": NameRule("ca", 2, 32, "a-z0-9-", start="a-z", end="a-z0-9"),
    "search_service": NameRule("srch", 2, 60, "a-z0-9-", start="a-z0-9", end="a-z0-9", globally_unique=True),
    "cosmos_account": NameRule("cosmos", 3, 44, "a-z0-9-", start="a-z0-9", end="a-z0-9", globally_unique=True),
}

REGION_CODES: dict[str, str] = {
    "eastus": "eus",
    "eastus2": "eus2",
    "westus": "wus",
    "westus2": "wus2",
    "westus3": "wus3",
    "centralus": "cus",
    "northcentralus": "ncus",
    "southcentralus": "scus",
    "canadacentral": "cac",
    "westeurope": "weu",
    "northeurope": "neu",
    "swedencentral": "sdc",
    "francecentral": "frc",
    "germanywestcentral": "gwc",
    "uksouth": "uks",
    "switzerlandnorth": "szn",
    "norwayeast": "nwe",
    "japaneast": "jpe",
    "australiaeast": "aue",
    "southeastasia": "sea",
    "koreacentral": "krc",
    "uaenorth": "uan",
    "brazilsouth": "brs",
    "southafricanorth": "san",
    "centralindia": "inc",
}

SUFFIX_LENGTH = 4


class InvalidNameError(ValueError):
    """A name cannot be made valid for its resource type."""


def region_code(location: str) -> str:
    """Short region code used in names (eastus -> eus); unknown regions keep their name."""
    return REGION_CODES.get(location, location)


def unique_suffix(*parts: str, length: int = SUFFIX_LENGTH) -> str:
    """A deterministic lowercase alphanumeric suffix from `parts` (same parts, same suffix)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:length]


def validate(kind: str, name: str) -> str:
    """Return `name` if Azure accepts it for `kind`, else raise with what is wrong."""
    rule = RULES[kind]
    problems = []
    if not rule.min_length <= len(name) <= rule.max_length:
        problems.append(f"length {len(name)} is outside {rule.min_length}-{rule.max_length}")
    if not re.fullmatch(f"[{rule.allowed}]+", name):
        problems.append(f"only [{rule.allowed}] are allowed")
    if name and not re.match(f"[{rule.start}]", name[0]):
        problems.append(f"must start with [{rule.start}]")
    if name and not re.match(f"[{rule.end}]", name[-1]):
        problems.append(f"must end with [{rule.end}]")
    if rule.separator == "-" and "--" in name and kind in {"key_vault", "content_safety", "openai", "grafana"}:
        problems.append("consecutive hyphens are not allowed")
    if problems:
        raise InvalidNameError(f"{kind} name {name!r} is invalid: " + "; ".join(problems))
    return name


@dataclass(frozen=True)
class Namer:
    """Makes the names of one environment's resources."""

    workload: str
    environment: str
    location: str
    subscription_id: str

    def name(self, kind: str, *qualifiers: str) -> str:
        """The name of a `kind` resource, e.g. name("subnet", "aks") -> snet-llmops-dev-eus-aks."""
        rule = RULES[kind]
        parts = [rule.abbreviation, self.workload, self.environment, region_code(self.location), *qualifiers]
        clean = [c for c in (_clean(p, rule) for p in parts if p) if c]
        suffix = ""
        if rule.globally_unique:
            suffix = unique_suffix(
                self.subscription_id, self.workload, self.environment, self.location, kind, *qualifiers
            )
        body = rule.separator.join(clean)
        room = rule.max_length - (len(suffix) + len(rule.separator) if suffix else 0)
        body = body[:room].rstrip("-._")
        name = f"{body}{rule.separator}{suffix}" if suffix else body
        return validate(kind, name)


def _clean(part: str, rule: NameRule) -> str:
    """Keep the allowed characters; no leading, trailing or doubled punctuation inside a part."""
    text = part.lower() if rule.lowercase else part
    text = re.sub(f"[^{rule.allowed}]", "", text.replace("_", "-" if "-" in rule.allowed else ""))
    text = re.sub(r"([-._])[-._]+", r"\1", text)
    return text.strip("-._")
