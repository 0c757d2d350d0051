"""Testing a connection before using it: a stable category the JupyterLab side can act on, and
a human message, never the credentials.

Categories: ok, unreachable, auth_failed, unknown_database, missing_driver, tls_required,
other (with the database's first message line).
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Literal

from .connections import NAME_PATTERN, Connection, get_connection
from .errors import first_line, scrub

Category = Literal[
    "ok", "unreachable", "auth_failed", "unknown_database", "missing_driver", "tls_required",
    "other",
]  # fmt: skip

# The import name SQLAlchemy reports for a missing driver -> the package to install.
DRIVER_PACKAGES = {
    "psycopg": "psycopg", "psycopg2": "psycopg2-binary", "asyncpg": "asyncpg",
    "pg8000": "pg8000", "MySQLdb": "mysqlclient", "pymysql": "pymysql",
    "mysql": "mysql-connector-python", "mariadb": "mariadb", "duckdb_engine": "duckdb-engine",
    "pyodbc": "pyodbc", "pymssql": "pymssql", "oracledb": "oracledb",
    "cx_Oracle": "cx_Oracle", "snowflake": "snowflake-sqlalchemy",
    "clickhouse_sqlalchemy": "clickhouse-sqlalchemy", "trino": "trino",
    "sqlalchemy_bigquery": "sqlalchemy-bigquery", "databricks": "databricks-sqlalchemy",
}  # fmt: skip
# SQLAlchemy dialects that live in their own package.
DIALECT_PACKAGES = {
    "duckdb": "duckdb-engine", "snowflake": "snowflake-sqlalchemy",
    "bigquery": "sqlalchemy-bigquery", "clickhouse": "clickhouse-sqlalchemy", "trino": "trino",
    "databricks": "databricks-sqlalchemy", "redshift": "sqlalchemy-redshift",
    "awsathena": "pyathena",
}  # fmt: skip

_UNREACHABLE = re.compile(
    r"connection refused|could not translate host name|name or service not known|"
    r"timeout expired|timed out|no route to host|network is unreachable|"
    r"can't connect to (local )?(mysql|mariadb) server|unknown (mysql )?server host|"
    r"could not connect to server|server closed the connection unexpectedly",
    re.IGNORECASE,
)
_TLS = re.compile(
    r"no encryption|ssl off|sslmode|requires? (ssl|tls|secure transport)|insecure transport|"
    r"ssl connection is required|require_secure_transport",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ConnectionCheck:
    """The outcome of test_connection."""

    ok: bool
    category: Category
    message: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def test_connection(name_or_url: str, timeout: float = 5.0) -> ConnectionCheck:
    """Connect to a named connection (or a URL not saved yet) and run `SELECT 1`."""
    start = time.perf_counter()
    if isinstance(name_or_url, str) and NAME_PATTERN.fullmatch(name_or_url):
        connection = get_connection(name_or_url)
    else:
        connection = Connection("unsaved", str(name_or_url), "personal")
    category, message = _probe(connection, timeout)
    return ConnectionCheck(category == "ok", category, message, time.perf_counter() - start)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _probe(connection: Connection, timeout: float) -> tuple[Category, str]:
    if connection.kind == "builtin":
        return "ok", "Connected (DuckDB in this kernel)"
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    from sqlalchemy.pool import NullPool

    try:
        url = connection.sqlalchemy_url()
    except ArgumentError:
        return "other", "Not a valid SQLAlchemy URL (dialect+driver://user:password@host/db)"
    secrets, users = [url.password], [url.username]
    backend = url.get_backend_name()
    try:
        engine = create_engine(
            url,
            poolclass=NullPool,
            connect_args=_timeout_args(backend, url, timeout) | dict(connection.options),
        )
    except NoSuchModuleError:
        package = DIALECT_PACKAGES.get(backend, f"the SQLAlchemy dialect for {backend!r}")
        return "missing_driver", f"No SQLAlchemy dialect {backend!r}: install {package}"
    except ImportError as e:
        return "missing_driver", _missing(e, url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except ImportError as e:
        return "missing_driver", _missing(e, url)
    except Exception as e:
        orig = getattr(e, "orig", None) or e
        category, message = classify(orig, backend, url.database, secrets, users)
        if category == "auth_failed" and _accepted_over_tls(connection, url, timeout):
            return "tls_required", (
                "The server accepts this user only over an encrypted (TLS) connection: add"
                " TLS options to the connection (e.g. ?ssl_mode=REQUIRED)"
            )
        return category, message
    finally:
        engine.dispose()
    return "ok", f"Connected to {backend} at {url.host or url.database or 'local'}"


def _accepted_over_tls(connection: Connection, url: Any, timeout: float) -> bool:
    """MySQL/MariaDB refuse a user that must use TLS with the same "Access denied" as a wrong
    password; a second try over TLS (certificate not checked: this only tells the two apart)
    says which."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    driver = url.get_driver_name()
    if url.get_backend_name() not in ("mysql", "mariadb"):
        return False
    if driver == "mysqldb":
        tls: dict[str, Any] = {"ssl_mode": "REQUIRED"}
    elif driver == "pymysql":
        tls = {"ssl": {"check_hostname": False}}
    else:
        return False
    connect_args = dict(connection.options) | _timeout_args("mysql", url, timeout) | tls
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def missing_driver_message(connection: Connection, exc: Exception) -> str:
    """What to install when opening `connection` raised ImportError (or SQLAlchemy's
    NoSuchModuleError, a subclass of neither: handled by name)."""
    from sqlalchemy.exc import NoSuchModuleError

    url = connection.sqlalchemy_url()
    if isinstance(exc, NoSuchModuleError):
        backend = url.get_backend_name()
        package = DIALECT_PACKAGES.get(backend, f"the SQLAlchemy dialect for {backend!r}")
        return f"No SQLAlchemy dialect {backend!r}: install {package}"
    assert isinstance(exc, ImportError)
    return _missing(exc, url)


