"""Interactive tables, kernel side: what a DataFrame's output carries, and the answers to the
browser's requests (pages with sort, filters and search; summaries; code; exports; compact
types; profile), on real pandas, polars, Arrow and DuckDB data, including awkward frames."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import gc
import json
import re

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from hubkit_kernel.tables import compact, export, memory_usage, profile
from hubkit_kernel.tables.display import MIME, registry
from hubkit_kernel.tables.engine import FilterError


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 5000
    return pd.DataFrame({
        "id": np.arange(n),
        "amount": rng.integers(0, 100, n),
        "city": pd.Series(rng.choice(["Oslo", "Lima", "Pune"], n)).astype("string"),
        "placed": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), "s"),
        "score": rng.random(n),
        "vip": rng.random(n) > 0.5,
    })  # fmt: skip


def show(shell, obj) -> dict:
    """Display `obj` as the notebook would; return the table's data."""
    data, _ = shell.display_formatter.format(obj)
    assert MIME in data, sorted(data)
    return data[MIME]


def ask(shell, table: dict, action: str, **body) -> dict:
    return registry().handle(shell, {"action": action, "id": table["id"], **body})


def test_a_dataframe_shows_its_first_page_and_columns(shell, frame):
    shell.user_ns["df"] = frame
    table = show(shell, frame)
    assert table["variable"] == "df"
    assert table["page"]["total"] == 5000
    assert len(table["page"]["rows"]) == 50
    assert [c["kind"] for c in table["columns"]] == [
        "number", "number", "text", "date", "number", "bool"
    ]  # fmt: skip
    assert table["page"]["rows"][0][:3] == [0, int(frame.amount[0]), frame.city[0]]
    assert set(table["code"]) == {"pandas", "sql"}
    # only the first page travels: far below the frame's size
    assert len(json.dumps(table)) < 20_000


def test_sort_filters_and_search_match_pandas(shell, frame):
    table = show(shell, frame)
    state = {
        "sort": [{"column": 1, "descending": True}, {"column": 0, "descending": False}],
        "filters": [
            {"column": 2, "op": "in", "values": ["Oslo", "Pune"]},
            {"column": 1, "op": "range", "min": 10, "max": 60},
            {"column": 3, "op": "range", "min": "2026-01-10"},
        ],
        "search": "un",
    }
    page = ask(shell, table, "page", state=state, offset=0, limit=20)
    want = frame[
        frame.city.isin(["Oslo", "Pune"])
        & frame.amount.between(10, 60)
        & (frame.placed >= "2026-01-10")
        & frame.astype("string").apply(lambda c: c.str.contains("un", case=False)).any(axis=1)
    ].sort_values(["amount", "id"], ascending=[False, True])
    assert page["count"] == len(want) > 0
    assert [r[0] for r in page["rows"]] == want.id[:20].tolist()
    # the next page continues where the first stopped
    after = ask(shell, table, "page", state=state, offset=20, limit=5)
    assert [r[0] for r in after["rows"]] == want.id[20:25].tolist()


