"""Column summaries for the table's header and the profile report: nulls, distinct values,
min/max, the most frequent values and a small histogram, computed by DuckDB over the frame."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any

from .engine import BOOL, DATE, NUMBER, TEXT, Table, jsonable

# Bars of a column's histogram
BINS = 20
# Most frequent values shown for a text column
TOP = 5
# Longer tables are summarised from a random sample of this many rows
SAMPLE = 1_000_000


def summarize(table: Table, pick_list_max: int = 50, sample: int = SAMPLE) -> list[dict[str, Any]]:
    """One summary per column. Text columns with at most `pick_list_max` distinct values also
    carry all their values (`choices`), which the filter offers as a pick-list. Tables longer
    than `sample` rows are summarised from a random sample of that many rows (`sampled`)."""
    columns = table.columns
    if not columns:
        return []
    total_rows = table.total()
    if sample and total_rows > sample:
        table = table.sample(sample)
    stats = []
    for c in columns:
        name = f"c{c.index}"
        stats.append(f"count({name})")
        stats.append(f"approx_count_distinct({name})")
        if c.kind in (NUMBER, DATE):
            stats += [f"min({name})", f"max({name})"]
            value = _numeric(c.index, c.kind)
            stats += [f"min({value}) FILTER (isfinite({value}))",
                      f"max({value}) FILTER (isfinite({value}))"]  # fmt: skip
    row = table.fetch(f"SELECT count(*), {', '.join(stats)} FROM t")[0]
    total, values = row[0], iter(row[1:])
    out = []
    for c in columns:
        summary: dict[str, Any] = {"column": c.index, "nulls": total - next(values)}
        summary["rows"] = total
        summary["sampled"] = total < total_rows
        summary["distinct"] = next(values)
        if c.kind in (NUMBER, DATE):
            low, high = next(values), next(values)
            lo, hi = next(values), next(values)
            summary["min"], summary["max"] = jsonable(low), jsonable(high)
            if lo is not None:
                summary["histogram"] = _histogram(table, c.index, c.kind, lo, hi)
        elif c.kind in (TEXT, BOOL):
            limit = max(TOP, pick_list_max + 1) if c.kind == TEXT else 3
            top = table.fetch(
                f"SELECT c{c.index}, count(*) AS n FROM t WHERE c{c.index} IS NOT NULL "
                f"GROUP BY 1 ORDER BY n DESC, 1 LIMIT {int(limit)}"
            )
            summary["top"] = [[jsonable(v), n] for v, n in top[:TOP]]
            if len(top) <= pick_list_max or c.kind == BOOL:
                summary["choices"] = sorted(jsonable(v) for v, _ in top)
                summary["distinct"] = len(top)
        out.append(summary)
    return out


def _numeric(index: int, kind: str) -> str:
    """The column as a double (dates as epoch seconds), for histograms."""
    if kind == NUMBER:
        return f"CAST(c{index} AS DOUBLE)"
    return f"CAST(epoch(CAST(c{index} AS TIMESTAMP)) AS DOUBLE)"


def _histogram(table: Table, index: int, kind: str, lo: float, hi: float) -> dict[str, Any]:
    """Counts in BINS equal-width bins between min and max (dates by epoch seconds)."""
    value = _numeric(index, kind)
    width = (hi - lo) / BINS or 1.0
    rows = table.fetch(
        f"SELECT least(CAST(floor(({value} - {lo!r}) / {width!r}) AS BIGINT), {BINS - 1}) AS b, "
        f"count(*) FROM t WHERE {value} IS NOT NULL AND isfinite({value}) GROUP BY b"
    )
    counts = [0] * BINS
    for b, n in rows:
        if b is not None and 0 <= b < BINS:
            counts[b] = n
    return {"counts": counts, "low": lo, "high": hi}
