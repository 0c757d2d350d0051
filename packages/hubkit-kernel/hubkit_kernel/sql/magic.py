"""The `%%sql_cell` cell magic: run the cell's SQL on a named connection and put the result,
as a DataFrame, into a variable of the notebook.

    %%sql_cell [-c NAME] [-o VAR] [-l N] [--polars]

jupysql keeps `%%sql`. Errors are the database's message raised as IPython's UsageError: no
Python traceback, and the cell still counts as failed for nbval, papermill and
`nbconvert --execute`.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import sys
import time
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Float, Int, Unicode, observe, validate
from traitlets.config import Configurable

from .connections import validate_name
from .errors import SqlError


@magics_class
class SqlCellMagics(Magics, Configurable):
    """SQL cells. Configure with `%config SqlCellMagics.<option> = ...` or in
    ipython_kernel_config."""

    default_connection = Unicode(
        "duckdb", help="Connection a SQL cell uses when it names none (-c)."
    ).tag(config=True)
    default_output = Unicode(
        "df", help="Variable a SQL cell stores its result in when it names none (-o)."
    ).tag(config=True)
    row_limit = Int(
        0, help="Rows a SQL cell keeps at most when it gives no -l; 0 keeps them all."
    ).tag(config=True)
    polars = Bool(
        False, help="Return polars DataFrames instead of pandas ones (like --polars)."
    ).tag(config=True)
    sqlite_adbc = Bool(
        False,
        help="Read SQLite files through ADBC: about three times faster on large results; an"
        " interrupt stops the read between batches, but not a sort or aggregate before its first"
        " row. Off: Python's sqlite3, which an interrupt always stops.",
    ).tag(config=True)
    jupysql_dataframes = Bool(
        True,
        help="Let jupysql's %sql on DuckDB through SQLAlchemy (`%sql duckdb://`) query the"
        " notebook's DataFrames by name: sets DuckDB's python_scan_all_frames on the DuckDB"
        " connections SQLAlchemy opens (hubkit_kernel/sql/jupysql.py).",
    ).tag(config=True)
    cancel_wait = Float(
        10.0,
        help="Seconds to wait, after an interrupt, for the database to stop the query before "
        "giving the kernel back.",
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)

    @observe("sqlite_adbc")
    def _sqlite_adbc_changed(self, change: Any) -> None:
        from . import sessions

        sessions.SQLITE_ADBC = bool(change["new"])

    @validate("default_connection")
    def _validate_default_connection(self, proposal: Any) -> str:
        return validate_name(proposal["value"])

    @validate("default_output")
    def _validate_default_output(self, proposal: Any) -> str:
        if not str(proposal["value"]).isidentifier():
            raise ValueError(f"{proposal['value']!r} is not a Python variable name")
        return proposal["value"]

    @validate("row_limit")
    def _validate_row_limit(self, proposal: Any) -> int:
        if proposal["value"] < 0:
            raise ValueError("row_limit must be 0 (no limit) or more")
        return proposal["value"]

    @magic_arguments()
    @argument("-c", "--connection", default=None, help="Connection name (default: duckdb).")
    @argument("-o", "--output", default=None, help="Variable for the result (default: df).")
    @argument("-l", "--limit", type=int, default=None, help="Keep at most N rows; 0: all.")
    @argument("--polars", action="store_true", help="A polars DataFrame instead of pandas.")
    @cell_magic
    def sql_cell(self, line: str, cell: str) -> None:
        """Run the cell's SQL on a named connection; the result goes into a DataFrame.

        `{{name}}` and `:name` are Python variables, bound as query parameters.
        """
        from IPython.display import display

        try:
            args = parse_argstring(self.sql_cell, line)
        except UsageError:
            raise
        except SystemExit:
            raise UsageError(f"Invalid %%sql_cell arguments: {line!r}") from None
        name = args.connection or self.default_connection
        output = args.output or self.default_output
        limit = self.row_limit if args.limit is None else args.limit
        if not output.isidentifier():
            raise UsageError(f"{output!r} is not a Python variable name")
        if limit < 0:
            raise UsageError("--limit must be 0 (no limit) or more")
        try:
            view = self.run(name, cell, output, limit, args.polars or self.polars)
        except SqlError as e:
            raise UsageError(str(e)) from None
        display(view)

    def run(self, name: str, sql: str, output: str, limit: int, polars: bool) -> Any:
        """Run `sql` on connection `name`; store the DataFrame in `output` and return what the
        cell displays."""
        from .parameters import parse
        from .results import ResultView, affected_line, summary_line, to_pandas, to_polars
        from .sessions import get_session, run_interruptible

        validate_name(name)
        query = parse(sql)
        namespace = self.shell.user_ns
        session = get_session(name)
        start = time.perf_counter()
        outcome = run_interruptible(
            lambda: session.execute(query, namespace, limit), session.cancel, self.cancel_wait
        )
        for note in outcome.notes:
            print(note, file=sys.stderr)
        if outcome.table is None:
            return ResultView(
                None, affected_line(outcome.rowcount, name, time.perf_counter() - start)
            )
        frame = to_polars(outcome.table) if polars else to_pandas(outcome.table)
        seconds = time.perf_counter() - start
        self.shell.user_ns[output] = frame
        rows, columns = outcome.table.num_rows, outcome.table.num_columns
        summary = summary_line(rows, columns, name, seconds, outcome.truncated)
        return ResultView(frame, summary, sql, session.connection.dialect, output)
