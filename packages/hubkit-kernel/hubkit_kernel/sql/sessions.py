"""The kernel's open connections, one session per connection name, and how each database runs
a query, returns Arrow and is cancelled.

Each database gets its fastest well-kept path that keeps types (measured in
benchmarks/sql_results.py): DuckDB's own Arrow result; PostgreSQL through ADBC (Arrow from
libpq's binary protocol); MariaDB/MySQL through connectorx for plain SELECTs; anything else
through SQLAlchemy with Arrow built from the rows. Queries run on one worker thread so that the
kernel's main thread can take the interrupt (SIGINT) and cancel the query on the database; a
single thread also keeps SQLite's and DuckDB's per-thread state in one place.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib.util
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from .connections import BUILTIN_DUCKDB, Connection, get_connection
from .errors import QueryCancelled, QueryError, SqlError, first_line, scrub
from .parameters import ParsedQuery

_ROW_STATEMENT = re.compile(
    r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*(select|with|values|table|from)\b",
    re.IGNORECASE | re.DOTALL,
)

# Read SQLite files through ADBC (SqliteAdbcSession) when SqlCellMagics.sqlite_adbc says so.
SQLITE_ADBC = False

_executor: concurrent.futures.ThreadPoolExecutor | None = None
_sessions: dict[str, Session] = {}
_lock = threading.Lock()


@dataclass
class Outcome:
    """What a statement gave: an Arrow table of rows, or the number of rows it affected."""

    table: Any | None  # pyarrow.Table
    rowcount: int | None
    path: str  # the reader used: duckdb, adbc, connectorx, sqlalchemy
    truncated: bool = False
    notes: list[str] = dataclass_field(default_factory=list)  # said on stderr, above the result


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def returns_rows(sql: str) -> bool:
    """Whether the statement is one query (SELECT, WITH, VALUES, TABLE; DuckDB's FROM-first)
    that can be wrapped in a subquery: for the row limit, and for connectorx, which only
    reads."""
    return bool(_ROW_STATEMENT.match(sql)) and ";" not in sql.strip().rstrip(";")


def limited(sql: str, limit: int) -> str:
    return f"SELECT * FROM (\n{sql.strip().rstrip(';')}\n) AS hubkit_limited LIMIT {int(limit)}"


def run_interruptible(
    work: Callable[[], Outcome], cancel: Callable[[], None], wait: float
) -> Outcome:
    """Run `work` on the worker thread; on KeyboardInterrupt call `cancel` and wait up to
    `wait` seconds for the database to stop it, then raise QueryCancelled."""
    global _executor
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hubkit-sql")
    future = _executor.submit(work)
    try:
        while True:
            try:
                return future.result(timeout=0.1)
            except concurrent.futures.TimeoutError:
                continue
    except KeyboardInterrupt:
        failure = ""
        try:
            cancel()
        except Exception as e:
            failure = f" (the driver could not cancel it: {first_line(str(e))})"
        deadline = time.monotonic() + wait
        while not future.done() and time.monotonic() < deadline:
            try:
                concurrent.futures.wait([future], timeout=0.1)
            except KeyboardInterrupt:
                break
        if future.done():
            raise QueryCancelled(
                "Query cancelled: the kernel was interrupted and the database stopped it"
            ) from None
        raise QueryCancelled(
            f"Query interrupted, but the database has not stopped it yet{failure}; the next"
            " query on this kernel waits for it"
        ) from None


class Session:
    """One connection's open state in this kernel."""

    path = "sqlalchemy"

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self._password: str | None = None
        self._user: str | None = None
        if connection.kind != "builtin":
            try:
                url = connection.sqlalchemy_url()
                self._password, self._user = url.password, url.username
            except Exception:
                pass

    def error(self, exc: BaseException) -> QueryError:
        """The database's message, credentials scrubbed, without the driver's noise."""
        orig = getattr(exc, "orig", None) or exc
        message = str(orig)
        args = getattr(orig, "args", ())
        if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
            message = f"ERROR {args[0]}: {args[1]}"  # MySQLdb/PyMySQL: (errno, message)
        message = re.sub(r"^\([\w.]+\)\s*", "", message)  # SQLAlchemy's "(module.Error)"
        message = message.split("\n[SQL:")[0].split("\n(Background on this error")[0]
        return QueryError(scrub(message.strip(), [self._password], [self._user]))

    def execute(self, query: ParsedQuery, namespace: Mapping[str, Any], limit: int) -> Outcome:
        raise NotImplementedError

    def cancel(self) -> None:
        """Ask the database to stop the running query (called from the main thread)."""

    def close(self) -> None:
        pass


class DuckDBSession(Session):
    """DuckDB in the kernel (the built-in in-memory one, or a duckdb:/// file). DataFrames and
    Arrow tables of the user's namespace are registered by name for the query: DuckDB's own
    replacement scan looks at the calling frame, which is not the user's namespace."""

    path = "duckdb"

    def __init__(self, connection: Connection, read_only: bool = False) -> None:
        super().__init__(connection)
        import duckdb

        database = ":memory:"
        if connection.kind != "builtin":
            database = connection.sqlalchemy_url().database or ":memory:"
        try:
            self.con = duckdb.connect(
                database, read_only=read_only, config=dict(connection.options)
            )
        except duckdb.IOException as e:
            if "lock" not in str(e).lower():
                raise
            holder = re.search(r"PID (\d+)", str(e))
            raise SqlError(
                f"{connection.name}: the DuckDB file {database} is open for writing in another"
                f" process{f' (PID {holder[1]})' if holder else ''}, most likely a notebook's"
                " kernel that used this connection. DuckDB lets one process use a file while it"
                " writes; that notebook's SQL cells complete its tables. Shut that kernel down"
                " to browse the file here."
            ) from None

    @classmethod
    def read_only(cls, connection: Connection) -> DuckDBSession:
        """A session that reads the file without taking its write lock (the catalog's)."""
        return cls(connection, read_only=True)

    def execute(self, query: ParsedQuery, namespace: Mapping[str, Any], limit: int) -> Outcome:
        from .dataframes import registered_frames

        sql, params = query.render("qmark", namespace)
        with registered_frames(self.con, query, namespace) as notes:
            try:
                outcome = self._run(sql, params, limit)
                outcome.notes = notes
                return outcome
            except QueryCancelled:
                raise
            except Exception as e:
                if type(e).__name__ == "InterruptException":
                    raise QueryCancelled("Query cancelled") from None
                raise self.error(e) from None

    def _run(self, sql: str, params: list[Any], limit: int) -> Outcome:
        if not self._returns_rows(sql):
            return self._statement(sql, params)
        relation = self.con.sql(sql, params=params or None)
        if relation is None:
            return Outcome(None, None, self.path)
        if limit:
            table = relation.limit(limit + 1).to_arrow_table()
            truncated = table.num_rows > limit
            return Outcome(table.slice(0, limit), None, self.path, truncated)
        return Outcome(relation.to_arrow_table(), None, self.path)

    def _returns_rows(self, sql: str) -> bool:
        """Whether the last statement is a query (DuckDB's own parser says)."""
        try:
            statements = self.con.extract_statements(sql)
        except Exception:
            return True  # let the query itself report the syntax error
        if not statements:
            return False
        kind = str(statements[-1].type).rsplit(".", 1)[-1]
        return kind in ("SELECT", "EXPLAIN", "PRAGMA", "CALL", "RELATION")

    def _statement(self, sql: str, params: list[Any]) -> Outcome:
        """A statement that is not a query: its affected-row count, or the rows it returns
        (INSERT ... RETURNING)."""
        self.con.execute(sql, params or None)
        columns = [d[0] for d in self.con.description or []]
        rows = self.con.fetchall() if columns else []
        if columns == ["Count"]:
            return Outcome(None, rows[0][0] if rows else None, self.path)
        if not columns or columns == ["Success"]:
            return Outcome(None, None, self.path)
        return Outcome(rows_to_arrow(columns, rows), None, self.path)

    def cancel(self) -> None:
        self.con.interrupt()

    def close(self) -> None:
        self.con.close()


class SqlAlchemySession(Session):
    """Any SQLAlchemy URL: one connection kept open in autocommit (so temporary tables and
    settings last across cells), rows turned into Arrow with pyarrow's type inference, which
    keeps Decimal, dates, time zones, bytes and NULLs."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        from sqlalchemy import create_engine

        connect_args = dict(connection.options)
        if self.dialect == "sqlite":
            # The worker thread runs queries, the main thread reads the catalog and interrupts.
            connect_args.setdefault("check_same_thread", False)
        self.engine = create_engine(connection.url, connect_args=connect_args, poolclass=_pool())
        self._conn: Any = None
        self._backend_id: Any = None

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            try:
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            except Exception as e:
                raise self.error(e) from None
            self._backend_id = self._fetch_backend_id()
        return self._conn

    def _fetch_backend_id(self) -> Any:
        from sqlalchemy import text

        if self.dialect == "mysql" or self.dialect == "mariadb":
            return self._conn.execute(text("SELECT CONNECTION_ID()")).scalar()
        return None

    def execute(self, query: ParsedQuery, namespace: Mapping[str, Any], limit: int) -> Outcome:
        from sqlalchemy import text

        sql, params = query.render("sqlalchemy", namespace)
        conn = self._connection()
        try:
            result = conn.execute(text(sql), params)
            if not result.returns_rows:
                return Outcome(None, result.rowcount, self.path)
            names = list(result.keys())
            description = result.cursor.description if result.cursor is not None else None
            batches = iter(lambda: result.fetchmany(BATCH_ROWS), [])
            table, truncated = fetch_to_arrow(names, batches, limit)
            result.close()
        except Exception as e:
            raise self.error(e) from None
        return Outcome(self._declared(table, query, description), None, self.path, truncated)

    def _declared(self, table: Any, query: ParsedQuery, description: Any) -> Any:
        """Booleans, dates, timestamps and decimals the driver gave as numbers or text, cast
        to the type the database declares (declared.py)."""
        from .declared import apply_declared, dbapi_declared, sqlite_declared

        if self.dialect != "sqlite":
            return apply_declared(table, dbapi_declared(description, self.dialect))
        if not returns_rows("".join(p for p in query.parts if isinstance(p, str))):
            return table
        dbapi = self._connection().connection.dbapi_connection
        return apply_declared(table, sqlite_declared(dbapi, query))

    def cancel(self) -> None:
        if self._conn is None:
            return
        dbapi = self._conn.connection.dbapi_connection
        if self.dialect == "postgresql" and hasattr(dbapi, "cancel"):
            dbapi.cancel()  # psycopg / psycopg2: a cancel request on its own socket
        elif self.dialect == "sqlite" and hasattr(dbapi, "interrupt"):
            dbapi.interrupt()
        elif self.dialect in ("mysql", "mariadb") and self._backend_id is not None:
            kill_mysql_query(self.engine, thread_id=int(self._backend_id))
        elif self.dialect == "duckdb" and hasattr(dbapi, "interrupt"):
            dbapi.interrupt()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self.engine.dispose()


def kill_mysql_query(engine: Any, *, thread_id: int | None = None, tag: str = "") -> None:
    """`KILL QUERY` from a second connection: the session's own thread, or the process whose
    query carries `tag` (connectorx's connection, whose id is not known here)."""
    from sqlalchemy import text

    with engine.connect() as other:
        if thread_id is None:
            ids = other.execute(
                text(
                    "SELECT ID FROM information_schema.PROCESSLIST"
                    " WHERE ID <> CONNECTION_ID() AND INFO LIKE :pattern"
                ),
                {"pattern": f"%hubkit:{tag}%"},
            ).scalars()
        else:
            ids = [thread_id]
        for pid in list(ids):
            other.execute(text(f"KILL QUERY {int(pid)}"))


def _pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool  # the session keeps its one connection; no idle pool behind it


class PostgresAdbcSession(SqlAlchemySession):
    """PostgreSQL through ADBC (libpq's binary COPY straight into Arrow): one ADBC connection
    in autocommit. NUMERIC comes back as text from ADBC, so those columns are turned into
    exact decimals here."""

    path = "adbc"

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._adbc: Any = None
        self._cursor: Any = None

    def _libpq_uri(self) -> str:
        url = self.connection.sqlalchemy_url().set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def execute(self, query: ParsedQuery, namespace: Mapping[str, Any], limit: int) -> Outcome:
        import adbc_driver_postgresql.dbapi as pg

        sql, params = query.render("numeric_dollar", namespace)
        if limit and returns_rows(sql):
            sql = limited(sql, limit + 1)
        try:
            if self._adbc is None:
                self._adbc = pg.connect(self._libpq_uri(), autocommit=True)
            self._cursor = cursor = self._adbc.cursor()
            try:
                cursor.execute(sql, params or None)
                if not cursor.description:
                    return Outcome(None, cursor.rowcount, self.path)
                table = cursor.fetch_arrow_table()
            finally:
                self._cursor = None
                cursor.close()
        except Exception as e:
            if self._adbc is not None and _adbc_connection_broken(e):
                self._reset()
            raise self.error(e) from None
        table = numeric_text_to_decimal(table)
        truncated = bool(limit) and table.num_rows > limit
        return Outcome(table.slice(0, limit) if limit else table, None, self.path, truncated)

    def error(self, exc: BaseException) -> QueryError:
        """libpq's own message (with its LINE/caret position), without ADBC's wrapping."""
        message = str(exc)
        if "ERROR:" in message:
            message = message.split("ERROR:", 1)[1].strip()
        message = re.split(r"\n\s*Query was:|\. SQLSTATE: ", message)[0].rstrip()
        return super().error(Exception(message))

    def _reset(self) -> None:
        with contextlib.suppress(Exception):
            self._adbc.close()
        self._adbc = None

    def cancel(self) -> None:
        cursor = self._cursor
        if cursor is not None:
            cursor.adbc_cancel()

    def close(self) -> None:
        if self._adbc is not None:
            self._reset()
        super().close()


def _adbc_connection_broken(exc: BaseException) -> bool:
    return "connection" in str(exc).lower() and "closed" in str(exc).lower()


def numeric_text_to_decimal(table: Any) -> Any:
    """ADBC's PostgreSQL driver returns NUMERIC as text (an opaque extension type). A column
    declared numeric(p, s) becomes decimal128(p, s) in one vectorised cast; an unconstrained
    numeric goes through Python Decimal to find its scale. Either way it stays exact."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        meta = field.metadata or {}
        if meta.get(b"ADBC:postgresql:typname") != b"numeric":
            continue
        column = table.column(i)
        if isinstance(column.type, pa.ExtensionType):
            column = pa.chunked_array(
                [chunk.storage for chunk in column.chunks], type=column.type.storage_type
            )
        typmod = int(meta.get(b"POSTGRESQL:typmod", b"-1"))
        if typmod >= 4 and ((typmod - 4) >> 16) <= 38:
            kind = pa.decimal128((typmod - 4) >> 16, (typmod - 4) & 0xFFFF)
            try:
                converted = pc.cast(column, kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                converted = _decimal_column(column)
        else:
            converted = _decimal_column(column)
        table = table.set_column(i, pa.field(field.name, converted.type), converted)
    return table


def _decimal_column(column: Any) -> Any:
    import decimal

    import pyarrow as pa

    values = [None if v is None else decimal.Decimal(v) for v in column.to_pylist()]
    present = [v for v in values if v is not None]
    if not all(v.is_finite() for v in present):
        return column  # NaN or Infinity: no Arrow decimal holds them; keep the text
    scale = max([max(-v.as_tuple().exponent, 0) for v in present], default=0)
    digits = max([len(v.as_tuple().digits) + v.as_tuple().exponent for v in present], default=1)
    precision = max(digits, 1) + scale
    if precision > 76:
        return column
    kind = pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
    return pa.array(values, type=kind)


class SqliteSession(SqlAlchemySession):
    """SQLite through Python's sqlite3 cursor directly (not SQLAlchemy's rows, which cost
    three times as much), turned into Arrow a batch at a time. Python's sqlite3 has
    interrupt(), which ADBC's and connectorx's SQLite readers lack."""

    path = "sqlite3"

    def execute(self, query: ParsedQuery, namespace: Mapping[str, Any], limit: int) -> Outcome:
        sql, params = query.render("qmark", namespace)
        dbapi = self._connection().connection.dbapi_connection
        try:
            cursor = dbapi.cursor()
            try:
                cursor.execute(sql, params)
                if cursor.description is None:
                    return Outcome(None, cursor.rowcount, self.path)
                names = [d[0] for d in cursor.description]
                batches = iter(lambda: cursor.fetchmany(BATCH_ROWS), [])
                table, truncated = fetch_to_arrow(names, batches, limit)
            finally:
                cursor.close()
        except Exception as e:
            raise self.error(e) from None
        return Outcome(self._declared(table, query, None), None, self.path, truncated)


class SqliteAdbcSession(SqliteSession):
    """A SQLite file through ADBC (C, straight into Arrow, three times faster than sqlite3's
    rows on large results): one ADBC connection in autocommit, read a record batch at a time.
    ADBC's SQLite driver cannot cancel (adbc_cancel: NOT_IMPLEMENTED in 1.13), so an interrupt
    stops the read between two batches (1,024 rows), but a sort, aggregate or recursive query
    that must finish before its first row runs to its end: so this path is opt-in and the
    default, Python's sqlite3, can always be interrupted (sqlite3_interrupt). A column whose
    values change type part-way (SQLite allows it; ADBC's reader refuses) is read again through
    sqlite3."""

    path = "adbc"

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._adbc: Any = None
        self._stop = threading.Event()

    def execute(self, query: ParsedQuery, namespace: Mapping[str, Any], limit: int) -> Outcome:
        import adbc_driver_sqlite.dbapi as sqlite
        import pyarrow as pa

        sql, params = query.render("qmark", namespace)
        if limit and returns_rows(sql):
            sql = limited(sql, limit + 1)
        self._stop.clear()
        try:
            if self._adbc is None:
                database = self.connection.sqlalchemy_url().database
                self._adbc = sqlite.connect(database, autocommit=True)
            cursor = self._adbc.cursor()
            try:
                cursor.execute(sql, params or None)
                if not cursor.description:
                    return Outcome(None, self._changes(sql), self.path)
                reader = cursor.fetch_record_batch()
                batches = []
                for batch in reader:
                    if self._stop.is_set():
                        raise QueryCancelled("Query cancelled: the kernel was interrupted")
                    batches.append(batch)
                table = pa.Table.from_batches(batches, schema=reader.schema)
            finally:
                cursor.close()
        except QueryCancelled:
            raise
        except Exception as e:
            if "Type mismatch" in str(e) and returns_rows(sql):
                outcome = super().execute(query, namespace, limit)
                outcome.path = SqliteSession.path
                return outcome
            raise self.error(e) from None
        truncated = bool(limit) and table.num_rows > limit
        table = self._declared(table.slice(0, limit) if limit else table, query, None)
        return Outcome(table, None, self.path, truncated)

    def _changes(self, sql: str) -> int | None:
        """Rows the statement changed (ADBC's SQLite driver gives no rowcount)."""
        if not re.match(r"\s*(insert|update|delete|replace)\b", sql, re.IGNORECASE):
            return None
        cursor = self._adbc.cursor()
        try:
            cursor.execute("SELECT changes()")
            return cursor.fetchone()[0]
        finally:
            cursor.close()

    def error(self, exc: BaseException) -> QueryError:
        message = re.sub(r"^[A-Z_]+: (?:\[SQLite\] )?", "", str(exc))
        message = re.split(r"\n\s*Query was:|\. SQLSTATE: ", message)[0]
        message = message.replace("Failed to prepare query: ", "").strip()
        return super().error(Exception(message))

    def cancel(self) -> None:
        self._stop.set()
        super().cancel()

    def close(self) -> None:
        if self._adbc is not None:
            with contextlib.suppress(Exception):
                self._adbc.close()
            self._adbc = None
        super().close()


class ConnectorxSession(SqlAlchemySession):
    """MariaDB/MySQL: plain SELECTs without parameters through connectorx (Rust, straight into
    Arrow, no Python objects per value); statements and parameterised queries on the
    SQLAlchemy session connection. connectorx opens its own connection: it does not see the
    session's temporary tables or variables (use a parameter, which takes the session path, or
    a regular table), and its query carries a random tag comment so that an interrupt finds it
    in the process list and kills it. DECIMAL comes back as decimal128(38, 10): exact."""

    path = "connectorx"

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._tag: str | None = None

    def execute(self, query: ParsedQuery, namespace: Mapping[str, Any], limit: int) -> Outcome:
        sql = "".join(p for p in query.parts if isinstance(p, str))
        if query.names or not returns_rows(sql):
            self._tag = None
            outcome = super().execute(query, namespace, limit)
            outcome.path = "sqlalchemy"
            return outcome
        import connectorx as cx
        import pyarrow as pa

        self._tag = uuid.uuid4().hex
        wrapped = limited(sql, limit + 1) if limit else sql.strip().rstrip(";")
        url = self.connection.sqlalchemy_url().set(drivername="mysql", query={})
        try:
            table = cx.read_sql(
                url.render_as_string(hide_password=False),
                f"/* hubkit:{self._tag} */ {wrapped}",
                return_type="arrow",
            )
        except Exception as e:
            raise self.error(e) from None
        finally:
            self._tag = None
        truncated = bool(limit) and table.num_rows > limit
        table = table.slice(0, limit) if limit else table
        if any(f.type == pa.int8() or pa.types.is_decimal(f.type) for f in table.schema):
            # perhaps a BOOLEAN; a DECIMAL(p, s) connectorx gives as decimal128(38, 10)
            table = self._declared(table, query, self._description(sql))
        return Outcome(table, None, self.path, truncated)

    def _description(self, sql: str) -> Any:
        """The result's column description (types and lengths), from the query with LIMIT 0
        on the session's connection: connectorx's Arrow does not say which TINYINT is
        TINYINT(1), nor a decimal's precision and scale."""
        cursor = self._connection().connection.dbapi_connection.cursor()
        try:
            cursor.execute(limited(sql, 0))
            return cursor.description
        except Exception:
            return None
        finally:
            cursor.close()

    def cancel(self) -> None:
        if self._tag is None:
            return super().cancel()
        kill_mysql_query(self.engine, tag=self._tag)


BATCH_ROWS = 65_536


def rows_to_arrow(names: list[str], rows: list[Any]) -> Any:
    """Rows of Python values into Arrow (see fetch_to_arrow)."""
    return fetch_to_arrow(names, iter([rows]), 0)[0]


def fetch_to_arrow(names: list[str], batches: Any, limit: int) -> tuple[Any, bool]:
    """Batches of rows of Python values into one Arrow table, a batch at a time so that the
    rows as Python objects never all exist at once. Each column's type is inferred (ints with
    NULLs stay ints, Decimal stays decimal, aware datetimes keep their zone, bytes stay
    binary); batches that disagree are unified (int and float: float; anything else: text).
    Returns the table and whether `limit` (0: none) cut it."""
    import pyarrow as pa

    chunks: list[list[Any]] = [[] for _ in names]
    count, truncated = 0, False
    for rows in batches:
        if not rows:
            continue
        if limit and count + len(rows) > limit:
            rows, truncated = rows[: limit - count], True
        count += len(rows)
        for i, values in enumerate(zip(*rows, strict=True)):
            chunks[i].append(_to_array(values))
        if truncated:
            break
    columns = [_concat(column) for column in chunks]
    return pa.Table.from_arrays(columns, names=_unique(names)), truncated


def _to_array(values: Any) -> Any:
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _concat(chunks: list[Any]) -> Any:
    import pyarrow as pa

    if not chunks:
        return pa.chunked_array([], type=pa.null())
    kinds = {c.type for c in chunks if not pa.types.is_null(c.type)}
    if len(kinds) > 1 and all(pa.types.is_integer(k) or pa.types.is_floating(k) for k in kinds):
        kinds = {pa.float64()}
    elif len(kinds) > 1 and all(pa.types.is_decimal(k) for k in kinds):
        scale = max(k.scale for k in kinds)
        digits = max(k.precision - k.scale for k in kinds)
        kinds = {pa.decimal128(min(digits + scale, 38), scale)}
    elif len(kinds) > 1:
        kinds = {pa.string()}
    if not kinds:
        return pa.chunked_array(chunks, type=pa.null())
    kind = kinds.pop()
    return pa.chunked_array([c if c.type == kind else c.cast(kind) for c in chunks], type=kind)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def session_class(connection: Connection) -> type[Session]:
    """The fastest installed path for this connection (driver options force SQLAlchemy,
    which is where they apply)."""
    dialect = connection.dialect
    if dialect == "duckdb":
        return DuckDBSession
    if dialect == "sqlite" and connection.url.startswith(("sqlite://", "sqlite+pysqlite://")):
        if SQLITE_ADBC and _has("adbc_driver_sqlite") and _sqlite_file(connection):
            return SqliteAdbcSession
        return SqliteSession
    if connection.options:
        return SqlAlchemySession
    if dialect == "postgresql" and _has("adbc_driver_postgresql"):
        return PostgresAdbcSession
    if dialect in ("mysql", "mariadb") and _has("connectorx"):
        return ConnectorxSession
    return SqlAlchemySession


def _sqlite_file(connection: Connection) -> bool:
    database = connection.sqlalchemy_url().database
    return bool(database) and database != ":memory:" and not database.startswith("file:")


def get_session(name: str) -> Session:
    """The open session of connection `name`, opened on first use. A driver or dialect that is
    not installed is a SqlError naming the package, not a traceback."""
    with _lock:
        session = _sessions.get(name)
        if session is None:
            connection = get_connection(name)
            try:
                session = session_class(connection)(connection)
            except Exception as e:
                from .checks import missing_driver_message

                if isinstance(e, ImportError) or type(e).__name__ == "NoSuchModuleError":
                    raise SqlError(missing_driver_message(connection, e)) from None
                message = scrub(first_line(str(e)), [_password(connection)])
                raise SqlError(f"Cannot open connection {name!r}: {message}") from None
            _sessions[name] = session
        return session


def open_session(name: str) -> Session | None:
    """The session of connection `name` if this kernel has opened it, without opening it."""
    with _lock:
        return _sessions.get(name)


def _password(connection: Connection) -> str | None:
    try:
        return connection.sqlalchemy_url().password
    except Exception:
        return None


def builtin_session() -> DuckDBSession:
    session = get_session(BUILTIN_DUCKDB)
    assert isinstance(session, DuckDBSession)
    return session


def close_session(name: str) -> None:
    with _lock:
        session = _sessions.pop(name, None)
    if session is not None:
        with contextlib.suppress(Exception):
            session.close()


def close_all() -> None:
    for name in list(_sessions):
        close_session(name)
