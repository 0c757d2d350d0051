"""Fixtures for hubkit-kernel's tests: real PostgreSQL and MariaDB servers (from the repository's
tests/databases.py) loaded with one realistic schema, SQLite and DuckDB files, a personal
connections file per test, an in-process IPython shell and a real kernel.

Fixture index: `postgres`, `mariadb` (session servers), `sqlite_path`, `duckdb_path`,
`connections_file` (autouse: HUBKIT_CONNECTIONS_FILE in a temporary folder), `dbs`
(connection name per database, saved as personal connections), `shell` (IPython with the
extension loaded), `kernel` (a started python3 kernel with the extension loaded).
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))

import databases
from kernel_client import KernelSession

PG_SCHEMA = """
CREATE SCHEMA sales;
CREATE SCHEMA hr;
CREATE TABLE sales.customers (
    id integer PRIMARY KEY, name text NOT NULL, country char(2), vip boolean
);
CREATE TABLE sales.orders (
    id bigint PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES sales.customers (id),
    placed timestamptz, amount numeric(12, 2), note text
);
CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 100;
CREATE TABLE hr.staff (id integer PRIMARY KEY, boss integer REFERENCES hr.staff (id), name text);
INSERT INTO sales.customers VALUES (1, 'Ada', 'GB', true), (2, 'Linus', 'FI', NULL);
INSERT INTO sales.orders VALUES (10, 1, '2026-01-02 10:00+01', 120.50, 'first'),
                                (11, 2, '2026-01-03 11:00+00', 80.00, NULL);
ANALYZE;
"""

MY_SCHEMA = """
CREATE TABLE customers (
    id int PRIMARY KEY, name varchar(100) NOT NULL, country char(2), vip boolean
);
CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id int NOT NULL, placed datetime, amount decimal(12, 2),
    note text, FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100;
INSERT INTO customers VALUES (1, 'Ada', 'GB', true), (2, 'Linus', 'FI', NULL);
INSERT INTO orders VALUES (10, 1, '2026-01-02 10:00', 120.50, 'first'),
                          (11, 2, '2026-01-03 11:00', 80.00, NULL);
"""

SQLITE_SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT, vip BOOLEAN);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
    placed TEXT, amount REAL, note TEXT
);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100;
INSERT INTO customers VALUES (1, 'Ada', 'GB', 1), (2, 'Linus', 'FI', NULL);
INSERT INTO orders VALUES (10, 1, '2026-01-02 10:00', 120.5, 'first'),
                          (11, 2, '2026-01-03 11:00', 80.0, NULL);
"""


@pytest.fixture(scope="session")
def postgres() -> Iterator[databases.PostgresCluster]:
    with databases.PostgresCluster() as cluster:
        cluster.create_database("shop")
        cluster.psql(PG_SCHEMA, "shop")
        yield cluster


@pytest.fixture(scope="session")
def mariadb() -> Iterator[databases.MariaDBServer]:
    with databases.MariaDBServer() as server:
        server.create_database("shop")
        server.client(MY_SCHEMA, "shop")
        yield server


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(SQLITE_SCHEMA)
    return path


@pytest.fixture(autouse=True)
def connections_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config" / "hubkit" / "connections.json"
    monkeypatch.setenv("HUBKIT_CONNECTIONS_FILE", str(path))
    monkeypatch.delenv("HUBKIT_SHARED_CONNECTIONS", raising=False)
    monkeypatch.delenv("HUBKIT_SHARED_CONNECTIONS_FILE", raising=False)
    yield path
    from hubkit_kernel.sql.sessions import close_all

    close_all()


@pytest.fixture
def dbs(postgres, mariadb, sqlite_path) -> dict[str, str]:
    """One personal connection per database: name -> dialect."""
    from hubkit_kernel.sql import add_connection

    add_connection("pg", postgres.url("shop"))
    add_connection("maria", mariadb.url("shop"))
    add_connection("lite", f"sqlite:///{sqlite_path}")
    return {"pg": "postgresql", "maria": "mysql", "lite": "sqlite", "duckdb": "duckdb"}


@pytest.fixture
def shell():
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    if "sql_cell" not in ip.magics_manager.magics["cell"]:
        ip.run_line_magic("load_ext", "hubkit_kernel")
    yield ip
    for name in ("df", "result"):
        ip.user_ns.pop(name, None)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelSession]:
    home = tmp_path_factory.mktemp("kernel-home")
    with KernelSession(env={"HUBKIT_CONNECTIONS_FILE": str(home / "connections.json")}) as k:
        k.execute("%load_ext hubkit_kernel")
        yield k
