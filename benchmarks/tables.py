"""Interactive tables on a 10,000,000-row, 10-column DataFrame: what the first view sends and
costs against pandas' own HTML display, and sort and filter against the same operation run
directly in pandas and in DuckDB, and an explorer (Graphic Walker) chart against pandas'
groupby; then Perspective (server mode), buckaroo and itables where they import; then the memory
helper on a frame shaped like a typical CSV export.

    .hubkit/envs/sql/bin/python benchmarks/tables.py [--rows N] [--others PATH]

`--others PATH` adds a folder to sys.path where perspective-python and buckaroo are installed
(`pip install --target PATH perspective-python==5.6.1 buckaroo==0.15.11`): they are not in the
project's environments. Prints one line per measure with its ratio to the baseline (targets:
first view < 1 MB and <= 1.2x pandas' HTML display; sort and filter <= 1.2x).
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "packages" / "hubkit-kernel"))


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The best of `repeat` runs, in seconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def frame(rows: int) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    data = {f"x{i}": rng.random(rows) for i in range(6)}
    data["qty"] = rng.integers(0, 1000, rows)
    data["id"] = np.arange(rows)
    data["city"] = pd.Series(rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], rows)).astype("string")
    data["placed"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(
        rng.integers(0, 86400 * 365, rows), "s"
    )
    return pd.DataFrame(data)


def line(name: str, seconds: float, base: float, extra: str = "") -> None:
    ratio = seconds / base if base else float("nan")
    print(f"{name:<48} {seconds * 1000:9.1f} ms  {ratio:6.2f}x  {extra}")


def ours(df: Any) -> float:
    """Our table against pandas and DuckDB; returns pandas' display time."""
    import duckdb
    from hubkit_kernel.tables.display import MIME, registry
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    shell.run_line_magic("load_ext", "hubkit_kernel")
    shell.user_ns["df"] = df
    # What Jupyter computes for a DataFrame without the tables: its HTML and its text. Both
    # take a few ms: the best of 10 runs each, as on a busy 2-core machine one run in three
    # waits for a core
    pandas_time, pandas_data = timed(
        lambda: {"text/html": df._repr_html_(), "text/plain": repr(df)}, repeat=10
    )
    shell.display_formatter.format(df)  # imports DuckDB once
    ours_time, (data, _) = timed(lambda: shell.display_formatter.format(df), repeat=10)
    sent = len(json.dumps(data))
    pandas_sent = len(json.dumps(pandas_data))
    print(f"first view: {sent / 1024:.1f} KB sent (pandas' HTML display: "
          f"{pandas_sent / 1024:.1f} KB), target < 1024 KB")  # fmt: skip
    line("first view vs pandas' display (text/html+plain)", ours_time, pandas_time)
    table = data[MIME]

    def page(state: dict) -> Any:
        return registry().handle(
            shell, {"action": "page", "id": table["id"], "state": state, "offset": 0, "limit": 50}
        )

    con = duckdb.connect()
    con.register("df", df)
    sort = {"sort": [{"column": 0, "descending": True}]}
    t_sort, _ = timed(lambda: page(sort))
    t_pd_sort, _ = timed(lambda: df.sort_values("x0", ascending=False).head(50), repeat=1)
    t_pd_top, _ = timed(lambda: df.nlargest(50, "x0"))
    t_db_sort, _ = timed(lambda: con.sql("SELECT * FROM df ORDER BY x0 DESC LIMIT 50").fetchall())
    line("sort (first page) vs pandas sort_values().head(50)", t_sort, t_pd_sort)
    line("sort (first page) vs pandas nlargest(50)", t_sort, t_pd_top)
    line("sort (first page) vs DuckDB ORDER BY .. LIMIT 50", t_sort, t_db_sort)
    # The table's sort is stable (ties in the frame's order, so pages never overlap): the same
    # in DuckDB needs the row's position as the last key
    t_db_stable, _ = timed(lambda: con.sql(
        "SELECT * FROM (SELECT *, row_number() OVER () AS p FROM df) ORDER BY x0 DESC, p LIMIT 50"
    ).fetchall())  # fmt: skip
    line("sort (first page) vs DuckDB stable ORDER BY .. LIMIT 50", t_sort, t_db_stable)

    filt = {"filters": [{"column": 6, "op": "range", "min": 100, "max": 200},
                        {"column": 8, "op": "in", "values": ["Oslo"]}]}  # fmt: skip
    t_filter, answer = timed(lambda: page(filt))

    def pandas_filter() -> Any:
        view = df[df.qty.between(100, 200) & (df.city == "Oslo")]
        return len(view), view.head(50)

    t_pd_filter, (n, _) = timed(pandas_filter)
    assert n == answer["count"], (n, answer["count"])
    t_db_filter, _ = timed(
        lambda: (
            con.sql("SELECT count(*) FROM df WHERE qty BETWEEN 100 AND 200 AND city = 'Oslo'")
            .fetchall(),
            con.sql("SELECT * FROM df WHERE qty BETWEEN 100 AND 200 AND city = 'Oslo' LIMIT 50")
            .fetchall(),
        )
    )  # fmt: skip
    line("filter (count + first page) vs pandas mask", t_filter, t_pd_filter)
    line("filter (count + first page) vs DuckDB", t_filter, t_db_filter)
    t_summary, _ = timed(
        lambda: registry().handle(shell, {"action": "summaries", "id": table["id"]}), repeat=1
    )
    line("column summaries, all 10 columns (after first paint)", t_summary, pandas_time)
    # The explorer (Graphic Walker) asking for a bar chart: the sum of x0 per city
    chart = {"workflow": [{"type": "view", "query": [{
        "op": "aggregate", "groupBy": ["c8"],
        "measures": [{"field": "c0", "agg": "sum", "asFieldKey": "c0_sum"}]}]}]}  # fmt: skip
    t_explore, reply = timed(lambda: registry().handle(
        shell, {"action": "explore", "id": table["id"], "payload": chart}))  # fmt: skip
    t_pd_group, _ = timed(lambda: df.groupby("city", observed=True).x0.sum())
    line("explore: sum per city vs pandas groupby", t_explore, t_pd_group,
         f"{len(json.dumps(reply)) / 1024:.2f} KB sent")  # fmt: skip
    return pandas_time


