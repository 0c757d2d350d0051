"""Interactive tables, kernel side: what a DataFrame's output carries, and the answers to the
browser's requests (pages with sort, filters and search; summaries; code; exports; compact
types; profile), on real pandas, polars, Arrow and DuckDB data, including awkward frames."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import gc
import json

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
