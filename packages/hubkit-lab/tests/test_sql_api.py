"""Tests for the SQL workspace's API (hubkit_lab.sql_handlers): connections and the catalog,
against a real server, with SQLite and DuckDB files (fast: no database server to start)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from lab_servers import Server, jupyter_server

pytestmark = pytest.mark.slow

PASSWORD = "s3cret-Pa55word"
SHARED = {
    "warehouse": {
        "url": f"postgresql+psycopg://analyst:{PASSWORD}@db.example.invalid:5432/dw",
        "description": "The team's warehouse",
    }
}


def make_sqlite(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT);
            CREATE TABLE orders (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL REFERENCES customers (id),
                amount NUMERIC, placed TEXT
            );
            CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100;
            INSERT INTO customers VALUES (1, 'Ada', 'GB'), (2, 'Grace', 'US'), (3, 'Linus', NULL);
            INSERT INTO orders VALUES (1, 1, 120.5, '2026-01-02'), (2, 1, 10, NULL),
                                      (3, 2, 300, '2026-02-03');
            """
        )
    return path


def make_duckdb(path: Path) -> Path:
    import duckdb

    with duckdb.connect(str(path)) as db:
        db.execute("CREATE SCHEMA sales")
        db.execute("CREATE TABLE sales.products (sku VARCHAR PRIMARY KEY, price DECIMAL(10, 2))")
        db.execute("INSERT INTO sales.products VALUES ('a-1', 9.99), ('b-2', NULL)")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("databases")
    return {
        "sqlite": make_sqlite(folder / "shop.db"),
        "duckdb": make_duckdb(folder / "stock.duckdb"),
        "connections": folder / "config" / "connections.json",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, files: dict[str, Path]) -> Iterator[Server]:
    env = {
        "HUBKIT_CONNECTIONS_FILE": str(files["connections"]),
        "HUBKIT_SHARED_CONNECTIONS": json.dumps(SHARED),
    }
    with jupyter_server(tmp_path_factory.mktemp("sql-api"), env=env) as server:
        for name, url in (
            ("shop", f"sqlite:///{files['sqlite']}"),
            ("stock", f"duckdb:///{files['duckdb']}"),
        ):
            r = server.request("POST", "/hubkit-lab/connections", json={"name": name, "url": url})
            assert r.status_code == 201, r.text
        yield server


def connections(server: Server) -> dict[str, dict]:
    r = server.get("/hubkit-lab/connections")
    assert r.status_code == 200
    return {c["name"]: c for c in r.json()["connections"]}


def test_without_the_token_nothing_is_listed_or_changed(server: Server) -> None:
    # Given a server with connections
    # When a client without the token lists, adds, tests or browses them
    answers = [
        server.request("GET", "/hubkit-lab/connections", token=False),
        server.request(
            "POST",
            "/hubkit-lab/connections",
            token=False,
            json={"name": "sneaky", "url": "sqlite:///x.db"},
        ),
        server.request("DELETE", "/hubkit-lab/connections/shop", token=False),
        server.request("POST", "/hubkit-lab/connections/test", token=False, json={"url": "x"}),
        server.request("GET", "/hubkit-lab/catalog/shop/main", token=False),
    ]
    # Then each is refused, and nothing changed
    assert [r.status_code for r in answers] == [403] * 5
    assert b"shop" not in answers[0].content
    assert "sneaky" not in connections(server) and "shop" in connections(server)


def test_the_list_never_shows_a_password(server: Server) -> None:
    # Given a shared connection and a personal one with passwords in their URLs
    r = server.request(
        "POST", "/hubkit-lab/connections",
        json={"name": "pg", "url": f"postgresql://me:{PASSWORD}@localhost:5999/app"},
    )  # fmt: skip
    assert r.status_code == 201
    try:
        # When the connections are listed
        r = server.get("/hubkit-lab/connections")
        # Then neither password nor user name is anywhere in the answer
        assert PASSWORD not in r.text and "analyst" not in r.text
        assert PASSWORD not in server.log.read_text()
        found = {c["name"]: c for c in r.json()["connections"]}
        # And each says what kind it is, and whether the user may change it
        assert found["pg"] | {"driver": "-"} == {
            "name": "pg", "kind": "personal", "dialect": "postgresql", "driver": "-",
            "host": "localhost", "port": 5999, "database": "app", "description": "",
            "editable": True,
        }  # fmt: skip
        assert found["warehouse"]["kind"] == "shared" and not found["warehouse"]["editable"]
        assert found["warehouse"]["description"] == "The team's warehouse"
        assert found["duckdb"]["kind"] == "builtin" and not found["duckdb"]["editable"]
    finally:
        server.request("DELETE", "/hubkit-lab/connections/pg")


