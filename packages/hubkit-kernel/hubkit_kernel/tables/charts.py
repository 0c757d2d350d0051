"""Charts from an interactive table: bar, line, scatter, histogram, box and heatmap of the
table's filtered view, with plotly (installed and rendered by JupyterLab's plotly extension).

The aggregation runs in the kernel with DuckDB over the frame, so only aggregated (or, for
raw points, sampled) rows become the figure. "Insert as code" gives the same chart as a
Python cell: the view in pandas (or polars, then pandas for the chart's few columns), the
same aggregation in pandas, and the same plotting lines, which the panel's figure is drawn
with too, so the two figures differ only if the two aggregations do (the tests compare them).
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .code import to_code
from .engine import NUMBER, POSITION, ColumnInfo, FilterError, Table, ViewState

KINDS = ("bar", "line", "scatter", "histogram", "box", "heatmap")
AGGREGATIONS = ("none", "count", "sum", "mean", "min", "max")
# Raw points (no aggregation) beyond this many are a random sample of this many
MAX_POINTS = 5000
# Bars, lines' points, boxes or heatmap cells a chart may have
MAX_GROUPS = 5000
# Bins of a histogram
BINS = 30
# The value column of a count
COUNT = "count"
_SQL_AGG = {"sum": "sum", "mean": "avg", "min": "min", "max": "max"}


@dataclass
class ChartSpec:
    """What the user chose in the chart panel, checked against the table's columns."""

    kind: str
    x: ColumnInfo | None
    y: ColumnInfo | None
    color: ColumnInfo | None
    agg: str

    @classmethod
    def from_request(cls, data: Any, columns: list[ColumnInfo]) -> ChartSpec:
        if not isinstance(data, dict):
            raise FilterError("A chart needs an object with kind, x, y, color and aggregation")
        kind = data.get("kind")
        if kind not in KINDS:
            raise FilterError(f"Unknown chart type {kind!r} ({', '.join(KINDS)})")
        agg = data.get("agg") or "none"
        if agg not in AGGREGATIONS:
            raise FilterError(f"Unknown aggregation {agg!r} ({', '.join(AGGREGATIONS)})")

        def column(key: str) -> ColumnInfo | None:
            index = data.get(key)
            if index is None or index == "":
                return None
            if not isinstance(index, int) or isinstance(index, bool):
                raise FilterError(f"chart {key}: a column number, got {index!r}")
            if not 0 <= index < len(columns):
                raise FilterError(f"chart {key}: no column number {index} ({len(columns)})")
            return columns[index]

        spec = cls(kind, column("x"), column("y"), column("color"), agg)
        spec._check()
        return spec

    def _check(self) -> None:
        kind, x, y, color, agg = self.kind, self.x, self.y, self.color, self.agg
        if x is None:
            raise FilterError(f"A {kind} chart needs a column for x")
        if kind == "histogram":
            self.agg, self.y = "count", None
            _number(x, "histogram: x")
        elif kind == "box":
            if y is None:
                raise FilterError("A box chart needs a number column for y (boxes per x value)")
            _number(y, "box: y")
            if color is not None:
                raise FilterError("A box chart has no color: its boxes are the values of x")
            self.agg = "none"
        elif kind == "heatmap":
            if y is None:
                raise FilterError("A heatmap needs columns for x and y")
            if agg == "none":
                self.agg = "count"
            if self.agg != "count":
                if color is None:
                    raise FilterError(f"heatmap: {agg} of which column? Pick it as color")
                _number(color, "heatmap: color")
            else:
                self.color = None
        else:
            if agg == "count":
                self.y = None
            elif y is None:
                raise FilterError(f"A {kind} chart needs y, or the aggregation count")
            elif agg != "none":
                _number(y, f"{kind}: y ({agg})")
        names = [c.name for c in (self.x, self.y, self.color) if c is not None]
        if len(set(names)) < len(names):
            raise FilterError(f"Pick different columns for x, y and color (got {names})")


def _number(column: ColumnInfo, where: str) -> None:
    if column.kind != NUMBER:
        raise FilterError(f"{where} must be a number column; {column.name!r} is {column.dtype}")