def others(df: Any, pandas_time: float) -> None:
    """Perspective (server mode), buckaroo and itables on the same frame."""
    try:
        import perspective

        server = perspective.Server()
        client = server.new_local_client()
        t_load, table = timed(lambda: client.table(df, name=f"t{time.time_ns()}"), repeat=1)
        _, arrow = timed(lambda: table.view().to_arrow(end_row=50), repeat=1)
        line("perspective: load the frame into its engine", t_load, pandas_time,
             f"first 50 rows {len(arrow) / 1024:.1f} KB")  # fmt: skip
        t_sort, _ = timed(lambda: table.view(sort=[["x0", "desc"]]).to_arrow(end_row=50), repeat=1)
        line("perspective: sort view, first 50 rows", t_sort, pandas_time)
        t_filter, _ = timed(
            lambda: table.view(filter=[["qty", ">=", 100], ["qty", "<=", 200],
                                       ["city", "==", "Oslo"]]).num_rows(),
            repeat=1,
        )  # fmt: skip
        line("perspective: filter view, row count", t_filter, pandas_time)
    except ImportError as e:
        print(f"perspective: not installed ({e})")
    try:
        import buckaroo

        t_widget, _ = timed(lambda: buckaroo.BuckarooInfiniteWidget(df), repeat=1)
        line("buckaroo: BuckarooInfiniteWidget(df) (stats of all rows)", t_widget, pandas_time)
    except ImportError as e:
        print(f"buckaroo: not installed ({e})")
    except Exception as e:
        print(f"buckaroo: failed: {type(e).__name__}: {str(e)[:200]}")
    try:
        import itables

        t_html, html = timed(lambda: itables.to_html_datatable(df), repeat=1)
        line("itables: to_html_datatable(df) (downsampled)", t_html, pandas_time,
             f"{len(html) / 1024:.1f} KB embedded")  # fmt: skip
    except ImportError as e:
        print(f"itables: not installed ({e})")


