"""Interactive tables in headless Chromium: a 200,000-row DataFrame (HUBKIT_TABLE_ROWS) shown,
sorted and filtered in the kernel, a column summary, copy as pandas code, Excel and Parquet
exports downloaded and read back with pandas. (benchmarks/tables.py times the 10,000,000-row
frame's first view.)"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from lab_servers import TOKEN, jupyter_server
from test_sql_browser import playwright_python

pytestmark = [pytest.mark.slow, pytest.mark.browser]

HERE = Path(__file__).resolve().parent
TIMES = "\u00d7"  # the table says "rows × columns"  # noqa: RUF003
# HUBKIT_TABLE_ROWS=10000000 runs the same flow on a 10,000,000-row frame (by hand: minutes)
ROWS = int(os.environ.get("HUBKIT_TABLE_ROWS", "200000"))
MAKE = f"""import numpy as np
import pandas as pd
rng = np.random.default_rng(7)
n = {ROWS}
df = pd.DataFrame({{
    "id": np.arange(n),
    "amount": rng.integers(0, 1000, n),
    "city": pd.Series(rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], n)).astype("string"),
    "placed": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), "s"),
    "score": rng.random(n),
}})
df"""


def expected() -> pd.DataFrame:
    namespace: dict = {}
    exec(MAKE.rsplit("\n", 1)[0], namespace)
    return namespace["df"]


def test_sort_filter_summary_code_and_exports(tmp_path: Path) -> None:
    python = playwright_python()
    # Given a notebook whose cell shows a 200,000-row DataFrame
    home = tmp_path / "home"
    home.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(MAKE)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, home / "frames.ipynb")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with jupyter_server(home, app="jupyterlab") as server:
        # When the user sorts, filters, opens a summary, copies code and exports in the browser
        shots = os.environ.get("HUBKIT_LAB_SCREENSHOTS", "")
        theme = os.environ.get("HUBKIT_LAB_THEME", "light")
        flow = subprocess.run(
            [python, HERE / "table_flow.py", server.url, TOKEN, "--screenshots", shots,
             "--downloads", str(downloads), "--theme", theme],
            capture_output=True, text=True, timeout=1500, check=False,
        )  # fmt: skip
    assert flow.stdout.strip(), flow.stderr[-2000:]
    result = json.loads(flow.stdout.strip().splitlines()[-1])
    assert result["error"] is None, result
    seen = result["seen"]
    frame = expected()
    view = frame[(frame.city == "Oslo") & (frame.amount >= 900)]
    # Then the table counted every row, and the filters' rows
    assert seen["count"] == f"{ROWS:,} rows {TIMES} 5 columns"
    oslo = int((frame.city == "Oslo").sum())
    assert seen["count_city"] == f"{oslo:,} of {ROWS:,} rows {TIMES} 5 columns"
    assert seen["count_range"] == f"{len(view):,} of {ROWS:,} rows {TIMES} 5 columns"
    # The sort put the largest amount first; the filtered rows are from Oslo
    assert seen["first_amount"] == str(frame.amount.max())
    assert seen["first_city"] == "Oslo"
    # The summary names the column's facts
    assert "distinct" in seen["summary"] and "999" in seen["summary"]
    # The code gives the same rows in pandas
    namespace = {"df": frame, "pd": pd}
    exec(seen["code"].rsplit("\n", 1)[0], namespace)
    assert len(namespace["view"]) == len(view)
    assert list(namespace["view"].amount[:3]) == list(view.amount.sort_values(ascending=False)[:3])
    # And both downloaded files hold the filtered view, sorted, as pandas reads them
    files = {Path(p).suffix: Path(p) for p in seen["downloads"]}
    assert set(files) == {".xlsx", ".parquet"}
    for suffix, reader in ((".xlsx", pd.read_excel), (".parquet", pd.read_parquet)):
        back = reader(files[suffix])
        assert list(back.columns) == ["id", "amount", "city", "placed", "score"]
        assert len(back) == len(view), suffix
        assert set(back.city) == {"Oslo"}
        assert back.amount.is_monotonic_decreasing
        assert sorted(back.id) == sorted(view.id)
    # written in the user's home
    assert len(list((home / "exports").glob("*"))) == 2