def test_copy_as_code_gives_the_same_rows(shell, frame):
    shell.user_ns["df"] = frame
    table = show(shell, frame)
    state = {
        "sort": [{"column": 4, "descending": True}],
        "filters": [{"column": 2, "op": "contains", "value": "LI"},
                    {"column": 5, "op": "in", "values": [True]}],
        "search": "",
    }  # fmt: skip
    page = ask(shell, table, "page", state=state, offset=0, limit=10)
    code = ask(shell, table, "code", state=state, kind="pandas")["code"]
    namespace = {"df": frame, "pd": pd}
    exec(code, namespace)
    assert namespace["view"].id[:10].tolist() == [r[0] for r in page["rows"]]
    sql = ask(shell, table, "code", state=state, kind="sql")["code"]
    assert len(duckdb.sql(sql.replace("FROM df", "FROM frame")).fetchall()) == page["count"]
    # a date range runs in a notebook that never imported pandas as pd
    state = {"filters": [{"column": 3, "op": "range", "min": "2026-01-15"}]}
    page = ask(shell, table, "page", state=state, offset=0, limit=1)
    namespace = {"df": frame}
    exec(ask(shell, table, "code", state=state, kind="pandas")["code"], namespace)
    assert 0 < len(namespace["view"]) == page["count"] < len(frame)


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"filters": [{"column": 1, "op": "range", "min": "ten"}]}, "min must be a number"),
        ({"filters": [{"column": 3, "op": "range", "max": "yesterday"}]}, "must be a date"),
        ({"filters": [{"column": 2, "op": "range", "min": 1}]}, "needs a number or date"),
        ({"filters": [{"column": 2, "op": "in", "values": [3]}]}, "must be text"),
        ({"filters": [{"column": 5, "op": "in", "values": ["yes"]}]}, "must be true/false"),
        ({"filters": [{"column": 2, "op": "contains", "value": 4}]}, "contains needs text"),
        ({"filters": [{"column": 9, "op": "null"}]}, "No column number 9"),
        ({"filters": [{"column": 1, "op": "regex"}]}, "unknown operation 'regex'"),
        ({"sort": [{"column": "amount"}]}, "needs a column number"),
        ({"search": 5}, "The search must be text"),
    ],
)
def test_bad_filters_are_refused_naming_the_column(shell, frame, state, message):
    table = show(shell, frame)
    with pytest.raises(FilterError, match=message):
        ask(shell, table, "page", state=state, offset=0, limit=5)


def test_awkward_frames(shell, tmp_path):
    # duplicate and non-string column names, mixed objects, nested values, an all-NULL column
    frame = pd.DataFrame(
        [[1, "a", "x", 1, [1, 2], None], [2, "b", "y", "two", {"k": 1}, None],
         [3, "a", None, None, None, None]],
        columns=[0, "a", "a", "mixed", "nested", "empty"],
    )  # fmt: skip
    shell.user_ns["df"] = frame
    table = show(shell, frame)
    assert [c["name"] for c in table["columns"]] == ["0", "a", "a", "mixed", "nested", "empty"]
    assert table["page"]["rows"][1][3:5] == ["two", '{"k": 1}']
    summaries = {s["column"]: s for s in ask(shell, table, "summaries")["summaries"]}
    assert summaries[5]["nulls"] == 3
    assert summaries[3]["distinct"] == 2
    # the second "a" filters on its own values
    state = {"filters": [{"column": 2, "op": "in", "values": ["y"]}], "sort": [], "search": ""}
    page = ask(shell, table, "page", state=state, offset=0, limit=5)
    assert [r[0] for r in page["rows"]] == [2]
    code = ask(shell, table, "code", state=state, kind="pandas")["code"]
    assert "iloc[:, 2]" in code
    namespace = {"df": frame, "pd": pd}
    exec(code, namespace)
    assert namespace["view"].iloc[:, 0].tolist() == [2]
    # a search reaches mixed and nested values
    found = ask(shell, table, "page", state={"search": "TWO"}, offset=0, limit=5)
    assert found["count"] == 1
    # exported with unique column names
    path = export(frame, "parquet", folder=tmp_path)
    assert list(pd.read_parquet(path).columns) == ["0", "a", "a_2", "mixed", "nested", "empty"]


def test_a_frame_with_an_index_shows_it_as_columns(shell):
    frame = pd.DataFrame({"v": [3, 1, 2]}, index=pd.Index(["x", "y", "z"], name="key"))
    shell.user_ns["df"] = frame
    table = show(shell, frame)
    assert [c["name"] for c in table["columns"]] == ["key", "v"]
    state = {"sort": [{"column": 1}], "filters": [], "search": ""}
    code = ask(shell, table, "code", state=state, kind="pandas")["code"]
    namespace = {"df": frame}
    exec(code, namespace)
    assert namespace["view"].key.tolist() == ["y", "z", "x"]
    # SQL over the frame would not see the index: none is offered, and asking says why
    assert table["code"] == ["pandas"]
    with pytest.raises(FilterError, match="gives no sql code"):
        ask(shell, table, "code", state=state, kind="sql")


