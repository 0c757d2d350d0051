"""The interactive table's flow (table_flow.py): the notebook it runs and what its result must
show, shared by the bare JupyterLab test (test_tables_browser.py) and the hub's
(tests/hub/test_sql_workspace.py, whose Python has no pandas: it runs the checks as
`python table_checks.py RESULT.json ROWS HOME` with the server environment's Python)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import nbformat

TIMES = "\u00d7"  # the table says "rows × columns"  # noqa: RUF003


def make(rows: int) -> str:
    """The cell that makes and shows the DataFrame."""
    return f"""import numpy as np
import pandas as pd
rng = np.random.default_rng(7)
n = {rows}
df = pd.DataFrame({{
    "id": np.arange(n),
    "amount": rng.integers(0, 1000, n),
    "city": pd.Series(rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], n)).astype("string"),
    "placed": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), "s"),
    "score": rng.random(n),
}})
df"""


def notebook(rows: int) -> nbformat.NotebookNode:
    """A notebook whose one cell shows the DataFrame."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(make(rows))])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nb


def expected(rows: int) -> Any:
    """The DataFrame the cell makes."""
    namespace: dict = {}
    exec(make(rows).rsplit("\n", 1)[0], namespace)
    return namespace["df"]


def check(result: dict, rows: int, home: Path) -> None:
    """Assert what the flow saw: counts, sort, filters, summary, code, (chart,) exports."""
    import pandas as pd

    assert result["error"] is None, result
    seen = result["seen"]
    frame = expected(rows)
    view = frame[(frame.city == "Oslo") & (frame.amount >= 900)]
    # The table counted every row, and the filters' rows
    assert seen["count"] == f"{rows:,} rows {TIMES} 5 columns"
    oslo = int((frame.city == "Oslo").sum())
    assert seen["count_city"] == f"{oslo:,} of {rows:,} rows {TIMES} 5 columns"
    assert seen["count_range"] == f"{len(view):,} of {rows:,} rows {TIMES} 5 columns"
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
    if "chart" in result["steps"]:
        # The chart: the mean score per amount of the filtered rows, in one trace of bars;
        # its inserted code, run in the kernel, drew the same data
        means = view.groupby("amount").score.mean()
        assert seen["chart_status"] == f"{len(means)} points"
        (panel,) = seen["chart_panel"]
        assert panel["type"] == "bar"
        assert [float(x) for x in panel["x"]] == [float(a) for a in means.index]
        assert [round(v, 9) for v in panel["y"]] == [round(v, 9) for v in means]
        assert "px.bar(data, x='amount', y='score'" in seen["chart_code"]
        (drawn,) = seen["chart_code_figure"]
        assert drawn["x"] == panel["x"]
        assert [round(v, 9) for v in drawn["y"]] == [round(v, 9) for v in panel["y"]]
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


if __name__ == "__main__":
    check(json.loads(Path(sys.argv[1]).read_text()), int(sys.argv[2]), Path(sys.argv[3]))
    print("ok")
