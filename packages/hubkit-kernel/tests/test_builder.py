"""The visual query builder's SQL on real PostgreSQL, MariaDB, SQLite and DuckDB: joins from
foreign keys, filters, aggregates, order and limit return the expected rows; hostile table and
column names are quoted and hostile values bound."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import sqlite3
from decimal import Decimal

import duckdb
import pytest

from hubkit_kernel.sql import add_connection
from hubkit_kernel.sql.builder import BuilderError, build_query, run_query, suggest_joins

INJECTION = "x'); DROP TABLE orders; --"
# Standard SQL (PostgreSQL, SQLite, DuckDB): the table `we"ird ta'ble`, column `co"l; DROP`
STANDARD = f"""
CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, country text);
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers (id),
                     amount numeric(12, 2));
CREATE TABLE "we""ird ta'ble" (id integer PRIMARY KEY, "co""l; DROP" text,
                               "order" integer REFERENCES customers (id));
INSERT INTO customers VALUES (1, 'Ada', 'GB'), (2, 'Linus', 'FI'), (3, 'Grace', 'US'),
                             (4, 'Edsger', 'NL');
INSERT INTO orders VALUES (10, 1, 120.50), (11, 2, 80.00), (12, 1, 30.00), (13, 3, 15.25);
INSERT INTO "we""ird ta'ble" VALUES (1, '{INJECTION.replace("'", "''")}', 1),
                                    (2, '50% off_', 2), (3, 'plain', 1);
"""
MARIADB = (
    STANDARD.replace('"we""ird ta\'ble"', "`we\"ird ta'ble`")
    .replace('"co""l; DROP"', '`co"l; DROP`')
    .replace('"order"', "`order`")
)


@pytest.fixture(scope="module")
def builder_dbs(postgres, mariadb, tmp_path_factory) -> dict[str, str]:
    """Connection name -> the schema holding the tables, one per database."""
    folder = tmp_path_factory.mktemp("builder")
    postgres.create_database("builder")
    postgres.psql(STANDARD, "builder")
    mariadb.create_database("builder")
    mariadb.client(MARIADB, "builder")
    with sqlite3.connect(folder / "b.db") as conn:
        conn.executescript(STANDARD)
    con = duckdb.connect(str(folder / "b.duckdb"))
    con.execute(STANDARD)
    con.close()
    return {
        "b_pg": postgres.url("builder"),
        "b_maria": mariadb.url("builder"),
        "b_lite": f"sqlite:///{folder / 'b.db'}",
        "b_duck": f"duckdb:///{folder / 'b.duckdb'}",
    }


SCHEMAS = {"b_pg": "public", "b_maria": "builder", "b_lite": "main", "b_duck": "main"}


@pytest.fixture(params=sorted(SCHEMAS))
def db(request, builder_dbs) -> tuple[str, str]:
    name = request.param
    add_connection(name, builder_dbs[name])
    return name, SCHEMAS[name]


def rows(table) -> list[tuple]:
    """An Arrow result as tuples with decimals as floats (each driver types NUMERIC apart)."""
    out = []
    for row in table.to_pylist():
        out.append(tuple(float(v) if isinstance(v, Decimal | float) else v for v in row.values()))
    return out


@pytest.mark.slow
def test_join_filter_aggregate_order_limit(db):
    name, schema = db
    state = {
        "tables": [{"schema": schema, "table": "orders"}, {"schema": schema, "table": "customers"}],
        "joins": [{"left": 0, "left_column": "customer_id", "right": 1, "right_column": "id"}],
        "columns": [
            {"table": 1, "column": "country"},
            {"table": 0, "column": "amount", "aggregate": "sum", "alias": "total"},
            {"table": 0, "column": "id", "aggregate": "count"},
        ],
        "filters": [{"table": 0, "column": "amount", "op": ">=", "value": 20}],
        "order_by": [{"output": 1, "descending": True}],
        "limit": 2,
    }
    assert rows(run_query(name, state)) == [("GB", 150.5, 2), ("FI", 80.0, 1)]
    # the joins suggested from the foreign keys are the one used above
    suggestions = suggest_joins(name, [(schema, "orders"), (schema, "customers")])
    assert [s.to_dict() for s in suggestions] == [state["joins"][0] | {"kind": "inner"}]


@pytest.mark.slow
def test_outer_joins_keep_the_rows_of_the_side_they_name(db):
    # Given customers first, then orders joined from the orders' side (the join the builder
    # suggests when the added table holds the foreign key); Edsger has no order
    name, schema = db
    state = {
        "tables": [{"schema": schema, "table": "customers"}, {"schema": schema, "table": "orders"}],
        "columns": [{"table": 0, "column": "name"}, {"table": 1, "column": "id"}],
        "order_by": [{"output": 0}, {"output": 1}],
    }
    orders_side = {"left": 1, "left_column": "customer_id", "right": 0, "right_column": "id"}
    # When it is "orders LEFT JOIN customers", every order is there and no customer without one
    kept = run_query(name, state | {"joins": [orders_side | {"kind": "left"}]})
    assert [r[1] for r in rows(kept)] == [10, 12, 13, 11]
    # When it is "orders RIGHT JOIN customers", every customer is, Edsger without an order
    kept = run_query(name, state | {"joins": [orders_side | {"kind": "right"}]})
    assert ("Edsger", None) in rows(kept) and len(rows(kept)) == 5


@pytest.mark.slow
def test_hostile_names_and_values(db):
    name, schema = db
    weird = {"schema": schema, "table": "we\"ird ta'ble"}
    column = 'co"l; DROP'
    suggestions = suggest_joins(name, [(schema, weird["table"]), (schema, "customers")])
    assert [(s.left_column, s.right_column) for s in suggestions] == [("order", "id")]
    base = {
        "tables": [weird, {"schema": schema, "table": "customers"}],
        "joins": [suggestions[0].to_dict()],
        "columns": [
            {"table": 0, "column": "id"},
            {"table": 0, "column": column},
            {"table": 1, "column": "name"},
        ],
        "order_by": [{"output": 0}],
    }
    # A value that would end the string and drop a table is only a value
    exact = base | {"filters": [{"table": 0, "column": column, "op": "=", "value": INJECTION}]}
    sql, params = build_query(exact, "postgresql")
    assert INJECTION not in sql and params == {"p0": INJECTION}
    assert rows(run_query(name, exact)) == [(1, INJECTION, "Ada")]
    # "contains" takes % and _ literally
    percent = base | {"filters": [{"table": 0, "column": column, "op": "contains", "value": "%"}]}
    assert rows(run_query(name, percent)) == [(2, "50% off_", "Linus")]
    under = base | {"filters": [{"table": 0, "column": column, "op": "contains", "value": "f_"}]}
    assert [r[0] for r in rows(run_query(name, under))] == [2]
    listed = base | {
        "filters": [
            {"table": 0, "column": "id", "op": "in", "value": [1, 3]},
            {"table": 1, "column": "name", "op": "!=", "value": "Bob"},
        ]
    }
    assert [r[0] for r in rows(run_query(name, listed))] == [1, 3]
    # and the orders table is still there
    count = {"tables": [{"schema": schema, "table": "orders"}],
             "columns": [{"table": 0, "column": "id", "aggregate": "count"}]}  # fmt: skip
    assert rows(run_query(name, count)) == [(4,)]


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({}, "Pick at least one table"),
        ({"tables": [{"table": "a"}, {"table": "b"}]}, "table 1 is not joined"),
        ({"tables": [{"table": "a"}, {"table": "b"}, {"table": "c"}],
          "joins": [{"left": 1, "left_column": "x", "right": 2, "right_column": "y"}]},
         "join 0: neither table is in the query yet"),
        ({"tables": [{"table": ""}]}, "table 0 must be a non-empty name"),
        ({"tables": [{"table": "a"}], "columns": [{"table": 3, "column": "x"}]},
         "column 0: no table number 3"),
        ({"tables": [{"table": "a"}], "columns": [{"table": 0, "column": "x",
                                                   "aggregate": "median"}]},
         "unknown aggregate 'median'"),
        ({"tables": [{"table": "a"}], "filters": [{"table": 0, "column": "x", "op": "~"}]},
         "unknown operator '~'"),
        ({"tables": [{"table": "a"}], "filters": [{"table": 0, "column": "x", "op": "=",
                                                   "value": {"a": 1}}]},
         "a value must be text, a number or true/false"),
        ({"tables": [{"table": "a"}], "filters": [{"table": 0, "column": "x", "op": "between",
                                                   "value": [1]}]},
         "'between' needs two values"),
        ({"tables": [{"table": "a"}], "limit": -1}, "limit must be a whole number"),
        ({"tables": [{"table": "a"}], "order_by": [{"output": 0}]}, "no output column number 0"),
    ],
)  # fmt: skip
def test_bad_states_are_refused_naming_the_part(state, message):
    with pytest.raises(BuilderError, match=message):
        build_query(state, "postgresql")


def test_parameters_take_the_prefix_a_sql_cell_binds_them_by():
    # Given a filter in a state, built for a SQL cell whose parameters start with `totals_p`
    state = {"tables": [{"table": "orders"}],
             "filters": [{"table": 0, "column": "amount", "op": ">=", "value": 100}]}  # fmt: skip
    sql, params = build_query(state, "sqlite", "totals_p")
    # Then the SQL names the parameter with the prefix, and a prefix that is no name is refused
    assert sql.endswith(":totals_p0") and params == {"totals_p0": 100}
    with pytest.raises(BuilderError, match="parameter prefix must be a Python name"):
        build_query(state, "sqlite", "x; DROP")
