"""Tests for the %%sql_cell magic in an in-process IPython shell: parameters, errors, limits,
statements without rows, and DuckDB over the notebook's DataFrames and files."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pathlib

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from IPython.core.error import UsageError

ALL = ["pg", "maria", "lite", "duckdb"]
INJECTION = "x'; DROP TABLE customers; --"


@pytest.mark.parametrize("name", ALL)
def test_parameters_are_bound_values(name, dbs, shell):
    # Given
    shell.user_ns.update(wanted=1, evil=INJECTION)
    table = "sales.customers" if name == "pg" else "customers"
    if name == "duckdb":
        shell.run_cell_magic(
            "sql_cell", "", "CREATE OR REPLACE TABLE customers AS SELECT 1 AS id, 'Ada' AS name"
        )
    # When
    shell.run_cell_magic(
        "sql_cell", f"-c {name}",
        f"SELECT id, name, {{{{evil}}}} AS echoed FROM {table} WHERE id = :wanted",
    )  # fmt: skip
    # Then: the value came back as a value, and the table is still there
    df = shell.user_ns["df"]
    assert df["name"].tolist() == ["Ada"]
    assert df["echoed"].tolist() == [INJECTION]
    shell.run_cell_magic("sql_cell", f"-c {name}", f"SELECT COUNT(*) AS n FROM {table}")
    assert shell.user_ns["df"]["n"].iloc[0] >= 1


@pytest.mark.parametrize("name", ALL)
def test_identifier_through_a_parameter_fails_at_the_database(name, dbs, shell):
    shell.user_ns["tbl"] = "customers"
    with pytest.raises(UsageError):
        shell.run_cell_magic("sql_cell", f"-c {name}", "SELECT * FROM {{tbl}}")


def test_undefined_variable_is_named(shell):
    shell.user_ns.pop("nowhere", None)
    with pytest.raises(UsageError, match="'nowhere'"):
        shell.run_cell_magic("sql_cell", "", "SELECT {{nowhere}}")


@pytest.mark.parametrize(
    ("name", "position"),
    [("pg", "LINE 2: SELEC"), ("maria", "at line 2"), ("lite", 'near "SELEC"'),
     ("duckdb", "LINE 2: SELEC")],
)  # fmt: skip
def test_syntax_error_shows_the_database_message_and_position(name, position, dbs, shell):
    with pytest.raises(UsageError) as e:
        shell.run_cell_magic("sql_cell", f"-c {name}", "-- a comment\nSELEC 1")
    message = str(e.value)
    assert "syntax" in message.lower()
    assert position in message
    assert "Traceback" not in message
    assert "hubkit-root-pw" not in message


def test_unknown_connection_is_named(shell):
    with pytest.raises(UsageError, match="'nope'"):
        shell.run_cell_magic("sql_cell", "-c nope", "SELECT 1")
    with pytest.raises(UsageError, match="Invalid connection name"):
        shell.run_cell_magic("sql_cell", "-c 'a;b'", "SELECT 1")


@pytest.mark.parametrize("name", ALL)
def test_row_limit_and_output_variable(name, dbs, shell):
    table = "sales.orders" if name == "pg" else "orders"
    if name == "duckdb":
        shell.run_cell_magic(
            "sql_cell", "", "CREATE OR REPLACE TABLE orders AS SELECT range AS id FROM range(5)"
        )
    shell.run_cell_magic("sql_cell", f"-c {name} -o firsts -l 1", f"SELECT id FROM {table}")
    assert len(shell.user_ns["firsts"]) == 1


@pytest.mark.parametrize("name", ALL)
def test_statements_without_rows_report_rows_affected(name, dbs, shell, capsys):
    shell.user_ns.pop("df", None)
    shell.run_cell_magic("sql_cell", f"-c {name}", "CREATE TABLE scratch_t (a int)")
    try:
        shell.run_cell_magic("sql_cell", f"-c {name}", "INSERT INTO scratch_t VALUES (1), (2)")
        assert "2 rows affected" in capsys.readouterr().out
        assert "df" not in shell.user_ns
    finally:
        shell.run_cell_magic("sql_cell", f"-c {name}", "DROP TABLE scratch_t")


def test_display_has_summary_then_frame(shell, capsys):
    shell.run_cell_magic("sql_cell", "", "SELECT 42 AS answer")
    out = capsys.readouterr().out
    assert out.startswith("1 row × 1 column · duckdb · ")  # noqa: RUF001
    assert "answer" in out


@pytest.mark.parametrize(
    "make",
    [
        lambda: pd.DataFrame({"k": [1, 2, 3], "v": ["a", "b", "c"]}),
        lambda: pl.DataFrame({"k": [1, 2, 3], "v": ["a", "b", "c"]}),
        lambda: pa.table({"k": [1, 2, 3], "v": ["a", "b", "c"]}),
    ],
    ids=["pandas", "polars", "arrow"],
)
def test_duckdb_queries_dataframes_of_the_namespace(make, shell):
    # Given: a frame in the notebook's namespace (not in this test's frame)
    shell.user_ns["frame"] = make()
    # When
    shell.run_cell_magic("sql_cell", "", "SELECT sum(k) AS total FROM frame WHERE v <> 'a'")
    # Then
    assert shell.user_ns["df"]["total"].iloc[0] == 5


def test_duckdb_queries_files_by_path_variable_and_literal(shell, tmp_path):
    frame = pd.DataFrame({"k": [1, 2, 3]})
    frame.to_parquet(tmp_path / "data.parquet")
    frame.to_csv(tmp_path / "data.csv", index=False)
    frame.to_json(tmp_path / "data.json", orient="records")
    shell.user_ns.update(
        pq=pathlib.Path(tmp_path / "data.parquet"),
        csv=pathlib.Path(tmp_path / "data.csv"),
        js=pathlib.Path(tmp_path / "data.json"),
    )
    shell.run_cell_magic(
        "sql_cell", "",
        "SELECT (SELECT sum(k) FROM pq) AS a, (SELECT sum(k) FROM csv) AS b,"
        f" (SELECT sum(k) FROM js) AS c, (SELECT sum(k) FROM '{tmp_path}/data.csv') AS d",
    )  # fmt: skip
    assert shell.user_ns["df"].iloc[0].tolist() == [6, 6, 6, 6]


def test_duckdb_queries_an_excel_workbook_by_path_variable(shell, tmp_path):
    # Given: an Excel workbook (written by pandas with openpyxl) and a path to it
    pd.DataFrame({"region": ["north", "south", "north"], "sales": [10.5, 20, 4]}).to_excel(
        tmp_path / "sales.xlsx", index=False
    )
    shell.user_ns["book"] = pathlib.Path(tmp_path / "sales.xlsx")
    # When: the SQL names it like a table
    shell.run_cell_magic(
        "sql_cell", "", "SELECT region, sum(sales) AS total FROM book GROUP BY 1 ORDER BY 1"
    )
    # Then
    assert shell.user_ns["df"].to_dict("list") == {
        "region": ["north", "south"], "total": [14.5, 20.0]
    }  # fmt: skip
    # And a file that is not a workbook is named, without a traceback
    (tmp_path / "fake.xlsx").write_text("not a workbook")
    shell.user_ns["fake"] = pathlib.Path(tmp_path / "fake.xlsx")
    with pytest.raises(UsageError, match=r"fake\.xlsx as an Excel workbook"):
        shell.run_cell_magic("sql_cell", "", "SELECT * FROM fake")


def test_a_real_table_wins_over_a_frame_of_the_same_name(shell):
    shell.user_ns["shadowed"] = pd.DataFrame({"x": [100]})
    shell.run_cell_magic("sql_cell", "", "CREATE OR REPLACE TABLE shadowed AS SELECT 1 AS x")
    shell.run_cell_magic("sql_cell", "", "SELECT x FROM shadowed")
    assert shell.user_ns["df"]["x"].tolist() == [1]


def test_jupysql_keeps_working_next_to_it(shell):
    from sql.connection import ConnectionManager

    shell.run_line_magic("load_ext", "sql")
    try:
        result = shell.run_cell_magic("sql", "duckdb://", "SELECT 1 AS one")
        assert list(result.DataFrame()["one"]) == [1]
    finally:
        # now, not at exit, where it prints "Closing duckdb://" after pytest's summary line
        ConnectionManager.close_all()


def test_config_options_are_traitlets(shell):
    shell.run_line_magic("config", "SqlCellMagics.default_output = 'answer'")
    try:
        shell.run_cell_magic("sql_cell", "", "SELECT 1 AS x")
        assert shell.user_ns["answer"]["x"].tolist() == [1]
    finally:
        shell.run_line_magic("config", "SqlCellMagics.default_output = 'df'")


def test_missing_driver_is_named_without_traceback(shell):
    from hubkit_kernel.sql import add_connection

    add_connection("mssql", "mssql+pymssql://u:Secret123@host/db")
    with pytest.raises(UsageError) as e:
        shell.run_cell_magic("sql_cell", "-c mssql", "SELECT 1")
    assert "pip install pymssql" in str(e.value)
    assert "Secret123" not in str(e.value)


@pytest.fixture
def sqlite_adbc(shell):
    from hubkit_kernel.sql.sessions import close_session

    shell.run_line_magic("config", "SqlCellMagics.sqlite_adbc = True")
    close_session("lite")
    yield
    shell.run_line_magic("config", "SqlCellMagics.sqlite_adbc = False")
    close_session("lite")


def test_sqlite_through_adbc_when_asked(dbs, shell, sqlite_adbc):
    from hubkit_kernel.sql.sessions import get_session

    shell.run_cell_magic("sql_cell", "-c lite -o rows", "SELECT id, name FROM customers")
    assert get_session("lite").path == "adbc"
    assert shell.user_ns["rows"]["name"].tolist() == ["Ada", "Linus"]


def test_sqlite_adbc_reads_a_column_whose_type_changes(dbs, shell, sqlite_adbc):
    # Given: a column holding integers, then text (SQLite allows it; ADBC's reader does not)
    shell.run_cell_magic("sql_cell", "-c lite", "CREATE TABLE mixed (x)")
    shell.run_cell_magic(
        "sql_cell",
        "-c lite",
        "INSERT INTO mixed WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
        " WHERE i < 3000) SELECT i FROM c UNION ALL SELECT 'text'",
    )
    # When
    shell.run_cell_magic("sql_cell", "-c lite -o mixed", "SELECT x FROM mixed")
    # Then: every value is there, as text where the types differ
    values = shell.user_ns["mixed"]["x"].tolist()
    assert len(values) == 3001
    assert values[-1] == "text"
    assert values[0] in (1, "1")


def test_sqlite_adbc_stops_between_batches_when_cancelled(dbs, shell, sqlite_adbc):
    from hubkit_kernel.sql.errors import QueryCancelled
    from hubkit_kernel.sql.parameters import parse
    from hubkit_kernel.sql.sessions import get_session

    # Given: a streaming query of many batches, and a cancel before its second batch
    session = get_session("lite")
    query = parse(
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000000)"
        " SELECT i FROM c"
    )
    session.cancel()  # a cancel before the query does not stop it ...
    shell.run_cell_magic("sql_cell", "-c lite -o small", "SELECT 1 AS one")
    assert shell.user_ns["small"]["one"].tolist() == [1]
    # When: the cancel comes while the rows stream
    import threading

    timer = threading.Timer(0.5, session.cancel)
    timer.start()
    # Then: the read stops long before its 100 million rows
    with pytest.raises(QueryCancelled):
        session.execute(query, {}, 0)
    timer.join()


def test_reloading_keeps_one_configurable(shell):
    from hubkit_kernel.sql.magic import SqlCellMagics

    shell.run_line_magic("reload_ext", "hubkit_kernel")
    shell.run_line_magic("reload_ext", "hubkit_kernel")
    assert sum(isinstance(c, SqlCellMagics) for c in shell.configurables) == 1


@pytest.mark.parametrize(
    ("name", "create", "call"),
    [
        ("pg", "CREATE SEQUENCE IF NOT EXISTS once_seq", "SELECT nextval('once_seq') AS n"),
        ("maria", "CREATE OR REPLACE SEQUENCE once_seq", "SELECT NEXTVAL(once_seq) AS n"),
        ("duckdb", "CREATE OR REPLACE SEQUENCE once_seq", "SELECT nextval('once_seq') AS n"),
    ],
)
def test_a_query_runs_once(name, create, call, dbs, shell):
    # Given: a fresh sequence; When: one cell takes a value; Then: the next value is 2
    shell.run_cell_magic("sql_cell", f"-c {name}", create)
    shell.run_cell_magic("sql_cell", f"-c {name} -o first", call)
    shell.run_cell_magic("sql_cell", f"-c {name} -o second", call)
    assert (shell.user_ns["first"]["n"].iloc[0], shell.user_ns["second"]["n"].iloc[0]) == (1, 2)
