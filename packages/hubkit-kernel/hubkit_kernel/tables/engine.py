"""Sort, filter, search, page and summarise a DataFrame where it lives, with DuckDB.

A pandas or polars DataFrame, an Arrow table or a DuckDB relation becomes one DuckDB relation
(pandas and Arrow are scanned in place, nothing is copied) whose columns are renamed by
position to `c0, c1, ...`: duplicate, non-string or hostile column names then never reach SQL
text. Every request of the table (a page with its sort, filters and search; column summaries)
is one SQL query over that relation, built with sqlglot, so values are escaped literals and
identifiers quoted. Only the rows asked for leave the kernel.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import math
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

NUMBER, DATE, TEXT, BOOL, OTHER = "number", "date", "text", "bool", "other"
# The row's position in the frame: the last sort key (columns are c0, c1, ...: no clash)
POSITION = "hubkit_position"
# The longest text a cell sends; the rest is cut with an ellipsis
MAX_CELL_CHARS = 500


class FilterError(ValueError):
    """A filter, sort or search the table cannot apply, with a message naming what is wrong."""


@dataclass
class ColumnInfo:
    """One column of the table: its label as the user wrote it and its kind for filters."""

    index: int
    label: Any
    name: str  # the label as text, for the header
    dtype: str  # the frame's own type name (int64, string, Datetime(time_unit='us'), ...)
    kind: str  # number, date, text, bool, other

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "dtype": self.dtype, "kind": self.kind}


@dataclass
class ViewState:
    """What the user set in the table: sort keys, per-column filters and the search text."""

    sort: list[tuple[int, bool]] = field(default_factory=list)  # (column, descending)
    filters: list[dict[str, Any]] = field(default_factory=list)
    search: str = ""

    @classmethod
    def from_request(cls, data: dict[str, Any], columns: list[ColumnInfo]) -> ViewState:
        """Validate a request from the browser (or a user's call) into a state."""
        if not isinstance(data, dict):
            raise FilterError("The table state must be an object with sort, filters and search")
        sort = []
        for item in data.get("sort") or []:
            if not isinstance(item, dict) or not isinstance(item.get("column"), int):
                raise FilterError(f"A sort key needs a column number, got {item!r}")
            _column(columns, item["column"])
            sort.append((item["column"], bool(item.get("descending", False))))
        filters = [_check_filter(f, columns) for f in data.get("filters") or []]
        search = data.get("search") or ""
        if not isinstance(search, str):
            raise FilterError(f"The search must be text, got {search!r}")
        return cls(sort, filters, search)

    @property
    def empty(self) -> bool:
        return not (self.sort or self.filters or self.search)


def _column(columns: list[ColumnInfo], index: Any) -> ColumnInfo:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(columns):
        raise FilterError(f"No column number {index!r} in this table ({len(columns)} columns)")
    return columns[index]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_filter(item: Any, columns: list[ColumnInfo]) -> dict[str, Any]:
    """A filter as {column, op, ...}; its values must fit the column's kind."""
    if not isinstance(item, dict):
        raise FilterError(f"A filter must be an object, got {item!r}")
    column = _column(columns, item.get("column"))
    op = item.get("op")
    where = f"filter on column {column.name!r} ({column.kind})"
    if op in ("null", "notnull"):
        return {"column": column.index, "op": op}
    if op == "range":
        if column.kind not in (NUMBER, DATE):
            raise FilterError(f"{where}: a range needs a number or date column")
        bounds = {}
        for key in ("min", "max"):
            value = item.get(key)
            if value is None or value == "":
                continue
            if column.kind == NUMBER and not _is_number(value):
                raise FilterError(f"{where}: {key} must be a number, got {value!r}")
            if column.kind == DATE:
                try:
                    dt.datetime.fromisoformat(str(value))
                except ValueError:
                    raise FilterError(
                        f"{where}: {key} must be a date like 2026-01-31, got {value!r}"
                    ) from None
            bounds[key] = value
        return {"column": column.index, "op": op, **bounds}
    if op == "contains":
        value = item.get("value")
        if not isinstance(value, str):
            raise FilterError(f"{where}: contains needs text, got {value!r}")
        return {"column": column.index, "op": op, "value": value}
    if op == "in":
        values = item.get("values")
        if not isinstance(values, list):
            raise FilterError(f"{where}: in needs a list of values, got {values!r}")
        allowed = (bool,) if column.kind == BOOL else (str,)
        for value in values:
            if value is not None and not isinstance(value, allowed):
                kind = "true/false" if column.kind == BOOL else "text"
                raise FilterError(f"{where}: the values must be {kind}, got {value!r}")
        return {"column": column.index, "op": op, "values": values}
    raise FilterError(f"{where}: unknown operation {op!r} (range, contains, in, null, notnull)")


def kind_of(duckdb_type: str) -> str:
    """The kind of filter a DuckDB column type gets."""
    upper = duckdb_type.upper()
    if upper.endswith("[]") or upper.startswith(("STRUCT", "MAP", "UNION", "LIST")):
        return OTHER
    if upper in ("BOOLEAN",):
        return BOOL
    if upper.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                         "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE",
                         "DECIMAL")):  # fmt: skip
        return NUMBER
    if upper.startswith(("DATE", "TIMESTAMP")):
        return DATE
    if upper.startswith(("VARCHAR", "ENUM")):
        return TEXT
    return OTHER


