"""The SQL workspace's flow in headless Chromium, against a running JupyterLab: (create the
connection in the New connection dialog,) turn a cell into SQL, pick the connection, complete a
table name, run, browse the Databases panel, open the New connection dialog and test a URL there,
preview a table, insert its name, use the result in a Python cell.

Run by test_sql_browser.py (a bare JupyterLab, with a token) and by the hub's
tests/hub/test_sql_workspace.py (through the real hub, logging in first) with a Python that has
Playwright (the repository's .venv), while the server runs from the server's environment; also
usable by hand to take screenshots:

    python browser_flow.py URL TOKEN --notebook demo.ipynb --connection shop \
        --table orders --theme dark --screenshots /tmp/shots
    python browser_flow.py HUB/user/alice - --login alice:PASSWORD --create URL ...

Prints one JSON line: the steps that passed, and the first failure.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from playwright.sync_api import Page, sync_playwright

THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


def put_setting(base: str, token: str, plugin: str, raw: dict) -> None:
    r = requests.put(
        f"{base}/lab/api/settings/{plugin}",
        headers={"Authorization": f"token {token}"},
        data=json.dumps({"raw": json.dumps(raw)}),
        timeout=30,
    )
    r.raise_for_status()


def open_databases(page: Page) -> None:
    """Show the Databases panel (its side bar tab toggles it)."""
    if not page.locator(".hk-Databases").is_visible():
        page.click(".jp-SideBar [data-id='hubkit-lab-databases']")
    page.wait_for_selector(".hk-Databases")


def save(page: Page) -> None:
    """Save the current notebook and wait until it is saved (its tab is no longer dirty)."""
    page.keyboard.press("Control+s")
    page.wait_for_selector(".lm-TabBar-tab.lm-mod-current:not(.jp-mod-dirty)", timeout=30_000)


def log_in(page: Page, server: str, login: str) -> None:
    """Log in on the hub the server is behind (`server` is HUB/user/NAME)."""
    hub = server.split("/user/")[0]
    username, password = login.split(":", 1)
    page.goto(f"{hub}/hub/login")
    page.fill("#username_input", username)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(lambda url: "/hub/login" not in url)


def open_notebook(page: Page, base: str, token: str, args: argparse.Namespace) -> None:
    """(Log in on the hub,) open the flow's notebook and wait for its idle kernel."""
    if args.login:
        log_in(page, base, args.login)
    query = f"?token={token}&reset" if token != "-" else "?reset"
    page.goto(f"{base}/lab/tree/{args.notebook}{query}")
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content")
    wait_for_kernel(page)


# The open notebook's kernel is connected and idle: its toolbar names a kernel, its execution
# indicator says idle and so does the status bar. The indicator alone says "idle" before the
# notebook has a kernel ("No Kernel | Initializing" in the status bar); a cell run then is
# silently dropped (JupyterLab 4.6 clears its execution when the session has no kernel).
KERNEL_READY = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const name = panel?.querySelector('.jp-Toolbar-kernelName')?.textContent.trim();
  const status = panel?.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status;
  const bar = document.querySelector('#jp-main-statusbar')?.innerText ?? '';
  return !!name && name !== 'No Kernel' && status === 'idle' && bar.includes(`${name} | Idle`);
}"""


def wait_for_kernel(page: Page, timeout: float = 120_000) -> None:
    """Wait until the open notebook's kernel is connected and idle (KERNEL_READY)."""
    page.wait_for_function(KERNEL_READY, timeout=timeout)


# What the page showed when a step failed: the kernel's status, each cell's prompt and the
# start of its source and output, any dialog. Enough to tell a cell that never ran from one
# still running from an output that never rendered.
PAGE_STATE = """() => ({
  kernel: document.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status ?? null,
  cells: [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')]
    .slice(0, 5).map(c => ({
      prompt: c.querySelector('.jp-InputArea-prompt')?.textContent ?? '',
      source: (c.querySelector('.cm-content')?.textContent ?? '').slice(0, 100),
      output: (c.querySelector('.jp-OutputArea')?.textContent ?? '').slice(0, 300),
    })),
  dialog: (document.querySelector('.jp-Dialog')?.textContent ?? '').slice(0, 300),
  toasts: [...document.querySelectorAll('.Toastify__toast')].map(t => t.textContent.slice(0, 200)),
})"""


