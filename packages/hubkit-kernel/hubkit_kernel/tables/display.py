"""Interactive tables in the notebook: pandas and polars DataFrames, Arrow tables, DuckDB
relations and SQL cell results display as `application/vnd.hubkit.table+json` (the first page,
the columns and their types) and JupyterLab's hubkit extension asks for the rest over a comm
(`hubkit.table`): pages with sort, filters and search, column summaries, code, exports.

The kernel keeps the tables it showed (at most `InteractiveTables.max_tables`, and none whose
DataFrame was deleted); an output whose table is gone says so and asks to run the cell again.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import collections
import contextlib
import html
import sys
import uuid
import weakref
from pathlib import Path
from typing import Any

from traitlets import Bool, Int
from traitlets.config import Configurable

MIME = "application/vnd.hubkit.table+json"
COMM_TARGET = "hubkit.table"
# The types shown as tables, by (module, class name) as IPython's formatters look them up
TYPES = [
    ("pandas", "DataFrame"), ("pandas.core.frame", "DataFrame"),
    ("polars.dataframe.frame", "DataFrame"), ("pyarrow.lib", "Table"),
    ("duckdb", "DuckDBPyRelation"), ("duckdb._relation", "DuckDBPyRelation"),
    ("duckdb.duckdb", "DuckDBPyRelation"),
]  # fmt: skip


class InteractiveTables(Configurable):
    """DataFrames as interactive tables. `%config InteractiveTables.enabled = False` brings
    back the libraries' own displays."""

    enabled = Bool(
        True, help="Show DataFrames, Arrow tables and DuckDB relations as interactive tables."
    ).tag(config=True)
    page_size = Int(
        50, help="Rows in a page of the table (the first page travels with the output)."
    ).tag(config=True)
    pick_list_max = Int(
        50, help="Text columns with at most this many distinct values get a pick-list filter."
    ).tag(config=True)
    max_tables = Int(
        20, help="Tables the kernel keeps for their outputs; older outputs stop paging."
    ).tag(config=True)
    preload = Bool(
        False,
        help="Import DuckDB in the background a second after the kernel starts, so the first "
        "table does not wait for it (0.3-0.8 s; 40 MB per kernel). Off by default, which "
        "saves those 40 MB in kernels that never show a table.",
    ).tag(config=True)


class _Entry:
    """A shown table: the Table over the data, and what the output needs to make code."""

    def __init__(self, table: Any, variable: str | None, sql: str | None, dialect: str) -> None:
        self.table = table
        self.variable = variable
        self.sql = sql
        self.dialect = dialect
        # drops the entry when the data it shows is freed (replaced by Compact types)
        self.finalizer: weakref.finalize | None = None


class Registry:
    """The tables the kernel showed, by id, and the comm that serves them."""

    def __init__(self, config: InteractiveTables) -> None:
        self.config = config
        self.entries: collections.OrderedDict[str, _Entry] = collections.OrderedDict()

    def add(self, obj: Any, entry: _Entry) -> str:
        key = uuid.uuid4().hex
        self.entries[key] = entry
        # not weakly referable: kept until max_tables pushes it out
        with contextlib.suppress(TypeError):
            entry.finalizer = weakref.finalize(obj, self.drop, key)
        while len(self.entries) > max(1, self.config.max_tables):
            _, old = self.entries.popitem(last=False)
            old.table.close()
        return key

    def drop(self, key: str) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            entry.table.close()

    def get(self, key: str) -> _Entry:
        from .engine import FilterError

        entry = self.entries.get(key)
        if entry is None:
            raise FilterError(
                "This table is no longer in the kernel (restarted, deleted, or one of many "
                "older outputs): run the cell again"
            )
        self.entries.move_to_end(key)
        return entry

    # -- the output -----------------------------------------------------------------------

    def bundle(
        self,
        obj: Any,
        variable: str | None = None,
        sql: str | None = None,
        dialect: str = "duckdb",
        title: str | None = None,
        shell: Any = None,
    ) -> dict[str, Any]:
        from .code import kinds
        from .engine import Table, ViewState

        table = Table(obj, head=self.config.page_size)
        if variable is None and shell is not None:
            variable = _variable_of(obj, shell.user_ns)
        entry = _Entry(table, variable, sql, dialect)
        key = self.add(obj, entry)
        page = table.page(ViewState(), 0, self.config.page_size)
        data = {
            "id": key,
            "version": 1,
            "title": title,
            "variable": variable,
            "source": table.source,
            "columns": [c.to_dict() for c in table.columns],
            "page": page,
            "pageSize": self.config.page_size,
            "code": kinds(table),
            "compact": table.source == "pandas" and variable is not None,
        }
        return {MIME: data, "text/plain": _plain(data), "text/html": _html(data)}

    # -- the comm ---------------------------------------------------------------------------

    def handle(self, shell: Any, data: dict[str, Any]) -> dict[str, Any]:
        """Answer one request from the browser."""
        from .code import to_code
        from .engine import FilterError, ViewState
        from .exports import export_table
        from .summaries import summarize

        action = data.get("action")
        entry = self.get(str(data.get("id")))
        table = entry.table
        if action == "page":
            state = ViewState.from_request(data.get("state") or {}, table.columns)
            return table.page(state, data.get("offset", 0), data.get("limit", 50))
        if action == "summaries":
            return {"summaries": summarize(table, self.config.pick_list_max)}
        if action == "code":
            state = ViewState.from_request(data.get("state") or {}, table.columns)
            variable = entry.variable or "df"
            code = to_code(table, state, str(data.get("kind")), variable, entry.sql,
                           entry.dialect)  # fmt: skip
            return {"code": code}
        if action == "export":
            state = None
            if data.get("scope", "view") == "view":
                state = ViewState.from_request(data.get("state") or {}, table.columns)
            path = export_table(table, state, str(data.get("format")), entry.variable or "table")
            return {"path": str(path), "home": str(Path.home())}
        if action == "chart":
            from .charts import ChartSpec, chart

            state = ViewState.from_request(data.get("state") or {}, table.columns)
            spec = ChartSpec.from_request(data.get("chart"), table.columns)
            theme = "dark" if data.get("theme") == "dark" else "light"
            return chart(table, state, spec, entry.variable or "df", theme).to_json()
        if action == "explore":
            from .explore import compute

            state = ViewState.from_request(data.get("state") or {}, table.columns)
            return {"rows": compute(table, state, data.get("payload"))}
        if action == "profile":
            from .report import profile

            report = profile(_frame_of(entry, shell), entry.variable or "Profile")
            return {"html": report._repr_html_()}
        if action == "compact":
            return self._compact(shell, entry, str(data.get("id")))
        raise FilterError(f"Unknown table action {action!r}")

    def _compact(self, shell: Any, entry: _Entry, key: str) -> dict[str, Any]:
        from .engine import FilterError, Table
        from .memory import compact

        variable = entry.variable
        frame = shell.user_ns.get(variable) if variable else None
        if frame is None or type(frame).__module__.split(".")[0] != "pandas":
            raise FilterError("Compact types needs the pandas DataFrame in a variable")
        result = compact(frame)
        shell.user_ns[variable] = result.frame
        entry.table.close()
        entry.table = Table(result.frame)
        # the frame it replaced may go now: its finalizer must not drop the compacted table
        if entry.finalizer is not None:
            entry.finalizer.detach()
        entry.finalizer = weakref.finalize(result.frame, self.drop, key)
        return {
            "message": f"{variable}: {result!r}",
            "columns": [c.to_dict() for c in entry.table.columns],
        }

    def open_comm(self, shell: Any, comm: Any, _msg: dict[str, Any]) -> None:
        def on_msg(msg: dict[str, Any]) -> None:
            data = msg["content"]["data"]
            request = data.get("request")
            try:
                reply = {"request": request, "ok": True, **self.handle(shell, data)}
            except (ValueError, TypeError, OSError, ImportError) as e:
                reply = {"request": request, "ok": False, "error": str(e)}
            except Exception as e:  # a database or DuckDB error: show it, keep the comm
                reply = {"request": request, "ok": False, "error": f"{type(e).__name__}: {e}"}
            comm.send(reply)

        comm.on_msg(on_msg)


