"""Model prices from genai-prices, Pydantic's maintained price table of the vendors' APIs.

Why not LiteLLM's table (the JSON inside the litellm package) any more: the gateway needs only
the prices, and installing litellm for them brought its SDK's dependencies into the hub (openai,
tokenizers, tiktoken, huggingface-hub, boto3, aiohttp: about 280 MB of the hub's 525 MB).
genai-prices is the table alone (a Python snapshot of it, about 3 MB with its two small
dependencies), prices tiers (long prompts) as the vendors do, and is updated as they change.
The model names stay LiteLLM's (`anthropic/claude-sonnet-4-5`), which jupyter-ai uses.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from genai_prices import Usage
from genai_prices.data_snapshot import get_snapshot
from genai_prices.types import TieredPrices


class PriceError(LookupError):
    """A model the table does not price for its vendor: `str()` names it."""


@dataclass(frozen=True)
class Price:
    """The price of one offered model (its provider and model from the table)."""

    provider: Any
    model: Any

    def cost(
        self,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> float:
        """USD for one answer, at the price in force now. `input_tokens` is the whole prompt;
        the parts read from and written to the vendor's prompt cache are priced at the
        table's cache rates (a cache read costs a tenth of an input token at Anthropic).

        The table's own calculation costs about 1-2 ms of CPU (it decomposes every kind of
        usage); a prompt without cached parts below the model's first price tier (nearly all)
        is just tokens times the base prices per million, computed here in microseconds."""
        now = datetime.now(UTC)
        prices = self.model.get_prices(now)
        per_input = base_rate(prices.input_mtok, input_tokens)
        per_output = base_rate(prices.output_mtok, input_tokens)
        if per_input is None or per_output is None or cache_read_tokens or cache_write_tokens:
            usage = Usage(
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cache_read_tokens,
                cache_write_tokens=cache_write_tokens,
            )
            result = self.model.calc_price(usage, self.provider, genai_request_timestamp=now)
            return float(result.total_price)
        return float(input_tokens * per_input + output_tokens * per_output) / 1_000_000


def base_rate(price: Any, input_tokens: int) -> Decimal | None:
    """USD per million tokens when no tier applies to a prompt of input_tokens, else None."""
    if price is None:
        return Decimal(0)
    if isinstance(price, TieredPrices):
        if price.tiers and input_tokens >= price.tiers[0].start:
            return None
        return price.base
    return Decimal(price)


def price_of(model: str) -> Price:
    """The price of a model named as in the policy (`vendor/name`)."""
    vendor, _, name = model.partition("/")
    if not name:
        raise PriceError(f"{model}: not a vendor/model name (e.g. anthropic/claude-sonnet-4-5)")
    try:
        provider, info = get_snapshot().find_provider_model(name, None, vendor, None)
    except LookupError:
        raise PriceError(f"{model}: genai-prices' table has no {vendor} model {name!r}") from None
    return Price(provider, info)