def failed(result: dict, error: Exception, page: Page, shot: Callable[[Page, str], None]) -> None:
    """Record a failed step: its error's first line, the page's state, a "failure" shot."""
    result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    try:
        result["page"] = page.evaluate(PAGE_STATE)
    except Exception as e:  # the page itself is gone
        result["page"] = f"unreadable: {type(e).__name__}"
    shot(page, "failure")


def prepare(args: argparse.Namespace) -> tuple[str, str, Path | None]:
    """Set the theme and silence the news prompt (with a token), make the screenshots'
    folder; return the server's URL, the token and that folder."""
    base, token = args.url.rstrip("/"), args.token
    if token != "-":
        theme = {"theme": THEMES[args.theme]}
        put_setting(base, token, "@jupyterlab/apputils-extension:themes", theme)
        news = {"fetchNews": "false"}
        put_setting(base, token, "@jupyterlab/apputils-extension:notification", news)
    shots = Path(args.screenshots) if args.screenshots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    return base, token, shots


def run(args: argparse.Namespace) -> dict:
    base, token, shots = prepare(args)
    steps: list[str] = []
    result: dict = {"steps": steps, "error": None}

    def shot(page: Page, name: str) -> None:
        if shots:
            page.screenshot(path=str(shots / f"{name}-{args.theme}.png"))

    chromium = os.environ.get("HUBKIT_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(45_000)  # a loaded 2-core machine is slow to complete
        try:
            open_notebook(page, base, token, args)
            steps.append("opened")

            if args.create:
                # A personal connection made in the Databases panel's New connection dialog
                open_databases(page)
                page.click(".hk-Databases [data-jp-item-name='new-connection'] button")
                page.wait_for_selector(".hk-ConnectionForm")
                page.fill(".hk-ConnectionForm input >> nth=0", args.connection)
                page.fill(".hk-ConnectionForm input >> nth=1", args.create)
                page.click(".hk-ConnectionForm-test")
                page.wait_for_selector(".hk-ConnectionForm-result.hk-mod-ok")
                page.click(".jp-Dialog .jp-mod-accept:has-text('Save')")
                page.wait_for_selector(
                    f".hk-Databases-connection .hk-Databases-label >> text={args.connection}"
                )
                steps.append("created")
            for name in args.expect_shared:
                open_databases(page)
                page.wait_for_selector(f".hk-Databases-label:text-is('{name}')")
            if args.expect_shared:
                steps.append("shared")

            # Turn the first cell into SQL from the cell type menu
            page.click(".jp-Notebook .jp-Cell .jp-InputArea-prompt")
            page.select_option(".jp-Notebook-toolbarCellTypeDropdown select", "sql")
            toolbar = page.wait_for_selector(".jp-Cell .hk-SqlCell-toolbar")
            assert toolbar is not None
            steps.append("sql-cell")

            # Pick the connection and the output variable
            page.wait_for_selector(
                f".hk-SqlCell-connection select option[value='{args.connection}']",
                state="attached",
            )
            page.select_option(".hk-SqlCell-connection select", args.connection)
            page.fill(".hk-SqlCell-output", "result")
            page.press(".hk-SqlCell-output", "Enter")
            page.wait_for_function(
                "(c) => document.querySelector('.jp-Cell .cm-line').textContent"
                ".includes('-c ' + c + ' -o result')",
                arg=args.connection,
            )
            steps.append("connection")

            # Type a query and complete the table name
            editor = page.locator(".jp-Cell .cm-content").first
            editor.click()
            page.keyboard.press("Control+End")
            page.keyboard.press("End")
            page.keyboard.type(f"SELECT * FROM {args.table[:3]}", delay=40)
            option = page.wait_for_selector(f".cm-tooltip-autocomplete li:has-text('{args.table}')")
            assert option is not None
            shot(page, "1-completion")
            # Accept it with a click: CodeMirror ignores Enter for a moment after the list
            # opens or refreshes (its interactionDelay), which a loaded machine can hit
            page.click(f".cm-tooltip-autocomplete li:has-text('{args.table}')")
            try:
                page.wait_for_function(
                    "(t) => [...document.querySelectorAll('.jp-Cell .cm-line')]"
                    ".some(l => l.textContent === 'SELECT * FROM ' + t)",
                    arg=args.table,
                    timeout=15_000,
                )
            except Exception as e:
                lines = editor.locator(".cm-line").all_inner_texts()
                raise AssertionError(f"completion left {lines!r}") from e
            steps.append("completion")

            # Run it: the result table shows
            page.keyboard.press("Shift+Enter")
            page.wait_for_selector(".jp-Cell .jp-OutputArea-output table", timeout=60_000)
            page.wait_for_timeout(300)
            shot(page, "2-sql-cell-run")
            steps.append("run")

            # The Databases panel: connection -> schema -> table -> columns
            open_databases(page)
            page.wait_for_selector(
                f".hk-Databases-connection .hk-Databases-label >> text={args.connection}"
            )
            label = f".hk-Databases-label:text-is('{args.connection}')"
            page.click(f".hk-Databases-connection:has({label}) > .hk-Databases-row")
            page.wait_for_selector(".hk-Databases-schema")
            page.click(".hk-Databases-schema > .hk-Databases-row")
            page.wait_for_selector(
                f".hk-Databases-table .hk-Databases-label:text-is('{args.table}')"
            )
            label = f".hk-Databases-label:text-is('{args.table}')"
            row = f".hk-Databases-table:has({label}) > .hk-Databases-row"
            page.click(f"{row} .hk-Databases-label")  # the name, not an action it shows
            page.wait_for_selector(".hk-Databases-column")
            page.hover(".hk-Databases-column >> nth=1")
            page.wait_for_timeout(200)
            shot(page, "3-databases")
            steps.append("databases")

            # The New connection dialog, with a failed test
            page.click(".hk-Databases [data-jp-item-name='new-connection'] button")
            page.wait_for_selector(".hk-ConnectionForm")
            page.fill(".hk-ConnectionForm input >> nth=0", "archive")
            page.fill(".hk-ConnectionForm input >> nth=1", "sqlite:////nonexistent/archive.db")
            page.fill(".hk-ConnectionForm input >> nth=2", "Last year's orders")
            page.click(".hk-ConnectionForm-test")
            page.wait_for_selector(".hk-ConnectionForm-result.hk-mod-error")
            shot(page, "4-new-connection")
            page.click(".jp-Dialog .jp-mod-reject:has-text('Cancel')")
            steps.append("dialog")

            # Preview the table's first rows
            page.hover(row)
            page.click(f"{row} button[title='Show the first rows']")
            page.wait_for_selector(".jp-Dialog .hk-Preview-table td")
            shot(page, "5-preview")
            page.click(".jp-Dialog .jp-mod-reject")
            steps.append("preview")

            # Q in command mode turns the second cell into SQL, with the last choices
            second = page.locator(".jp-Notebook .jp-Cell").nth(1)
            second.locator(".jp-InputArea-prompt").click()
            page.keyboard.press("Escape")
            page.keyboard.press("q")
            page.wait_for_selector(".jp-Cell >> nth=1 >> .hk-SqlCell-toolbar")
            steps.append("shortcut")

            # Typing in the magic line changes nothing: the toolbar is the way to change it
            second.locator(".cm-content").click()
            page.keyboard.press("Control+Home")
            page.keyboard.type("zz")
            page.keyboard.press("Backspace")
            magic = second.locator(".cm-line").first.inner_text()
            assert magic == f"%%sql_cell -c {args.connection} -o result", magic
            # and select-all then typing replaces only the SQL
            page.keyboard.press("Control+a")
            page.keyboard.type("SELECT * FROM ")
            lines = second.locator(".cm-line").all_inner_texts()
            assert lines == [magic, "SELECT * FROM "], lines
            steps.append("guarded")

            # Insert a table's qualified name from the panel into the SQL cell
            label = ".hk-Databases-label:text-is('customers')"
            customers = f".hk-Databases-table:has({label}) > .hk-Databases-row"
            page.hover(customers)
            page.click(f"{customers} button[title='Insert the name at the cursor']")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-Cell')][1].textContent"
                '.includes(\'"main"."customers"\')'
            )
            shot(page, "6-inserted")
            steps.append("inserted")

            # Saved as standard code cells with the magic and the metadata
            save(page)

            # Opened again, both are SQL cells
            page.reload()
            page.wait_for_selector(".jp-Cell >> nth=1 >> .hk-SqlCell-toolbar")
            assert page.locator(".hk-SqlCell-toolbar").count() == 2
            steps.append("reopened")

            # The result is a DataFrame the next Python cell uses
            page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-InputArea-prompt").click()
            page.keyboard.press("Escape")
            page.keyboard.press("b")
            page.keyboard.press("Enter")
            page.keyboard.type("print(type(result).__name__, len(result))")
            page.keyboard.press("Shift+Enter")
            page.wait_for_selector(".jp-OutputArea-output:has-text('DataFrame ')")
            printed = page.locator(".jp-OutputArea-output:has-text('DataFrame ')").inner_text()
            assert printed.split() == ["DataFrame", str(args.rows)], printed
            steps.append("python")

            # A SQL cell on the kernel's DuckDB completes the kernel's DataFrames by name
            page.keyboard.type('visits = __import__("pandas").DataFrame({"page": ["a"]})')
            page.keyboard.press("Shift+Enter")
            page.keyboard.press("Escape")
            page.keyboard.press("q")
            cell = page.locator(".jp-Notebook .jp-Cell.jp-mod-active")
            cell.locator(".hk-SqlCell-toolbar").wait_for()
            cell.locator(".hk-SqlCell-connection select").select_option("duckdb")
            cell.locator(".cm-content").click()
            page.keyboard.press("Control+End")
            page.keyboard.type("SELECT * FROM vis", delay=40)
            page.wait_for_selector(".cm-tooltip-autocomplete li:has-text('visits')")
            shot(page, "7-dataframe-completion")
            steps.append("kernel-frames")
        except Exception as e:
            failed(result, e, page, shot)
        finally:
            browser.close()
    return result