def memory(rows: int) -> None:
    """compact() on a frame with the column mix of a typical CSV export."""
    import numpy as np
    import pandas as pd
    from hubkit_kernel.tables import compact

    rng = np.random.default_rng(1)
    export = pd.DataFrame({
        "order_id": np.arange(rows, dtype="int64"),
        "customer_id": rng.integers(1, 50_000, rows),
        "quantity": rng.integers(1, 20, rows),
        "unit_price": rng.integers(100, 10_000, rows) / 100,
        "discount": rng.choice([0.0, 0.05, 0.1, 0.25], rows),
        "country": rng.choice(["NO", "PE", "IN", "UA", "DE", "FR"], rows).astype(object),
        "status": rng.choice(["shipped", "pending", "returned"], rows).astype(object),
        "sku": [f"SKU-{i % 5000:05d}" for i in range(rows)],
        "comment": [f"order note {i}" for i in range(rows)],
        "placed": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10**7, rows), "s"),
    })  # fmt: skip
    seconds, result = timed(lambda: compact(export), repeat=1)
    print(f"compact() on {rows:,} rows x {export.shape[1]} columns (CSV-export mix): "
          f"{seconds:.2f} s; {result!r}")  # fmt: skip


def browser(rows: int) -> None:
    """The first view in headless Chromium (JupyterLab from this environment, Playwright from
    the repository's .venv): time from Shift+Enter to the table, bytes over the kernel's
    websocket, the page's JavaScript heap; against pandas' own HTML display."""
    import subprocess
    import tempfile

    tests = REPOSITORY / "packages" / "hubkit-lab" / "tests"
    sys.path.insert(0, str(tests))
    import nbformat
    from lab_servers import TOKEN, jupyter_server
    from table_checks import make

    source = make(rows)
    results = {}
    for name, prefix, selector in (
        ("pandas", "%config InteractiveTables.enabled = False\n",
         ".jp-OutputArea-output table.dataframe tbody tr"),
        ("hubkit", "", ".hk-Table .hk-Table-grid tbody tr"),
    ):  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(prefix + source)])
            notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
            nbformat.write(notebook, home / "frames.ipynb")
            with jupyter_server(home, app="jupyterlab") as server:
                flow = subprocess.run(
                    [str(REPOSITORY / ".venv/bin/python"), str(tests / "table_flow.py"),
                     server.url, TOKEN, "--first-view-only", "--table-selector", selector,
                     "--screenshots", os.environ.get("HUBKIT_LAB_SCREENSHOTS", "")],
                    capture_output=True, text=True, timeout=900, check=False,
                )  # fmt: skip
        result = json.loads(flow.stdout.strip().splitlines()[-1])
        if result["error"]:
            raise SystemExit(f"{name}: {result['error']}")
        results[name] = result["seen"]
    base, ours = results["pandas"], results["hubkit"]
    print(f"browser, {rows:,} rows (Shift+Enter to first view, includes making the frame):")
    line("  first view vs pandas' HTML display", ours["first_view_s"], base["first_view_s"],
         f"{ours['first_view_bytes'] / 1024:.1f} KB vs {base['first_view_bytes'] / 1024:.1f} KB "
         f"over the websocket; JS heap {ours['js_heap_mb']:.0f} MB vs "
         f"{base['js_heap_mb']:.0f} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--others", default="", help="sys.path folder with perspective/buckaroo")
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--browser", action="store_true", help="also the first view in Chromium")
    parser.add_argument("--browser-only", action="store_true", help="only the first view there")
    args = parser.parse_args()
    if args.browser_only:
        browser(args.rows)
        return
    df = frame(args.rows)
    size = df.memory_usage(deep=True).sum() / 2**20
    print(f"{args.rows:,} rows x {df.shape[1]} columns, {size:.0f} MB")
    pandas_time = ours(df)
    if args.others:
        sys.path.append(args.others)
    others(df, pandas_time)
    memory(args.memory_rows)
    if args.browser:
        del df
        browser(args.rows)


if __name__ == "__main__":
    main()
