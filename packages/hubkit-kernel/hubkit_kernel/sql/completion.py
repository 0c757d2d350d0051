"""What a SQL cell's completion learns from the kernel itself: for a DuckDB connection, the
DataFrames, Arrow tables and data-file paths of the notebook's namespace, and the tables the
kernel's own DuckDB holds. The server's catalog sees neither (the built-in DuckDB lives in each
kernel). The JupyterLab side calls `kernel_tables` as a silent user expression; the answer is a
JSON display object, so it arrives as `application/json`.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any

from .dataframes import namespace_tables
from .sessions import DuckDBSession, open_session

_SESSION_TABLES = """
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"""


def session_tables(name: str) -> list[dict[str, Any]]:
    """The tables of connection `name`'s DuckDB if this kernel has it open (never opens it)."""
    session = open_session(name)
    if not isinstance(session, DuckDBSession):
        return []
    tables: dict[str, dict[str, Any]] = {}
    for table, column, kind in session.con.execute(_SESSION_TABLES).fetchall():
        entry = tables.setdefault(
            table, {"name": table, "kind": "table", "rows": None, "columns": []}
        )
        entry["columns"].append((column, kind))
    return list(tables.values())


def kernel_tables(name: str) -> Any:
    """The namespace's frames and files and connection `name`'s kernel-side tables."""
    from IPython import get_ipython
    from IPython.display import JSON

    shell = get_ipython()
    found = namespace_tables(shell.user_ns if shell is not None else {})
    names = {t["name"] for t in found}
    found += [t for t in session_tables(name) if t["name"] not in names]
    return JSON({"tables": found})