def test_a_personal_connection_is_added_edited_and_removed(
    server: Server, files: dict[str, Path]
) -> None:
    url = f"sqlite:///{files['sqlite']}"
    # When the user adds a connection
    r = server.request(
        "POST", "/hubkit-lab/connections",
        json={"name": "scratch", "url": url, "description": "first"},
    )  # fmt: skip
    # Then it is saved in their file, mode 600, and listed
    assert r.status_code == 201 and r.json()["name"] == "scratch"
    assert stat.S_IMODE(files["connections"].stat().st_mode) == 0o600
    assert connections(server)["scratch"]["description"] == "first"
    # And the same name cannot be added twice
    r = server.request("POST", "/hubkit-lab/connections", json={"name": "scratch", "url": url})
    assert r.status_code == 400 and "already exists" in r.json()["message"]
    # When its description is edited
    r = server.request("PUT", "/hubkit-lab/connections/scratch", json={"description": "second"})
    assert r.status_code == 200
    assert connections(server)["scratch"]["description"] == "second"
    # When it is removed
    r = server.request("DELETE", "/hubkit-lab/connections/scratch")
    assert r.status_code == 204
    assert "scratch" not in connections(server)
    assert "scratch" not in json.loads(files["connections"].read_text())
    # And removing it again says there is none
    assert server.request("DELETE", "/hubkit-lab/connections/scratch").status_code == 404


def test_shared_and_builtin_connections_cannot_be_changed(server: Server) -> None:
    # When the user tries to edit or remove the admin's connection, or DuckDB in the kernel
    for name in ("warehouse", "duckdb"):
        edit = server.request(
            "PUT", f"/hubkit-lab/connections/{name}", json={"url": "sqlite:///mine.db"}
        )
        remove = server.request("DELETE", f"/hubkit-lab/connections/{name}")
        # Then both are forbidden
        assert (edit.status_code, remove.status_code) == (403, 403)
        assert "cannot be changed" in edit.json()["message"]
    # And a personal connection cannot take a shared one's name
    r = server.request(
        "POST", "/hubkit-lab/connections", json={"name": "warehouse", "url": "sqlite:///x.db"}
    )
    assert r.status_code == 400 and "taken" in r.json()["message"]
    assert connections(server)["warehouse"]["kind"] == "shared"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": "bad name; import os", "url": "sqlite:///x.db"}, "Invalid connection name"),
        ({"name": "-c", "url": "sqlite:///x.db"}, "Invalid connection name"),
        ({"name": "x" * 64, "url": "sqlite:///x.db"}, "Invalid connection name"),
        ({"name": "nourl"}, "Missing 'url'"),
        ({"name": "noscheme", "url": f"me:{PASSWORD}@host/db"}, "Not a valid SQLAlchemy URL"),
        ({"name": "broken", "url": f"postgresql://me:{PASSWORD}@[::1/db"}, "Not a valid"),
        ({"name": 7, "url": "sqlite:///x.db"}, "must be a string"),
    ],
)
def test_bad_names_and_urls_are_refused_without_echoing_the_password(
    server: Server, body: dict, expected: str
) -> None:
    # When the user saves a connection with a bad name or URL
    r = server.request("POST", "/hubkit-lab/connections", json=body)
    # Then it is refused with a short message that does not repeat the password
    assert r.status_code == 400
    message = r.json()["message"]
    assert expected in message and PASSWORD not in r.text and len(message) < 200
    assert PASSWORD not in server.log.read_text()


def test_a_body_that_is_not_json_is_refused(server: Server) -> None:
    r = server.request("POST", "/hubkit-lab/connections", data=b"{nope")
    assert r.status_code == 400 and r.json()["message"] == "The request body is not JSON"


def test_testing_a_saved_connection(server: Server) -> None:
    # When the user tests a saved SQLite connection
    r = server.request("POST", "/hubkit-lab/connections/shop/test")
    # Then it connects
    assert r.status_code == 200
    assert r.json()["ok"] is True and r.json()["category"] == "ok"
    # And a connection that does not exist is a 404
    assert server.request("POST", "/hubkit-lab/connections/nothere/test").status_code == 404