def _timeout_args(backend: str, url: Any, timeout: float) -> dict[str, Any]:
    if backend == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2"):
        return {"connect_timeout": max(1, int(timeout))}
    if backend in ("mysql", "mariadb") and url.get_driver_name() in ("mysqldb", "pymysql"):
        return {"connect_timeout": max(1, int(timeout))}
    return {}


def _missing(exc: ImportError, url: Any) -> str:
    module = (exc.name or "").split(".")[0] or url.get_driver_name()
    package = DRIVER_PACKAGES.get(module, module)
    return f"The driver {module!r} is not installed: pip install {package} (or conda install it)"


def classify(
    exc: BaseException, backend: str, database: str | None, secrets: list, users: list
) -> tuple[Category, str]:
    """A driver's connection error into a category and a message."""
    text = scrub(str(exc), secrets, users)
    code = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "diag", None), "sqlstate", None)
    errno = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    low = text.lower()
    if _TLS.search(text) or errno == 3159:
        return (
            "tls_required",
            f"The server requires an encrypted (TLS) connection: {first_line(text)}",
        )
    if (
        code == "28P01"
        or errno == 1045
        or "password authentication failed" in low
        or ("access denied for user" in low)
    ):
        return "auth_failed", "Authentication failed: wrong user name or password"
    if (
        code == "3D000"
        or errno == 1049
        or ("database" in low and ("does not exist" in low or "unknown database" in low))
    ):
        return "unknown_database", f"The database {database!r} does not exist on this server"
    if backend == "sqlite" and "unable to open database file" in low:
        return "unknown_database", f"Cannot open the SQLite file {database!r}"
    if errno in (2002, 2003, 2005, 2006, 2013) or _UNREACHABLE.search(text):
        return "unreachable", f"Cannot reach the server: {first_line(text)}"
    return "other", first_line(text)
