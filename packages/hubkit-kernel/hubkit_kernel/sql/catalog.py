"""The schema catalog for the schema browser: schemas of a connection, then the tables and views
of one schema, then the columns of one table, loaded lazily, one catalog query per level.

Row counts are the catalog's estimates (pg_class.reltuples, information_schema.TABLES.TABLE_ROWS,
DuckDB's estimated_size), never COUNT(*), so a schema of thousands of tables lists at once.
Schema and table names go to catalog queries as bound values; where they must be identifiers
(preview) sqlglot quotes them for the connection's dialect.

`search_tables` finds tables and views by name in every schema at once (one catalog query,
the text bound as a LIKE pattern with its wildcards escaped, at most `limit` rows), so the
browser's search reaches schemas nobody expanded yet.

A DuckDB file is opened read-only for one call and closed again: DuckDB lets one process write
to a file, and that process must be free to be the user's kernel.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .connections import validate_name

SQLGLOT_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql",
                    "sqlite": "sqlite", "duckdb": "duckdb", "mssql": "tsql", "oracle": "oracle",
                    "snowflake": "snowflake", "bigquery": "bigquery", "trino": "trino",
                    "clickhouse": "clickhouse", "redshift": "redshift"}  # fmt: skip


@dataclass(frozen=True)
class Schema:
    name: str


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    kind: str  # "table" or "view"
    estimated_rows: int | None


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    primary_key: bool
    foreign_keys: list[str] = field(default_factory=list)  # "schema.table.column"


_PG_SCHEMAS = """
SELECT nspname FROM pg_catalog.pg_namespace
WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
ORDER BY nspname"""
_PG_TABLES = """
SELECT c.relname,
       CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname"""
_PG_COLUMNS = """
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint p
               WHERE p.conrelid = c.oid AND p.contype = 'p' AND a.attnum = ANY (p.conkey)),
       (SELECT string_agg(fn.nspname || '.' || fc.relname || '.' || fa.attname, ',')
        FROM pg_catalog.pg_constraint f
        JOIN pg_catalog.pg_class fc ON fc.oid = f.confrelid
        JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
        JOIN pg_catalog.pg_attribute fa ON fa.attrelid = f.confrelid
             AND fa.attnum = f.confkey[array_position(f.conkey, a.attnum)]
        WHERE f.conrelid = c.oid AND f.contype = 'f' AND a.attnum = ANY (f.conkey))
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = :schema AND c.relname = :table
ORDER BY a.attnum"""

_MY_SCHEMAS = """
SELECT SCHEMA_NAME FROM information_schema.SCHEMATA
WHERE SCHEMA_NAME NOT IN ('information_schema', 'performance_schema', 'mysql', 'sys')
ORDER BY SCHEMA_NAME"""
_MY_TABLES = """
SELECT TABLE_NAME, CASE WHEN TABLE_TYPE = 'VIEW' THEN 'view' ELSE 'table' END, TABLE_ROWS
FROM information_schema.TABLES WHERE TABLE_SCHEMA = :schema ORDER BY TABLE_NAME"""
_MY_COLUMNS = """
SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE = 'YES', c.COLUMN_KEY = 'PRI',
       (SELECT GROUP_CONCAT(CONCAT(k.REFERENCED_TABLE_SCHEMA, '.', k.REFERENCED_TABLE_NAME, '.',
                                   k.REFERENCED_COLUMN_NAME) SEPARATOR ',')
        FROM information_schema.KEY_COLUMN_USAGE k
        WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
          AND k.COLUMN_NAME = c.COLUMN_NAME AND k.REFERENCED_TABLE_NAME IS NOT NULL)
FROM information_schema.COLUMNS c
WHERE c.TABLE_SCHEMA = :schema AND c.TABLE_NAME = :table ORDER BY c.ORDINAL_POSITION"""

_SQLITE_SCHEMAS = "SELECT name FROM pragma_database_list ORDER BY seq"
_SQLITE_COLUMNS = """
SELECT c.name, c.type, NOT c."notnull", c.pk > 0,
       (SELECT group_concat(:schema || '.' || f."table" || '.' || coalesce(f."to", ''), ',')
        FROM pragma_foreign_key_list(:table, :schema) f WHERE f."from" = c.name)
FROM pragma_table_info(:table, :schema) c ORDER BY c.cid"""

_DUCK_SCHEMAS = """
SELECT DISTINCT schema_name FROM duckdb_schemas()
WHERE database_name = current_database() AND NOT internal OR schema_name = 'main'
ORDER BY schema_name"""
_DUCK_TABLES = """
SELECT table_name, 'table', estimated_size FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = $schema
UNION ALL
SELECT view_name, 'view', NULL FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = $schema AND NOT internal
ORDER BY 1"""
# Search: `:pattern` is the lower-cased text in % wildcards (its % _ and backslash escaped),
# `:text` the lower-cased text (an exact name sorts first), `:prefix` text% (then prefixes)
_PG_SEARCH = """
SELECT n.nspname, c.relname,
       CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  AND lower(n.nspname || '.' || c.relname) LIKE :pattern ESCAPE '\\'
