"""The SQL workspace's API: named connections and the schema catalog, for the SQL cells'
connection picker and completion and for the Databases panel.

Every answer comes from hubkit_kernel.sql (imported on first use, so a server without the
kernel library still starts and answers 501 here). Connection listings are the library's
summaries: never a user name or password. Calls that reach a database run on a worker
thread, one per connection, so a slow database neither blocks the server nor another
connection; DuckDB files are closed after each call so that the user's kernels can open them.

    GET    /hubkit-lab/connections                       {"connections": [summary, ...]}
    POST   /hubkit-lab/connections                       add a personal one {name, url, description}
    PUT    /hubkit-lab/connections/<name>                edit a personal one {url?, description?}
    DELETE /hubkit-lab/connections/<name>                remove a personal one
    POST   /hubkit-lab/connections/<name>/test           {ok, category, message}
    POST   /hubkit-lab/connections/test                  the same for an unsaved {url}
    GET    /hubkit-lab/catalog/<name>                    {"schemas": [...]}
    GET    /hubkit-lab/catalog/<name>/<schema>           {"tables": [...]}
    GET    /hubkit-lab/catalog/<name>/<schema>/<table>   {"columns": [...]}
    GET    /hubkit-lab/catalog/<name>/<schema>/<table>/preview?n=20
    GET    /hubkit-lab/search/<name>?q=<text>&limit=50   {"tables": [...], "more": bool}
    POST   /hubkit-lab/builder/<name>                    {sql, params[, preview]} for {state[, n]}
                                                         (parameters named <prefix>N: {prefix})
    POST   /hubkit-lab/builder/<name>/joins              {joins} for {tables: [[schema, table]]}
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import math
import re
import threading
from collections.abc import Callable
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

AUTH_RESOURCE = "hubkit-lab"
# The most rows a preview sends
MAX_PREVIEW_ROWS = 1000
# A path segment: a connection, schema or table name (tornado unquotes it)
SEGMENT = r"([^/]+)"
# How long "Test connection" waits for a server
TEST_TIMEOUT = 5.0

_executors: dict[str, concurrent.futures.ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


class ApiError(Exception):
    """An answer other than 200, with a short message for the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _sql() -> Any:
    try:
        from hubkit_kernel import sql
    except ImportError:
        raise ApiError(
            501, "The SQL workspace needs hubkit-kernel in the server's environment"
        ) from None
    return sql


def _executor(key: str) -> concurrent.futures.ThreadPoolExecutor:
    """One worker thread per connection: a session (a DuckDB or SQLAlchemy connection) is
    used by one thread at a time."""
    with _executors_lock:
        executor = _executors.get(key)
        if executor is None:
            executor = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix=f"hubkit-lab-{key}"
            )
            _executors[key] = executor
        return executor


def _plain(item: Any) -> dict[str, Any]:
    """A catalog dataclass (Schema, Table, Column) as a dict: its fields as they are, JSON
    values already. dataclasses' asdict deep-copies each field: 2,000 tables took 40-70 ms of
    the schema browser's first paint, this 1 ms."""
    return dict(vars(item))


def _summary(summary: Any) -> dict[str, Any]:
    data = summary.to_dict()
    data["editable"] = data["kind"] == "personal"
    return data


def _find(sql: Any, name: str) -> Any:
    """The summary of connection `name`, or 400 (bad name) / 404 (no such connection)."""
    _check_name(sql, name)
    for summary in sql.list_connections():
        if summary.name == name:
            return summary
    raise ApiError(404, f"No connection named {name!r}")


def _check_name(sql: Any, name: str) -> str:
    try:
        from hubkit_kernel.sql.connections import validate_name
    except ImportError:  # pragma: no cover - the package imported above has it
        return name
    try:
        return validate_name(name)
    except sql.ConnectionNameError as e:
        raise ApiError(400, str(e)) from None


def _is_duckdb_file(summary: Any) -> bool:
    return summary.dialect == "duckdb" and summary.kind != "builtin"


def _jsonable(value: Any) -> Any:
    """A cell of a preview as JSON: numbers, booleans and text as they are, missing values as
    null, anything else (dates, decimals, bytes) as its text."""
    if value is None:
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None if math.isnan(value) else str(value)
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (ImportError, TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, bytes | bytearray):
        try:  # numpy scalars
            return _jsonable(value.item())
        except (TypeError, ValueError):
            pass
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value[:64]).hex() + ("…" if len(value) > 64 else "")
    return str(value)


def preview_json(frame: Any, n: int) -> dict[str, Any]:
    """A DataFrame as {columns: [{name, type}], rows: [[...]], truncated}."""
    columns = [{"name": str(c), "type": str(t)} for c, t in frame.dtypes.items()]
    rows = [[_jsonable(v) for v in row] for row in frame.head(n).itertuples(index=False)]
    return {"columns": columns, "rows": rows, "truncated": len(frame) > n}


