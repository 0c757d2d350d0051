"""Export a table (its filtered view or the whole frame) to CSV, Excel, Parquet or JSON in the
user's home, for download from JupyterLab, or from code with `export(df, "parquet")`."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from .engine import FilterError, Table, ViewState

FORMATS = {"csv": "csv", "xlsx": "xlsx", "excel": "xlsx", "parquet": "parquet", "json": "json"}
# Excel's sheet size
EXCEL_MAX_ROWS = 1_048_575
# The folder in the home where exports go
EXPORT_FOLDER = "exports"


def export_table(
    table: Table,
    state: ViewState | None,
    fmt: str,
    name: str = "table",
    folder: str | Path | None = None,
) -> Path:
    """Write the view (or, with no state, the whole table) in `fmt`; return the file's path.

    Files go to `~/exports/<name>-<time>.<ext>` unless `folder` is given. Column names are the
    frame's labels as text; duplicates get a suffix (`a`, `a_2`) because the formats need
    unique names.
    """
    ext = FORMATS.get(str(fmt).lower())
    if ext is None:
        raise FilterError(f"Unknown export format {fmt!r} (csv, xlsx, parquet or json)")
    state = state or ViewState()
    relation = table.relation(state)
    names = _unique([c.name for c in table.columns])
    relation = relation.project(
        ", ".join(f'c{c.index} AS "{n.replace(chr(34), chr(34) * 2)}"'
                  for c, n in zip(table.columns, names, strict=True))
    )  # fmt: skip
    base = Path(folder) if folder is not None else Path.home() / EXPORT_FOLDER
    base.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "table"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = base / f"{stem}-{stamp}.{ext}"
    n = 2
    while path.exists():
        path = base / f"{stem}-{stamp}-{n}.{ext}"
        n += 1
    if ext == "xlsx":
        rows = table.count(state)
        if rows > EXCEL_MAX_ROWS:
            raise FilterError(
                f"Excel holds at most {EXCEL_MAX_ROWS:,} rows; this view has {rows:,}: "
                "filter it first, or export CSV or Parquet"
            )
        frame = relation.df()
        for column in frame.columns:  # Excel has no time zones
            if getattr(frame[column].dtype, "tz", None) is not None:
                frame[column] = frame[column].dt.tz_localize(None)
        frame.to_excel(path, index=False, engine="openpyxl")
    elif ext == "parquet":
        relation.write_parquet(str(path))
    elif ext == "csv":
        relation.write_csv(str(path), header=True)
    else:
        relation.query("v", f"COPY v TO '{_quote_path(path)}' (FORMAT json, ARRAY true)")
    return path


def _quote_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        key = name
        while key.lower() in seen:
            seen[name.lower()] += 1
            key = f"{name}_{seen[name.lower()]}"
        seen.setdefault(name.lower(), 1)
        seen.setdefault(key.lower(), 1)
        out.append(key)
    return out


def export(data: Any, fmt: str = "parquet", name: str = "table", folder: Any = None) -> Path:
    """Write a DataFrame (pandas, polars, Arrow or a DuckDB relation) to `~/exports` as CSV,
    Excel (xlsx), Parquet or JSON and return the file's path."""
    table = Table(data)
    try:
        return export_table(table, None, fmt, name, folder)
    finally:
        table.close()