@dataclass
class Chart:
    """The chart's data (a small pandas DataFrame), its plotly figure and its code."""

    data: Any
    figure: Any
    code: str | None
    sampled: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "figure": json.loads(self.figure.to_json()),
            "code": self.code,
            "rows": len(self.data),
            "sampled": self.sampled,
        }


def chart(
    table: Table, state: ViewState, spec: ChartSpec, variable: str = "df", theme: str = "light"
) -> Chart:
    """The chart of the table's view (its filters and search; the sort plays no part)."""
    view = ViewState([], state.filters, state.search)
    count = table.count(view)
    sampled = spec.agg == "none" and spec.kind != "box" and count > MAX_POINTS
    data = _aggregate(table, view, spec, sampled)
    if len(data) > MAX_GROUPS:
        raise FilterError(
            f"This chart would have {len(data):,} groups (at most {MAX_GROUPS:,}): filter the "
            "table, or pick an x with fewer values"
        )
    figure = draw(data, spec)
    template = "plotly_dark" if theme == "dark" else "plotly_white"
    figure.update_layout(
        template=template, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 50, "r": 20, "t": 30, "b": 50},
    )  # fmt: skip
    code = _code(table, view, spec, variable, sampled)
    return Chart(data, figure, code, sampled)


def draw(data: Any, spec: ChartSpec) -> Any:
    """The figure of the aggregated data, by running the plotting lines the code has."""
    import plotly.express as px
    import plotly.graph_objects as go

    namespace = {"data": data, "px": px, "go": go}
    exec(_plot_code(spec), namespace)
    return namespace["fig"]


# -- the aggregation, in DuckDB -----------------------------------------------------------------


def _value_name(spec: ChartSpec) -> str:
    """The name of the chart's value column in its data."""
    if spec.kind == "heatmap":
        return COUNT if spec.agg == "count" else spec.color.name  # type: ignore[union-attr]
    if spec.agg == "count" or spec.kind == "histogram":
        return COUNT
    return spec.y.name  # type: ignore[union-attr]


def _keys(spec: ChartSpec) -> list[ColumnInfo]:
    if spec.kind == "heatmap":
        return [spec.x, spec.y]  # type: ignore[list-item]
    keys = [spec.x] + ([spec.color] if spec.color is not None else [])
    return keys  # type: ignore[return-value]


def _aggregate(table: Table, view: ViewState, spec: ChartSpec, sampled: bool) -> Any:
    where = table.where(view)
    keys = _keys(spec)
    not_null = " AND ".join(f"c{k.index} IS NOT NULL" for k in keys)
    cond = f"({where}) AND {not_null}" if where else not_null
    if spec.kind == "histogram":
        return _histogram(table, where, spec)
    if spec.kind == "box":
        return _box(table, where, spec)
    if spec.agg == "none":
        columns = [c for c in (spec.x, spec.y, spec.color) if c is not None]
        select = ", ".join(f"c{c.index}" for c in columns)
        filt = f" WHERE {where}" if where else ""
        if sampled:
            query = (f"SELECT {select} FROM (SELECT * FROM t{filt}) "
                     f"USING SAMPLE reservoir({MAX_POINTS} ROWS) REPEATABLE (7)")  # fmt: skip
        else:
            query = f"SELECT {select} FROM t{filt}"
        if spec.kind == "line":  # along x; equal x in the frame's order, as pandas' stable sort
            query = (f"SELECT * EXCLUDE ({POSITION}) FROM (SELECT *, row_number() OVER () AS "
                     f"{POSITION} FROM ({query})) ORDER BY c{spec.x.index} NULLS LAST, "  # type: ignore[union-attr]
                     f"{POSITION}")  # fmt: skip
        return _frame(table, query, [c.name for c in columns])
    group = ", ".join(f"c{k.index}" for k in keys)
    if spec.agg == "count":
        value = "count(*)"
    else:
        target = spec.color if spec.kind == "heatmap" else spec.y
        value = f"{_SQL_AGG[spec.agg]}(c{target.index})"  # type: ignore[union-attr]
        if spec.agg == "sum":  # pandas sums an all-null group to 0
            value = f"coalesce({value}, 0)"
    query = f"SELECT {group}, {value} FROM t WHERE {cond} GROUP BY {group} ORDER BY {group}"
    return _frame(table, query, [k.name for k in keys] + [_value_name(spec)])


