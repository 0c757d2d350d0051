"""Tests for the schema catalog: schemas, then tables and views, then columns with keys, and
previews, on every database; one catalog query per level, fast on 2,000 tables."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from hubkit_kernel.sql import list_columns, list_schemas, list_tables, preview, search_tables
from hubkit_kernel.sql.sessions import get_session

SCHEMA = {"pg": "sales", "maria": "shop", "lite": "main", "duckdb": "sales"}


@pytest.fixture
def duck_schema(shell):
    shell.run_cell_magic(
        "sql_cell", "",
        "CREATE SCHEMA IF NOT EXISTS sales;"
        "CREATE OR REPLACE TABLE sales.customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " country TEXT, vip BOOLEAN);"
        "CREATE OR REPLACE TABLE sales.orders (id BIGINT PRIMARY KEY,"
        " customer_id INTEGER NOT NULL REFERENCES sales.customers (id), placed TIMESTAMPTZ,"
        " amount DECIMAL(12, 2), note TEXT);"
        "CREATE OR REPLACE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 100;"
        "INSERT INTO sales.customers VALUES (1, 'Ada', 'GB', true), (2, 'Linus', 'FI', NULL);"
        "INSERT INTO sales.orders VALUES (10, 1, '2026-01-02 10:00+01', 120.50, 'first'),"
        " (11, 2, '2026-01-03 11:00+00', 80.00, NULL);",
    )  # fmt: skip


@pytest.mark.parametrize("name", ["pg", "maria", "lite", "duckdb"])
def test_schemas_tables_columns_keys(name, dbs, duck_schema):
    schema = SCHEMA[name]
    # schemas
    schemas = [s.name for s in list_schemas(name)]
    assert schema in schemas
    if name == "pg":
        assert {"hr", "public", "sales"} <= set(schemas)
        assert "pg_catalog" not in schemas
    # tables and views
    tables = {t.name: t for t in list_tables(name, schema)}
    assert {"customers", "orders", "big_orders"} <= set(tables)
    assert tables["big_orders"].kind == "view"
    assert tables["orders"].kind == "table"
    if name in ("pg", "maria", "duckdb"):
        assert tables["orders"].estimated_rows == 2
    # columns with keys
    columns = {c.name: c for c in list_columns(name, schema, "orders")}
    assert list(columns)[:2] == ["id", "customer_id"]
    assert columns["id"].primary_key
    assert not columns["customer_id"].nullable
    assert columns["note"].nullable
    assert columns["customer_id"].foreign_keys == [f"{schema}.customers.id"]
    assert not columns["amount"].primary_key
    assert columns["amount"].type.lower().startswith(("numeric", "decimal", "real"))
    # preview, identifiers quoted for the dialect
    frame = preview(name, "orders", 1, schema=schema)
    assert len(frame) == 1
    assert list(frame.columns)[:2] == ["id", "customer_id"]


@pytest.mark.parametrize("name", ["pg", "maria", "lite", "duckdb"])
def test_search_finds_tables_by_name_exact_first(name, dbs, duck_schema):
    schema = SCHEMA[name]
    # When a part of a name is searched, in another case
    tables, more = search_tables(name, "ORD")
    # Then the tables and views containing it come, those named it first (other tests may
    # add tables of the same names in other schemas of the database)
    names = [f"{t.schema}.{t.name}" for t in tables]
    ours = [n for n in names if n.startswith(f"{schema}.")]
    assert ours[:2] == [f"{schema}.orders", f"{schema}.big_orders"], names
    exact = [n.endswith(".orders") for n in names]
    assert exact == sorted(exact, reverse=True), names
    assert not more
    assert {t.kind for t in tables if t.name == "big_orders"} == {"view"}
    # And LIKE's wildcards are text: only names with an underscore match "_"
    underscored = [t.name for t in search_tables(name, "_")[0]]
    assert "big_orders" in underscored and "orders" not in underscored
    assert all("_" in n for n in underscored), underscored
    assert search_tables(name, "%")[0] == []
    # And the schema's name is searched too
    assert f"{schema}.customers" in [
        f"{t.schema}.{t.name}" for t in search_tables(name, f"{schema}.cust")[0]
    ]


def test_search_reaches_a_schema_never_listed(dbs, postgres):
    # Given a schema of PostgreSQL nobody listed or expanded, holding the table sought
    postgres.psql(
        "CREATE SCHEMA IF NOT EXISTS archive;"
        "CREATE TABLE IF NOT EXISTS archive.invoices_2019 (id int PRIMARY KEY);"
        "CREATE TABLE IF NOT EXISTS archive.invoices_2020 (id int PRIMARY KEY);"
        "CREATE TABLE IF NOT EXISTS archive.invoices (id int PRIMARY KEY)",
        "shop",
    )
    # When its name is searched
    tables, more = search_tables("pg", "invoices")
    # Then it is found in its schema, the exact name first
    assert [(t.schema, t.name) for t in tables] == [
        ("archive", "invoices"),
        ("archive", "invoices_2019"),
        ("archive", "invoices_2020"),
    ]
    assert not more
    # And a limit cuts the answer and says there were more
    assert [t.name for t in search_tables("pg", "invoices_", limit=1)[0]] == ["invoices_2019"]
    assert search_tables("pg", "invoices_", limit=1)[1] is True


@pytest.mark.parametrize("text", ["'; DROP TABLE sales.orders; --", "x' OR '1'='1", "\\"])
def test_search_text_is_bound_never_sql(text, dbs):
    # When the search text is SQL
    tables, _ = search_tables("pg", text)
    # Then nothing matches and the tables are all there
    assert tables == []
    assert "orders" in [t.name for t in list_tables("pg", "sales")]


@pytest.mark.parametrize(
    ("text", "limit", "message"),
    [("", 50, "Type some"), ("x" * 101, 50, "too long"), ("ord", 0, "limit"),
     ("ord", 201, "limit")],
)  # fmt: skip
def test_search_bounds(text, limit, message, dbs):
    with pytest.raises(ValueError, match=message):
        search_tables("lite", text, limit)


def test_self_referencing_foreign_key(dbs):
    columns = {c.name: c for c in list_columns("pg", "hr", "staff")}
    assert columns["boss"].foreign_keys == ["hr.staff.id"]


def test_preview_quotes_odd_identifiers(dbs, postgres):
    odd = '"Odd ""Name"" ; x"'
    postgres.psql(f"CREATE TABLE IF NOT EXISTS {odd} (v int); INSERT INTO {odd} VALUES (7)", "shop")
    assert 'Odd "Name" ; x' in [t.name for t in list_tables("pg", "public")]
    assert preview("pg", 'Odd "Name" ; x', 5, schema="public")["v"].tolist() == [7]


def test_two_thousand_tables_list_at_once(dbs, postgres):
    # Given: a schema with 2,000 tables of 5 columns, 3 of them keys
    postgres.psql(
        "CREATE SCHEMA wide; DO $$ BEGIN FOR i IN 1..2000 LOOP EXECUTE format("
        "'CREATE TABLE wide.t%s (id int PRIMARY KEY, a text, b numeric, c date, d int "
        "REFERENCES sales.customers (id))', i); END LOOP; END $$; ANALYZE",
        "shop",
    )
    session = get_session("pg")
    statements: list[str] = []
    from sqlalchemy import event

    @event.listens_for(session.engine, "before_cursor_execute")
    def count(conn, cursor, statement, *args):
        statements.append(statement)

    # When
    start = time.perf_counter()
    tables = list_tables("pg", "wide")
    listed = time.perf_counter() - start
    start = time.perf_counter()
    columns = list_columns("pg", "wide", "t1999")
    described = time.perf_counter() - start
    # Then: one query per level, well under a second each on a 2-core machine
    assert len(tables) == 2000
    assert len(statements) == 2
    assert listed < 1.0, listed
    assert described < 0.5, described
    assert [c.name for c in columns] == ["id", "a", "b", "c", "d"]
    assert columns[4].foreign_keys == ["sales.customers.id"]


def test_a_duckdb_file_is_browsed_without_locking_a_kernel_out(tmp_path):
    import duckdb

    from hubkit_kernel.sql import SqlError, add_connection

    # Given a DuckDB file saved as a connection
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE stock (sku TEXT)").close()
    add_connection("warehouse", f"duckdb:///{path}")
    # When the schema browser lists and previews it
    assert [t.name for t in list_tables("warehouse", "main")] == ["stock"]
    assert preview("warehouse", "stock", schema="main").empty
    # Then a kernel (another process) can open the file for writing right after
    kernel = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(path)!r})\n"
         "con.execute(\"INSERT INTO stock VALUES ('a1')\")\n"
         "print('open', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert kernel.stdout.readline().strip() == "open"
        # And while the kernel holds it, the browser says why it cannot list it
        with pytest.raises(SqlError, match=r"open for writing in another process \(PID \d+\)"):
            list_tables("warehouse", "main")
    finally:
        kernel.kill()
        kernel.wait()
    # And once the kernel is gone it lists the kernel's writes
    assert preview("warehouse", "stock", schema="main")["sku"].tolist() == ["a1"]