def jsonable(value: Any) -> Any:
    """A cell value as JSON: numbers, booleans and text as they are (text cut to
    MAX_CELL_CHARS), missing values as null, anything else as its text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        text = value
    elif isinstance(value, dt.datetime | dt.date | dt.time):
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    elif isinstance(value, decimal.Decimal):
        text = str(value)
    elif isinstance(value, bytes):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "\u2026"


def _source_kind(obj: Any) -> str:
    module = type(obj).__module__.split(".")[0]
    name = type(obj).__name__
    if module == "pandas" and name == "DataFrame":
        return "pandas"
    if module == "polars" and name in ("DataFrame", "LazyFrame"):
        return "polars"
    if module == "pyarrow" and name == "Table":
        return "arrow"
    if module == "duckdb" and name == "DuckDBPyRelation":
        return "duckdb"
    raise TypeError(
        f"A table needs a pandas or polars DataFrame, an Arrow table or a DuckDB relation, "
        f"not {type(obj).__module__}.{name}"
    )


class Table:
    """A DataFrame (or relation) seen through DuckDB, for the interactive table."""

    def __init__(self, obj: Any, head: int = 0) -> None:
        """`head`: rows of the first page (no sort, filter or search) to fetch with the
        columns' types, in the one query the first view needs."""
        self.source = _source_kind(obj)
        self.index_reset = False
        self._con = _connection()
        self._name = f"hubkit_table_{uuid.uuid4().hex}"
        if self.source == "pandas":
            frame = obj
            if not _default_index(frame):
                frame = frame.reset_index()
                self.index_reset = True
            labels = list(frame.columns)
            dtypes = [str(t) for t in frame.dtypes]
            renamed = _scannable(frame.set_axis([f"c{i}" for i in range(len(labels))], axis=1))
            self._keep = renamed  # DuckDB scans it in place
            self._con.register(self._name, renamed)
        elif self.source in ("polars", "arrow"):
            if self.source == "polars":
                frame = obj.collect() if type(obj).__name__ == "LazyFrame" else obj
                labels, dtypes = list(frame.columns), [str(t) for t in frame.dtypes]
                arrow = frame.to_arrow()
            else:
                arrow = obj
                labels, dtypes = list(arrow.column_names), [str(t) for t in arrow.schema.types]
            self._keep = arrow.rename_columns([f"c{i}" for i in range(len(labels))])
            self._con.register(self._name, self._keep)
        else:
            labels = list(obj.columns)
            dtypes = [str(t) for t in obj.types]
            self._keep = obj
            # A relation lives on its own connection: queried through it
            self._relation = obj.project(", ".join(f"#{i + 1} AS c{i}" for i in range(len(labels))))
        # Known without a scan for frames and Arrow tables
        self._total: int | None = len(self._keep) if self.source != "duckdb" else None
        # the first rows with the types: the first view needs one DuckDB query (a cursor's
        # description and rows cost half a relation's types and then a query)
        head = max(0, int(head))
        if self._relation is not None:
            first = self._relation.query("t", f"SELECT * FROM t LIMIT {head}")
            types, rows = first.types, first.fetchall()
        else:
            result = self._con.execute(f'SELECT * FROM "{self._name}" LIMIT {head}')
            types, rows = [d[1] for d in result.description], result.fetchall()
        self._head = rows if head else None
        self._head_size = head
        self.columns = [
            ColumnInfo(i, label, str(label), dtypes[i], kind_of(str(t)))
            for i, (label, t) in enumerate(zip(labels, types, strict=True))
        ]

    # -- SQL over the relation ---------------------------------------------------------------

    _relation: Any = None
    _head: list[tuple[Any, ...]] | None = None
    _head_size = 0

    def sql(self, query: str) -> Any:
        """SQL over the table, which it names `t`, as a DuckDB relation."""
        if self._relation is not None:
            return self._relation.query("t", query)
        return self._con.sql(f'WITH t AS (FROM "{self._name}") {query}')

    def fetch(self, query: str) -> list[tuple[Any, ...]]:
        """The rows of SQL over the table (`t`): the short path for pages and summaries."""
        if self._relation is not None:
            return self._relation.query("t", query).fetchall()
        return self._con.execute(f'WITH t AS (FROM "{self._name}") {query}').fetchall()

    def where(self, state: ViewState) -> str:
        """The WHERE clause (without the keyword) for the state's filters and search, or ''."""
        parts = [_condition(self.columns[f["column"]], f) for f in state.filters]
        if state.search:
            term = _literal(state.search.lower())
            parts.append(
                "("
                + " OR ".join(
                    f"contains(lower(CAST(c{c.index} AS VARCHAR)), {term})" for c in self.columns
                )
                + ")"
            )
        return " AND ".join(f"({p})" for p in parts)

    def select(self, state: ViewState) -> str:
        """The SELECT of the filtered, sorted view. A sort ends with the row's position as the
        last key: DuckDB's sort is not stable, so without it rows with equal keys could change
        places between two requests and a page show rows another page showed too."""
        where = self.where(state)
        where = f" WHERE {where}" if where else ""
        if not state.sort:
            return f"SELECT * FROM t{where}"
        keys = ", ".join(f"c{i} {'DESC' if d else 'ASC'} NULLS LAST" for i, d in state.sort)
        # row_number() over no order numbers the rows as the scan reads them: in the frame's
        # order (DuckDB keeps insertion order); it costs about a tenth of the sort
        return (
            f"SELECT * EXCLUDE ({POSITION}) FROM (SELECT *, row_number() OVER () AS {POSITION} "
            f"FROM t{where}) ORDER BY {keys}, {POSITION}"
        )

    def total(self) -> int:
        if self._total is None:
            self._total = self.fetch("SELECT count(*) FROM t")[0][0]
        return self._total

    def count(self, state: ViewState) -> int:
        where = self.where(state)
        if not where:
            return self.total()
        return self.fetch(f"SELECT count(*) FROM t WHERE {where}")[0][0]

    def page(self, state: ViewState, offset: int, limit: int) -> dict[str, Any]:
        """The rows [offset, offset + limit) of the view, with the view's row count."""
        if not isinstance(offset, int) or offset < 0 or not isinstance(limit, int) or limit < 0:
            raise FilterError(f"A page needs an offset and limit >= 0, got {offset!r}, {limit!r}")
        head = self._head
        # the page is in the first rows, or they are the whole table
        fits = head is not None and (offset + limit <= len(head) or len(head) < self._head_size)
        if state.empty and fits:
            rows = head[offset : offset + limit]
        elif state.sort and self._relation is None:
            rows = self._sorted_page(state, offset, limit)
        else:
            rows = self.fetch(f"{self.select(state)} LIMIT {int(limit)} OFFSET {int(offset)}")
        return {
            "offset": offset,
            "rows": [[jsonable(v) for v in row] for row in rows],
            "count": self.count(state),
            "total": self.total(),
        }

    def _sorted_page(self, state: ViewState, offset: int, limit: int) -> list[tuple[Any, ...]]:
        """A sorted page of a frame in two steps: the rows' positions, sorted over only the
        columns the sort and filters use, then those rows taken from the frame. Numbering
        every column of the frame (select()) costs half the sort again; this about a tenth."""
        used = {i for i, _ in state.sort} | {f["column"] for f in state.filters}
        if state.search:
            used = {c.index for c in self.columns}
        columns = "".join(f"c{i}, " for i in sorted(used))
        where = self.where(state)
        keys = ", ".join(f"c{i} {'DESC' if d else 'ASC'} NULLS LAST" for i, d in state.sort)
        positions = [
            row[0]
            for row in self.fetch(
                f"SELECT {POSITION} FROM (SELECT {columns}row_number() OVER () - 1 AS {POSITION}"
                f" FROM t){f' WHERE {where}' if where else ''} ORDER BY {keys}, {POSITION} "
                f"LIMIT {int(limit)} OFFSET {int(offset)}"
            )
        ]
        part = self._keep.iloc[positions] if self.source == "pandas" else self._keep.take(positions)
        name = f"{self._name}_page"
        self._con.register(name, part)
        try:
            return self._con.execute(f'SELECT * FROM "{name}"').fetchall()
        finally:
            self._con.unregister(name)

    def relation(self, state: ViewState) -> Any:
        """The filtered, sorted view as a DuckDB relation (columns c0, c1, ...)."""
        return self.sql(self.select(state))

    def sample(self, rows: int) -> Table:
        """A table of about `rows` random rows of this one (same columns), held in memory.
        System sampling (whole vectors of rows) is ten times faster than a reservoir."""
        share = min(100.0, 100.0 * rows / max(1, self.total()))
        arrow = self.sql(f"SELECT * FROM t USING SAMPLE {share:.6f}% (system)").to_arrow_table()
        copy = Table.__new__(Table)
        copy.source, copy.index_reset, copy.columns = "arrow", False, self.columns
        copy._con, copy._keep, copy._total = self._con, arrow, arrow.num_rows
        copy._name = f"{self._name}_sample"
        copy._con.register(copy._name, arrow)
        return copy

    def close(self) -> None:
        """Forget the table's view (the data is the user's and stays)."""
        if self._relation is None:
            with contextlib.suppress(Exception):
                self._con.unregister(self._name)