def test_polars_arrow_and_duckdb_relations(shell, frame):
    lazy = pl.from_pandas(frame)
    shell.user_ns["pf"] = lazy
    table = show(shell, lazy)
    assert table["code"] == ["polars", "sql"]
    state = {
        "sort": [{"column": 1, "descending": False}, {"column": 0}],
        "filters": [
            {"column": 2, "op": "in", "values": ["Lima"]},
            {"column": 3, "op": "range", "max": "2026-01-15"},
        ],
    }
    page = ask(shell, table, "page", state=state, offset=0, limit=10)
    code = ask(shell, table, "code", state=state, kind="polars")["code"]
    namespace = {"pf": lazy}
    exec(code, namespace)
    assert namespace["view"]["id"].to_list()[:10] == [r[0] for r in page["rows"]]
    assert namespace["view"].height == page["count"]

    arrow = pa.Table.from_pandas(frame)
    assert show(shell, arrow)["page"]["total"] == 5000
    relation = duckdb.sql("SELECT * FROM range(1000) t(n) WHERE n % 3 = 0")
    shell.user_ns["rel"] = relation
    rel_table = show(shell, relation)
    sorted_page = ask(shell, rel_table, "page", state={"sort": [{"column": 0, "descending": True}]},
                      offset=0, limit=3)  # fmt: skip
    assert [r[0] for r in sorted_page["rows"]] == [999, 996, 993]
    assert sorted_page["count"] == 334


def test_a_sql_result_copies_as_sql_over_its_query(shell):
    shell.run_cell_magic("sql_cell", "-o result", "SELECT range AS n, 'x''y' AS q FROM range(100)")
    result = shell.user_ns["result"]
    from hubkit_kernel.sql.results import ResultView

    bundle = ResultView(result, "100 rows", "SELECT range AS n FROM range(100)", "duckdb",
                        "result")._repr_mimebundle_()  # fmt: skip
    table = bundle[MIME]
    assert table["title"] == "100 rows"
    state = {"filters": [{"column": 0, "op": "range", "min": 90}], "sort": [], "search": ""}
    sql = ask(shell, table, "code", state=state, kind="sql")["code"]
    assert "FROM (\n  SELECT range AS n FROM range(100)\n) AS q" in sql
    assert duckdb.sql(sql).fetchall() == [(n,) for n in range(90, 100)]


