"""Arrow results into DataFrames that keep their types, and the one-line summary a SQL cell
shows above them.

pandas: nullable integers and booleans become Int64/boolean, text the pyarrow-backed string
dtype, decimals stay Arrow decimals (exact), dates and timestamps datetime64 with their zone,
binary stays bytes. polars keeps Arrow's types as they are.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import html
from typing import Any

TIMES = "\u00d7"  # the multiplication sign of "3 rows × 2 columns"  # noqa: RUF003


def _types_mapper() -> Any:
    import pandas as pd
    import pyarrow as pa

    nullable = {
        pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
        pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype(),
    }  # fmt: skip
    text = pd.StringDtype("pyarrow")

    def mapper(kind: Any) -> Any:
        if kind in nullable:
            return nullable[kind]
        if (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_string_view(kind)
        ):
            return text
        if pa.types.is_decimal(kind):
            return pd.ArrowDtype(kind)
        return None  # pyarrow's default: datetime64 with zone, float64, bytes objects

    return mapper


def to_pandas(table: Any) -> Any:
    return table.to_pandas(types_mapper=_types_mapper(), date_as_object=False)


def to_polars(table: Any) -> Any:
    import polars as pl

    return pl.from_arrow(table)


class ResultView:
    """What a SQL cell displays: its summary line, then the DataFrame's own repr."""

    def __init__(
        self,
        frame: Any | None,
        summary: str,
        sql: str | None = None,
        dialect: str = "duckdb",
        variable: str | None = None,
    ) -> None:
        self.frame = frame
        self.summary = summary
        self.sql = sql
        self.dialect = dialect
        self.variable = variable

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """The result as an interactive table (hubkit_kernel.tables), titled by the summary;
        its "copy as code" gives SQL over this cell's query in the connection's dialect."""
        from ..tables import display

        if self.frame is None or display._registry is None:
            return None
        if not display._registry.config.enabled:
            return None
        return display._registry.bundle(
            self.frame, self.variable, self.sql, self.dialect, title=self.summary
        )

    def __repr__(self) -> str:
        if self.frame is None:
            return self.summary
        return f"{self.summary}\n{self.frame!r}"

    def _repr_html_(self) -> str:
        head = f'<div class="hubkit-sql-summary">{html.escape(self.summary)}</div>'
        if self.frame is None:
            return head
        body = getattr(self.frame, "_repr_html_", None)
        frame_html = body() if body else f"<pre>{html.escape(repr(self.frame))}</pre>"
        return head + (frame_html or "")


def count(n: int, noun: str) -> str:
    """The count with its noun: 1 row, 2 rows, 1,000 rows."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def summary_line(rows: int, columns: int, connection: str, seconds: float, truncated: bool) -> str:
    limit = " (row limit reached)" if truncated else ""
    shape = f"{count(rows, 'row')} {TIMES} {count(columns, 'column')}"
    return f"{shape}{limit} · {connection} · {seconds:.2f} s"


def affected_line(rowcount: int | None, connection: str, seconds: float) -> str:
    if rowcount is None or rowcount < 0:
        return f"Done · {connection} · {seconds:.2f} s"
    return f"{count(rowcount, 'row')} affected · {connection} · {seconds:.2f} s"
