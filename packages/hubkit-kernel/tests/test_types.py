"""Tests that results keep their types on every database: nullable integers and booleans,
exact decimals, text, bytes, dates, timestamps with their zone, and NULLs as missing."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pandas as pd
import pytest

PG_TYPED = """
SELECT * FROM (VALUES
  (1::int, 9007199254740993::bigint, true, 1.25::float8, 12.34::numeric(10, 2), 'héllo'::text,
   DATE '2026-01-02', TIMESTAMPTZ '2026-01-02 03:04:05+02', TIMESTAMP '2026-01-02 03:04:05',
   '\\x00ff'::bytea),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) AS t (i, bi, b, f, dec, s, d, tstz, ts, bin)"""

DUCKDB_TYPED = """
SELECT * FROM (VALUES
  (1::int, 9007199254740993::bigint, true, 1.25::double, 12.34::decimal(10, 2), 'héllo',
   DATE '2026-01-02', TIMESTAMPTZ '2026-01-02 03:04:05+02', TIMESTAMP '2026-01-02 03:04:05',
   '\\x00\\xFF'::blob),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) AS t (i, bi, b, f, dec, s, d, tstz, ts, bin)"""

MY_TYPED = """
CREATE OR REPLACE TABLE typed (
  i int, bi bigint, b boolean, f double, `dec` decimal(10, 2), s text, d date, tstz timestamp NULL,
  ts datetime, bin blob
);
INSERT INTO typed VALUES (1, 9007199254740993, true, 1.25, 12.34, 'héllo', '2026-01-02',
  '2026-01-02 01:04:05', '2026-01-02 03:04:05', x'00ff'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""

# What each database can hold: SQLite has no boolean, decimal, date or timestamp type
# (its declared types are affinities and the values come back as stored).
EXPECTED_MISSING = {"lite": {"dec", "d", "tstz", "ts"}, "maria": set()}


def _typed_sqlite(path) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "DROP TABLE IF EXISTS typed;"
            "CREATE TABLE typed (i INTEGER, bi INTEGER, b INTEGER, f REAL, s TEXT, bin BLOB);"
            "INSERT INTO typed VALUES (1, 9007199254740993, 1, 1.25, 'héllo', x'00ff'),"
            " (NULL, NULL, NULL, NULL, NULL, NULL);"
        )


@pytest.mark.parametrize("name", ["pg", "maria", "lite", "duckdb"])
def test_every_type_on_every_database(name, dbs, shell, mariadb, sqlite_path):
    # Given
    query = {"pg": PG_TYPED, "duckdb": DUCKDB_TYPED}.get(name, "SELECT * FROM typed")
    if name == "maria":
        mariadb.client(MY_TYPED, "shop")
    if name == "lite":
        _typed_sqlite(sqlite_path)
    # When
    shell.run_cell_magic("sql_cell", f"-c {name} -o typed", query)
    df = shell.user_ns["typed"]
    # Then
    assert len(df) == 2
    assert df.iloc[1].isna().all(), "NULLs stay missing"
    row = df.iloc[0]
    assert isinstance(df["i"].dtype, pd.Int32Dtype | pd.Int64Dtype)
    assert df["bi"].dtype == pd.Int64Dtype()
    assert row["bi"] == 9007199254740993, "big integers stay exact (not float)"
    if name in ("pg", "duckdb"):
        assert df["b"].dtype == pd.BooleanDtype()
    else:  # MySQL's BOOLEAN is TINYINT(1); SQLite stores integers
        assert pd.api.types.is_integer_dtype(df["b"].dtype)
        assert df["b"].dtype.name[0] in "IU"  # nullable
    assert row["b"] == 1
    assert df["f"].dtype == "float64"
    assert row["f"] == 1.25
    assert pd.api.types.is_string_dtype(df["s"].dtype)
    assert row["s"] == "héllo"
    assert row["bin"] == b"\x00\xff"
    if "dec" not in EXPECTED_MISSING.get(name, ()):
        assert isinstance(df["dec"].dtype, pd.ArrowDtype)
        assert row["dec"] == Decimal("12.34")
        assert isinstance(row["dec"], Decimal)
    if "d" not in EXPECTED_MISSING.get(name, ()):
        assert df["d"].dtype.kind == "M"
        assert row["d"] == pd.Timestamp("2026-01-02")
    if "ts" not in EXPECTED_MISSING.get(name, ()):
        assert df["ts"].dtype.kind == "M"
        assert row["ts"] == pd.Timestamp("2026-01-02 03:04:05")
    if name in ("pg", "duckdb"):
        assert str(df["tstz"].dtype.tz) in ("UTC", "Etc/UTC")
        assert row["tstz"] == pd.Timestamp(dt.datetime(2026, 1, 2, 1, 4, 5, tzinfo=dt.UTC))
    elif name == "maria":  # TIMESTAMP comes back in the session's zone, without it
        assert row["tstz"] == pd.Timestamp("2026-01-02 01:04:05")


@pytest.mark.parametrize("name", ["pg", "maria", "lite", "duckdb"])
def test_polars_result(name, dbs, shell):
    shell.run_cell_magic("sql_cell", f"-c {name} --polars -o result", "SELECT 1 AS one")
    result = shell.user_ns["result"]
    assert type(result).__module__.startswith("polars")
    assert result["one"].to_list() == [1]
