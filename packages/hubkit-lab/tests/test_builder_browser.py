"""The visual query builder in headless Chromium (builder_flow.py) on a SQLite connection: a
join, a typed filter and a sum built visually show the right preview; "Insert as SQL cell"
writes a standard SQL cell whose typed value is a parameter defined in the Python cell above
it; both run; the SQL cell reopens in the builder with its state and updates in place."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from lab_servers import jupyter_server
from test_sql_browser import playwright_python, run_flow, shop_home

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_query_built_visually_becomes_a_sql_cell_and_reopens(tmp_path: Path) -> None:
    python = playwright_python()
    # Given a user with a SQLite connection (orders -> customers) and a notebook
    home, env = shop_home(tmp_path)
    with jupyter_server(home, env=env, app="jupyterlab") as server:
        # When they build, insert, run, reopen and update a query in the browser
        result = run_flow(python, "builder_flow.py", server.url, 180)
    seen = result["seen"]
    # Then the join came from the foreign key, the filter took a number
    assert seen["join"] == ["inner", "0:customer_id", "1:id"]
    assert seen["filter_input"] == "number"
    # And the preview showed the sums per country, largest first, beside the SQL
    assert [r.split("\t") for r in seen["preview"]] == [["US", "300"], ["GB", "120.5"]]
    assert 'JOIN "main"."customers" AS t1' in seen["sql"] and ">= :query1_p0" in seen["sql"]
    # And the inserted cell ran: its output has the rows
    assert "US" in seen["output"] and "GB" in seen["output"]
    # And it reopened with its state, and the changed filter left one row
    assert seen["reopened_preview"] == seen["preview"] and seen["reopened_filter"] == "50"
    assert seen["reopened_button"] == "Update SQL cell"
    assert [r.split("\t") for r in seen["changed_preview"]] == [["US", "300"]]
    # And the saved notebook holds the parameters' Python cell and the SQL cell, with the
    # typed value only in the parameters, and the builder's state in the SQL cell's metadata
    cells = nbformat.read(home / "demo.ipynb", as_version=4).cells
    params, sql = cells[1], cells[2]
    assert params.source.splitlines()[1:] == ["totals_p0 = 200"]
    assert params.metadata["hubkit"] == {"builder_parameters": "totals"}
    assert sql.source.startswith("%%sql_cell -c shop -o totals\nSELECT")
    assert ":totals_p0" in sql.source and "200" not in sql.source
    magic = {"connection": "shop", "output": "totals", "limit": None}
    assert sql.metadata["hubkit"]["sql"] == magic
    state = sql.metadata["hubkit"]["builder"]
    assert state["connection"] == "shop"
    assert state["state"]["filters"] == [{"table": 0, "column": "amount", "op": ">=", "value": 200}]
    assert [t["table"] for t in state["state"]["tables"]] == ["orders", "customers"]
    assert state["state"]["group_by"] == [{"table": 1, "column": "country"}]
    assert "plain columns" in seen["group_default"]