def _frame(table: Table, query: str, names: list[str]) -> Any:
    return table.sql(query).df().set_axis(names, axis=1)


def _histogram(table: Table, where: str, spec: ChartSpec) -> Any:
    x = f"CAST(c{spec.x.index} AS DOUBLE)"  # type: ignore[union-attr]
    filt = f" WHERE {where}" if where else ""
    lo, hi = table.fetch(f"SELECT min({x}), max({x}) FROM t{filt}")[0]
    keys = _keys(spec)
    names = ["bin"] + [k.name for k in keys[1:]] + [COUNT]
    if lo is None:
        import pandas as pd

        return pd.DataFrame({n: [] for n in [spec.x.name, *names]})  # type: ignore[union-attr]
    span = (hi - lo) or 1.0
    step = BINS / span
    cond = " AND ".join([f"({where})"] * bool(where) + [f"c{k.index} IS NOT NULL" for k in keys])
    others = "".join(f", c{k.index}" for k in keys[1:])
    query = (
        f"SELECT least(floor(({x} - {lo!r}) * {step!r}), {BINS - 1}) AS b{others}, count(*) "
        f"FROM t WHERE {cond} GROUP BY ALL ORDER BY ALL"
    )
    data = _frame(table, query, names)
    data.insert(0, spec.x.name, lo + (data["bin"] + 0.5) * (span / BINS))  # type: ignore[union-attr]
    return data


def _box(table: Table, where: str, spec: ChartSpec) -> Any:
    x, y = f"c{spec.x.index}", f"CAST(c{spec.y.index} AS DOUBLE)"  # type: ignore[union-attr]
    cond = " AND ".join([f"({where})"] * bool(where) + [f"{x} IS NOT NULL", f"{y} IS NOT NULL"])
    v = f"(SELECT {x} AS x, {y} AS y FROM t WHERE {cond})"  # (no CTE: table.sql adds one)
    query = f"""
        SELECT q.x, q1, median, q3,
               min(y) FILTER (WHERE y >= q1 - 1.5 * (q3 - q1)),
               max(y) FILTER (WHERE y <= q3 + 1.5 * (q3 - q1))
        FROM (SELECT x, quantile_cont(y, 0.25) AS q1, quantile_cont(y, 0.5) AS median,
                     quantile_cont(y, 0.75) AS q3 FROM {v} GROUP BY x) AS q
        JOIN {v} AS v ON q.x = v.x GROUP BY q.x, q1, median, q3 ORDER BY q.x"""
    names = [spec.x.name, "q1", "median", "q3", "lowerfence", "upperfence"]  # type: ignore[union-attr]
    return _frame(table, query, names)


# -- the code --------------------------------------------------------------------------------


def _plot_code(spec: ChartSpec) -> str:
    """The lines that draw `fig` from `data` (shared by the panel and the inserted code)."""
    x = spec.x.name  # type: ignore[union-attr]
    value = _value_name(spec)
    if spec.kind == "box":
        return (
            f"fig = go.Figure(go.Box(x=data[{x!r}], q1=data['q1'], median=data['median'], "
            "q3=data['q3'],\n                       lowerfence=data['lowerfence'], "
            f"upperfence=data['upperfence'], name={spec.y.name!r}))\n"  # type: ignore[union-attr]
            f"fig.update_layout(xaxis_title={x!r}, yaxis_title={spec.y.name!r})"  # type: ignore[union-attr]
        )
    if spec.kind == "heatmap":
        label = COUNT if spec.agg == "count" else f"{spec.agg} of {value}"
        return (
            f"fig = go.Figure(go.Heatmap(x=data[{x!r}], y=data[{spec.y.name!r}], "  # type: ignore[union-attr]
            f"z=data[{value!r}],\n                           colorbar={{'title': "
            f"{{'text': {label!r}}}}}))\n"
            f"fig.update_layout(xaxis_title={x!r}, yaxis_title={spec.y.name!r})"  # type: ignore[union-attr]
        )
    color = f", color={spec.color.name!r}" if spec.color is not None else ""
    kind = "bar" if spec.kind == "histogram" else spec.kind
    labels = ""
    if spec.agg in _SQL_AGG:
        labels = f", labels={{{value!r}: {f'{spec.agg} of {value}'!r}}}"
    code = f"fig = px.{kind}(data, x={x!r}, y={value!r}{color}{labels})"
    if spec.kind == "histogram":
        code += "\nfig.update_layout(bargap=0)"
    return code


