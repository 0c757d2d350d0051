"""The visual query builder's flow in headless Chromium, against a running JupyterLab: open it
from a table in the Databases panel, add a second table (joined on the suggested foreign key),
pick a column and a sum, filter on a number, group by the country, order by the sum, see the
SQL and the preview, insert it as a SQL cell (with the cell of its parameters above), run both,
reopen the SQL cell in the builder with its state, change the filter and update the cell.

Run by test_builder_browser.py with a Python that has Playwright; by hand for screenshots:

    python builder_flow.py URL TOKEN --theme dark --screenshots /tmp/shots

Prints one JSON line: the steps that passed, what the page showed, and the first failure.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import sys

from browser_flow import (
    chromium_page,
    flow_parser,
    open_databases,
    report,
    save,
    start_flow,
    wait_for_kernel,
)
from playwright.sync_api import Page

PREVIEW_ROWS = ".hk-Builder-preview tbody tr"


def run(args: argparse.Namespace) -> dict:
    base, token, result, shot = start_flow(args, "builder-")
    steps, seen = result["steps"], result["seen"]

    def preview(page: Page, rows: int) -> list[str]:
        page.wait_for_function(
            "(n) => !document.querySelector('.hk-Builder.hk-mod-loading') && "
            f"document.querySelectorAll('{PREVIEW_ROWS}').length === n",
            arg=rows,
        )
        return page.locator(PREVIEW_ROWS).all_inner_texts()

    with chromium_page(result, shot, 1400, 860) as page:
        page.goto(f"{base}/lab/tree/{args.notebook}?token={token}&reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content")
        wait_for_kernel(page)
        page.click(".jp-Notebook .jp-Cell .jp-InputArea-prompt")
        steps.append("opened")

        # From the Databases panel: shop -> main -> orders, its "Query" button
        open_databases(page)
        label = ".hk-Databases-label:text-is('shop')"
        page.click(f".hk-Databases-connection:has({label}) > .hk-Databases-row")
        page.click(".hk-Databases-schema > .hk-Databases-row")
        label = ".hk-Databases-label:text-is('orders')"
        orders = f".hk-Databases-table:has({label}) > .hk-Databases-row"
        page.hover(orders)
        page.click(f"{orders} button[title='Build a query on this table visually']")
        page.wait_for_selector(".hk-Builder .hk-Builder-tables")
        seen["first_preview"] = len(preview(page, 3))
        steps.append("builder")

        # A second table: the join on the foreign key is suggested
        page.select_option(".hk-Builder-addTable select", label="main.customers")
        joins = ".hk-Builder-joins .hk-Builder-row select"
        page.wait_for_selector(joins)
        seen["join"] = [s.input_value() for s in page.locator(joins).all()]

        # Columns: the customer's country and the sum of the amounts
        page.click(".hk-Builder-addColumn")
        page.click(".hk-Builder-addColumn")
        rows = page.locator(".hk-Builder-columns .hk-Builder-row")
        rows.nth(0).locator(".hk-Builder-column select").select_option("1:country")
        rows.nth(1).locator(".hk-Builder-aggregate select").select_option("sum")
        rows.nth(1).locator(".hk-Builder-column select").select_option("0:amount")
        # A typed filter: amount >= 50 (a number input for a numeric column)
        page.click(".hk-Builder-addFilter")
        row = page.locator(".hk-Builder-filters .hk-Builder-row").first
        row.locator(".hk-Builder-column select").select_option("0:amount")
        row.locator(".hk-Builder-op select").select_option(">=")
        value = row.locator("input.hk-Builder-value")
        seen["filter_input"] = value.get_attribute("type")
        value.fill("50")
        value.press("Tab")
        # Ordered by the sum, largest first
        page.click(".hk-Builder-addOrder")
        order = page.locator(".hk-Builder-orderLimit .hk-Builder-row").first
        order.locator(".hk-Builder-order select").select_option("1")
        order.locator(".hk-Builder-direction select").select_option("desc")
        # Grouped by the country, named (the default groups by the plain columns too)
        seen["group_default"] = page.inner_text(".hk-Builder-groups")
        page.click(".hk-Builder-addGroup")
        group = page.locator(".hk-Builder-groups .hk-Builder-row").first
        group.locator(".hk-Builder-column select").select_option("1:country")
        seen["preview"] = preview(page, 2)
        page.wait_for_function(
            "() => document.querySelector('.hk-Builder-sql').textContent.includes('DESC')"
        )
        seen["sql"] = page.inner_text(".hk-Builder-sql")
        seen["params"] = page.inner_text(".hk-Builder-params")
        shot(page, "1-built")
        steps.append("built")

        # Insert as a SQL cell: the result goes to `totals`
        page.fill(".hk-Builder-output", "totals")
        page.click(".hk-Builder-insert")
        page.wait_for_selector(".hk-Builder", state="detached")
        page.wait_for_selector(".jp-Cell .hk-SqlCell-toolbar")
        steps.append("inserted")

        # Run the parameters' cell (active) and the SQL cell
        wait_for_kernel(page)
        page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-InputArea-prompt").click()
        page.keyboard.press("Shift+Enter")
        page.keyboard.press("Shift+Enter")
        output = ".jp-Cell:has(.hk-SqlCell-toolbar) .jp-OutputArea-output"
        page.wait_for_selector(f"{output}:has-text('US')", timeout=60_000)
        seen["output"] = page.inner_text(output)
        page.wait_for_timeout(300)
        shot(page, "2-run")
        steps.append("run")

        # Reopened from the SQL cell's toolbar, with its state
        page.click(".jp-Cell .hk-SqlCell-builder")
        page.wait_for_selector(".hk-Builder .hk-Builder-joins")
        seen["reopened_preview"] = preview(page, 2)
        filter_value = page.locator(".hk-Builder-filters input.hk-Builder-value").first
        seen["reopened_filter"] = filter_value.input_value()
        seen["reopened_button"] = page.inner_text(".hk-Builder-insert")
        shot(page, "3-reopened")
        steps.append("reopened")

        # A changed filter updates the cell and its parameters
        filter_value.fill("200")
        filter_value.press("Tab")
        seen["changed_preview"] = preview(page, 1)
        page.click(".hk-Builder-insert")
        page.wait_for_selector(".hk-Builder", state="detached")
        save(page)
        steps.append("updated")
    return result


def main() -> int:
    return report(run, flow_parser("demo.ipynb").parse_args())


if __name__ == "__main__":
    sys.exit(main())