@pytest.mark.parametrize(
    ("url", "category"),
    [
        ("sqlite:////nonexistent-folder/nothing.db", "unknown_database"),
        (f"nosuchdialect://me:{PASSWORD}@localhost/db", "missing_driver"),
        (f"postgresql+nosuchdriver://me:{PASSWORD}@localhost/db", "missing_driver"),
        (f"mysql+pymysql://me:{PASSWORD}@127.0.0.1:1/db", "unreachable"),
    ],
)
def test_testing_an_unsaved_url_names_the_failure(server: Server, url: str, category: str) -> None:
    # When the user tests a URL before saving it
    r = server.request("POST", "/hubkit-lab/connections/test", json={"url": url})
    # Then the answer names what is wrong, never with the password
    assert r.status_code == 200
    answer = r.json()
    assert (answer["ok"], answer["category"]) == (False, category), answer
    assert answer["message"] and PASSWORD not in r.text


def test_the_catalog_of_sqlite_level_by_level(server: Server) -> None:
    # When the Databases panel expands the SQLite connection, its schema, then a table
    schemas = server.get("/hubkit-lab/catalog/shop")
    tables = server.get("/hubkit-lab/catalog/shop/main")
    columns = server.get("/hubkit-lab/catalog/shop/main/orders")
    # Then it gets the schemas, the tables and views, then columns with keys
    assert schemas.json() == {"schemas": [{"name": "main"}]}
    assert [(t["name"], t["kind"]) for t in tables.json()["tables"]] == [
        ("big_orders", "view"), ("customers", "table"), ("orders", "table"),
    ]  # fmt: skip
    assert set(tables.json()["tables"][0]) == {"schema", "name", "kind", "estimated_rows"}
    found = {c["name"]: c for c in columns.json()["columns"]}
    assert list(found) == ["id", "customer_id", "amount", "placed"]
    assert found["id"]["primary_key"] and not found["customer_id"]["primary_key"]
    assert found["customer_id"] == {
        "name": "customer_id", "type": "INTEGER", "nullable": False, "primary_key": False,
        "foreign_keys": ["main.customers.id"],
    }  # fmt: skip


def test_a_preview_gives_the_first_rows_as_json(server: Server) -> None:
    # When the user previews a table
    r = server.get("/hubkit-lab/catalog/shop/main/customers/preview?n=2")
    # Then the first n rows come as JSON, types as strings, missing values as null
    assert r.status_code == 200
    preview = r.json()
    assert [c["name"] for c in preview["columns"]] == ["id", "name", "country"]
    assert all(isinstance(c["type"], str) for c in preview["columns"])
    assert preview["rows"] == [[1, "Ada", "GB"], [2, "Grace", "US"]]
    assert preview["truncated"] is True
    everything = server.get("/hubkit-lab/catalog/shop/main/customers/preview?n=20").json()
    assert everything["rows"][2] == [3, "Linus", None] and everything["truncated"] is False
    # And a row count out of range is refused
    for n in ("0", "100000", "x"):
        bad = server.get(f"/hubkit-lab/catalog/shop/main/customers/preview?n={n}")
        assert bad.status_code == 400


def test_the_catalog_of_a_duckdb_file_leaves_the_file_to_the_kernels(
    server: Server, files: dict[str, Path]
) -> None:
    # When the Databases panel browses a DuckDB file
    schemas = [s["name"] for s in server.get("/hubkit-lab/catalog/stock").json()["schemas"]]
    tables = server.get("/hubkit-lab/catalog/stock/sales").json()["tables"]
    columns = server.get("/hubkit-lab/catalog/stock/sales/products").json()["columns"]
    preview = server.get("/hubkit-lab/catalog/stock/sales/products/preview").json()
    # Then it gets each level
    assert "sales" in schemas and "main" in schemas
    assert [t["name"] for t in tables] == ["products"]
    assert [(c["name"], c["primary_key"]) for c in columns] == [("sku", True), ("price", False)]
    assert preview["rows"] == [["a-1", "9.99"], ["b-2", None]]
    # And the server does not keep the file open: a kernel can write to it
    import duckdb

    with duckdb.connect(str(files["duckdb"])) as db:
        db.execute("INSERT INTO sales.products VALUES ('c-3', 1)")
        db.execute("DELETE FROM sales.products WHERE sku = 'c-3'")