# Object columns DuckDB scans as they are; others (mixed, nested) are shown as text
_PLAIN_OBJECTS = {"string", "empty", "integer", "floating", "boolean", "decimal", "bytes"}


def _scannable(frame: Any) -> Any:
    """The frame with its mixed or nested object columns as text: DuckDB guesses an object
    column's type from a sample and fails on the first value of another type."""
    import pandas as pd

    copied = False
    for i, dtype in enumerate(frame.dtypes):
        # text dtypes hold text or missing values only
        if dtype.kind != "O" or isinstance(dtype, pd.StringDtype):
            continue
        column = frame.iloc[:, i]
        if pd.api.types.infer_dtype(column, skipna=True) in _PLAIN_OBJECTS:
            continue
        if not copied:
            frame, copied = frame.copy(deep=False), True
        frame.isetitem(i, column.map(_as_text, na_action="ignore").astype("string"))
    return frame


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else jsonable(value)


_shared: Any = None
_shared_lock = threading.Lock()


def _connection() -> Any:
    """The kernel's one DuckDB connection for tables (not the user's default connection):
    opening one costs about 0.1 s, and each table is a view on it."""
    global _shared
    with _shared_lock:  # preload()'s thread and the first table
        if _shared is None:
            import duckdb

            _shared = duckdb.connect()
    return _shared


