"""Model prices from LiteLLM's maintained table (the JSON shipped inside the litellm package).

Read from the file, not through `import litellm`: importing the SDK takes seconds and hundreds
of MB, and the gateway needs only the table (the same one `litellm.model_cost` loads when
LITELLM_LOCAL_MODEL_COST_MAP is set).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution

TABLE = "litellm/model_prices_and_context_window_backup.json"


class PriceError(LookupError):
    """A model the table does not price for its vendor: `str()` names it."""


@dataclass(frozen=True)
class Price:
    input_per_token: float
    output_per_token: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return input_tokens * self.input_per_token + output_tokens * self.output_per_token


@cache
def price_table() -> dict[str, dict]:
    try:
        path = distribution("litellm").locate_file(TABLE)
    except PackageNotFoundError:
        raise PriceError("the litellm package (its price table) is not installed") from None
    return json.loads(path.read_text())


def price_of(model: str) -> Price:
    """The price of a model named as in the policy (`vendor/name`)."""
    vendor, _, name = model.partition("/")
    entry = price_table().get(name) or price_table().get(model)
    if not entry or entry.get("litellm_provider") != vendor:
        raise PriceError(f"{model}: LiteLLM's price table has no {vendor} model {name!r}")
    return Price(
        float(entry.get("input_cost_per_token") or 0),
        float(entry.get("output_cost_per_token") or 0),
    )
