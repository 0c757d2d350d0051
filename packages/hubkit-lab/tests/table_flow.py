"""The interactive table's flow in headless Chromium, against a running JupyterLab: run a
notebook that shows a DataFrame, sort a column, filter with a pick-list and a range, open a
column summary, copy the view as pandas code, (draw a chart, insert its code and run it,)
(try to export the whole table to Excel, over its row limit,) export the view to Excel and
Parquet and download them. Through the hub, it logs in first
(tests/hub/test_sql_workspace.py).

Run by test_tables_browser.py with a Python that has Playwright; by hand for screenshots:

    python table_flow.py URL TOKEN --theme dark --screenshots /tmp/shots

Prints one JSON line: the steps that passed, what the page showed, and the first failure.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from browser_flow import chromium_page, flow_parser, open_notebook, report, start_flow
from playwright.sync_api import Locator, Page, expect

FIRST_ROW = ".hk-Table-grid tbody tr:first-child"


def run(args: argparse.Namespace) -> dict:
    base, token, result, shot = start_flow(args, "table-")
    steps, seen = result["steps"], result["seen"]

    def count_text(page: Page) -> str:
        return page.inner_text(".hk-Table-count")

    def wait_count_change(page: Page, before: str) -> str:
        page.wait_for_function(
            "(b) => document.querySelector('.hk-Table-count').textContent !== b "
            "&& !document.querySelector('.hk-Table.hk-mod-loading')",
            arg=before,
            timeout=120_000,
        )
        return count_text(page)

    with chromium_page(result, shot, 1280, 860) as page:
        page.set_default_timeout(60_000)
        # Count what the kernel's websocket brings from the run to the first view
        received = [0]
        replies: list[dict] = []  # the kernel's answers to the explorer

        def on_frame(payload: str | bytes) -> None:
            received[0] += len(payload)
            if args.explore:
                replies.extend(explore_replies(payload))

        def on_socket(socket) -> None:
            socket.on("framereceived", on_frame)

        page.on("websocket", on_socket)
        open_notebook(page, base, token, args)
        received[0] = 0
        page.click(".jp-Notebook .jp-Cell .jp-InputArea-prompt")
        page.keyboard.press("Shift+Enter")
        started = time.monotonic()
        page.wait_for_selector(args.table_selector, timeout=300_000)
        seen["first_view_s"] = time.monotonic() - started
        seen["first_view_bytes"] = received[0]
        if args.first_view_only:
            page.wait_for_timeout(500)
            shot(page, "first-view")
            seen["js_heap_mb"] = page.evaluate("performance.memory.usedJSHeapSize") / 2**20
            steps.append("first-view")
            return result
        seen["count"] = count_text(page)
        steps.append("table")

        # The summaries arrive after the first page: histograms in the header
        page.wait_for_selector(".hk-Table-histogram", timeout=180_000)
        shot(page, "1-shown")
        steps.append("summaries")

        if args.explore:
            explore(page, seen, shot, replies, base)
            steps.append("explore")

        # Sort by amount, descending (two clicks)
        name = ".hk-Table-th[data-column='1'] .hk-Table-name"
        page.click(name)
        page.wait_for_selector(".hk-Table-th[data-column='1'][aria-sort='ascending']")
        page.wait_for_selector(".hk-Table:not(.hk-mod-loading)")
        page.click(name)
        page.wait_for_selector(".hk-Table-th[data-column='1'][aria-sort='descending']")
        page.wait_for_selector(".hk-Table:not(.hk-mod-loading)")
        seen["first_amount"] = page.inner_text(f"{FIRST_ROW} td:nth-child(2)")
        steps.append("sorted")

        # Filter the city with its pick-list: Oslo only
        before = count_text(page)
        page.click(".hk-Table-th[data-column='2'] .hk-Table-filterButton")
        page.check(".hk-Table-popup .hk-Table-choice:has-text('Oslo') input")
        shot(page, "2-pick-list")
        page.click(".hk-Table-popup button[type='submit']")
        seen["count_city"] = wait_count_change(page, before)
        steps.append("filtered-city")

        # And a range on amount: at least 900
        before = count_text(page)
        page.click(".hk-Table-th[data-column='1'] .hk-Table-filterButton")
        page.fill(".hk-Table-popup .hk-Table-field:first-child input", str(args.min_amount))
        page.click(".hk-Table-popup button[type='submit']")
        seen["count_range"] = wait_count_change(page, before)
        seen["first_city"] = page.inner_text(f"{FIRST_ROW} td:nth-child(3)")
        steps.append("filtered-range")

        # A column summary
        page.click(".hk-Table-th[data-column='1'] .hk-Table-summary")
        popup = page.wait_for_selector(".hk-Table-popup .hk-Table-facts")
        assert popup is not None
        seen["summary"] = popup.inner_text()
        shot(page, "3-summary")
        page.keyboard.press("Escape")
        page.mouse.click(5, 5)
        steps.append("summary")

        # Copy as code (pandas)
        page.select_option(".hk-Table-codeKind", "pandas")
        page.click(".hk-Table-toolbar button:has-text('Copy as code')")
        seen["code"] = page.inner_text(".hk-Table-popup .hk-Table-code")
        shot(page, "4-code")
        page.mouse.click(5, 5)
        steps.append("code")

        if args.chart:
            chart(page, seen, shot)
            steps.append("chart")

        if args.excel_limit:
            # The whole table is more than an Excel sheet holds: the table says so
            page.select_option(".hk-Table-format", "xlsx")
            page.select_option(".hk-Table-scope", "all")
            page.click(".hk-Table-toolbar button:has-text('Export')")
            message = page.wait_for_selector(".hk-Table-message.hk-mod-error", timeout=120_000)
            assert message is not None
            seen["excel_whole"] = message.inner_text()
            shot(page, "5-excel-limit")
            steps.append("excel-limit")

        # Export the view to Excel and Parquet, and download both
        downloads = []
        for fmt in ("xlsx", "parquet"):
            page.select_option(".hk-Table-format", fmt)
            page.select_option(".hk-Table-scope", "view")
            page.click(".hk-Table-toolbar button:has-text('Export')")
            link = page.wait_for_selector(f".hk-Table-download:has-text('.{fmt}')", timeout=600_000)
            assert link is not None
            with page.expect_download() as info:
                link.click()
            target = Path(args.downloads) / info.value.suggested_filename
            info.value.save_as(target)
            downloads.append(str(target))
        seen["downloads"] = downloads
        shot(page, "5-exported")
        steps.append("exported")
        seen["js_heap_mb"] = page.evaluate("performance.memory.usedJSHeapSize") / 2**20
    return result


def explore_replies(payload: str | bytes) -> list[dict]:
    """The explorer's answers (the comm's replies with `rows`, which begin with `request`, or
    `ok` if keys are sorted) in a kernel websocket frame, in JupyterLab's JSON or binary
    framing: the message's JSON parts are whole UTF-8 texts."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    if '"rows"' not in text:
        return []
    found = []
    decoder = json.JSONDecoder()
    for match in re.finditer(r'\{"(request|ok)"', text):
        try:
            data, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("rows"), list):
            found.append(data)
    return found