def preload(delay: float = 1.0) -> None:
    """Import DuckDB and open the tables' connection in a background thread, `delay` seconds
    from now (after the kernel's own start): in a new kernel, importing DuckDB (0.3-0.8 s on
    2 cores) was most of the first table's time to show."""
    timer = threading.Timer(delay, _connection)
    timer.daemon = True
    timer.start()


def _default_index(frame: Any) -> bool:
    import pandas as pd

    index = frame.index
    return (
        isinstance(index, pd.RangeIndex)
        and index.start == 0
        and index.step == 1
        and index.name is None
    )


def _literal(value: Any) -> str:
    """A value as an escaped SQL literal (sqlglot does the quoting)."""
    from sqlglot import exp

    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return exp.Literal.number(value).sql(dialect="duckdb")
    return exp.Literal.string(str(value)).sql(dialect="duckdb")


def _condition(column: ColumnInfo, item: dict[str, Any]) -> str:
    name = f"c{column.index}"
    op = item["op"]
    if op == "null":
        return f"{name} IS NULL"
    if op == "notnull":
        return f"{name} IS NOT NULL"
    if op == "contains":
        return f"contains(lower(CAST({name} AS VARCHAR)), {_literal(item['value'].lower())})"
    if op == "in":
        values = [v for v in item["values"] if v is not None]
        parts = []
        if values:
            # text compares as it is (so DuckDB can push the filter into the scan)
            target = name if column.kind in (BOOL, TEXT) else f"CAST({name} AS VARCHAR)"
            parts.append(f"{target} IN ({', '.join(_literal(v) for v in values)})")
        if None in item["values"]:
            parts.append(f"{name} IS NULL")
        return " OR ".join(parts) or "FALSE"
    # range
    parts = []
    for key, sign in (("min", ">="), ("max", "<=")):
        if key in item:
            value = item[key]
            literal, target = _literal(value), name
            if column.kind != NUMBER:
                literal, target = f"CAST({literal} AS TIMESTAMP)", f"CAST({name} AS TIMESTAMP)"
            parts.append(f"{target} {sign} {literal}")
    return " AND ".join(parts) or "TRUE"
