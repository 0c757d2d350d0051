"""jupysql's `%sql duckdb://` over the notebook's DataFrames.

jupysql runs DuckDB through SQLAlchemy (duckdb_engine). Since DuckDB 1.1 its replacement scan
looks for an unknown table name such as `df` only in the Python frame that calls DuckDB, which
is SQLAlchemy's, so `%%sql SELECT sum(a) FROM df` fails with "Table with name df does not
exist" (jupysql sets DuckDB's `python_scan_all_frames` on native DuckDB connections only).
DuckDB's `python_scan_all_frames` makes it look through the calling frames out to the
notebook's. A SQLAlchemy pool "connect" listener (a documented hook) sets it on each DuckDB
connection SQLAlchemy opens. The listener is registered by the first cell that uses a `%sql`
magic, or once SQLAlchemy has been imported, so kernels that never use SQL never import it.

DuckDB takes the first variable of that name it meets, going outwards: a table named like a
variable of jupysql's or SQLAlchemy's own code (`query`, `conn`, `self`) finds that one and
fails. `%%sql_cell` has no such limit (it registers the notebook's frames by name).
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

_JUPYSQL_MAGIC = "%sql"  # %sql, %%sql, %sqlcmd, %sqlplot


class FrameScan:
    """A `pre_run_cell` hook that sets DuckDB's `python_scan_all_frames` on SQLAlchemy's DuckDB
    connections while `enabled()` says so (SqlCellMagics.jupysql_dataframes)."""

    def __init__(self, enabled: Callable[[], bool]) -> None:
        self.enabled = enabled
        self.listening = False

    def pre_run_cell(self, info: Any) -> None:
        if self.listening or not self.enabled():
            return
        if _JUPYSQL_MAGIC in (info.raw_cell or "") or "sqlalchemy" in sys.modules:
            self.listen()

    def listen(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.pool import Pool

        event.listen(Pool, "connect", self.on_connect)
        self.listening = True

    def stop(self) -> None:
        if self.listening:
            from sqlalchemy import event
            from sqlalchemy.pool import Pool

            event.remove(Pool, "connect", self.on_connect)
            self.listening = False

    def on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        if self.enabled() and type(dbapi_connection).__module__.startswith("duckdb_engine"):
            dbapi_connection.execute("SET python_scan_all_frames = true")
