"""Column types the driver loses, taken back from what the database declares.

SQLite has no boolean, date, timestamp or decimal storage: a column declared BOOLEAN holds
0 and 1, DATE and TIMESTAMP hold ISO text, DECIMAL(p, s) holds REAL. Its readers (sqlite3,
ADBC, SQLAlchemy) return them as integers, text and floats. MariaDB's BOOLEAN is TINYINT(1),
which connectorx and MySQLdb return as a small integer. Decimals read through SQLAlchemy get
the precision of their values, through connectorx decimal128(38, 10). Here each result column is
cast, in Arrow and vectorised, to the type its declaration (or the cursor's description) names:

| declared | becomes | when |
| --- | --- | --- |
| BOOLEAN, BOOL (SQLite); TINYINT(1) (MariaDB/MySQL) | bool | every value is 0, 1 or NULL |
| DATE | date (datetime64 in pandas) | every value is an ISO date |
| DATETIME, TIMESTAMP | timestamp; with zone UTC when the text has offsets | every value is ISO |
| DECIMAL(p, s), NUMERIC(p, s) | decimal128(p, s), exact at the declared scale | p <= 38 |

A column whose values do not fit (a 2 in a BOOLEAN, a date in another format) keeps what the
driver gave: nothing is lost or guessed. NUMERIC or DECIMAL without a precision and scale stays
as stored (REAL as float64, INTEGER as Int64): SQLite kept a binary float, there is no exact
value to recover, and guessing a scale would invent digits.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import re
import uuid
from typing import Any

from .parameters import ParsedQuery

_DECIMAL = re.compile(r"^\s*(?:DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)", re.IGNORECASE)
_MYSQL_TINY = 1  # MySQLdb/PyMySQL FIELD_TYPE.TINY
_MYSQL_DECIMALS = (0, 246)  # FIELD_TYPE.DECIMAL, NEWDECIMAL


def sqlite_declared(dbapi_connection: Any, query: ParsedQuery) -> list[str] | None:
    """The declared type of each result column of a single SELECT on SQLite ("" for an
    expression), from a temporary view of the query (parameters as NULL: a view takes none,
    and a type does not depend on them). None when SQLite cannot make a view of it."""
    sql = "".join(p if isinstance(p, str) else "NULL" for p in query.parts).strip().rstrip(";")
    name = f"hubkit_declared_{uuid.uuid4().hex}"
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f'CREATE TEMP VIEW "{name}" AS {sql}')
        try:
            return [row[2] or "" for row in cursor.execute(f'PRAGMA temp.table_info("{name}")')]
        finally:
            cursor.execute(f'DROP VIEW temp."{name}"')
    except Exception:
        return None
    finally:
        with contextlib.suppress(Exception):
            cursor.close()


def dbapi_declared(description: Any, dialect: str) -> list[str]:
    """What a DB-API cursor description says of each column that its values may not:
    MariaDB's BOOLEAN (TINYINT(1)) as "BOOLEAN", a DECIMAL(p, s) or NUMERIC(p, s) with its
    precision and scale; "" for every other column."""
    declared = []
    for d in description or []:
        kind, size, precision, scale = d[1], d[3], d[4], d[5]
        mysql = dialect in ("mysql", "mariadb")
        if mysql:
            if kind == _MYSQL_TINY and size == 1:
                declared.append("BOOLEAN")
                continue
            if kind in _MYSQL_DECIMALS and isinstance(size, int) and isinstance(scale, int):
                # MySQLdb/PyMySQL give the display length: digits, the point, the sign.
                precision = size - (1 if scale else 0) - 1
        if (
            isinstance(precision, int)
            and isinstance(scale, int)
            and precision > 0
            and ((mysql and kind in _MYSQL_DECIMALS) or dialect == "postgresql")
        ):
            declared.append(f"DECIMAL({precision}, {scale})")
        else:
            declared.append("")
    return declared


def apply_declared(table: Any, declared: list[str] | None) -> Any:
    """`table` with each column cast to its declared type where every value fits."""
    if not declared or len(declared) != table.num_columns:
        return table
    for i, kind in enumerate(declared):
        target = _target(kind)
        if target is None:
            continue
        column = table.column(i)
        converted = _convert(column, target)
        if converted is not None:
            table = table.set_column(i, table.schema.field(i).with_type(converted.type), converted)
    return table


def _target(declared: str) -> Any:
    import pyarrow as pa

    word = declared.strip().split("(")[0].strip().upper()
    if word in ("BOOLEAN", "BOOL"):
        return pa.bool_()
    if word == "DATE":
        return pa.date32()
    if word in ("DATETIME", "TIMESTAMP"):
        return pa.timestamp("us")
    decimal = _DECIMAL.match(declared)
    if decimal and 0 < int(decimal[1]) <= 38 and int(decimal[2]) <= int(decimal[1]):
        return pa.decimal128(int(decimal[1]), int(decimal[2]))
    return None


def _convert(column: Any, target: Any) -> Any:
    """The column as `target`, or None when a value does not fit (or it already is)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if kind == target:
        return None
    try:
        if pa.types.is_null(kind):  # every value NULL
            return pc.cast(column, target)
        if pa.types.is_boolean(target):
            if not pa.types.is_integer(kind):
                return None
            valid = pc.drop_null(column)
            if len(valid) and not pc.all(pc.is_in(valid, pa.array([0, 1], kind))).as_py():
                return None
            return pc.cast(column, target)
        if pa.types.is_decimal(target):
            if not (
                pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
            ):
                return None
            return pc.cast(column, target)
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return None
        if pa.types.is_timestamp(target):
            try:
                return pc.cast(column, target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return pc.cast(column, pa.timestamp("us", tz="UTC"))  # text with offsets
        return pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
