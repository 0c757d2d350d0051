""" "Copy as code": a table's sort, filters and search as the pandas or polars expression, or
as SQL (for a SQL cell's result, in its connection's dialect; for a frame, DuckDB SQL), that
gives the same rows."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any

from ..sql.catalog import SQLGLOT_DIALECTS
from .engine import BOOL, DATE, NUMBER, ColumnInfo, FilterError, Table, ViewState

# Stands for the SQL cell's query in the generated SQL until it is put in
PLACEHOLDER = "hubkit_cell_query_"


def kinds(table: Table, sql: str | None = None) -> list[str]:
    """The kinds of code this table can give."""
    if table.source == "polars":
        return ["polars", "sql"]
    if table.source == "pandas":
        return ["pandas", "sql"]
    return ["sql"]


def to_code(
    table: Table,
    state: ViewState,
    kind: str,
    variable: str,
    sql: str | None = None,
    dialect: str = "duckdb",
) -> str:
    """The code for `kind` (pandas, polars or sql) that gives the view's rows from `variable`
    (or, for SQL with `sql`, from that query)."""
    if kind == "pandas":
        return _pandas(table, state, variable)
    if kind == "polars":
        return _polars(table, state, variable)
    if kind == "sql":
        return _sql(table, state, variable, sql, dialect)
    raise FilterError(f"Unknown kind of code {kind!r} (pandas, polars or sql)")


def _pandas_col(table: Table, column: ColumnInfo) -> str:
    labels = [c.label for c in table.columns]
    if labels.count(column.label) > 1 or not _literal_repr(column.label):
        return f"view.iloc[:, {column.index}]"
    return f"view[{column.label!r}]"


def _literal_repr(label: Any) -> bool:
    return isinstance(label, str | int | float | bool) or label is None


def _pandas(table: Table, state: ViewState, variable: str) -> str:
    lines = [f"view = {variable}.reset_index()" if table.index_reset else f"view = {variable}"]
    for item in state.filters:
        column = table.columns[item["column"]]
        col = _pandas_col(table, column)
        op = item["op"]
        if op == "null":
            cond = f"{col}.isna()"
        elif op == "notnull":
            cond = f"{col}.notna()"
        elif op == "contains":
            cond = (
                f"{col}.astype('string').str.contains({item['value']!r}, case=False, "
                "regex=False, na=False)"
            )
        elif op == "in":
            cond = _in_code(col, column, item, ".astype('string')", "isin", ".isna()")
        else:
            cond = " & ".join(
                f"({col} {sign} {_pandas_value(column, item[key])})"
                for key, sign in (("min", ">="), ("max", "<="))
                if key in item
            )
        if cond:
            lines.append(f"view = view[{cond}]")
    if state.search:
        lines.append(
            "view = view[view.astype('string').apply(lambda c: c.str.contains("
            f"{state.search!r}, case=False, regex=False, na=False)).any(axis=1)]"
        )
    if state.sort:
        if all(_pandas_col(table, table.columns[i]).startswith("view[") for i, _ in state.sort):
            by = [table.columns[i].label for i, _ in state.sort]
            ascending = [not d for _, d in state.sort]
            lines.append(
                f"view = view.sort_values({by!r}, ascending={ascending!r}, na_position='last', "
                "kind='stable')"
            )
        else:
            positions = [i for i, _ in state.sort][::-1]
            for i, d in zip(positions, [d for _, d in state.sort][::-1], strict=True):
                lines.append(
                    f"view = view.iloc[view.iloc[:, {i}].argsort(kind='stable')"
                    f"{'[::-1]' if d else ''}]"
                )
    return "\n".join(lines) + "\nview"


def _in_code(col: str, column: ColumnInfo, item: dict[str, Any], as_text: str, method: str,
             is_null: str) -> str:  # fmt: skip
    """A pick-list filter in pandas or polars: the values (as text, but for booleans), or
    null when the list has None."""
    values = [v for v in item["values"] if v is not None]
    target = col if column.kind == BOOL else f"{col}{as_text}"
    cond = f"{target}.{method}({values!r})"
    if None in item["values"]:
        cond = f"({cond} | {col}{is_null})"
    return cond


def _pandas_value(column: ColumnInfo, value: Any) -> str:
    if column.kind == DATE:
        return f"pd.Timestamp({str(value)!r})"
    return repr(value)


def _polars(table: Table, state: ViewState, variable: str) -> str:
    conds = []
    for item in state.filters:
        column = table.columns[item["column"]]
        col = f"pl.col({column.label!r})"
        op = item["op"]
        if op == "null":
            conds.append(f"{col}.is_null()")
        elif op == "notnull":
            conds.append(f"{col}.is_not_null()")
        elif op == "contains":
            conds.append(
                f"{col}.cast(pl.String).str.to_lowercase().str.contains("
                f"{item['value'].lower()!r}, literal=True)"
            )
        elif op == "in":
            conds.append(_in_code(col, column, item, ".cast(pl.String)", "is_in", ".is_null()"))
        else:
            for key, sign in (("min", ">="), ("max", "<=")):
                if key in item:
                    value = item[key]
                    if column.kind == DATE:
                        value_code = f"pl.lit({str(value)!r}).str.to_datetime()"
                    else:
                        value_code = repr(value)
                    conds.append(f"({col} {sign} {value_code})")
    if state.search:
        conds.append(
            "pl.any_horizontal(pl.all().cast(pl.String).str.to_lowercase().str.contains("
            f"{state.search.lower()!r}, literal=True))"
        )
    code = variable
    if conds:
        code += ".filter(\n    " + ",\n    ".join(conds) + ",\n)"
    if state.sort:
        by = [table.columns[i].label for i, _ in state.sort]
        descending = [d for _, d in state.sort]
        code += f".sort({by!r}, descending={descending!r}, nulls_last=True, maintain_order=True)"
    return f"import polars as pl\n\nview = {code}\nview"


def _sql(table: Table, state: ViewState, variable: str, sql: str | None, dialect: str) -> str:
    """SQL over the SQL cell's query (as a subquery) or, for a frame, DuckDB over the
    variable by name; identifiers quoted and values escaped by sqlglot."""
    from sqlglot import exp

    target = SQLGLOT_DIALECTS.get(dialect, dialect)

    def ident(column: ColumnInfo) -> exp.Column:
        return exp.column(column.name, quoted=True)

    def lit(value: Any) -> exp.Expression:
        if isinstance(value, bool):
            return exp.Boolean(this=value)
        if isinstance(value, int | float):
            return exp.Literal.number(value)
        return exp.Literal.string(str(value))

    conds: list[exp.Expression] = []
    for item in state.filters:
        column = table.columns[item["column"]]
        col = ident(column)
        op = item["op"]
        if op == "null":
            conds.append(exp.Is(this=col, expression=exp.Null()))
        elif op == "notnull":
            conds.append(exp.Not(this=exp.Is(this=col, expression=exp.Null())))
        elif op == "contains":
            pattern = "%" + _escape_like(item["value"].lower()) + "%"
            conds.append(_like(exp, exp.cast(col, "text"), lit(pattern)))
        elif op == "in":
            values = [v for v in item["values"] if v is not None]
            parts: list[exp.Expression] = []
            if values:
                target_col = col if column.kind == BOOL else exp.cast(col, "text")
                parts.append(exp.In(this=target_col, expressions=[lit(v) for v in values]))
            if None in item["values"]:
                parts.append(exp.Is(this=col, expression=exp.Null()))
            conds.append(exp.or_(*parts) if parts else exp.false())
        else:
            for key, cls in (("min", exp.GTE), ("max", exp.LTE)):
                if key in item:
                    value: exp.Expression = lit(item[key])
                    if column.kind == DATE:
                        value = exp.cast(value, "timestamp")
                    elif column.kind != NUMBER:  # pragma: no cover - checked by ViewState
                        continue
                    conds.append(cls(this=col, expression=value))
    if state.search:
        pattern = lit("%" + _escape_like(state.search.lower()) + "%")
        conds.append(
            exp.or_(
                *[_like(exp, exp.cast(ident(c), "text"), pattern.copy()) for c in table.columns]
            )
        )
    # The cell's query goes in as the user wrote it (sqlglot would rewrite it)
    source = exp.to_table(PLACEHOLDER if sql is not None else variable)
    query = exp.select("*").from_(source)
    if conds:
        query = query.where(exp.and_(*conds))
    if state.sort:
        query = query.order_by(
            *[
                exp.Ordered(this=ident(table.columns[i]), desc=d, nulls_first=False)
                for i, d in state.sort
            ]
        )
    text = query.sql(dialect=target, pretty=True)
    if sql is not None:
        inner = "\n".join("  " + line for line in sql.strip().rstrip(";").splitlines())
        text = text.replace(PLACEHOLDER, f"(\n{inner}\n) AS q", 1)
    return text


def _like(exp: Any, value: Any, pattern: Any) -> Any:
    """lower(value) LIKE pattern ESCAPE '\\'."""
    like = exp.Like(this=exp.Lower(this=value), expression=pattern)
    return exp.Escape(this=like, expression=exp.Literal.string("\\"))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
