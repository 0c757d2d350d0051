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
import sys
import time
from collections.abc import Callable
from pathlib import Path

from browser_flow import chromium_page, flow_parser, open_notebook, report, start_flow
from playwright.sync_api import Page

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

        def on_socket(socket) -> None:
            socket.on("framereceived", lambda payload: received.__setitem__(
                0, received[0] + len(payload)))  # fmt: skip

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
