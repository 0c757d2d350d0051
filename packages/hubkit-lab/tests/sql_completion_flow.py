"""A SQL cell's completion and the Databases panel's keys and Refresh in headless Chromium,
against a running JupyterLab with the personal connections `shop` (SQLite: customers, orders)
and `stock` (a DuckDB file with the schema `sales`): the panel marks primary and foreign keys;
the SQL cell completes a keyword, a column after `table.`, an unqualified column of a table in
FROM/JOIN, a schema and a table after `schema.`; a table made by a SQL cell shows in the panel
after Refresh.

Run by test_sql_browser.py with a Python that has Playwright; by hand for screenshots:

    python sql_completion_flow.py URL TOKEN --theme dark --screenshots /tmp/shots

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
    start_flow,
    wait_for_kernel,
)
from playwright.sync_api import Page

OPTIONS = ".cm-tooltip-autocomplete .cm-completionLabel"


def option(label: str) -> str:
    """The completion option labelled `label` (its typed part is a span of its own, which
    :text-is does not see through)."""
    return f"{OPTIONS}:text-matches('^{label}$')"


# Each column of the panel's expanded table: its name and the key marks it shows
COLUMN_KEYS = """() => Object.fromEntries(
    [...document.querySelectorAll('.hk-Databases-column')].map(c => [
        c.querySelector('.hk-Databases-label').textContent,
        [...c.querySelectorAll('.hk-Databases-key')].map(k => k.textContent)]))"""


def table_row(name: str) -> str:
    return f".hk-Databases-table:has(.hk-Databases-label:text-is('{name}')) > .hk-Databases-row"


def run(args: argparse.Namespace) -> dict:
    base, token, result, shot = start_flow(args, "completion-")
    steps, seen = result["steps"], result["seen"]

    def offered(page: Page, sql: str, label: str) -> list[str]:
        """Replace the cell's SQL with `sql`, typed; wait until the completion offers `label`;
        return what it offers."""
        page.keyboard.press("Control+a")  # the magic line stays: only the SQL is replaced
        page.keyboard.type(sql, delay=30)
        try:
            page.wait_for_selector(option(label), timeout=20_000)
        except Exception as e:
            shown = page.locator(OPTIONS).all_inner_texts()
            raise AssertionError(f"{sql!r} did not offer {label!r}, but {shown[:20]!r}") from e
        return page.locator(OPTIONS).all_inner_texts()

    def pick(page: Page, connection: str) -> None:
        cell = page.locator(".jp-Notebook .jp-Cell").first
        cell.locator(".hk-SqlCell-connection select").select_option(connection)
        page.wait_for_function(
            "(c) => document.querySelector('.jp-Cell .cm-line').textContent.includes('-c ' + c)",
            arg=connection,
        )
        cell.locator(".cm-content").click()

    with chromium_page(result, shot) as page:
        page.goto(f"{base}/lab/tree/{args.notebook}?token={token}&reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content")
        wait_for_kernel(page)
        steps.append("opened")

        # The Databases panel: shop -> main -> orders, its columns with their keys
        open_databases(page)
        page.click(
            ".hk-Databases-connection:has(.hk-Databases-label:text-is('shop')) > .hk-Databases-row"
        )
        page.click(".hk-Databases-schema > .hk-Databases-row")
        page.click(f"{table_row('orders')} .hk-Databases-label")
        page.wait_for_selector(".hk-Databases-column")
        seen["keys"] = page.evaluate(COLUMN_KEYS)
        seen["first_tables"] = page.locator(
            ".hk-Databases-table > .hk-Databases-row .hk-Databases-label"
        ).all_inner_texts()
        shot(page, "1-keys")
        steps.append("keys")

        # A SQL cell on shop
        page.click(".jp-Notebook .jp-Cell .jp-InputArea-prompt")
        page.select_option(".jp-Notebook-toolbarCellTypeDropdown select", "sql")
        page.wait_for_selector(".jp-Cell .hk-SqlCell-toolbar")
        page.wait_for_selector(
            ".hk-SqlCell-connection select option[value='stock']", state="attached"
        )
        pick(page, "shop")
        page.keyboard.press("Control+End")
        steps.append("sql-cell")

        # A keyword
        seen["keyword"] = offered(page, "SEL", "SELECT")
        steps.append("keyword")
        # A column after `table.`
        seen["column"] = offered(page, "SELECT orders.cust", "customer_id")
        steps.append("column")
        # An unqualified column of a table the statement joins (behind an alias), accepted
        joined = "SELECT * FROM orders o JOIN customers c ON o.customer_id = c.id WHERE coun"
        seen["unqualified"] = offered(page, joined, "country")
        shot(page, "2-unqualified")
        page.click(option("country"))
        page.wait_for_function(
            "(t) => [...document.querySelectorAll('.jp-Cell .cm-line')]"
            ".some(l => l.textContent === t)",
            arg=joined[: -len("coun")] + "country",
        )
        steps.append("unqualified")

        # On the DuckDB file: a schema, then a table after `schema.`
        pick(page, "stock")
        page.keyboard.press("Control+End")
        seen["schema"] = offered(page, "SELECT * FROM sal", "sales")
        steps.append("schema")
        seen["schema_table"] = offered(page, "SELECT * FROM sales.pro", "products")
        shot(page, "3-schema-table")
        steps.append("schema-table")

        # A table made after the panel listed its schema shows after Refresh
        pick(page, "shop")
        page.keyboard.press("Control+a")
        page.keyboard.type("CREATE TABLE returns (id INTEGER PRIMARY KEY)")
        page.keyboard.press("Shift+Enter")
        page.wait_for_selector(".jp-Cell >> nth=0 >> .jp-OutputArea-output:has-text('· shop ·')")
        page.click(".hk-Databases [data-jp-item-name='refresh'] button")
        page.wait_for_selector(f"{table_row('returns')} .hk-Databases-label")
        seen["refreshed_tables"] = page.locator(
            ".hk-Databases-table > .hk-Databases-row .hk-Databases-label"
        ).all_inner_texts()
        shot(page, "4-refreshed")
        steps.append("refreshed")
    return result


def main() -> int:
    return report(run, flow_parser("complete.ipynb").parse_args())


if __name__ == "__main__":
    sys.exit(main())