class SqlHandler(APIHandler):
    """Common parts: JSON bodies, errors as {"message": ...}, work on a worker thread."""

    auth_resource = AUTH_RESOURCE

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise ApiError(400, "The request body is not JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "The request body must be a JSON object")
        return data

    def answer(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def fail(self, error: ApiError) -> None:
        self.answer({"message": error.message}, error.status)

    async def run(self, key: str, work: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_executor(key), work)

    async def handle(self, work: Callable[[], Any]) -> None:
        """Answer with what the coroutine `work()` gives, or with the error it raises: the
        library's errors are already scrubbed of credentials."""
        try:
            result = await work()
        except ApiError as e:
            self.fail(e)
            return
        except Exception as e:
            sql = _sql()
            if isinstance(e, sql.ConnectionNameError):
                status = 404 if str(e).startswith("No ") else 400
                self.fail(ApiError(status, str(e)))
            elif isinstance(e, sql.SqlError):
                self.fail(ApiError(502, str(e)))
            elif isinstance(e, ValueError):
                self.fail(ApiError(400, str(e)))
            else:
                self.log.error("hubkit-lab: %s failed: %s", self.request.path, type(e).__name__)
                self.fail(ApiError(500, f"The server could not answer ({type(e).__name__})"))
            return
        if result is not None:
            self.answer(*result) if isinstance(result, tuple) else self.answer(result)


def _text(data: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ApiError(400, f"Missing {key!r}")
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{key!r} must be a string")
    if key == "description" and len(value) > 1000:
        raise ApiError(400, "The description is too long (at most 1000 characters)")
    return value


def _check_url(url: str) -> str:
    url = url.strip()
    if not url:
        raise ApiError(400, "Missing 'url'")
    if len(url) > 4096:
        raise ApiError(400, "The URL is too long")
    if not re.match(r"^[A-Za-z][A-Za-z0-9+._-]*://", url):
        raise ApiError(400, "Not a valid SQLAlchemy URL (dialect+driver://user:password@host/db)")
    return url


class ConnectionsHandler(SqlHandler):
    """GET: every connection (summaries). POST: add a personal connection."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        async def work() -> Any:
            sql = _sql()
            summaries = await self.run("catalog-list", sql.list_connections)
            return {"connections": [_summary(s) for s in summaries]}

        await self.handle(work)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        async def work() -> Any:
            sql = _sql()
            data = self.body()
            name = _check_name(sql, _text(data, "name", required=True) or "")
            url = _check_url(_text(data, "url", required=True) or "")
            description = _text(data, "description") or ""
            summary = await self.run(
                "connections-file", lambda: sql.add_connection(name, url, description)
            )
            return _summary(summary), 201

        await self.handle(work)


class ConnectionHandler(SqlHandler):
    """PUT/DELETE: edit or remove a personal connection. POST .../test (the name `test`):
    test an unsaved URL."""

    async def _personal(self, name: str) -> Any:
        sql = _sql()
        summary = _find(sql, name)
        if summary.kind != "personal":
            raise ApiError(
                403, f"{name!r} is a {summary.kind} connection: it cannot be changed here"
            )
        return sql

    @web.authenticated
    @authorized
    async def put(self, name: str) -> None:
        async def work() -> Any:
            sql = await self._personal(name)
            data = self.body()
            url = _text(data, "url")
            description = _text(data, "description")
            new_name = _text(data, "name")
            if new_name is not None:
                _check_name(sql, new_name)
            summary = await self.run(
                "connections-file",
                lambda: sql.edit_connection(
                    name,
                    url=_check_url(url) if url is not None else None,
                    description=description,
                    new_name=new_name,
                ),
            )
            return _summary(summary)

        await self.handle(work)

    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        async def work() -> Any:
            sql = await self._personal(name)
            await self.run("connections-file", lambda: sql.remove_connection(name))
            self.set_status(204)
            self.finish()

        await self.handle(work)

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        if name != "test":
            raise web.HTTPError(405)

        async def work() -> Any:
            sql = _sql()
            url = _check_url(_text(self.body(), "url", required=True) or "")
            if sql.connections.NAME_PATTERN.fullmatch(url):
                raise ApiError(400, "Not a valid SQLAlchemy URL")
            check = await self.run("test", lambda: sql.test_connection(url, timeout=TEST_TIMEOUT))
            return _check_json(check)

        await self.handle(work)


def _check_json(check: Any) -> dict[str, Any]:
    return {"ok": check.ok, "category": check.category, "message": check.message}


class ConnectionTestHandler(SqlHandler):
    """POST /connections/<name>/test: connect with a saved connection and run SELECT 1."""

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        async def work() -> Any:
            sql = _sql()
            _find(sql, name)
            check = await self.run(
                f"test-{name}", lambda: sql.test_connection(name, timeout=TEST_TIMEOUT)
            )
            return _check_json(check)

        await self.handle(work)


class CatalogHandler(SqlHandler):
    """GET /catalog/<name>[/<schema>[/<table>[/preview]]]: one level of the catalog."""

    @web.authenticated
    @authorized
    async def get(
        self,
        name: str,
        schema: str | None = None,
        table: str | None = None,
        preview: str | None = None,
    ) -> None:
        async def work() -> Any:
            sql = _sql()
            summary = _find(sql, name)

            def call() -> Any:
                try:
                    if schema is None:
                        return {"schemas": [_plain(s) for s in sql.list_schemas(name)]}
                    if table is None:
                        return {"tables": [_plain(t) for t in sql.list_tables(name, schema)]}
                    if preview is None:
                        return {
                            "columns": [_plain(c) for c in sql.list_columns(name, schema, table)]
                        }
                    n = self._rows()
                    # one row more than shown: whether there are more
                    return preview_json(sql.preview(name, table, n + 1, schema=schema), n)
                finally:
                    if _is_duckdb_file(summary):  # let the kernels open the file
                        from hubkit_kernel.sql.sessions import close_session

                        close_session(name)

            return await self.run(name, call)

        await self.handle(work)

    def _rows(self) -> int:
        raw = self.get_query_argument("n", "20")
        try:
            n = int(raw)
        except ValueError:
            raise ApiError(400, "n must be a whole number") from None
        if not 1 <= n <= MAX_PREVIEW_ROWS:
            raise ApiError(400, f"n must be between 1 and {MAX_PREVIEW_ROWS}")
        return n


class SearchHandler(SqlHandler):
    """GET /search/<name>?q=<text>[&limit=N]: tables and views of every schema whose name
    contains the text (one catalog query; the text bound, at most 100 characters; at most
    `limit` tables, 200 at most), for the Databases panel's search."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        async def work() -> Any:
            sql = _sql()
            summary = _find(sql, name)
            text = self.get_query_argument("q", "")
            raw = self.get_query_argument("limit", "50")
            try:
                limit = int(raw)
            except ValueError:
                raise ApiError(400, "limit must be a whole number") from None
            if summary.kind == "builtin":  # its tables live in each kernel, not here
                return {"tables": [], "more": False}

            def call() -> Any:
                try:
                    tables, more = sql.search_tables(name, text, limit)
                    return {"tables": [_plain(t) for t in tables], "more": more}
                finally:
                    if _is_duckdb_file(summary):  # let the kernels open the file
                        from hubkit_kernel.sql.sessions import close_session

                        close_session(name)

            return await self.run(name, call)

        await self.handle(work)


class BuilderHandler(SqlHandler):
    """The visual query builder: POST /builder/<name> gives the SQL of a builder state (and,
    with `n`, a preview of its first rows); POST /builder/<name>/joins the joins suggested
    from foreign keys between tables (hubkit_kernel.sql.builder)."""

    @web.authenticated
    @authorized
    async def post(self, name: str, joins: str | None = None) -> None:
        async def work() -> Any:
            sql = _sql()
            summary = _find(sql, name)
            data = self.body()
            from hubkit_kernel.sql import builder

            def call() -> Any:
                try:
                    if joins is not None:
                        tables = data.get("tables")
                        if not isinstance(tables, list) or not all(
                            isinstance(t, list) and len(t) == 2 for t in tables
                        ):
                            raise ApiError(400, "'tables' must be a list of [schema, table]")
                        found = builder.suggest_joins(name, [tuple(t) for t in tables])
                        return {"joins": [j.to_dict() for j in found]}
                    state = data.get("state")
                    prefix = data.get("prefix", "p")
                    text, params = builder.build_query(state, summary.dialect, prefix)
                    answer: dict[str, Any] = {"sql": text, "params": params}
                    if data.get("n") is not None:
                        n = data["n"]
                        if not isinstance(n, int) or not 1 <= n <= MAX_PREVIEW_ROWS:
                            raise ApiError(400, f"n must be between 1 and {MAX_PREVIEW_ROWS}")
                        table = builder.run_query(name, state, n + 1)
                        from hubkit_kernel.sql.results import to_pandas

                        answer["preview"] = preview_json(to_pandas(table), n)
                    return answer
                finally:
                    if _is_duckdb_file(summary):  # let the kernels open the file
                        from hubkit_kernel.sql.sessions import close_session

                        close_session(name)

            return await self.run(name, call)

        await self.handle(work)


def sql_routes() -> list[tuple[str, type[SqlHandler]]]:
    """The routes below /hubkit-lab/ (regular expressions, relative to the namespace)."""
    return [
        ("connections", ConnectionsHandler),
        (f"connections/{SEGMENT}", ConnectionHandler),
        (f"connections/{SEGMENT}/test", ConnectionTestHandler),
        (f"catalog/{SEGMENT}", CatalogHandler),
        (f"catalog/{SEGMENT}/{SEGMENT}", CatalogHandler),
        (f"catalog/{SEGMENT}/{SEGMENT}/{SEGMENT}", CatalogHandler),
        (f"catalog/{SEGMENT}/{SEGMENT}/{SEGMENT}/(preview)", CatalogHandler),
        (f"search/{SEGMENT}", SearchHandler),
        (f"builder/{SEGMENT}", BuilderHandler),
        (f"builder/{SEGMENT}/(joins)", BuilderHandler),
    ]