def drag(page: Page, source: Locator, target: Locator) -> None:
    """Drag with the mouse in small steps, as react-beautiful-dnd (Graphic Walker's drag and
    drop) wants to see a drag start."""
    a, b = source.bounding_box(), target.bounding_box()
    assert a is not None and b is not None
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(a["x"] + a["width"] / 2 + 8, a["y"] + a["height"] / 2 + 8, steps=5)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=20)
    page.wait_for_timeout(300)
    page.mouse.up()


def explore(page: Page, seen: dict, shot: Callable[[Page, str], None], replies: list[dict],
            base: str) -> None:  # fmt: skip
    """Open the explorer on the whole table, drag city onto the x axis and score onto the y
    axis, and keep the kernel's answer for the chart (sum of score per city), the requests
    that left the server meanwhile and the extension's scripts loaded at the click."""
    host = urlsplit(base).netloc
    outside: list[str] = []
    loaded: list[str] = []

    def on_request(request) -> None:
        loaded.append(request.url)
        if urlsplit(request.url).scheme in ("http", "https", "ws", "wss") and (
            urlsplit(request.url).netloc != host
        ):
            outside.append(request.url)

    page.on("request", on_request)
    page.click(".hk-Table-toolbar button:has-text('Explore')")
    walker = page.locator(".hk-Explore-walker")
    fields = walker.get_by_text("Field List")
    fields.wait_for(timeout=120_000)
    page.wait_for_timeout(1000)  # its field list fills in
    shot(page, "6-explore")
    # the explorer at the top of the window: its field list and axes both in view
    walker.evaluate("node => node.scrollIntoView({block: 'start'})")
    drag(page, walker.get_by_text("city", exact=True).first, walker.get_by_text("X-Axis").first)
    drag(page, walker.get_by_text("score", exact=True).first, walker.get_by_text("Y-Axis").first)
    deadline = time.monotonic() + 120
    chart = None
    while chart is None and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        for reply in reversed(replies):
            rows = reply["rows"]
            keys = sorted(rows[0]) if rows else []
            if len(keys) == 2 and keys[0] == "c2" and keys[1].startswith("c4"):
                chart = rows
                break
    assert chart is not None, f"no chart data from the kernel: {replies[-3:]}"
    walker.locator("canvas, svg.marks").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # drawn
    seen["explore_rows"] = chart
    # Graphic Walker's chunk came with the click (webpack fetches a chunk once)
    seen["scripts_at_click"] = [u for u in loaded if "/@hubkit/lab/static/" in u]
    shot(page, "6-explore-chart")
    seen["explore_outside"] = outside  # and what the Data tab fetches
    seen["explore_data"] = explore_data(page, walker, shot, replies)
    page.remove_listener("request", on_request)
    page.click(".hk-Table-toolbar button:has-text('Explore')")  # closed again
    page.wait_for_selector(".hk-Explore", state="detached")


