"""What "Suggest analyses" learns about a DataFrame (hubkit_kernel.ai): its schema and
statistics, and row values only when the user allows sample rows."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json

import pandas as pd
import polars as pl
import pytest

from hubkit_kernel.ai import describe, summary

FRAME = {
    "customer": ["Zebulon Quaxley", "Ottoline Vask", None, "Zebulon Quaxley"],
    "amount": [1234.567, 89.25, 77777.5, 3.125],
}
VALUES = ("Zebulon", "Ottoline", "1234.567", "89.25", "77777.5", "3.125")


@pytest.mark.parametrize("make", [pd.DataFrame, pl.DataFrame])
def test_without_sample_rows_no_row_value_is_described(make):
    data = describe(make(FRAME))
    text = json.dumps(data)
    assert not [v for v in VALUES if v in text], text
    assert data["rows"] == 4
    customer, amount = data["columns"]
    assert customer["name"] == "customer" and customer["nulls"] == 1
    assert customer["distinct"] == 2
    assert amount["mean"] == 19780.0  # 19776.11 to 4 significant digits and amount["std"] > 0


def test_sample_rows_add_values_when_allowed():
    data = describe(pd.DataFrame(FRAME), sample_rows=2)
    assert data["sample"] == [["Zebulon Quaxley", 1234.567], ["Ottoline Vask", 89.25]]
    amount = data["columns"][1]
    assert (amount["min"], amount["max"]) == (3.125, 77777.5)
    assert data["columns"][0]["top"][0] == ["Zebulon Quaxley", 2]


def test_bad_input_is_named_for_the_frontend():
    assert "not builtins.list" in summary([1, 2])._repr_json_()["error"]
    assert "sample_rows" in summary(pd.DataFrame(FRAME), 1000)._repr_json_()["error"]
