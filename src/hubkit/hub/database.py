"""Wait for the hub database before JupyterHub opens it, and say clearly when it cannot.

In compose the hub may start before PostgreSQL accepts connections; JupyterHub would then die
with a long SQLAlchemy traceback. `wait_for_database` retries for a bounded time and exits with
one line naming JUPYTERHUB_DB_URL and the host (never the password).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import logging
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

log = logging.getLogger(__name__)


def describe(url: str) -> str:
    """host:port/database of a database URL, without credentials."""
    parsed = make_url(url)
    where = parsed.host or "localhost"
    if parsed.port:
        where += f":{parsed.port}"
    return f"{where}/{parsed.database or ''}"


def first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def wait_for_database(url: str, timeout: float, variable: str = "JUPYTERHUB_DB_URL") -> None:
    """Return once `url` accepts a connection; SystemExit with one line after `timeout` s.

    SQLite needs no waiting. `timeout` 0 tries once.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
        # Not echoed: a malformed URL may still hold the password.
        raise SystemExit(
            f"{variable} is not a database URL (expected dialect+driver://user:password@host/db)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return
    where = describe(url)
    engine = create_engine(url, connect_args=_connect_timeout(parsed.get_backend_name()))
    deadline = time.monotonic() + timeout
    attempt = 0
    try:
        while True:
            attempt += 1
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return
            except SQLAlchemyError as e:
                reason = first_line(e)
            except ImportError as e:  # the driver named in the URL is not installed
                raise SystemExit(f"{variable}: no database driver for {where}: {e}") from None
            if time.monotonic() >= deadline:
                raise SystemExit(
                    f"{variable}: cannot reach the database at {where} after {attempt} "
                    f"attempt(s) in {timeout:g} s: {reason}"
                )
            log.warning("Waiting for the database at %s: %s", where, reason)
            time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))
    finally:
        engine.dispose()


def _connect_timeout(backend: str) -> dict:
    # One attempt must not hang longer than a few seconds on a host that drops packets.
    return {"connect_timeout": 3} if backend in ("postgresql", "mysql", "mariadb") else {}
