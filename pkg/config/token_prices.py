"""Token prices of the models behind the gateway, from the environment's price catalog (the one `cost` reads).

Catalog keys: `openai-tokens/<model>/input` and `openai-tokens/<model>/output`, USD per million tokens
(pay-as-you-go, Global Standard). The chargeback query (`components.chargeback`) carries them; a model the
catalog does not price, and every self-hosted model, gets none (its query rows carry token shares only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops_infra.components.chargeback import ModelPrice
from llmops_infra.policies.pricing import catalog_for

if TYPE_CHECKING:
    from llmops_infra.config.models import EnvironmentConfig


def token_price_key(model: str, direction: str) -> str:
    return f"openai-tokens/{model}/{direction}"


def gateway_model_prices(config: EnvironmentConfig) -> list[ModelPrice]:
    """One entry per model API of the gateway (OpenAI deployments, vLLM models, ML endpoints), by API name."""
    catalog = catalog_for(config.azure.location, config.cost.price_catalog)
    prices: list[ModelPrice] = []
    for deployment in config.openai.deployments:
        found = catalog.lookup(token_price_key(deployment.model, "input"))
        output = catalog.lookup(token_price_key(deployment.model, "output"))
        prices.append(
            ModelPrice(
                model=deployment.name,
                input_per_mtok=found.value if found else None,
                output_per_mtok=output.value if output else None,
                verified=bool(found and found.verified and (output is None or output.verified)),
            )
        )
    prices += [ModelPrice(model=m.name) for m in config.inference.models]
    prices += [ModelPrice(model=e.name) for e in config.ml.endpoints]
    return prices
