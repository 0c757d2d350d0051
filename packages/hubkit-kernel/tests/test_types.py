"""Tests that results keep their types on every database: nullable integers and booleans,
exact decimals, text, bytes, dates, timestamps with their zone, and NULLs as missing."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

# One table per database with every type declared: i int, bi bigint, b boolean, f double,
# dec decimal(10, 2), s text, d date, tstz timestamp with time zone (where there is one),
# ts timestamp without, bin binary; a row of values and a row of NULLs.
PG_TYPED = """
DROP TABLE IF EXISTS typed;
CREATE TABLE typed (i int, bi bigint, b boolean, f float8, dec numeric(10, 2), s text, d date,
  tstz timestamptz, ts timestamp, bin bytea);
INSERT INTO typed VALUES (1, 9007199254740993, true, 1.25, 12.34, 'héllo', DATE '2026-01-02',
  TIMESTAMPTZ '2026-01-02 03:04:05+02', TIMESTAMP '2026-01-02 03:04:05', '\\x00ff'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""

DUCKDB_TYPED = """
CREATE OR REPLACE TABLE typed (i int, bi bigint, b boolean, f double, dec decimal(10, 2),
  s text, d date, tstz timestamptz, ts timestamp, bin blob);
INSERT INTO typed VALUES (1, 9007199254740993, true, 1.25, 12.34, 'héllo', DATE '2026-01-02',
  TIMESTAMPTZ '2026-01-02 03:04:05+02', TIMESTAMP '2026-01-02 03:04:05', '\\x00\\xFF'::blob),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""

MY_TYPED = """
CREATE OR REPLACE TABLE typed (
  i int, bi bigint, b boolean, f double, `dec` decimal(10, 2), s text, d date, tstz timestamp NULL,
  ts datetime, bin blob
);
INSERT INTO typed VALUES (1, 9007199254740993, true, 1.25, 12.34, 'héllo', '2026-01-02',
  '2026-01-02 01:04:05', '2026-01-02 03:04:05', x'00ff'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""

# SQLite stores these as 0/1, ISO text and REAL; the declared types bring them back.
LITE_TYPED = """
DROP TABLE IF EXISTS typed;
CREATE TABLE typed (i INTEGER, bi BIGINT, b BOOLEAN, f REAL, dec DECIMAL(10, 2), s TEXT,
  d DATE, tstz TIMESTAMP, ts DATETIME, bin BLOB);
INSERT INTO typed VALUES (1, 9007199254740993, 1, 1.25, 12.34, 'héllo', '2026-01-02',
  '2026-01-02 03:04:05+02:00', '2026-01-02 03:04:05', x'00ff'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""

# Options that only the SQLAlchemy session path passes on (connect_args), so a connection with
# them takes the fallback. SQLite's file path is always sqlite3 (or ADBC when asked); its
# SQLAlchemy session serves other SQLite drivers and is opened directly here.
FALLBACK_OPTIONS = {"pg": {"connect_timeout": 5}, "maria": {"connect_timeout": 5}}
# (session class, reader) per database and path: the test checks it measured the right one.
PATHS = {
    ("pg", "fast"): ("PostgresAdbcSession", "adbc"),
    ("pg", "fallback"): ("SqlAlchemySession", "sqlalchemy"),
    ("maria", "fast"): ("ConnectorxSession", "connectorx"),
    ("maria", "fallback"): ("SqlAlchemySession", "sqlalchemy"),
    ("lite", "fast"): ("SqliteSession", "sqlite3"),
    ("lite", "fallback"): ("SqlAlchemySession", "sqlalchemy"),
    ("lite", "adbc"): ("SqliteAdbcSession", "adbc"),
    ("duckdb", "fast"): ("DuckDBSession", "duckdb"),
    ("duckdb", "fallback"): ("DuckDBSession", "duckdb"),
}


def _typed_sqlite(path) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(LITE_TYPED)


@pytest.mark.parametrize(("name", "path"), list(PATHS))
def test_every_type_on_every_database(
    name, path, dbs, shell, postgres, mariadb, sqlite_path, monkeypatch
):
    from hubkit_kernel.sql import add_connection, get_connection, sessions
    from hubkit_kernel.sql.sessions import get_session

    # Given: the typed table, and on the fallback a connection with driver options and a
    # query with a bound parameter
    if name == "pg":
        postgres.psql(PG_TYPED, "shop")
    if name == "maria":
        mariadb.client(MY_TYPED, "shop")
    if name == "lite":
        _typed_sqlite(sqlite_path)
    shell.user_ns.pop("typed", None)  # a DataFrame of that name from another run
    if name == "duckdb":
        shell.run_cell_magic("sql_cell", "", DUCKDB_TYPED)
    connection, query = name, "SELECT * FROM typed ORDER BY i NULLS LAST"
    if path == "adbc":
        monkeypatch.setattr(sessions, "SQLITE_ADBC", True)
        connection = "lite_adbc"
        add_connection(connection, get_connection(name).url)
    if path == "fallback":
        if name in FALLBACK_OPTIONS:
            connection = f"{name}_fallback"
            add_connection(connection, get_connection(name).url, options=FALLBACK_OPTIONS[name])
        if name == "lite":
            session = sessions.SqlAlchemySession(get_connection(name))
            monkeypatch.setitem(sessions._sessions, name, session)
        shell.user_ns["anything"] = "x"
        query = "SELECT * FROM typed WHERE {{anything}} = 'x' ORDER BY i NULLS LAST"
    if name == "maria":
        query = query.replace("i NULLS LAST", "i IS NULL, i")
    # When
    shell.run_cell_magic("sql_cell", f"-c {connection} -o typed", query)
    df = shell.user_ns["typed"]
    # Then: the path asked for was taken
    session = get_session(connection)
    assert type(session).__name__ == PATHS[name, path][0]
    # and every column has its exact type
    assert len(df) == 2
    assert df.iloc[1].isna().all(), "NULLs stay missing"
    row = df.iloc[0]
    assert isinstance(df["i"].dtype, pd.Int32Dtype | pd.Int64Dtype)
    assert df["bi"].dtype == pd.Int64Dtype()
    assert row["bi"] == 9007199254740993, "big integers stay exact (not float)"
    assert df["b"].dtype == pd.BooleanDtype(), "BOOLEAN (MariaDB's TINYINT(1), SQLite's 0/1)"
    assert row["b"] is True or row["b"] == True  # noqa: E712 (pandas' True)
    assert df["f"].dtype == "float64"
    assert row["f"] == 1.25
    assert pd.api.types.is_string_dtype(df["s"].dtype)
    assert row["s"] == "héllo"
    assert row["bin"] == b"\x00\xff"
    assert df["dec"].dtype == pd.ArrowDtype(pa.decimal128(10, 2)) or (
        name == "maria" and path == "fast" and isinstance(df["dec"].dtype, pd.ArrowDtype)
    ), df["dec"].dtype  # connectorx: decimal128(38, 10), exact too
    assert row["dec"] == Decimal("12.34")
    assert isinstance(row["dec"], Decimal)
    assert df["d"].dtype.kind == "M"
    assert row["d"] == pd.Timestamp("2026-01-02")
    assert df["ts"].dtype.kind == "M"
    assert getattr(df["ts"].dtype, "tz", None) is None
    assert row["ts"] == pd.Timestamp("2026-01-02 03:04:05")
    if name in ("pg", "duckdb", "lite"):
        assert str(df["tstz"].dtype.tz) in ("UTC", "Etc/UTC")
        assert row["tstz"] == pd.Timestamp(dt.datetime(2026, 1, 2, 1, 4, 5, tzinfo=dt.UTC))
    else:  # MariaDB's TIMESTAMP comes back in the session's zone, without it
        assert df["tstz"].dtype.kind == "M"
        assert row["tstz"] == pd.Timestamp("2026-01-02 01:04:05")


def test_values_that_do_not_fit_the_declared_type_are_kept(shell, sqlite_path):
    from hubkit_kernel.sql import add_connection

    # Given: SQLite columns declared BOOLEAN, DATE and DECIMAL holding what SQLite allows
    with sqlite3.connect(sqlite_path) as conn:
        conn.executescript(
            "DROP TABLE IF EXISTS loose;"
            "CREATE TABLE loose (b BOOLEAN, d DATE, n NUMERIC, e DECIMAL(3, 1));"
            "INSERT INTO loose VALUES (2, 'next tuesday', 0.1, 12345.6), (1, NULL, 2, NULL);"
        )
    add_connection("lite_loose", f"sqlite:///{sqlite_path}")
    # When
    shell.run_cell_magic("sql_cell", "-c lite_loose -o loose", "SELECT * FROM loose")
    df = shell.user_ns["loose"]
    # Then: nothing is lost or guessed
    assert df["b"].tolist() == [2, 1] and df["b"].dtype == pd.Int64Dtype()
    assert df["d"].tolist()[0] == "next tuesday"
    assert df["n"].dtype == "float64", "NUMERIC without a scale stays as stored"
    assert df["e"].tolist()[0] == 12345.6, "too wide for DECIMAL(3, 1): kept as stored"


def test_mysql_type_codes_are_read_only_from_mysql_drivers():
    from hubkit_kernel.sql.declared import dbapi_declared

    # A MySQLdb NEWDECIMAL(12 wide, scale 2) and a 0 code with precision from another driver
    mysql = [("dec", 246, None, 12, 12, 2, True)]
    other = [("n", 0, None, None, 18, 3, True)]
    assert dbapi_declared(mysql, "mysql") == ["DECIMAL(10, 2)"]
    assert dbapi_declared(other, "mssql") == [""], "0 is MySQL's DECIMAL code only for MySQL"


@pytest.mark.parametrize("name", ["pg", "maria", "lite", "duckdb"])
def test_polars_result(name, dbs, shell):
    shell.run_cell_magic("sql_cell", f"-c {name} --polars -o result", "SELECT 1 AS one")
    result = shell.user_ns["result"]
    assert type(result).__module__.startswith("polars")
    assert result["one"].to_list() == [1]
