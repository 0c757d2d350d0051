"""The kernel side of the SQL workspace: named connections, the `%%sql_cell` magic, connection
tests and the schema catalog the JupyterLab side calls.

Importing this package stays cheap (no pandas, SQLAlchemy or DuckDB): they are imported inside
the functions that need them.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from .catalog import (
    Column,
    Schema,
    Table,
    list_columns,
    list_schemas,
    list_tables,
    preview,
    search_tables,
)
from .checks import ConnectionCheck, test_connection
from .completion import kernel_tables
from .connections import (
    BUILTIN_DUCKDB,
    Connection,
    ConnectionSummary,
    add_connection,
    edit_connection,
    get_connection,
    list_connections,
    remove_connection,
)
from .errors import ConnectionNameError, SqlError

__all__ = [
    "BUILTIN_DUCKDB",
    "Column",
    "Connection",
    "ConnectionCheck",
    "ConnectionNameError",
    "ConnectionSummary",
    "Schema",
    "SqlError",
    "Table",
    "add_connection",
    "edit_connection",
    "get_connection",
    "kernel_tables",
    "list_columns",
    "list_connections",
    "list_schemas",
    "list_tables",
    "preview",
    "remove_connection",
    "search_tables",
    "test_connection",
]
