"""Free-form visual exploration of a table with Graphic Walker (the `@kanaries/graphic-walker`
drag-and-drop chart builder, embedded in JupyterLab's hubkit extension), answered by the kernel.

Graphic Walker asks for its data as a "computation workflow" (filter, transform, view, sort,
limit: https://github.com/Kanaries/graphic-walker/blob/main/computation.md). The kernel turns
each workflow into one DuckDB query over the table's filtered view, so only the aggregated
rows (or a sample of at most MAX_ROWS raw rows) reach the browser, however large the frame.
Nothing else is sent anywhere: the browser side has no telemetry, and pygwalker (which pins
duckdb < 2 and sends usage events by default) is not used.

Fields are the table's columns by position (`c0`, `c1`, ...), so column names never reach SQL
text; keys Graphic Walker makes (computed fields, measures' results) are quoted identifiers,
values escaped literals (sqlglot).
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any

from .engine import NUMBER, FilterError, Table, ViewState, _literal, jsonable

# Rows a query may send back: raw rows beyond it are a random sample of this many
MAX_ROWS = 10_000
# Aggregations Graphic Walker asks for, in DuckDB
AGGREGATES = {
    "sum": "sum({})",
    "count": "count({})",
    "max": "max({})",
    "min": "min({})",
    "mean": "avg({})",
    "median": "median({})",
    "variance": "var_samp({})",
    "stdev": "stddev_samp({})",
    "distinctCount": "count(DISTINCT {})",
}
# Date parts of Graphic Walker's time drill-down ("dateTimeDrill") and features
DATE_PARTS = {"year", "quarter", "month", "week", "day", "hour", "minute", "second"}
FEATURES = {
    "year": "year", "quarter": "quarter", "month": "month", "week": "week", "weekday": "isodow",
    "day": "day", "hour": "hour", "minute": "minute", "second": "second",
}  # fmt: skip


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Query:
    """A workflow being turned into SQL: the query so far and the fields it has."""

    def __init__(self, table: Table, state: ViewState) -> None:
        where = table.where(state)
        self.sql = f"SELECT * FROM t{f' WHERE {where}' if where else ''}"
        self.fields = {f"c{c.index}": c.kind for c in table.columns}
        self.raw = True  # no aggregation yet: a sample, not a cut, when too many rows
        self.ordered = False

    def field(self, name: Any, where: str) -> str:
        if not isinstance(name, str) or name not in self.fields:
            raise FilterError(f"explore: {where}: no field {name!r} in this table")
        return quote(name)

    def wrap(self, select: str, tail: str = "") -> None:
        self.sql = f"SELECT {select} FROM ({self.sql}){tail}"

    # -- the steps ----------------------------------------------------------------------------

    def filter(self, step: dict[str, Any]) -> None:
        parts = [self._rule(item) for item in step.get("filters") or []]
        if parts:
            self.wrap("*", " WHERE " + " AND ".join(f"({p})" for p in parts))

    def _rule(self, item: Any) -> str:
        if not isinstance(item, dict) or not isinstance(item.get("rule"), dict):
            raise FilterError(f"explore: a filter needs a field and a rule, got {item!r}")
        name = self.field(item.get("fid"), "filter")
        rule = item["rule"]
        kind, value = rule.get("type"), rule.get("value")
        if kind in ("range", "temporal range"):
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise FilterError(f"explore: a {kind} needs two bounds, got {value!r}")
            low, high = (_number(v, kind) for v in value)
            if kind == "temporal range":
                name = f"epoch_ms(CAST({name} AS TIMESTAMP))"
            return f"{name} BETWEEN {_literal(low)} AND {_literal(high)}"
        if kind in ("one of", "not in"):
            values = list(value or [])
            for v in values:
                if v is not None and not isinstance(v, str | int | float | bool):
                    raise FilterError(f"explore: {kind} takes values, got {v!r}")
            listed = ", ".join(_literal(str(v)) for v in values if v is not None)
            test = f"CAST({name} AS VARCHAR) IN ({listed})" if listed else "FALSE"
            if None in values:
                test = f"({test} OR {name} IS NULL)"
            return test if kind == "one of" else f"NOT ({test})"
        if kind == "regexp":
            if not isinstance(value, str):
                raise FilterError(f"explore: a regexp filter needs text, got {value!r}")
            flags = "" if rule.get("caseSensitive") else ", 'i'"
            return f"regexp_matches(CAST({name} AS VARCHAR), {_literal(value)}{flags})"
        raise FilterError(f"explore: unknown filter {kind!r} (range, temporal range, one of, ...)")

    def transform(self, step: dict[str, Any]) -> None:
        added = []
        for item in step.get("transform") or []:
            if not isinstance(item, dict) or not isinstance(item.get("expression"), dict):
                raise FilterError(f"explore: a transform needs a key and expression, got {item!r}")
            key = item.get("key")
            if not isinstance(key, str) or not key:
                raise FilterError(f"explore: a transform needs a key, got {key!r}")
            added.append(f"{self._expression(item['expression'])} AS {quote(key)}")
            self.fields[key] = NUMBER
        if added:
            self.wrap("*, " + ", ".join(added))

    def _expression(self, expression: dict[str, Any]) -> str:
        op, params = expression.get("op"), expression.get("params") or []
        if op == "one":
            return "1"
        params = [p for p in params if isinstance(p, dict)]
        fields = [p.get("value") for p in params if p.get("type") == "field"]
        values = [p.get("value") for p in params if p.get("type") != "field"]
        if not fields:
            raise FilterError(f"explore: {op!r} needs a field")
        name = self.field(fields[0], str(op))
        if op in ("bin", "binCount"):
            bins = int(_number(expression.get("num") or 10, "bins"))
            if not 1 <= bins <= 1000:
                raise FilterError(f"explore: bins must be 1 to 1000, got {bins}")
            low, high = f"min({name}) OVER ()", f"max({name}) OVER ()"
            step = f"nullif(({high} - {low}) / {bins}, 0)"
            index = f"least(floor(({name} - {low}) / {step}), {bins - 1})"
            if op == "binCount":
                return index
            # a bin is its [start, end), as Graphic Walker's own computation gives it
            return (f"[coalesce({low} + {index} * {step}, {low}), "
                    f"coalesce({low} + ({index} + 1) * {step}, {high})]")  # fmt: skip
        if op in ("log2", "log10", "log"):
            base = {"log2": 2, "log10": 10}.get(op) or _number(expression.get("num") or 10, "log")
            return f"CASE WHEN {name} > 0 THEN ln({name}) / ln({_literal(base)}) END"
        if op == "dateTimeDrill":
            part = values[0] if values else None
            if part not in DATE_PARTS:
                raise FilterError(f"explore: no date drill-down {part!r} ({sorted(DATE_PARTS)})")
            return f"date_trunc({_literal(part)}, CAST({name} AS TIMESTAMP))"
        if op == "dateTimeFeature":
            part = values[0] if values else None
            if part not in FEATURES:
                raise FilterError(f"explore: no date feature {part!r} ({sorted(FEATURES)})")
            return f"date_part({_literal(FEATURES[part])}, CAST({name} AS TIMESTAMP))"
        raise FilterError(f"explore: the expression {op!r} is not supported here")

    def view(self, step: dict[str, Any]) -> None:
        for query in step.get("query") or []:
            if not isinstance(query, dict):
                raise FilterError(f"explore: a view query must be an object, got {query!r}")
            if query.get("op") == "raw":
                wanted = [f for f in query.get("fields") or [] if f != "*"]
                if wanted and "*" not in (query.get("fields") or []):
                    names = [self.field(f, "raw view") for f in wanted]
                    self.wrap(", ".join(names))
                    self.fields = {n: k for n, k in self.fields.items() if n in wanted}
            elif query.get("op") == "aggregate":
                self._aggregate(query)
            else:
                raise FilterError(f"explore: unknown view {query.get('op')!r} (raw, aggregate)")

    def _aggregate(self, query: dict[str, Any]) -> None:
        groups = [self.field(f, "group by") for f in query.get("groupBy") or []]
        selects, fields = list(groups), {}
        for measure in query.get("measures") or []:
            if not isinstance(measure, dict):
                raise FilterError(f"explore: a measure must be an object, got {measure!r}")
            agg = measure.get("agg")
            if agg not in AGGREGATES:
                raise FilterError(f"explore: unknown aggregation {agg!r} ({', '.join(AGGREGATES)})")
            key = measure.get("asFieldKey")
            if not isinstance(key, str) or not key:
                raise FilterError(f"explore: a measure needs asFieldKey, got {key!r}")
            field = measure.get("field")
            # Graphic Walker counts rows as the count of "*" (its Data tab, field profiles)
            target = "*" if field == "*" and agg == "count" else self.field(field, agg)
            selects.append(f"{AGGREGATES[agg].format(target)} AS {quote(key)}")
            fields[key] = NUMBER
        by = f" GROUP BY {', '.join(groups)}" if groups else ""
        self.wrap(", ".join(selects) or "count(*) AS count", by)
        self.fields = {n: k for n, k in self.fields.items() if quote(n) in groups} | fields
        self.raw = False

    def sort(self, step: dict[str, Any]) -> None:
        order = {"ascending": "ASC", "descending": "DESC"}.get(step.get("sort"))
        if order is None:
            raise FilterError(f"explore: sort ascending or descending, got {step.get('sort')!r}")
        keys = [f"{self.field(f, 'sort')} {order} NULLS LAST" for f in step.get("by") or []]
        if keys:
            self.wrap("*", " ORDER BY " + ", ".join(keys))
            self.ordered = True

    def finish(self, limit: int | None, offset: int) -> str:
        cap = min(limit, MAX_ROWS) if limit is not None else MAX_ROWS
        if self.raw and not self.ordered and limit is None and offset == 0:
            # a chart of raw rows: a random sample, not the frame's first rows
            return (f"SELECT * FROM ({self.sql}) USING SAMPLE reservoir({cap} ROWS) "
                    f"REPEATABLE (7)")  # fmt: skip
        return f"{self.sql} LIMIT {cap} OFFSET {offset}"


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FilterError(f"explore: {where} needs numbers, got {value!r}")
    return value


def to_sql(table: Table, state: ViewState, payload: Any) -> str:
    """The DuckDB query (over `t`, the table) answering one Graphic Walker request."""
    if not isinstance(payload, dict) or not isinstance(payload.get("workflow"), list):
        raise FilterError("explore: a request needs a workflow (a list of steps)")
    query = _Query(table, state)
    limit = None
    for step in payload["workflow"]:
        kind = step.get("type") if isinstance(step, dict) else None
        if kind == "limit":
            limit = int(_number(step.get("limit"), "limit"))
        elif kind in ("filter", "transform", "view", "sort"):
            getattr(query, kind)(step)
        else:
            raise FilterError(f"explore: unknown workflow step {kind!r}")
    if payload.get("limit") is not None:
        limit = int(_number(payload["limit"], "limit"))
    offset = int(_number(payload.get("offset") or 0, "offset"))
    if (limit is not None and limit < 0) or offset < 0:
        raise FilterError("explore: limit and offset must be >= 0")
    return query.finish(limit, offset)


def compute(table: Table, state: ViewState, payload: Any) -> list[dict[str, Any]]:
    """Rows answering one Graphic Walker request, as JSON objects."""
    relation = table.sql(to_sql(table, state, payload))
    names = relation.columns
    return [
        {name: _value(value) for name, value in zip(names, row, strict=True)}
        for row in relation.fetchall()
    ]


def _value(value: Any) -> Any:
    """A value as JSON; a bin's [start, end) stays a list."""
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return jsonable(value)