ORDER BY lower(c.relname) <> :text, lower(c.relname) NOT LIKE :prefix ESCAPE '\\',
         c.relname, n.nspname
LIMIT :limit"""
# MariaDB's LIKE escapes with a backslash already (and '\\' would be a quote there)
_MY_SEARCH = """
SELECT TABLE_SCHEMA, TABLE_NAME, CASE WHEN TABLE_TYPE = 'VIEW' THEN 'view' ELSE 'table' END,
       TABLE_ROWS
FROM information_schema.TABLES
WHERE TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema', 'mysql', 'sys')
  AND LOWER(CONCAT(TABLE_SCHEMA, '.', TABLE_NAME)) LIKE :pattern
ORDER BY LOWER(TABLE_NAME) <> :text, LOWER(TABLE_NAME) NOT LIKE :prefix, TABLE_NAME, TABLE_SCHEMA
LIMIT :limit"""
_SQLITE_SEARCH = """
SELECT schema, name, type, NULL FROM pragma_table_list
WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
  AND lower(schema || '.' || name) LIKE :pattern ESCAPE '\\'
ORDER BY lower(name) <> :text, lower(name) NOT LIKE :prefix ESCAPE '\\', name, schema
LIMIT :limit"""
_DUCK_SEARCH = """
SELECT * FROM (
    SELECT schema_name, table_name AS name, 'table', estimated_size FROM duckdb_tables()
    WHERE database_name = current_database()
    UNION ALL
    SELECT schema_name, view_name, 'view', NULL FROM duckdb_views()
    WHERE database_name = current_database() AND NOT internal)
WHERE lower(schema_name || '.' || name) LIKE $pattern ESCAPE '\\'
ORDER BY lower(name) <> $text, lower(name) NOT LIKE $prefix ESCAPE '\\', name, schema_name
LIMIT $limit"""
_SEARCHES = {"postgresql": _PG_SEARCH, "mysql": _MY_SEARCH, "mariadb": _MY_SEARCH,
             "sqlite": _SQLITE_SEARCH, "duckdb": _DUCK_SEARCH}  # fmt: skip
# The longest search text and the most results one search gives
MAX_SEARCH_TEXT = 100
MAX_SEARCH_RESULTS = 200

_DUCK_COLUMNS = """
SELECT c.column_name, c.data_type, c.is_nullable,
       coalesce(list_contains(p.constraint_column_names, c.column_name), false),
       (SELECT string_agg($schema || '.' || f.referenced_table || '.'
                          || f.referenced_column_names[list_position(f.constraint_column_names,
                                                                     c.column_name)], ',')
        FROM duckdb_constraints() f
        WHERE f.schema_name = $schema AND f.table_name = $table
          AND f.constraint_type = 'FOREIGN KEY'
          AND list_contains(f.constraint_column_names, c.column_name))
FROM duckdb_columns() c
LEFT JOIN (SELECT constraint_column_names FROM duckdb_constraints()
           WHERE schema_name = $schema AND table_name = $table
             AND constraint_type = 'PRIMARY KEY') p ON true
WHERE c.database_name = current_database() AND c.schema_name = $schema AND c.table_name = $table
ORDER BY c.column_index"""


@contextlib.contextmanager
def _session(name: str) -> Iterator[Any]:
    """The connection's session; for a DuckDB file, a read-only one for this call only."""
    from .connections import get_connection
    from .sessions import DuckDBSession, get_session

    connection = get_connection(validate_name(name))
    if connection.dialect != "duckdb" or connection.kind == "builtin":
        yield get_session(name)
        return
    session = DuckDBSession.read_only(connection)
    try:
        yield session
    finally:
        session.close()