def start_flow(
    args: argparse.Namespace, prefix: str
) -> tuple[str, str, dict, Callable[[Page, str], None]]:
    """prepare(); an empty result (steps, seen, error); and a function that takes a screenshot
    `<prefix><name>-<theme>.png` when screenshots were asked for."""
    base, token, shots = prepare(args)
    result: dict = {"steps": [], "seen": {}, "error": None}

    def shot(page: Page, name: str) -> None:
        if shots:
            page.screenshot(path=str(shots / f"{prefix}{name}-{args.theme}.png"))

    return base, token, result, shot


@contextmanager
def chromium_page(
    result: dict, shot: Callable[[Page, str], None], width: int = 1280, height: int = 800
) -> Iterator[Page]:
    """A page of headless Chromium; a step that fails ends the flow, its first line goes into
    result["error"] and the page into the "failure" screenshot."""
    chromium = os.environ.get("HUBKIT_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(45_000)  # a loaded 2-core machine is slow
        try:
            yield page
        except Exception as e:
            failed(result, e, page, shot)
        finally:
            browser.close()


def flow_parser(notebook: str) -> argparse.ArgumentParser:
    """The arguments every browser flow takes: the server, its token, the notebook, the theme
    and where screenshots go."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--notebook", default=notebook)
    parser.add_argument("--theme", choices=sorted(THEMES), default="light")
    parser.add_argument("--screenshots", default="")
    return parser


def report(flow: Callable[[argparse.Namespace], dict], args: argparse.Namespace) -> int:
    """Run a flow and print its result as one JSON line."""
    started = time.monotonic()
    result = flow(args)
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result))
    return 0 if result["error"] is None else 1


def main() -> int:
    parser = flow_parser("demo.ipynb")
    parser.add_argument("--connection", default="shop")
    parser.add_argument("--table", default="orders")
    parser.add_argument("--login", default="", help="USER:PASSWORD: log in on the hub first")
    parser.add_argument("--create", default="", help="a URL: create the connection in the dialog")
    parser.add_argument("--expect-shared", action="append", default=[], help="a shared connection")
    parser.add_argument("--rows", type=int, default=3, help="rows the table holds")
    return report(run, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
