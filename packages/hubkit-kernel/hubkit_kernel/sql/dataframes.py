"""DuckDB over the user's DataFrames and files, by name, without copying them first.

DuckDB's replacement scan looks up unknown table names in the Python frame that called it,
which inside the magic is not the notebook's namespace (the bug behind "Table with name df does
not exist"). Here every name the query mentions that is a pandas/polars DataFrame, an Arrow
table or a pathlib.Path to a CSV/Parquet/JSON/Excel file in `shell.user_ns` is registered on
the connection for the duration of the query (Arrow and pandas are scanned in place, files
read by DuckDB's readers). An Excel
workbook's first sheet is read with pandas (openpyxl): DuckDB's own reader is an extension it
downloads on first use, which a server without internet cannot.

A name that is both a table (or view) of the connection and a DataFrame of the notebook:
- In a statement that makes that table from a query (`CREATE [OR REPLACE] TABLE x AS SELECT
  ... FROM x`), the query reads the DataFrame. The cell then gives the same table each time it
  runs, from the DataFrame's current rows: the usual way to save a DataFrame into a DuckDB
  file, re-run after the DataFrame changed. (Were the table to win, each run would read the
  previous run's table, and `SELECT a + 1 AS a FROM x` would add one per run.)
- Anywhere else the table wins, as in DuckDB itself (its catalog before its replacement
  scans), and the cell says so on stderr (`shadowed`), naming the DataFrame it did not read.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from pathlib import PurePath
from typing import Any

from .errors import SqlError, first_line
from .parameters import ParsedQuery

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# CREATE [OR REPLACE] [TEMP] TABLE [IF NOT EXISTS] [db.][schema.]name AS: the table made
_CREATED = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY)\s+)?TABLE\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?:\"?[A-Za-z_]\w*\"?\.){0,2}\"?([A-Za-z_]\w*)\"?\s+AS\b",
    re.IGNORECASE,
)
# The tables and views an unqualified name reaches: the current schema's and temporary ones
_REACHABLE = """
SELECT table_name FROM duckdb_tables()
WHERE temporary OR database_name = current_database() AND schema_name = current_schema()
UNION ALL
SELECT view_name FROM duckdb_views() WHERE NOT internal
  AND (temporary OR database_name = current_database() AND schema_name = current_schema())"""
_FRAME_MODULES = ("pandas", "polars", "pyarrow")
_FRAME_TYPES = {"DataFrame", "Series", "Table", "RecordBatchReader", "Dataset", "LazyFrame"}
_EXCEL = "excel"  # read with pandas.read_excel, then scanned as a DataFrame
_FILE_READERS = {
    ".csv": "read_csv", ".tsv": "read_csv", ".parquet": "read_parquet",
    ".json": "read_json", ".ndjson": "read_json", ".jsonl": "read_json",
    ".xlsx": _EXCEL, ".xlsm": _EXCEL,
}  # fmt: skip


def is_frame(value: object) -> bool:
    kind = type(value)
    return kind.__module__.split(".")[0] in _FRAME_MODULES and kind.__name__ in _FRAME_TYPES


def _text(query: ParsedQuery) -> str:
    """The query's SQL without its parameters."""
    return " ".join(p for p in query.parts if isinstance(p, str))


