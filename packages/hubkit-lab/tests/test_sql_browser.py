"""The SQL workspace in headless Chromium: a personal SQLite connection, a cell turned into SQL
from the cell type menu, the connection picked, a table name completed, the query run, the
Databases panel expanded to columns, the New connection dialog's test, a table's preview; then
the saved notebook holds a standard code cell with the magic and the metadata, and the result
is a DataFrame the next Python cell uses; a SQL cell on the kernel's DuckDB completes the
kernel's DataFrames. In the same server, sql_completion_flow.py: the completion of keywords,
columns (after `table.` and unqualified, of the tables in FROM/JOIN), schemas and tables after
`schema.`; the Databases panel's key marks and its Refresh.

Playwright runs in a Python that has it (HUBKIT_PLAYWRIGHT_PYTHON, or the repository's .venv)
while the server runs from this environment; skipped when there is neither it nor Chromium.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest
from lab_servers import TOKEN, jupyter_server
from test_sql_api import make_duckdb, make_sqlite

pytestmark = [pytest.mark.slow, pytest.mark.browser]

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[2]


def playwright_python() -> str:
    python = os.environ.get("HUBKIT_PLAYWRIGHT_PYTHON") or str(REPOSITORY / ".venv/bin/python")
    chromium = os.environ.get("HUBKIT_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        pytest.skip(f"no Chromium at {chromium}")
    found = subprocess.run(
        [python, "-c", "import playwright.sync_api"], capture_output=True, check=False
    ) if Path(python).exists() else None  # fmt: skip
    if found is None or found.returncode != 0:
        pytest.skip(f"no Playwright in {python} (set HUBKIT_PLAYWRIGHT_PYTHON)")
    return python


def shop_home(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A home with the shop's SQLite database as the personal connection `shop` and a notebook
    demo.ipynb with one empty cell; and the server's environment for it."""
    home = tmp_path / "home"
    home.mkdir()
    database = make_sqlite(home / "shop.db")
    connections = tmp_path / "connections.json"
    connections.write_text(json.dumps({"shop": {"url": f"sqlite:///{database}"}}))
    connections.chmod(0o600)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, home / "demo.ipynb")
    return home, {"HUBKIT_CONNECTIONS_FILE": str(connections)}


def run_flow(python: str, script: str, url: str, timeout: int) -> dict:
    """Run a flow script of this folder against a server (screenshots into
    HUBKIT_LAB_SCREENSHOTS, theme HUBKIT_LAB_THEME); its result, which must have no error."""
    shots = os.environ.get("HUBKIT_LAB_SCREENSHOTS", "")
    theme = os.environ.get("HUBKIT_LAB_THEME", "light")
    flow = subprocess.run(
        [python, HERE / script, url, TOKEN, "--screenshots", shots, "--theme", theme],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert flow.stdout.strip(), flow.stderr[-2000:]
    result = json.loads(flow.stdout.strip().splitlines()[-1])
    assert result["error"] is None, result
    return result


def test_a_sql_cell_from_connection_to_result(tmp_path: Path) -> None:
    python = playwright_python()
    # Given a user with a personal SQLite connection and a notebook with one empty cell
    # (and a DuckDB file with a schema `sales`, and a second notebook, for the completion)
    home, env = shop_home(tmp_path)
    connections = Path(env["HUBKIT_CONNECTIONS_FILE"])
    stock = make_duckdb(home / "stock.duckdb")
    listed = json.loads(connections.read_text())
    connections.write_text(json.dumps({**listed, "stock": {"url": f"duckdb:///{stock}"}}))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, home / "complete.ipynb")
    with jupyter_server(home, env=env, app="jupyterlab") as server:
        # When they go through the flow in the browser
        result = run_flow(python, "browser_flow.py", server.url, 150)
        # and through the completion's flow, in another notebook
        completion = run_flow(python, "sql_completion_flow.py", server.url, 180)
    # Then every step passed
    assert result["steps"][-1] == "kernel-frames"
    assert completion["steps"][-1] == "refreshed"
    # And the notebook holds a standard code cell: the magic line, the SQL, the metadata
    cells = nbformat.read(home / "demo.ipynb", as_version=4).cells
    cell = cells[0]
    assert cell.cell_type == "code"
    assert cell.source == "%%sql_cell -c shop -o result\nSELECT * FROM orders"
    assert cell.metadata["hubkit"]["sql"] == {
        "connection": "shop",
        "output": "result",
        "limit": None,
    }
    assert "customer_id" in json.dumps(cell.outputs)
    # And the second cell, turned into SQL with Q, got the table's name where the cursor was
    assert cells[1].source == '%%sql_cell -c shop -o result\nSELECT * FROM "main"."customers"'

    # And the Databases panel marked orders' primary and foreign key, and only those
    seen = completion["seen"]
    assert seen["keys"] == {"id": ["PK"], "customer_id": ["FK"], "amount": [], "placed": []}
    # And the SQL cell completed a keyword, a column after `orders.`, an unqualified column of
    # the joined table (accepted: written out), a schema and a table after `sales.`
    assert "SELECT" in seen["keyword"]
    assert seen["column"] == ["customer_id"]
    assert "country" in seen["unqualified"]
    assert "sales" in seen["schema"]
    assert seen["schema_table"] == ["products"]
    # And a table made after the panel listed the schema shows after Refresh
    assert "returns" not in seen["first_tables"] and "orders" in seen["first_tables"]
    assert "returns" in seen["refreshed_tables"]