def explore_data(page: Page, walker: Locator, shot: Callable[[Page, str], None],
                 replies: list[dict]) -> dict:  # fmt: skip
    """Graphic Walker's Data tab: its row count, the first rows it shows and the size of the
    kernel's answer for them (a page of raw rows, every column)."""
    before = len(replies)
    walker.get_by_role("tab", name="Data").click()
    summary = walker.locator("nav[aria-label='Pagination'] p").first
    expect(summary).to_have_text(re.compile(r"Showing 1 to [1-9]\d* of [1-9]\d* results"),
                                 timeout=120_000)  # fmt: skip
    rows = walker.locator("tbody tr")
    rows.first.wait_for(timeout=120_000)
    deadline = time.monotonic() + 60
    raw: list[int] = []
    while not raw and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        # the page of raw rows: every field (c0, c1, ...), nothing computed
        raw = [len(r["rows"]) for r in replies[before:]
               if r["rows"] and len(r["rows"][0]) > 2
               and all(re.fullmatch(r"c\d+", key) for key in r["rows"][0])]  # fmt: skip
    page.wait_for_timeout(1000)  # the columns' profiles fill in
    shot(page, "7-explore-data")
    first = [rows.nth(i).locator("td").all_inner_texts() for i in range(min(3, rows.count()))]
    return {
        "summary": " ".join(summary.inner_text().split()),
        "shown": rows.count(),
        "first": [[" ".join(text.split()) for text in cells] for cells in first],
        "reply_rows": max(raw, default=None),
        "errors": page.locator(".hk-Explore-status.hk-mod-error").all_inner_texts(),
    }


# The traces' data of a plotly figure as plotly.js drew it
TRACES = """(plot) => plot._fullData.map(t => ({
    type: t.type, name: t.name,
    x: Array.from(t.x || []).map(String), y: Array.from(t.y || []).map(Number)}))"""


def chart(page: Page, seen: dict, shot: Callable[[Page, str], None]) -> None:
    """Chart the filtered view (mean score per amount, in bars), insert its code below, run
    it, and read both figures' data."""
    page.click(".hk-Table-toolbar button:has-text('Chart')")
    page.wait_for_selector(".hk-Chart-plot .js-plotly-plot", timeout=120_000)  # rows per city
    page.select_option(".hk-Chart-kind select", "bar")
    page.select_option(".hk-Chart-x select", "1")
    page.select_option(".hk-Chart-y select", "4")
    page.select_option(".hk-Chart-agg select", "mean")
    page.wait_for_function(
        "() => !document.querySelector('.hk-Chart.hk-mod-loading') && "
        "document.querySelector('.hk-Chart-status').textContent.endsWith('points')",
        timeout=120_000,
    )
    page.wait_for_timeout(500)  # plotly draws
    seen["chart_status"] = page.inner_text(".hk-Chart-status")
    seen["chart_panel"] = page.locator(".hk-Chart-plot .js-plotly-plot").evaluate(TRACES)
    shot(page, "4-chart")
    page.click(".hk-Chart-insert")
    cell = page.locator(".jp-Notebook .jp-Cell").nth(1)
    cell.locator(".cm-content").wait_for()
    seen["chart_code"] = cell.locator(".cm-content").inner_text()
    cell.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")
    plot = cell.locator(".jp-OutputArea .js-plotly-plot")  # the output is the plot
    plot.wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    seen["chart_code_figure"] = plot.evaluate(TRACES)
    shot(page, "4-chart-code")


def main() -> int:
    parser = flow_parser("frames.ipynb")
    parser.add_argument("--downloads", default=".")
    parser.add_argument("--login", default="", help="USER:PASSWORD: log in on the hub first")
    parser.add_argument("--chart", action="store_true", help="draw a chart and run its code")
    parser.add_argument(
        "--explore", action="store_true", help="open the explorer and draw a chart in it"
    )
    parser.add_argument("--min-amount", type=int, default=900, help="the range filter's minimum")
    parser.add_argument(
        "--excel-limit", action="store_true", help="export the whole table to Excel: refused"
    )
    parser.add_argument("--first-view-only", action="store_true", help="stop at the first view")
    parser.add_argument(
        "--table-selector",
        default=".hk-Table .hk-Table-grid tbody tr",
        help="what the first view is (benchmarks/tables.py: pandas' own table for the baseline)",
    )
    return report(run, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