def test_exports_in_every_format(shell, frame, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    table = show(shell, frame)
    state = {"filters": [{"column": 2, "op": "in", "values": ["Oslo"]}], "sort": [], "search": ""}
    oslo = frame[frame.city == "Oslo"]
    readers = {"csv": pd.read_csv, "xlsx": pd.read_excel, "parquet": pd.read_parquet,
               "json": pd.read_json}  # fmt: skip
    for fmt, reader in readers.items():
        path = ask(shell, table, "export", state=state, format=fmt, scope="view")["path"]
        assert path.startswith(str(tmp_path / "exports"))
        back = reader(path)
        assert len(back) == len(oslo), fmt
        assert sorted(back["id"]) == oslo.id.tolist()
    whole = ask(shell, table, "export", format="parquet", scope="all")["path"]
    assert len(pd.read_parquet(whole)) == 5000
    with pytest.raises(FilterError, match="Unknown export format 'docx'"):
        ask(shell, table, "export", format="docx", scope="all")
    monkeypatch.setattr("hubkit_kernel.tables.exports.EXCEL_MAX_ROWS", 100)
    with pytest.raises(FilterError, match="Excel holds at most 100 rows"):
        ask(shell, table, "export", format="xlsx", scope="all")


def test_compact_types_keep_the_values(shell, tmp_path):
    rng = np.random.default_rng(1)
    n = 20_000
    frame = pd.DataFrame({
        "id": np.arange(n, dtype="int64"),
        "qty": rng.integers(0, 200, n),
        "price": rng.integers(0, 1000, n) / 4,  # exact in float32
        "ratio": rng.random(n),  # not exact in float32: kept
        "country": rng.choice(["NO", "PE", "IN"], n).astype(object),
        "comment": [f"note {i}" for i in range(n)],
        "mixed": [1, "a"] * (n // 2),
    })  # fmt: skip
    before = memory_usage(frame)
    assert list(before.columns) == ["column", "dtype", "bytes"]
    result = compact(frame)
    assert result.saved > 0 and result.after < result.before
    out = result.frame
    assert str(out.qty.dtype) == "uint8" and str(out.price.dtype) == "float32"
    assert str(out.ratio.dtype) == "float64" and str(out.country.dtype) == "category"
    assert str(out.mixed.dtype) == "object"
    for column in frame.columns:
        assert out[column].astype(object).tolist() == frame[column].tolist(), column
    assert "saved" in repr(result)
    # the button: the variable is replaced, the table keeps serving it
    shell.user_ns["df"] = frame
    table = show(shell, frame)
    reply = ask(shell, table, "compact")
    assert reply["message"].startswith("df: ")
    assert shell.user_ns["df"] is not frame
    assert ask(shell, table, "page", offset=0, limit=1)["total"] == n
    # and still when the frame it replaced is gone (its finalizer once dropped the table)
    del frame
    gc.collect()
    assert ask(shell, table, "page", offset=0, limit=1)["total"] == n


def test_profile_report_and_gone_tables(shell, frame, tmp_path):
    report = profile(frame, "orders")
    html = report._repr_html_()
    assert "5,000 rows" in html and "<svg" in html and "city" in html
    assert report.save(tmp_path / "p.html").read_text().startswith("<!doctype html>")
    df = frame.copy()
    table = show(shell, df)
    assert "<svg" in ask(shell, table, "profile")["html"]
    del df
    gc.collect()
    with pytest.raises(FilterError, match="no longer in the kernel"):
        ask(shell, table, "page", offset=0, limit=1)


def test_tables_can_be_switched_off(shell, frame):
    shell.run_line_magic("config", "InteractiveTables.enabled = False")
    try:
        data, _ = shell.display_formatter.format(frame)
        assert MIME not in data
        assert data["text/plain"].endswith("[5000 rows x 6 columns]")  # pandas' own
    finally:
        shell.run_line_magic("config", "InteractiveTables.enabled = True")


@pytest.mark.parametrize("source", ["pandas", "polars", "duckdb"])
def test_paging_over_sort_ties_is_stable(shell, source):
    # Given 300,000 rows with only three values in the sorted column (DuckDB sorts them on
    # several threads, where equal keys would come out in any order)
    n, size = 300_000, 20_000
    frame = pd.DataFrame({"id": np.arange(n), "group": np.arange(n) * 7 % 3})
    data = {"pandas": frame, "polars": pl.from_pandas(frame)}.get(source)
    if data is None:
        data = duckdb.sql('SELECT range AS id, range * 7 % 3 AS "group" FROM range(300000)')
    shell.user_ns["data"] = data
    table = show(shell, data)
    state = {"sort": [{"column": 1, "descending": True}], "filters": [], "search": ""}

    def page(offset: int) -> list[int]:
        rows = ask(shell, table, "page", state=state, offset=offset, limit=size)["rows"]
        return [r[0] for r in rows]

    # When the user pages through the view sorted on that column
    pages = [page(offset) for offset in range(0, n, size)]
    # Then every row shows exactly once, ties in the frame's order (its position breaks them)
    ids = [i for p in pages for i in p]
    expected = frame.sort_values("group", ascending=False, kind="stable").id.tolist()
    assert ids == expected
    # and a page asked for again shows the same rows
    assert page(5 * size) == pages[5]
    # And the copied code sorts ties the same way
    kind = "pandas" if source == "pandas" else "polars" if source == "polars" else None
    if kind:
        namespace = {"data": data}
        exec(ask(shell, table, "code", state=state, kind=kind)["code"], namespace)
        assert list(namespace["view"]["id"])[:size] == pages[0]


CHARTS = [
    {"kind": "bar", "x": 2, "y": 1, "color": 5, "agg": "sum"},
    {"kind": "bar", "x": 2, "agg": "count"},
    {"kind": "line", "x": 3, "y": 4, "agg": "none"},
    {"kind": "line", "x": 1, "y": 4, "color": 2, "agg": "mean"},
    {"kind": "scatter", "x": 1, "y": 4, "color": 2, "agg": "none"},
    {"kind": "scatter", "x": 2, "y": 4, "agg": "max"},
    {"kind": "histogram", "x": 4, "color": 2},
    {"kind": "box", "x": 2, "y": 1},
    {"kind": "heatmap", "x": 2, "y": 5, "agg": "count"},
    {"kind": "heatmap", "x": 2, "y": 5, "color": 4, "agg": "min"},
]


def trace_values(figure) -> list[dict]:
    """Each trace's type, name and data arrays, as plain lists."""
    out = []
    for trace in figure.data:
        values = {"type": trace.type, "name": trace.name}
        for key in ("x", "y", "z", "q1", "median", "q3", "lowerfence", "upperfence"):
            value = getattr(trace, key, None)
            if value is not None:
                values[key] = [v.isoformat() if hasattr(v, "isoformat") else v for v in value]
        out.append(values)
    return out


@pytest.mark.parametrize("spec", CHARTS, ids=lambda s: f"{s['kind']}-{s.get('agg', '')}")
@pytest.mark.parametrize("source", ["pandas", "polars"])
def test_a_chart_and_its_code_draw_the_same_figure(shell, frame, spec, source):
    # Given a table filtered to part of its rows (the chart follows the filters)
    frame = frame.head(3000)
    data = frame if source == "pandas" else pl.from_pandas(frame)
    shell.user_ns["df"] = data
    table = show(shell, data)
    state = {"filters": [{"column": 1, "op": "range", "min": 10}], "sort": [], "search": ""}
    # When the chart panel asks for a chart
    reply = ask(shell, table, "chart", state=state, chart=spec, theme="dark")
    assert reply["figure"]["data"] and reply["figure"]["layout"]["template"]
    assert reply["sampled"] is False
    # Then its code, run in the kernel, draws a figure with the same data
    assert shell.run_cell(reply["code"]).success
    mine = shell.user_ns["fig"]
    from hubkit_kernel.tables.charts import ChartSpec, chart
    from hubkit_kernel.tables.engine import Table, ViewState

    source_table = Table(data)
    panel = chart(source_table, ViewState.from_request(state, source_table.columns),
                  ChartSpec.from_request(spec, source_table.columns), "df").figure  # fmt: skip
    expected, got = trace_values(panel), trace_values(mine)
    assert [t["type"] for t in got] == [t["type"] for t in expected]
    for e, g in zip(expected, got, strict=True):
        assert set(g) == set(e)
        for key, values in e.items():
            if isinstance(values, list) and values and isinstance(values[0], float):
                assert g[key] == pytest.approx(values), key
            else:
                assert g[key] == values, key
    # only the aggregated points travel: no more than the groups or the sample
    assert reply["rows"] <= 5000


def test_a_chart_samples_raw_points_and_names_bad_choices(shell):
    n = 20_000
    frame = pd.DataFrame({"a": np.arange(n), "b": np.arange(n) % 7, "t": ["x"] * n})
    shell.user_ns["big"] = frame
    table = show(shell, frame)
    reply = ask(shell, table, "chart", chart={"kind": "scatter", "x": 0, "y": 1, "agg": "none"})
    assert reply["sampled"] is True and reply["rows"] == 5000
    assert ".sample(n=5000" in reply["code"]
    bad = [
        ({"kind": "pie", "x": 0}, "Unknown chart type 'pie'"),
        ({"kind": "bar", "x": 0, "y": 1, "agg": "median"}, "Unknown aggregation 'median'"),
        ({"kind": "bar", "y": 1}, "needs a column for x"),
        (
            {"kind": "bar", "x": 0, "y": 2, "agg": "sum"},
            r"y \(sum\) must be a number column; 't' is",
        ),
        ({"kind": "histogram", "x": 2}, "histogram: x must be a number column"),
        ({"kind": "bar", "x": 9, "agg": "count"}, "no column number 9"),
        ({"kind": "bar", "x": 0, "agg": "count"}, "20,000 groups"),
    ]
    for spec, message in bad:
        with pytest.raises(FilterError, match=message):
            ask(shell, table, "chart", chart=spec)


def gw_step(kind: str, **body) -> dict:
    return {"type": kind, **body}


def test_explore_answers_graphic_walkers_queries_like_pandas(shell, frame):
    # Given a table filtered to Oslo, and Graphic Walker's query for a bar chart: the count
    # of rows and the mean score per amount bin, amounts of at least 50, sorted
    table = show(shell, frame)
    state = {"filters": [{"column": 2, "op": "in", "values": ["Oslo"]}]}
    count = {"key": "gw_count_fid", "expression": {"op": "one", "params": [], "as": "gw_count_fid"}}
    workflow = [
        gw_step("transform", transform=[count]),
        gw_step("filter", filters=[{"fid": "c1", "rule": {"type": "range", "value": [50, 99]}}]),
        gw_step("view", query=[{"op": "aggregate", "groupBy": ["c1"], "measures": [
            {"field": "c4", "agg": "mean", "asFieldKey": "c4_mean"},
            {"field": "gw_count_fid", "agg": "sum", "asFieldKey": "gw_count_fid_sum"},
        ]}]),
        gw_step("sort", sort="ascending", by=["c1"]),
    ]  # fmt: skip
    # When the explorer asks the kernel
    reply = ask(shell, table, "explore", state=state, payload={"workflow": workflow})
    # Then the rows are pandas' groupby of the same rows, and nothing more travels
    view = frame[(frame.city == "Oslo") & frame.amount.between(50, 99)]
    expected = view.groupby("amount").score.agg(["mean", "size"])
    rows = reply["rows"]
    assert [r["c1"] for r in rows] == list(expected.index)
    assert [r["gw_count_fid_sum"] for r in rows] == list(expected["size"])
    assert [round(r["c4_mean"], 9) for r in rows] == [round(v, 9) for v in expected["mean"]]
    # And a time drill-down, a one-of filter and a raw preview page work on the same table
    month = {"key": "m", "expression": {"op": "dateTimeDrill", "as": "m", "params": [
        {"type": "field", "value": "c3"}, {"type": "value", "value": "month"}]}}  # fmt: skip
    by_month = ask(shell, table, "explore", payload={"workflow": [
        gw_step("transform", transform=[month]),
        gw_step("filter", filters=[{"fid": "c2", "rule": {"type": "one of", "value": ["Lima"]}}]),
        gw_step("view", query=[{"op": "aggregate", "groupBy": ["m"],
                                "measures": [{"field": "c0", "agg": "count", "asFieldKey": "n"}]}]),
    ]})["rows"]  # fmt: skip
    assert sum(r["n"] for r in by_month) == int((frame.city == "Lima").sum())
    assert {r["m"][:7] for r in by_month} <= {"2026-01", "2026-02"}
    page = ask(shell, table, "explore", payload={
        "workflow": [gw_step("view", query=[{"op": "raw", "fields": ["*"]}])],
        "limit": 3, "offset": 10})["rows"]  # fmt: skip
    assert [r["c0"] for r in page] == [10, 11, 12]


def test_explore_answers_the_data_tabs_queries_like_pandas(shell, frame):
    # Given a table, and the queries Graphic Walker's Data tab sends: the row count (a count
    # of "*"), a page of 100 rows, a text field's distinct values, a number field's 10 bins
    table = show(shell, frame)
    count = [gw_step("view", query=[{"op": "aggregate", "groupBy": [], "measures": [
        {"field": "*", "agg": "count", "asFieldKey": "count"}]}])]  # fmt: skip
    distinct = [
        gw_step("view", query=[{"op": "aggregate", "groupBy": ["c2"], "measures": [
            {"field": "*", "agg": "count", "asFieldKey": "count_c2"}]}]),
        gw_step("view", query=[{"op": "aggregate", "groupBy": [], "measures": [
            {"field": "*", "agg": "count", "asFieldKey": "total_distinct_c2"},
            {"field": "count_c2", "agg": "sum", "asFieldKey": "count"}]}]),
    ]  # fmt: skip
    one = {"key": "gw_count_fid", "expression": {"op": "one", "params": [], "as": "gw_count_fid"}}
    binned = {
        "key": "bin_c4",
        "expression": {
            "op": "bin",
            "as": "bin_c4",
            "num": 10,
            "params": [{"type": "field", "value": "c4"}],
        },
    }
    bins = [
        gw_step("transform", transform=[binned, one]),
        gw_step("view", query=[{"op": "aggregate", "groupBy": ["bin_c4"], "measures": [
            {"field": "gw_count_fid", "agg": "sum", "asFieldKey": "gw_count_fid_sum"}]}]),
    ]  # fmt: skip
    # When the kernel answers them
    total = ask(shell, table, "explore", payload={"workflow": count})["rows"]
    page = ask(shell, table, "explore", payload={
        "workflow": [gw_step("view", query=[{"op": "raw", "fields": ["*"]}])],
        "limit": 100, "offset": 100})["rows"]  # fmt: skip
    meta = ask(shell, table, "explore", payload={"workflow": distinct})["rows"]
    histogram = ask(shell, table, "explore", payload={"workflow": bins})["rows"]
    # Then they are pandas' count, rows, distinct values and bins ([start, end) pairs, as
    # Graphic Walker's own computation gives them)
    assert total == [{"count": len(frame)}]
    assert [r["c0"] for r in page] == list(range(100, 200))
    assert page[0]["c2"] == frame.city[100]
    assert meta == [{"total_distinct_c2": frame.city.nunique(), "count": len(frame)}]
    low, high = frame.score.min(), frame.score.max()
    step = (high - low) / 10
    starts = sorted(r["bin_c4"][0] for r in histogram)
    assert starts == pytest.approx([low + i * step for i in range(10)])
    assert all(r["bin_c4"][1] == pytest.approx(r["bin_c4"][0] + step) for r in histogram)
    assert sum(r["gw_count_fid_sum"] for r in histogram) == len(frame)


def test_explore_samples_raw_rows_and_refuses_unknown_fields(shell):
    # Given a table of 30,000 rows
    frame = pd.DataFrame({"x": np.arange(30_000), "y": np.arange(30_000) * 2})
    table = show(shell, frame)
    # When Graphic Walker asks for every raw point of a scatter plot
    raw = {"workflow": [gw_step("view", query=[{"op": "raw", "fields": ["c0", "c1"]}])]}
    rows = ask(shell, table, "explore", payload=raw)["rows"]
    # Then a random sample of 10,000 rows travels, not the frame's first rows
    assert len(rows) == 10_000
    assert max(r["c0"] for r in rows) > 20_000
    assert all(r["c1"] == 2 * r["c0"] for r in rows)
    # And a field that is not the table's, or an unknown step, is refused by name
    for payload, message in (
        ({"workflow": [gw_step("view", query=[{"op": "raw", "fields": ['x"; DROP']}])]},
         "no field 'x\"; DROP' in this table"),
        ({"workflow": [gw_step("pivot")]}, "unknown workflow step 'pivot'"),
        ({"workflow": [gw_step("view", query=[{"op": "aggregate", "groupBy": [], "measures": [
            {"field": "c0", "agg": "mode", "asFieldKey": "m"}]}])]},
         "unknown aggregation 'mode'"),
        ({}, "a request needs a workflow"),
    ):  # fmt: skip
        with pytest.raises(FilterError, match=re.escape(message)):
            ask(shell, table, "explore", payload=payload)