def test_search_finds_a_table_in_a_schema_never_expanded(
    server: Server, files: dict[str, Path]
) -> None:
    # Given a DuckDB file whose schema "sales" the browser never expanded
    # When the user searches part of a table's name
    r = server.get("/hubkit-lab/search/stock?q=PROD")
    # Then the table comes with its schema, kind and estimate
    assert r.status_code == 200, r.text
    assert r.json() == {
        "tables": [{"schema": "sales", "name": "products", "kind": "table", "estimated_rows": 2}],
        "more": False,
    }
    # And a SQLite file's views are found too, at most `limit` of them, saying there are more
    found = server.get("/hubkit-lab/search/shop?q=o&limit=2").json()
    assert [t["name"] for t in found["tables"]] == ["orders", "big_orders"]
    assert found["more"] is True
    # And the file is left to the kernels
    import duckdb

    duckdb.connect(str(files["duckdb"])).close()


def test_search_is_bounded(server: Server) -> None:
    # When the search text is too long, empty, or the limit out of range
    answers = {
        q: server.get(f"/hubkit-lab/search/shop?{q}")
        for q in (f"q={'x' * 101}", "q=", "q=o&limit=0", "q=o&limit=201", "q=o&limit=x")
    }
    # Then each is refused with what is wrong
    assert {q: r.status_code for q, r in answers.items()} == dict.fromkeys(answers, 400)
    assert "too long" in answers[f"q={'x' * 101}"].json()["message"]
    # And an unknown connection is named, the kernel's DuckDB has no tables here
    missing = server.get("/hubkit-lab/search/nothere?q=o")
    assert missing.status_code == 404 and "nothere" in missing.json()["message"]
    assert server.get("/hubkit-lab/search/duckdb?q=o").json() == {"tables": [], "more": False}
    assert server.request("GET", "/hubkit-lab/search/shop?q=o", token=False).status_code == 403


def test_names_with_odd_characters_reach_the_catalog_quoted(server: Server) -> None:
    # A table name that is not a plain identifier, URL-encoded in the path
    r = server.get(f"/hubkit-lab/catalog/shop/main/{quote('no such; table', safe='')}")
    assert r.status_code == 200 and r.json() == {"columns": []}
    r = server.get("/hubkit-lab/catalog/nothere")
    assert r.status_code == 404 and "No connection named" in r.json()["message"]
    r = server.get(f"/hubkit-lab/catalog/{quote('bad name', safe='')}")
    assert r.status_code == 400


def test_the_query_builder_gives_sql_a_preview_and_joins(server: Server) -> None:
    # Given the shop's orders and customers, with a foreign key between them
    tables = [["main", "orders"], ["main", "customers"]]
    # When the builder asks for the joins, then for the SQL and a preview of a state
    r = server.request("POST", "/hubkit-lab/builder/shop/joins", json={"tables": tables})
    assert r.status_code == 200, r.text
    joins = r.json()["joins"]
    assert joins == [{"left": 0, "left_column": "customer_id", "right": 1, "right_column": "id",
                      "kind": "inner"}]  # fmt: skip
    state = {
        "tables": [{"schema": s, "table": t} for s, t in tables],
        "joins": joins,
        "columns": [{"table": 1, "column": "name"},
                    {"table": 0, "column": "amount", "aggregate": "sum", "alias": "total"}],
        "filters": [{"table": 1, "column": "name", "op": "!=", "value": "x'; DROP TABLE orders"}],
        "order_by": [{"output": 1, "descending": True}],
    }  # fmt: skip
    r = server.request("POST", "/hubkit-lab/builder/shop", json={"state": state, "n": 10})
    assert r.status_code == 200, r.text
    answer = r.json()
    # Then the SQL quotes the names and binds the value
    assert 'FROM "main"."orders" AS t0' in answer["sql"] and ":p0" in answer["sql"]
    assert "DROP" not in answer["sql"] and answer["params"] == {"p0": "x'; DROP TABLE orders"}
    # And the preview has the rows the database gives
    assert answer["preview"]["rows"] == [["Grace", 300], ["Ada", 130.5]]
    # With a prefix, the parameters take the names of the SQL cell's variables
    r = server.request("POST", "/hubkit-lab/builder/shop", json={"state": state, "prefix": "q_"})
    assert ":q_0" in r.json()["sql"] and r.json()["params"] == {"q_0": "x'; DROP TABLE orders"}
    # A state that cannot be SQL is a 400 naming the part
    r = server.request("POST", "/hubkit-lab/builder/shop", json={"state": {"tables": []}})
    assert r.status_code == 400 and r.json()["message"] == "Pick at least one table"