def _rows(name: str, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Run one catalog query on the connection's session (bound values, never formatted in)."""
    from .sessions import DuckDBSession, SqlAlchemySession

    with _session(name) as session:
        if isinstance(session, DuckDBSession):
            return session.con.execute(sql, params).fetchall()
        assert isinstance(session, SqlAlchemySession)
        from sqlalchemy import text

        try:
            return [tuple(r) for r in session._connection().execute(text(sql), params).fetchall()]
        except Exception as e:
            raise session.error(e) from None


def _dialect(name: str) -> str:
    from .connections import get_connection
    from .sessions import get_session

    connection = get_connection(validate_name(name))
    if connection.dialect == "duckdb":
        return "duckdb"
    return get_session(name).dialect  # opening it names a missing driver


def list_schemas(name: str) -> list[Schema]:
    """The schemas of connection `name` (databases on MariaDB, attached files on SQLite)."""
    dialect = _dialect(name)
    if dialect == "postgresql":
        rows = _rows(name, _PG_SCHEMAS, {})
    elif dialect in ("mysql", "mariadb"):
        rows = _rows(name, _MY_SCHEMAS, {})
    elif dialect == "sqlite":
        rows = _rows(name, _SQLITE_SCHEMAS, {})
    elif dialect == "duckdb":
        rows = _rows(name, _DUCK_SCHEMAS, {})
    else:
        return [Schema(s) for s in _inspector(name).get_schema_names()]
    return [Schema(r[0]) for r in rows]


def list_tables(name: str, schema: str) -> list[Table]:
    """Tables and views of one schema, with the catalog's row estimates."""
    dialect = _dialect(name)
    if dialect == "postgresql":
        rows = _rows(name, _PG_TABLES, {"schema": schema})
    elif dialect in ("mysql", "mariadb"):
        rows = _rows(name, _MY_TABLES, {"schema": schema})
    elif dialect == "sqlite":
        master = f"{_quote(name, schema)}.sqlite_master"
        rows = _rows(
            name,
            f"SELECT name, type, NULL FROM {master} WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            {},
        )
    elif dialect == "duckdb":
        rows = _rows(name, _DUCK_TABLES, {"schema": schema})
    else:
        inspector = _inspector(name)
        return [Table(schema, t, "table", None) for t in inspector.get_table_names(schema)] + [
            Table(schema, v, "view", None) for v in inspector.get_view_names(schema)
        ]
    return [Table(schema, r[0], r[1], None if r[2] is None else int(r[2])) for r in rows]


def search_tables(name: str, text: str, limit: int = 50) -> tuple[list[Table], bool]:
    """Tables and views of every schema whose `schema.name` contains `text` (any case): an
    exact name first, then names that start with it. At most `limit` of them, and whether
    there were more."""
    text = text.strip().lower()
    if not text:
        raise ValueError("Type some of the table's name to search for it")
    if len(text) > MAX_SEARCH_TEXT:
        raise ValueError(f"The search text is too long (at most {MAX_SEARCH_TEXT} characters)")
    if not 1 <= limit <= MAX_SEARCH_RESULTS:
        raise ValueError(f"The limit must be between 1 and {MAX_SEARCH_RESULTS}")
    dialect = _dialect(name)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params = {"pattern": f"%{escaped}%", "text": text, "prefix": f"{escaped}%",
              "limit": limit + 1}  # fmt: skip
    if dialect in _SEARCHES:
        rows = _rows(name, _SEARCHES[dialect], params)
        found = [Table(r[0], r[1], r[2], None if r[3] is None else int(r[3])) for r in rows]
    else:  # any other SQLAlchemy dialect: its inspector, schema by schema
        found = []
        for schema in list_schemas(name):
            found += [t for t in list_tables(name, schema.name)
                      if text in f"{t.schema}.{t.name}".lower()]  # fmt: skip
            if len(found) > limit:
                break
    return found[:limit], len(found) > limit


def list_columns(name: str, schema: str, table: str) -> list[Column]:
    """Columns of one table or view: type, nullability, primary key, foreign keys."""
    dialect = _dialect(name)
    params = {"schema": schema, "table": table}
    if dialect == "postgresql":
        rows = _rows(name, _PG_COLUMNS, params)
    elif dialect in ("mysql", "mariadb"):
        rows = _rows(name, _MY_COLUMNS, params)
    elif dialect == "sqlite":
        rows = _rows(name, _SQLITE_COLUMNS, params)
    elif dialect == "duckdb":
        rows = _rows(name, _DUCK_COLUMNS, params)
    else:
        inspector = _inspector(name)
        pk = set(inspector.get_pk_constraint(table, schema).get("constrained_columns") or [])
        fks: dict[str, list[str]] = {}
        for fk in inspector.get_foreign_keys(table, schema):
            for mine, theirs in zip(
                fk["constrained_columns"], fk["referred_columns"], strict=False
            ):
                target = f"{fk.get('referred_schema') or schema}.{fk['referred_table']}.{theirs}"
                fks.setdefault(mine, []).append(target)
        return [
            Column(c["name"], str(c["type"]), bool(c.get("nullable", True)), c["name"] in pk,
                   fks.get(c["name"], []))
            for c in inspector.get_columns(table, schema)
        ]  # fmt: skip
    return [
        Column(r[0], str(r[1]), bool(r[2]), bool(r[3]), sorted(r[4].split(",")) if r[4] else [])
        for r in rows
    ]


def _quote(name: str, *parts: str) -> str:
    """`parts` as one qualified identifier, quoted by sqlglot for the connection's dialect."""
    from sqlglot import exp

    dialect = SQLGLOT_DIALECTS.get(_dialect(name))
    return ".".join(exp.to_identifier(p, quoted=True).sql(dialect=dialect) for p in parts)


def preview(name: str, table: str, n: int = 100, schema: str | None = None) -> Any:
    """The first `n` rows of a table or view, as a pandas DataFrame."""
    from .parameters import parse
    from .results import to_pandas

    target = _quote(name, schema, table) if schema else _quote(name, table)
    with _session(name) as session:
        outcome = session.execute(parse(f"SELECT * FROM {target}"), {}, max(int(n), 1))
    return to_pandas(outcome.table)


def _inspector(name: str) -> Any:
    from sqlalchemy import inspect

    from .sessions import SqlAlchemySession, get_session

    session = get_session(validate_name(name))
    assert isinstance(session, SqlAlchemySession)
    return inspect(session._connection())