def _frame_of(entry: _Entry, shell: Any) -> Any:
    if entry.variable and entry.variable in shell.user_ns:
        return shell.user_ns[entry.variable]
    return entry.table._keep


def _variable_of(obj: Any, namespace: dict[str, Any]) -> str | None:
    """The notebook variable that holds `obj`, for copy-as-code and compact types."""
    for name, value in namespace.items():
        if value is obj and not name.startswith("_") and name.isidentifier():
            return name
    return None


def _plain(data: dict[str, Any]) -> str:
    page = data["page"]
    names = [c["name"] for c in data["columns"]]
    head = f"{page['total']:,} rows \u00d7 {len(names)} columns"
    if data.get("title"):
        head = data["title"]
    lines = [head, "\t".join(names)]
    lines += ["\t".join("" if v is None else str(v) for v in row) for row in page["rows"][:10]]
    return "\n".join(lines)


def _html(data: dict[str, Any]) -> str:
    """The output where the extension is missing (nbconvert, GitHub): the first rows."""
    page = data["page"]
    cells = "".join(f"<th>{html.escape(c['name'])}</th>" for c in data["columns"])
    body = "".join(
        "<tr>"
        + "".join(f"<td>{'' if v is None else html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for row in page["rows"][:10]
    )
    title = data.get("title")
    head = f'<div class="hubkit-sql-summary">{html.escape(title)}</div>' if title else ""
    shown = min(10, len(page["rows"]))
    return (
        f"{head}<table class='dataframe'><thead><tr>{cells}</tr></thead><tbody>{body}"
        f"</tbody></table><p>{shown} of {page['total']:,} rows \u00d7 "
        f"{len(data['columns'])} columns</p>"
    )


_registry: Registry | None = None


def registry() -> Registry:
    if _registry is None:
        raise RuntimeError("Interactive tables are not loaded (load_ipython_extension)")
    return _registry


def register(shell: Any) -> InteractiveTables:
    """Show DataFrames as interactive tables in this shell and serve their comm."""
    global _registry
    config = InteractiveTables(parent=shell)
    _registry = Registry(config)
    formatter = shell.display_formatter.mimebundle_formatter

    def format_table(obj: Any, include: Any = None, exclude: Any = None) -> Any:
        if not config.enabled:
            return None
        try:
            return _registry.bundle(obj, shell=shell)
        except Exception as e:  # the library's own display then shows it
            print(f"hubkit: no interactive table ({type(e).__name__}: {e})", file=sys.stderr)
            return None

    for module, name in TYPES:
        formatter.for_type_by_name(module, name, format_table)
    kernel = getattr(shell, "kernel", None)
    manager = getattr(kernel, "comm_manager", None)
    if manager is not None:
        manager.register_target(
            COMM_TARGET, lambda comm, msg: _registry.open_comm(shell, comm, msg)
        )
        if config.enabled and config.preload:
            from .engine import preload

            preload()
    return config
