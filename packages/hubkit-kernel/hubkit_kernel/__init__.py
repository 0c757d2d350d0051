"""hubkit's kernel side, loaded as an IPython extension in every Python kernel.

The environment's `etc/ipython/ipython_kernel_config.json` lists it in
`InteractiveShellApp.extensions`, so loading must stay cheap: nothing here imports pandas,
pyarrow, SQLAlchemy or DuckDB; they are imported on the first SQL cell.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_frame_scan: Any = None  # the jupysql hook (sql/jupysql.py) of the loaded extension


def _stop_frame_scan(ipython: Any) -> None:
    global _frame_scan
    if _frame_scan is not None:
        ipython.events.unregister("pre_run_cell", _frame_scan.pre_run_cell)
        _frame_scan.stop()
        _frame_scan = None


def load_ipython_extension(ipython: Any) -> None:
    """Register the `%%sql_cell` magic (jupysql keeps `%%sql`, and its DuckDB sees the
    notebook's DataFrames) and interactive tables."""
    from .sql.magic import SqlCellMagics

    magics = SqlCellMagics(shell=ipython, parent=ipython)
    ipython.register_magics(magics)
    # So that `%config SqlCellMagics` lists and sets its options. IPython's Magics.__init__
    # appends itself already on recent versions; never twice.
    if magics not in ipython.configurables:
        ipython.configurables.append(magics)
    from .sql.jupysql import FrameScan

    global _frame_scan
    _stop_frame_scan(ipython)  # a reload replaces the hook
    _frame_scan = FrameScan(lambda: magics.jupysql_dataframes)
    ipython.events.register("pre_run_cell", _frame_scan.pre_run_cell)
    from .tables.display import register

    tables = register(ipython)
    ipython.configurables.append(tables)


def unload_ipython_extension(ipython: Any) -> None:
    """Close the kernel's database connections."""
    from .sql.magic import SqlCellMagics
    from .sql.sessions import close_all
    from .tables.display import InteractiveTables

    ipython.configurables[:] = [
        c for c in ipython.configurables
        if not isinstance(c, SqlCellMagics | InteractiveTables)
    ]  # fmt: skip
    _stop_frame_scan(ipython)
    close_all()
