"""The visual query builder's SQL: a builder state (tables, joins, columns with aggregates,
typed filters, group by, order, limit) becomes SQL for the connection's dialect, generated
with sqlglot. Every identifier is quoted and every value the user typed is a bound parameter
(`:p0`, `:p1`, ...), so nothing typed ends up in the SQL text; the parameters run through the
same binding as a SQL cell's `:name`.

    sql, params = build_query(state, "postgresql")
    table = run_query("pg", state)           # an Arrow table, for the preview
    suggest_joins("pg", [("sales", "orders"), ("sales", "customers")])
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from .catalog import SQLGLOT_DIALECTS
from .errors import brief

AGGREGATES = ("count", "count_distinct", "sum", "avg", "min", "max")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "contains", "in", "between", "null", "notnull")
JOIN_KINDS = ("inner", "left", "right", "full")


class BuilderError(ValueError):
    """A builder state that cannot become SQL, with a message naming the part."""


@dataclass(frozen=True)
class JoinSuggestion:
    """Two tables of the query joined on a foreign key."""

    left: int  # index in state["tables"]
    left_column: str
    right: int
    right_column: str

    def to_dict(self) -> dict[str, Any]:
        return {"left": self.left, "left_column": self.left_column, "right": self.right,
                "right_column": self.right_column, "kind": "inner"}  # fmt: skip


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise BuilderError(f"{where} must be a non-empty name, got {brief(value)}")
    return value


def _table_index(state: dict[str, Any], value: Any, where: str) -> int:
    tables = state.get("tables") or []
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(tables):
        raise BuilderError(f"{where}: no table number {brief(value)} in the query")
    return value


def build_query(
    state: dict[str, Any], dialect: str, prefix: str = "p"
) -> tuple[str, dict[str, Any]]:
    """The SQL text and its parameters for a builder state. The parameters are named
    `<prefix>0`, `<prefix>1`, ...: a SQL cell binds them from Python variables of those names.

    state = {
      "tables": [{"schema": "sales", "table": "orders"}, ...],      # t0, t1, ...
      "joins": [{"left": 0, "left_column": "customer_id", "right": 1, "right_column": "id",
                 "kind": "inner"}],
      "columns": [{"table": 1, "column": "country"},
                  {"table": 0, "column": "amount", "aggregate": "sum", "alias": "total"}],
      "filters": [{"table": 0, "column": "amount", "op": ">=", "value": 100}],
      "group_by": [{"table": 1, "column": "country"}],   # default: the plain columns, when
                                                         # any column is aggregated
      "order_by": [{"output": 1, "descending": true}],   # an index into columns
      "limit": 100,
    }
    """
    from sqlglot import exp

    if not isinstance(state, dict):
        raise BuilderError("The builder state must be an object")
    if not isinstance(prefix, str) or not prefix.isidentifier() or not prefix.isascii():
        raise BuilderError(f"parameter prefix must be a Python name, got {brief(prefix)}")
    target = SQLGLOT_DIALECTS.get(dialect, dialect)
    tables = state.get("tables") or []
    if not tables:
        raise BuilderError("Pick at least one table")

    def ident(name: str) -> exp.Identifier:
        return exp.to_identifier(name, quoted=True)

    def table_expr(i: int) -> exp.Table:
        item = tables[i]
        if not isinstance(item, dict):
            raise BuilderError(f"table {i}: must be an object with schema and table")
        name = _text(item.get("table"), f"table {i}")
        schema = item.get("schema")
        return exp.Table(
            this=ident(name),
            db=ident(schema) if schema else None,
            alias=exp.TableAlias(this=exp.to_identifier(f"t{i}")),
        )

    def column(item: Any, where: str) -> exp.Column:
        if not isinstance(item, dict):
            raise BuilderError(f"{where}: must be an object with table and column")
        i = _table_index(state, item.get("table"), where)
        return exp.Column(this=ident(_text(item.get("column"), where)),
                          table=exp.to_identifier(f"t{i}"))  # fmt: skip

    params: dict[str, Any] = {}
    # sqlglot writes placeholders in each dialect's driver style (%(p0)s, $p0, :p0); the
    # kernel binds `:name` for every driver, so a marker no name can hold stands in for them
    marker = f"HK{uuid.uuid4().hex}P"

    def param(value: Any, where: str) -> exp.Expression:
        if value is not None and not isinstance(value, str | int | float | bool):
            raise BuilderError(f"{where}: a value must be text, a number or true/false")
        name = f"{prefix}{len(params)}"
        params[name] = value
        return exp.var(f"{marker}{name}")

    query = exp.select().from_(table_expr(0))
    joined = {0}
    for n, join in enumerate(state.get("joins") or []):
        where = f"join {n}"
        if not isinstance(join, dict):
            raise BuilderError(f"{where}: must be an object")
        left = _table_index(state, join.get("left"), where)
        right = _table_index(state, join.get("right"), where)
        kind = join.get("kind", "inner")
        if kind not in JOIN_KINDS:
            raise BuilderError(f"{where}: unknown kind {brief(kind)} ({', '.join(JOIN_KINDS)})")
        if left in joined and right in joined:
            raise BuilderError(f"{where}: both tables are joined already")
        if left not in joined and right not in joined:
            raise BuilderError(f"{where}: neither table is in the query yet: join one first")
        new = right if left in joined else left
        if new == left:
            # the table added is the join's left side: SQL adds the right side of a JOIN, so a
            # left join keeps the rows of the added table by becoming a right join (and back)
            kind = {"left": "right", "right": "left"}.get(kind, kind)
        on = exp.EQ(
            this=column({"table": left, "column": join.get("left_column")}, where),
            expression=column({"table": right, "column": join.get("right_column")}, where),
        )
        query = query.join(table_expr(new), on=on, join_type=kind)
        joined.add(new)
    missing = set(range(len(tables))) - joined
    if missing:
        raise BuilderError(f"table {min(missing)} is not joined: add a join for it")

    outputs: list[exp.Expression] = []
    plain: list[exp.Column] = []
    aggregated = False
    for n, item in enumerate(state.get("columns") or []):
        where = f"column {n}"
        col = column(item, where)
        aggregate = item.get("aggregate")
        expr: exp.Expression = col
        if aggregate:
            aggregated = True
            if aggregate == "count_distinct":
                expr = exp.Count(this=exp.Distinct(expressions=[col]))
            elif aggregate in AGGREGATES:
                expr = {"count": exp.Count, "sum": exp.Sum, "avg": exp.Avg, "min": exp.Min,
                        "max": exp.Max}[aggregate](this=col)  # fmt: skip
            else:
                raise BuilderError(
                    f"{where}: unknown aggregate {brief(aggregate)} ({', '.join(AGGREGATES)})"
                )
        else:
            plain.append(col)
        alias = item.get("alias") or (f"{aggregate}_{item['column']}" if aggregate else None)
        outputs.append(exp.alias_(expr, ident(alias)) if alias else expr)
    query = query.select(*(outputs or [exp.Star()]))

    for n, item in enumerate(state.get("filters") or []):
        where = f"filter {n}"
        col = column(item, where)
        op = item.get("op")
        value = item.get("value")
        cond: exp.Expression
        if op in ("null", "notnull"):
            cond = exp.Is(this=col, expression=exp.Null())
            if op == "notnull":
                cond = exp.Not(this=cond)
        elif op == "in":
            if not isinstance(value, list) or not value:
                raise BuilderError(f"{where}: 'in' needs a list of values")
            cond = exp.In(this=col, expressions=[param(v, where) for v in value])
        elif op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise BuilderError(f"{where}: 'between' needs two values")
            cond = exp.Between(this=col, low=param(value[0], where), high=param(value[1], where))
        elif op == "contains":
            if not isinstance(value, str):
                raise BuilderError(f"{where}: 'contains' needs text")
            # "!" escapes: a backslash means different things in different dialects
            escaped = value.replace("!", "!!").replace("%", "!%").replace("_", "!_")
            like = exp.Like(this=col, expression=param(f"%{escaped}%", where))
            cond = exp.Escape(this=like, expression=exp.Literal.string("!"))
        elif op in ("=", "!=", "<", "<=", ">", ">="):
            if value is None:
                raise BuilderError(f"{where}: {op} needs a value (or use null / notnull)")
            cls = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT,
                   ">=": exp.GTE}[op]  # fmt: skip
            cond = cls(this=col, expression=param(value, where))
        else:
            raise BuilderError(f"{where}: unknown operator {brief(op)} ({', '.join(OPERATORS)})")
        query = query.where(cond)

    group_by = state.get("group_by")
    if group_by:
        query = query.group_by(*[column(g, f"group by {n}") for n, g in enumerate(group_by)])
    elif aggregated and plain:
        query = query.group_by(*[c.copy() for c in plain])

    for n, item in enumerate(state.get("order_by") or []):
        where = f"order by {n}"
        output = item.get("output") if isinstance(item, dict) else None
        if not isinstance(output, int) or not 0 <= output < len(outputs):
            raise BuilderError(f"{where}: no output column number {brief(output)}")
        position = exp.Literal.number(output + 1)
        query = query.order_by(exp.Ordered(this=position, desc=bool(item.get("descending"))))

    limit = state.get("limit")
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise BuilderError(f"limit must be a whole number >= 0, got {brief(limit)}")
        query = query.limit(exp.Literal.number(limit))
    text = query.sql(dialect=target, pretty=True)
    return re.sub(marker + r"(" + re.escape(prefix) + r"\d+)", r":\1", text), params


def run_query(name: str, state: dict[str, Any], limit: int = 0) -> Any:
    """Run a builder state on connection `name` (parameters bound by the driver, as a SQL
    cell's); return the result as an Arrow table. Builder queries only read."""
    from .catalog import _session
    from .connections import get_connection
    from .parameters import parse

    sql, params = build_query(state, get_connection(name).dialect)
    # as the catalog does: a DuckDB file is opened read-only for this query only
    with _session(name) as session:
        return session.execute(parse(sql), params, limit).table


def suggest_joins(name: str, tables: list[tuple[str, str]]) -> list[JoinSuggestion]:
    """Joins between the given (schema, table) pairs from the catalog's foreign keys."""
    from .catalog import list_columns

    index = {(s, t): i for i, (s, t) in enumerate(tables)}
    by_name = {t: i for i, (_, t) in enumerate(tables)}
    found = []
    for i, (schema, table) in enumerate(tables):
        for col in list_columns(name, schema, table):
            for key in col.foreign_keys:
                parts = key.split(".")
                ref_table, ref_column = parts[-2], parts[-1]
                ref_schema = ".".join(parts[:-2]) or schema
                j = index.get((ref_schema, ref_table), by_name.get(ref_table))
                if j is not None and j != i:
                    found.append(JoinSuggestion(i, col.name, j, ref_column))
    return found