def _code(
    table: Table, view: ViewState, spec: ChartSpec, variable: str, sampled: bool
) -> str | None:
    """The chart as a Python cell, for pandas and polars frames (None for other sources)."""
    if table.source not in ("pandas", "polars"):
        return None
    lines = [to_code(table, view, table.source, variable).rsplit("\n", 1)[0]]
    columns = [c.name for c in (spec.x, spec.y, spec.color) if c is not None]
    if table.source == "polars":
        lines.append(f"view = view.select({columns!r}).to_pandas()  # the chart's columns")
    keys = [k.name for k in _keys(spec)]
    imports = ["import plotly.express as px", "import plotly.graph_objects as go"]
    if table.source == "pandas":
        imports.insert(0, "import pandas as pd")
    if spec.kind == "histogram":
        imports.insert(0, "import numpy as np")
        x = keys[0]
        lines += [
            f"values = view[{x!r}].dropna().astype(float)",
            "lo, hi = float(values.min()), float(values.max())",
            "span = (hi - lo) or 1.0",
            f"data = view.dropna(subset={keys!r})",
            f"data = data.assign(bin=np.floor((data[{x!r}].astype(float) - lo) * ({BINS} / span))"
            f".clip(upper={BINS - 1}))",
            f"data = data.groupby({['bin', *keys[1:]]!r}, observed=True).size()"
            f".reset_index(name={COUNT!r})",
            f"data.insert(0, {x!r}, lo + (data['bin'] + 0.5) * (span / {BINS}))",
        ]
    elif spec.kind == "box":
        x, y = keys[0], spec.y.name  # type: ignore[union-attr]
        lines += [
            f"data = view.dropna(subset=[{x!r}, {y!r}])",
            f"stats = data.groupby({x!r}, observed=True)[{y!r}].quantile([0.25, 0.5, 0.75])"
            ".unstack()",
            "stats.columns = ['q1', 'median', 'q3']",
            "iqr = stats['q3'] - stats['q1']",
            f"low = (stats['q1'] - 1.5 * iqr).reindex(data[{x!r}]).to_numpy()",
            f"high = (stats['q3'] + 1.5 * iqr).reindex(data[{x!r}]).to_numpy()",
            f"inside = data[(data[{y!r}] >= low) & (data[{y!r}] <= high)]"
            f".groupby({x!r}, observed=True)[{y!r}]",
            "stats['lowerfence'], stats['upperfence'] = inside.min(), inside.max()",
            "data = stats.reset_index()",
        ]
    elif spec.agg == "none":
        data = f"view[{columns!r}]"
        if sampled:
            data += f".sample(n={MAX_POINTS}, random_state=7)  # a random sample of the points"
        lines.append(f"data = {data}")
        if spec.kind == "line":
            lines.append(f"data = data.sort_values({keys[0]!r}, kind='stable')")
    else:
        grouped = f"view.dropna(subset={keys!r}).groupby({keys!r}, observed=True)"
        if spec.agg == "count":
            lines.append(f"data = {grouped}.size().reset_index(name={COUNT!r})")
        else:
            value = _value_name(spec)
            lines.append(f"data = {grouped}[{value!r}].agg({spec.agg!r}).reset_index()")
    return "\n".join(imports) + "\n\n" + "\n".join(lines) + "\n" + _plot_code(spec) + "\nfig"
