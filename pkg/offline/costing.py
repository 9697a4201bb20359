"""Pricing an environment: the catalog of its region (`cost.price_catalog`, or `--prices` through
`policies.pricing.override`), and its plan's monthly estimate."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.plan import Plan
from llmops_infra.policies.cost_model import Estimate, estimate_plan
from llmops_infra.policies.pricing import PriceCatalog, catalog_for


def price_catalog(config: EnvironmentConfig) -> PriceCatalog:
    """The catalog that prices `config`'s region (see `policies.pricing` for the order)."""
    return catalog_for(config.azure.location, config.cost.price_catalog)


def estimate(config: EnvironmentConfig, plan: Plan) -> Estimate:
    """`plan`'s monthly cost, priced for `config`'s region."""
    return estimate_plan(plan, price_catalog(config))


def project_regions(project_dir: Path) -> list[str]:
    """Every region the project's environments deploy to or allow, else every region with a shipped catalog."""
    from llmops_infra.config.loader import ENVIRONMENTS_DIR, list_environments, load_environment
    from llmops_infra.errors import ConfigError
    from llmops_infra.policies.pricing import shipped_regions

    if not (Path(project_dir) / ENVIRONMENTS_DIR).is_dir():
        return shipped_regions()
    regions: set[str] = set()
    for name in list_environments(project_dir):
        try:
            config = load_environment(name, project_dir)
        except ConfigError:
            continue  # `validate` reports it; the other environments' regions are still refreshed
        regions.add(config.azure.location)
        regions.update(config.cost.allowed_regions)
    return sorted(regions) or shipped_regions()
