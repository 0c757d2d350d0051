"""Tests for %%sql_cell in a real IPython kernel (jupyter_client): what the notebook receives,
errors without traceback, and interrupts that cancel the query on the database."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import ast
import json
import shutil
import time
from pathlib import Path

import pytest
from kernel_client import KernelSession

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).resolve().parents[3] / "envs/python/etc/ipython/ipython_kernel_config.json"


@pytest.fixture(scope="module")
def kernel_dbs(kernel, postgres, mariadb, tmp_path_factory):
    sqlite_path = tmp_path_factory.mktemp("kernel-sqlite") / "k.db"
    urls = {
        "pg": postgres.url("shop"),
        "maria": mariadb.url("shop"),
        "lite": f"sqlite:///{sqlite_path}",
    }
    code = "from hubkit_kernel.sql import add_connection\n" + "".join(
        f"add_connection({name!r}, {url!r})\n" for name, url in urls.items()
    )
    assert kernel.execute(code).status == "ok"
    return kernel


def test_config_file_loads_the_extension_without_the_data_stack(tmp_path):
    # Given: the environment's kernel config as the profile's
    profile = tmp_path / "profile_default"
    profile.mkdir()
    config = json.loads(CONFIG.read_text())
    assert config["InteractiveShellApp"]["extensions"] == ["hubkit_kernel"]
    config["InteractiveTables"] = {"preload": True}
    (profile / "ipython_kernel_config.json").write_text(json.dumps(config))
    # When
    with KernelSession(env={"IPYTHONDIR": str(tmp_path)}) as k:
        run = k.execute(
            "import sys\n"
            "print(sorted(get_ipython().extension_manager.loaded))\n"
            "print([m for m in ('pandas', 'pyarrow', 'sqlalchemy') if m in sys.modules])"
        )
        # With InteractiveTables.preload, DuckDB comes in the background a second later
        preloaded = k.execute(
            "import time\n"
            "deadline = time.monotonic() + 30\n"
            "while 'duckdb' not in sys.modules and time.monotonic() < deadline:\n"
            "    time.sleep(0.1)\n"
            "from hubkit_kernel.tables import engine\n"
            "while engine._shared is None and time.monotonic() < deadline:\n"
            "    time.sleep(0.1)\n"
            "print(engine._shared is not None)\n"
            "print([m for m in ('pandas', 'pyarrow', 'sqlalchemy') if m in sys.modules])"
        )
    # Then
    assert run.status == "ok", run.errors
    loaded, heavy = run.stdout.splitlines()
    assert "hubkit_kernel" in loaded
    assert heavy == "[]"
    assert preloaded.stdout.splitlines() == ["True", "[]"], preloaded.stdout


def test_jupysql_on_duckdb_queries_the_notebooks_dataframe(tmp_path):
    # Given: a kernel with the environment's config, in a folder without jupysql settings
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    shutil.copy(CONFIG, profile / "ipython_kernel_config.json")
    work = tmp_path / "work"
    work.mkdir()
    env = {"IPYTHONDIR": str(tmp_path / "ipython"), "HOME": str(tmp_path)}
    with KernelSession(env=env, cwd=str(work)) as k:
        # When: the example, as a new user types it
        loaded = k.execute("%load_ext sql")
        connected = k.execute("%sql duckdb://")
        defined = k.execute("import pandas as pd\ndf = pd.DataFrame({'a': [1, 2, 3, None]})")
        run = k.execute("%%sql\nSELECT sum(a) AS total FROM df")
        total = k.execute("print(_.DataFrame()['total'].tolist())")
        k.execute("%sql --close duckdb://")
    # Then: loading prints nothing, and the query sees the DataFrame of the cell above
    assert loaded.status == "ok", loaded.errors
    assert loaded.outputs == [], loaded.outputs
    assert connected.status == defined.status == "ok"
    assert run.status == "ok", run.errors or run.stderr
    assert total.stdout.strip() == "[6.0]"


def test_result_display_and_variable(kernel):
    run = kernel.execute("%%sql_cell -o answer\nSELECT 42 AS x, 'a' AS y")
    assert run.status == "ok", run.errors
    plain, html = run.data("text/plain"), run.data("text/html")
    assert plain[0].startswith("1 row × 2 columns · duckdb · ")  # noqa: RUF001
    assert plain[0].splitlines()[1].split() == ["x", "y"]
    assert html[0].startswith('<div class="hubkit-sql-summary">1 row × 2 columns')  # noqa: RUF001
    assert "<table" in html[0]
    check = kernel.execute("print(type(answer).__name__, answer['x'].tolist())")
    assert check.stdout.strip() == "DataFrame [42]"


def test_statement_reports_rows_affected(kernel):
    kernel.execute("%%sql_cell\nCREATE OR REPLACE TABLE k_t (a int)")
    run = kernel.execute("%%sql_cell\nINSERT INTO k_t VALUES (1), (2), (3)")
    assert run.data("text/plain")[0].startswith("3 rows affected · duckdb")


@pytest.mark.parametrize("name", ["pg", "maria", "lite", "duckdb"])
def test_failing_query_is_an_error_without_traceback(name, kernel_dbs):
    run = kernel_dbs.execute(f"%%sql_cell -c {name}\nSELECT * FROM no_such_table")
    # The reply says error, so nbval, papermill and nbconvert --execute stop there...
    assert run.status == "error"
    assert run.reply["ename"] == "UsageError"
    # ... and the user sees the database's message, not a Python traceback.
    shown = run.stderr + "".join("".join(e.get("traceback", [])) for e in run.errors)
    assert "no_such_table" in shown
    assert "Traceback" not in shown
    assert "File " not in shown
    assert "hubkit-root-pw" not in shown


LONG_QUERIES = {
    "pg": "SELECT pg_sleep(30)",
    "maria": "SELECT SLEEP(30)",
    "lite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000)"
    " SELECT count(*) FROM c",
    "duckdb": "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
}


def _running(name: str, postgres, mariadb) -> int:
    """How many copies of the long query the database still runs."""
    if name == "pg":
        return int(postgres.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
            " AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()", "shop",
        ).strip())  # fmt: skip
    if name == "maria":
        return int(mariadb.client(
            "SELECT count(*) FROM information_schema.PROCESSLIST"
            " WHERE INFO LIKE '%SLEEP(30)%' AND ID <> CONNECTION_ID()"
        ).strip())  # fmt: skip
    return 0  # in-process: the kernel answering again is the proof


@pytest.mark.parametrize("name", ["pg", "maria", "lite", "duckdb"])
def test_interrupt_cancels_the_query_on_the_database(name, kernel_dbs, postgres, mariadb):
    # Given: a long query running
    msg_id = kernel_dbs.submit(f"%%sql_cell -c {name} -o never\n{LONG_QUERIES[name]}")
    deadline = time.monotonic() + 10
    time.sleep(1.5)
    if name in ("pg", "maria"):
        while _running(name, postgres, mariadb) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _running(name, postgres, mariadb) == 1
    # When
    interrupted = time.monotonic()
    kernel_dbs.interrupt()
    run = kernel_dbs.collect(msg_id, timeout=30)
    answered = time.monotonic() - interrupted
    # Then: the cell failed as cancelled, quickly, and the database stopped the query
    assert run.status == "error"
    assert "cancelled" in run.stderr.lower(), run.errors
    assert answered < 5, f"kernel answered {answered:.1f} s after the interrupt"
    assert _running(name, postgres, mariadb) == 0
    assert "never" not in kernel_dbs.execute("print(dir())").stdout
    # And the connection works afterwards
    after = kernel_dbs.execute(f"%%sql_cell -c {name}\nSELECT 1 AS ok")
    assert after.status == "ok", after.stderr


def test_duckdb_completion_sees_the_kernels_frames_and_tables(kernel):
    # Given frames, a data file's path and a table of the kernel's own DuckDB
    setup = kernel.execute(
        "import pathlib\nimport pandas as pd, polars as pl, pyarrow as pa\n"
        "orders = pd.DataFrame({'id': [1, 2], 'amount': [1.5, None]})\n"
        "fast = pl.DataFrame({'k': ['a']})\n"
        "arrow = pa.table({'n': [1, 2, 3]})\n"
        "sales = pathlib.Path('sales.parquet')\n"
        "ids = orders['id']\n_private = orders"
    )
    assert setup.status == "ok", setup.errors
    made = kernel.execute("%%sql_cell\nCREATE OR REPLACE TABLE stock (sku TEXT, qty INTEGER)")
    assert made.status == "ok", made.stderr
    # When JupyterLab asks for them the way a DuckDB SQL cell's completion does
    expression = "__import__('hubkit_kernel.sql').sql.kernel_tables('duckdb')"
    run = kernel.execute(
        "", silent=True, store_history=False, user_expressions={"tables": expression}
    )
    # Then each comes with its columns and types, and rows where the frame knows them
    answer = run.reply["user_expressions"]["tables"]
    assert answer["status"] == "ok", answer
    tables = {t["name"]: t for t in answer["data"]["application/json"]["tables"]}
    assert tables["orders"]["columns"] == [["id", "int64"], ["amount", "float64"]]
    assert tables["orders"]["rows"] == 2
    assert tables["fast"]["columns"] == [["k", "String"]]
    assert tables["arrow"]["columns"] == [["n", "int64"]]
    assert tables["sales"]["kind"] == "file"
    assert tables["stock"]["columns"] == [["sku", "VARCHAR"], ["qty", "INTEGER"]]
    # And Series and private names are not tables
    assert "ids" not in tables and "_private" not in tables


def rows(kernel: KernelSession, sql: str) -> tuple[str, list]:
    """What a DuckDB SQL cell said on stderr, and the rows of its DataFrame."""
    run = kernel.execute(f"%%sql_cell -o seen\n{sql}")
    assert run.status == "ok", run.errors
    shown = kernel.execute("print(seen.values.tolist())")
    return run.stderr, ast.literal_eval(shown.stdout)


def test_a_table_made_from_a_dataframe_of_its_name_is_remade_from_it(kernel, tmp_path):
    # Given a DataFrame named like the table a SQL cell makes from it
    make = "%%sql_cell\nCREATE OR REPLACE TABLE shadow AS SELECT a + 1 AS a FROM shadow"
    kernel.execute("import pandas as pd\nshadow = pd.DataFrame({'a': [1, 2, 3]})")
    try:
        # When the cell runs, and again
        assert kernel.execute(make).status == "ok"
        assert kernel.execute(make).status == "ok"
        # Then each run made the table from the DataFrame, not from the last run's table
        note, seen = rows(kernel, "SELECT a FROM shadow ORDER BY a")
        assert seen == [[2], [3], [4]]
        # And a query of the name reads the table, saying which DataFrame it did not read
        assert "the query read the DuckDB table shadow, not the notebook's DataFrame" in note
        # When the DataFrame changes and the cell runs again
        kernel.execute("shadow = pd.DataFrame({'a': [10]})")
        assert kernel.execute(make).status == "ok"
        # Then the table has the DataFrame's new rows
        assert rows(kernel, "SELECT a FROM shadow")[1] == [[11]]
    finally:
        kernel.execute("%%sql_cell\nDROP TABLE IF EXISTS shadow")


def test_a_table_made_from_a_file_path_of_its_name(kernel, tmp_path):
    # Given a path to a CSV file named like the table a cell makes from it
    (tmp_path / "prices.csv").write_text("sku,price\na,1.5\nb,2\n")
    kernel.execute(f"from pathlib import Path\nprices = Path({str(tmp_path / 'prices.csv')!r})")
    try:
        # When the cell makes the table from the file
        made = kernel.execute("%%sql_cell\nCREATE TABLE prices AS SELECT * FROM prices")
        # Then it is made (the file's view is temporary: neither in its way nor left behind)
        assert made.status == "ok", made.errors
        assert rows(kernel, "SELECT sku FROM main.prices ORDER BY sku")[1] == [["a"], ["b"]]
        views = "SELECT count(*) AS n FROM duckdb_views() WHERE view_name = 'prices'"
        assert rows(kernel, views)[1] == [[0]]
    finally:
        kernel.execute("%%sql_cell\nDROP TABLE IF EXISTS prices")


def test_a_table_in_another_schema_does_not_hide_a_dataframe(kernel):
    # Given a table other.frame_b and a DataFrame frame_b
    kernel.execute("%%sql_cell\nCREATE SCHEMA IF NOT EXISTS other;"
                   "CREATE OR REPLACE TABLE other.frame_b AS SELECT 'table' AS v")  # fmt: skip
    kernel.execute("import pandas as pd\nframe_b = pd.DataFrame({'v': ['frame']})")
    # When a cell names frame_b, unqualified
    note, seen = rows(kernel, "SELECT v FROM frame_b")
    # Then it reads the DataFrame: the other schema's table is not what the name reaches
    assert seen == [["frame"]] and note == ""
    assert rows(kernel, "SELECT v FROM other.frame_b")[1] == [["table"]]
