"""What JupyterLab's "Suggest analyses" action sends to the model about a DataFrame: its schema
and summary statistics, computed here in the kernel where the data is.

Privacy: without `sample_rows`, nothing that is a row's value leaves the kernel: column names
and types, the row count, null and distinct counts, and for numbers their mean and standard
deviation (aggregates, never one row's value). Minimum, maximum, the most frequent values and
the first rows are added only when the user allows sample rows (`sample_rows > 0`).

The frontend calls `summary(<variable>, <rows>)` as a silent user expression; the result's
`_repr_json_` is what it reads.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any

# The most sample rows one request may ask for
MAX_SAMPLE_ROWS = 20


def describe(data: Any, sample_rows: int = 0) -> dict[str, Any]:
    """The schema and statistics of a pandas or polars DataFrame, an Arrow table or a DuckDB
    relation; sample values and the first `sample_rows` rows only when that is above 0."""
    from .tables.engine import NUMBER, Table, jsonable
    from .tables.summaries import summarize

    if not isinstance(sample_rows, int) or not 0 <= sample_rows <= MAX_SAMPLE_ROWS:
        raise ValueError(f"sample_rows must be a whole number from 0 to {MAX_SAMPLE_ROWS}")
    table = Table(data)  # a TypeError naming the type for anything else
    try:
        stats = summarize(table, pick_list_max=0)
        numbers = [c for c in table.columns if c.kind == NUMBER]
        moments: list[Any] = []
        if numbers:
            parts = [f"avg(c{c.index}), stddev_samp(c{c.index})" for c in numbers]
            moments = list(table.fetch(f"SELECT {', '.join(parts)} FROM t")[0])
        columns = []
        for c, s in zip(table.columns, stats, strict=True):
            column: dict[str, Any] = {
                "name": c.name,
                "type": c.dtype,
                "nulls": s["nulls"],
                "distinct": s["distinct"],
            }
            if c.kind == NUMBER:
                mean, std = moments.pop(0), moments.pop(0)
                column["mean"] = _rounded(mean)
                column["std"] = _rounded(std)
            if sample_rows:
                for key in ("min", "max", "top"):
                    if key in s:
                        column[key] = s[key]
            columns.append(column)
        out: dict[str, Any] = {"rows": table.total(), "columns": columns}
        if sample_rows:
            rows = table.fetch(f"SELECT * FROM t LIMIT {int(sample_rows)}")
            out["sample"] = [[jsonable(v) for v in row] for row in rows]
        return out
    finally:
        table.close()


def _rounded(value: Any) -> float | None:
    """Four significant digits: enough to suggest analyses, and not a stored value."""
    if value is None:
        return None
    value = float(value)
    return None if value != value else float(f"{value:.4g}")  # NaN: no JSON number


class Summary:
    """describe()'s answer as a display object: IPython sends `_repr_json_` as
    application/json for a user expression, so the frontend reads it without parsing Python."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _repr_json_(self) -> dict[str, Any]:
        return self.data


def summary(data: Any, sample_rows: int = 0) -> Summary:
    """describe() for the frontend, errors included as {"error": message}."""
    try:
        return Summary(describe(data, sample_rows))
    except (TypeError, ValueError) as e:
        return Summary({"error": str(e)})
