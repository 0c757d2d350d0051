"""The interactive table's flow (table_flow.py): the notebook it runs and what its result must
show, shared by the bare JupyterLab test (test_tables_browser.py) and the hub's
(tests/hub/test_sql_workspace.py, whose Python has no pandas: it runs the checks as
`python table_checks.py RESULT.json ROWS HOME [--wide] [--min-amount N]` with the server
environment's Python). `wide` adds five float columns (x0 to x4) after the five the flow uses,
for the 10-column, 10,000,000-row frame."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import nbformat

TIMES = "\u00d7"  # the table says "rows × columns"  # noqa: RUF003
COLUMNS = ["id", "amount", "city", "placed", "score"]
EXTRA = ["x0", "x1", "x2", "x3", "x4"]
# Rows a page of Graphic Walker's Data tab shows (its DatasetConfig's size)
DATA_PAGE = 100
# The range filter's default: amounts of at least this
MIN_AMOUNT = 900


def make(rows: int, wide: bool = False) -> str:
    """The cell that makes and shows the DataFrame (the extra columns after the others, so the
    first five hold the same values)."""
    extra = "".join(f"df['{name}'] = rng.random(n)\n" for name in EXTRA) if wide else ""
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
{extra}df"""


def notebook(rows: int, wide: bool = False) -> nbformat.NotebookNode:
    """A notebook whose one cell shows the DataFrame."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(make(rows, wide))])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nb


def expected(rows: int, wide: bool = False) -> Any:
    """The DataFrame the cell makes."""
    namespace: dict = {}
    exec(make(rows, wide).rsplit("\n", 1)[0], namespace)
    return namespace["df"]


def check(
    result: dict, rows: int, home: Path, wide: bool = False, min_amount: int = MIN_AMOUNT
) -> None:
    """Assert what the flow saw: counts, sort, filters, summary, code, (chart,) exports."""
    import pandas as pd

    assert result["error"] is None, result
    seen = result["seen"]
    frame = expected(rows, wide)
    columns = COLUMNS + (EXTRA if wide else [])
    shape = f"{TIMES} {len(columns)} columns"
    view = frame[(frame.city == "Oslo") & (frame.amount >= min_amount)]
    # The table counted every row, and the filters' rows
    assert seen["count"] == f"{rows:,} rows {shape}"
    oslo = int((frame.city == "Oslo").sum())
    assert seen["count_city"] == f"{oslo:,} of {rows:,} rows {shape}"
    assert seen["count_range"] == f"{len(view):,} of {rows:,} rows {shape}"
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
    if "explore" in result["steps"]:
        # The explorer's chart of the whole table: the sum of score per city, as the kernel
        # computed it
        sums = frame.groupby("city").score.sum()
        drawn = {r["c2"]: next(v for k, v in r.items() if k != "c2") for r in seen["explore_rows"]}
        assert sorted(drawn) == sorted(sums.index), drawn
        assert all(abs(drawn[city] - sums[city]) < 1e-6 * max(1.0, sums[city]) for city in drawn)
        # Graphic Walker's Data tab: the row count, and a page of the frame's rows as the
        # kernel read them, no more
        data = seen["explore_data"]
        assert data["errors"] == [], data
        shown = min(DATA_PAGE, rows)
        assert data["summary"] == f"Showing 1 to {shown} of {rows} results", data
        assert data["shown"] == data["reply_rows"] == shown, data
        for i, cells in enumerate(data["first"]):
            assert cells[:3] == [str(frame.id[i]), str(frame.amount[i]), frame.city[i]], data
        # not one request to anywhere but the server (its logo and Leaflet's CSS are the
        # extension's own files: webpack.config.js)
        assert seen["explore_outside"] == [], seen["explore_outside"]
        # loaded at the first Explore, not with the page
        assert any(".js" in u for u in seen["scripts_at_click"]), seen["scripts_at_click"]
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
    if "excel-limit" in result["steps"]:
        # Excel refused the whole table, naming its limit and what to do instead
        message = seen["excel_whole"]
        assert f"Excel holds at most 1,048,575 rows; this view has {rows:,}" in message, message
        assert "filter it first, or export CSV or Parquet" in message, message
    # And both downloaded files hold the filtered view, sorted, as pandas reads them
    files = {Path(p).suffix: Path(p) for p in seen["downloads"]}
    assert set(files) == {".xlsx", ".parquet"}
    for suffix, reader in ((".xlsx", pd.read_excel), (".parquet", pd.read_parquet)):
        back = reader(files[suffix])
        assert list(back.columns) == columns
        assert len(back) == len(view), suffix
        assert set(back.city) == {"Oslo"}
        assert back.amount.is_monotonic_decreasing
        assert sorted(back.id) == sorted(view.id)
    # written in the user's home
    assert len(list((home / "exports").glob("*"))) == 2


def main() -> None:
    parser = argparse.ArgumentParser(description="Check a table flow's result.")
    parser.add_argument("result", type=Path, help="the flow's JSON line, saved")
    parser.add_argument("rows", type=int)
    parser.add_argument("home", type=Path, help="the user's home, where exports/ is")
    parser.add_argument("--wide", action="store_true", help="the 10-column frame")
    parser.add_argument("--min-amount", type=int, default=MIN_AMOUNT)
    args = parser.parse_args()
    result = json.loads(args.result.read_text())
    check(result, args.rows, args.home, args.wide, args.min_amount)
    print("ok")


if __name__ == "__main__":
    main()