def candidates(query: ParsedQuery, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Names the query's text mentions that are DataFrames or data file paths in the namespace."""
    found = {}
    for word in set(_WORD.findall(_text(query))):
        value = namespace.get(word)
        if value is None:
            continue
        if is_frame(value) or (
            isinstance(value, PurePath) and value.suffix.lower() in _FILE_READERS
        ):
            found[word] = value
    return found


def created_tables(query: ParsedQuery) -> set[str]:
    """The (lower-cased) names of the tables the query's statements make from a query."""
    return {m.lower() for m in _CREATED.findall(_text(query))}


def shadowed(name: str) -> str:
    """The note for a DataFrame that a table of the same name hides."""
    return (
        f"{name}: the query read the DuckDB table {name}, not the notebook's DataFrame {name}"
        f" (a table comes first). To read the DataFrame, DROP TABLE {name} or rename the"
        " DataFrame."
    )


@contextlib.contextmanager
def registered_frames(
    con: Any, query: ParsedQuery, namespace: Mapping[str, Any]
) -> Iterator[list[str]]:
    """Register the query's DataFrames and files for its duration; yields the notes for the
    DataFrames a table of the same name hid (see the module's docstring)."""
    found = candidates(query, namespace)
    notes: list[str] = []
    if found:
        existing = {row[0].lower() for row in con.execute(_REACHABLE).fetchall()}
        made = created_tables(query)
        for name in [k for k in found if k.lower() in existing and k.lower() not in made]:
            del found[name]
            notes.append(shadowed(name))
    views, registered = [], []
    try:
        for name, value in found.items():
            if isinstance(value, PurePath) and _FILE_READERS[value.suffix.lower()] == _EXCEL:
                con.register(name, read_excel(value))
                registered.append(name)
            elif isinstance(value, PurePath):
                # A temporary view (relation.create_view's is a lasting one: in a DuckDB file,
                # and in the way of a CREATE TABLE of that name); the reader's SQL is DuckDB's
                # own, the name passed the _WORD pattern, so quoting it is enough.
                reader = getattr(con, _FILE_READERS[value.suffix.lower()])
                con.execute(
                    f'CREATE OR REPLACE TEMP VIEW "{name}" AS {reader(str(value)).sql_query()}'
                )
                views.append(name)
            else:
                con.register(
                    name, value.collect() if type(value).__name__ == "LazyFrame" else value
                )
                registered.append(name)
        yield notes
    finally:
        for name in registered:
            with contextlib.suppress(Exception):
                con.unregister(name)
        for name in views:
            with contextlib.suppress(Exception):
                con.execute(f'DROP VIEW IF EXISTS temp.main."{name}"')


def read_excel(path: PurePath) -> Any:
    """The first sheet of an Excel workbook as a DataFrame (pandas with openpyxl); a missing
    reader is named."""
    import pandas as pd

    try:
        return pd.read_excel(path)
    except ImportError as e:
        raise SqlError(f"Reading {path.name} needs openpyxl: pip install openpyxl ({e})") from None
    except FileNotFoundError:
        raise SqlError(f"No such Excel file: {path}") from None
    except Exception as e:  # not a workbook, a damaged one
        raise SqlError(f"Cannot read {path} as an Excel workbook: {first_line(str(e))}") from None


def frame_columns(value: Any) -> list[tuple[str, str]]:
    """(name, type) of each column of a pandas/polars DataFrame or LazyFrame or Arrow table."""
    module = type(value).__module__.split(".")[0]
    if module == "polars":
        schema = value.collect_schema() if hasattr(value, "collect_schema") else value.schema
        return [(str(name), str(dtype)) for name, dtype in schema.items()]
    if module == "pyarrow":
        return [(field.name, str(field.type)) for field in value.schema]
    return [(str(name), str(dtype)) for name, dtype in value.dtypes.items()]  # pandas


def namespace_tables(namespace: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a DuckDB SQL cell can name from the namespace, for completion: each DataFrame or
    Arrow table (with its columns and rows) and each path to a data file, by variable name."""
    found = []
    for name, value in list(namespace.items()):
        if name.startswith("_") or not _WORD.fullmatch(name):
            continue
        if is_frame(value) and type(value).__name__ != "Series":
            try:
                columns = frame_columns(value)
            except Exception:
                continue  # a frame that cannot say its schema (a failed lazy plan)
            lazy = type(value).__name__ in ("LazyFrame", "Dataset", "RecordBatchReader")
            rows = None if lazy else len(value)
            found.append({"name": name, "kind": "dataframe", "rows": rows, "columns": columns})
        elif isinstance(value, PurePath) and value.suffix.lower() in _FILE_READERS:
            found.append({"name": name, "kind": "file", "rows": None, "columns": []})
    return found
